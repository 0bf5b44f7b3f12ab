package sensor

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestLiveConfigValidate(t *testing.T) {
	if err := DefaultLiveConfig("eth0").Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if err := (LiveConfig{Interface: "eth0"}).Validate(); err != nil {
		t.Fatalf("zero values (defaults): %v", err)
	}
	d := (LiveConfig{Interface: "eth0"}).withDefaults()
	if d.Workers < 1 || d.RingBytes != DefaultRingBytes || d.BlockSize != DefaultBlockSize ||
		d.BlockTimeout != DefaultBlockTimeout || d.TickInterval != DefaultTickInterval || d.Promiscuous {
		t.Errorf("withDefaults: %+v", d)
	}

	bad := []struct {
		name string
		edit func(*LiveConfig)
		want string // in the message
	}{
		{"no interface", func(c *LiveConfig) { c.Interface = "" }, "interface: none given"},
		{"long interface name", func(c *LiveConfig) { c.Interface = "abcdefghijklmnop" }, "longer than 15"},
		{"negative workers", func(c *LiveConfig) { c.Workers = -1 }, "workers -1"},
		{"too many workers", func(c *LiveConfig) { c.Workers = 1000 }, "workers 1000"},
		{"block not a power of two", func(c *LiveConfig) { c.BlockSize = 3 << 12 }, "block size 12288"},
		{"block below a page", func(c *LiveConfig) { c.BlockSize = 512 }, "block size 512"},
		{"ring of one block", func(c *LiveConfig) { c.RingBytes = c.BlockSize }, "two blocks"},
		{"ring not whole blocks", func(c *LiveConfig) { c.RingBytes = 3*c.BlockSize + 1 }, "multiple of the block size"},
		{"ring too large", func(c *LiveConfig) { c.RingBytes = 4 << 30 }, "ring bytes"},
		{"negative block timeout", func(c *LiveConfig) { c.BlockTimeout = -time.Millisecond }, "block timeout"},
		{"block timeout too long", func(c *LiveConfig) { c.BlockTimeout = time.Second }, "block timeout 1s"},
		{"block timeout not whole ms", func(c *LiveConfig) { c.BlockTimeout = 1500 * time.Microsecond }, "whole milliseconds"},
		{"tick too short", func(c *LiveConfig) { c.TickInterval = time.Millisecond }, "tick interval"},
		{"tick too long", func(c *LiveConfig) { c.TickInterval = time.Hour }, "tick interval"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultLiveConfig("eth0")
			tc.edit(&c)
			err := c.Validate()
			if err == nil {
				t.Fatalf("%+v: no error", c)
			}
			if !errors.Is(err, ErrLiveConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q: want ErrLiveConfig and %q", err, tc.want)
			}
		})
	}
}
