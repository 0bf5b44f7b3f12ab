package afpacket

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestLiveConfigValidate(t *testing.T) {
	if err := DefaultConfig("eth0").Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if err := (Config{Interface: "eth0"}).WithDefaults().Validate(); err != nil {
		t.Fatalf("zero values (defaults): %v", err)
	}
	if err := (Config{Interface: "eth0"}).Validate(); err == nil {
		t.Error("zero values validate as they are")
	}
	if err := (Config{}).WithDefaults().Validate(); err != nil {
		t.Errorf("no interface (a configuration for files): %v", err)
	}
	if _, err := Open(Config{}); err == nil || !errors.Is(err, ErrConfig) {
		t.Errorf("Open without an interface: %v", err)
	}
	d := (Config{Interface: "eth0"}).WithDefaults()
	if d.Workers < 1 || d.RingBytes != DefaultRingBytes || d.BlockSize != DefaultBlockSize ||
		d.BlockTimeout != DefaultBlockTimeout || d.TickInterval != DefaultTickInterval || d.Promiscuous {
		t.Errorf("withDefaults: %+v", d)
	}

	bad := []struct {
		name string
		edit func(*Config)
		want string // in the message
	}{
		{"long interface name", func(c *Config) { c.Interface = "abcdefghijklmnop" }, "Interface: \"abcdefghijklmnop\" is not an interface name"},
		{"interface name with a slash", func(c *Config) { c.Interface = "a/b" }, "is not an interface name"},
		{"negative workers", func(c *Config) { c.Workers = -1 }, "Workers: -1 is out of range (1-256)"},
		{"too many workers", func(c *Config) { c.Workers = 1000 }, "Workers: 1000 is out of range"},
		{"block not a power of two", func(c *Config) { c.BlockSize = 3 << 12 }, "BlockSize: 12 KiB is not a power of two"},
		{"block below a page", func(c *Config) { c.BlockSize = 512 }, "BlockSize: 512 bytes"},
		{"ring of one block", func(c *Config) { c.RingBytes = c.BlockSize }, "RingBytes: 1048576 is out of range (2097152-"},
		{"ring not whole blocks", func(c *Config) { c.RingBytes = 3*c.BlockSize + 1 }, "not a whole number of 1 MiB blocks"},
		{"ring too large", func(c *Config) { c.RingBytes = 4 << 30 }, "RingBytes: 4294967296 is out of range"},
		{"negative block timeout", func(c *Config) { c.BlockTimeout = -time.Millisecond }, "BlockTimeout: -1ms is out of range"},
		{"block timeout too long", func(c *Config) { c.BlockTimeout = time.Second }, "BlockTimeout: 1s is out of range (1ms-50ms)"},
		{"block timeout not whole ms", func(c *Config) { c.BlockTimeout = 1500 * time.Microsecond }, "whole number of milliseconds"},
		{"tick too short", func(c *Config) { c.TickInterval = time.Millisecond }, "TickInterval"},
		{"tick too long", func(c *Config) { c.TickInterval = time.Hour }, "TickInterval"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig("eth0")
			tc.edit(&c)
			err := c.Validate()
			if err == nil {
				t.Fatalf("%+v: no error", c)
			}
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q: want ErrConfig and %q", err, tc.want)
			}
		})
	}
}
