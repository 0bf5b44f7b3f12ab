package bpf

import (
	"errors"
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	good := DefaultConfig(443)
	with := func(change func(*Config)) Config {
		c := good
		c.Ports = append([]uint16{}, good.Ports...)
		change(&c)
		return c
	}
	for _, tc := range []struct {
		name string
		cfg  Config
		want string // substring of the error; "" for none
	}{
		{"default", good, ""},
		{"several ports", with(func(c *Config) { c.Ports = []uint16{443, 8443, 993, 65535} }), ""},
		{"smallest", Config{Ports: []uint16{1}, MapEntries: 1, ClientBudget: 1, ServerBudget: 1, UDPPackets: 4}, ""},
		{"largest", with(func(c *Config) { c.MapEntries, c.ClientBudget, c.ServerBudget = MaxMapEntries, MaxBudget, MaxBudget }), ""},
		{"no ports", with(func(c *Config) { c.Ports = nil }), "no ports to watch"},
		{"port 0", with(func(c *Config) { c.Ports = []uint16{443, 0} }), "port 0 cannot be watched"},
		{"no map entries", with(func(c *Config) { c.MapEntries = 0 }), "MapEntries: 0 is out of range (1-16777216)"},
		{"map too large", with(func(c *Config) { c.MapEntries = MaxMapEntries + 1 }), "MapEntries: 16777217 is out of range (1-16777216)"},
		{"no client budget", with(func(c *Config) { c.ClientBudget = 0 }), "ClientBudget: 0 is out of range (1-1073741824)"},
		{"no server budget", with(func(c *Config) { c.ServerBudget = 0 }), "ServerBudget: 0 is out of range"},
		{"client budget too large", with(func(c *Config) { c.ClientBudget = MaxBudget + 1 }), "ClientBudget: 1073741825 is out of range"},
		{"server budget too large", with(func(c *Config) { c.ServerBudget = 1<<32 - 1 }), "ServerBudget: 4294967295 is out of range"},
		{"no UDP packets", with(func(c *Config) { c.UDPPackets = 0 }), "UDPPackets: 0 is out of range (1-1048576)"},
		{"UDP packets too many", with(func(c *Config) { c.UDPPackets = MaxUDPPackets + 1 }), "UDPPackets: 1048577 is out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want an error containing %q", err, tc.want)
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("Validate() = %v: does not wrap ErrInvalidConfig", err)
			}
		})
	}
}

func TestKernelConfigBitmap(t *testing.T) {
	kc := Config{Ports: []uint16{1, 63, 64, 443, 65535}, ClientBudget: 7, ServerBudget: 9, UDPPackets: 4}.kernelConfig()
	if kc.ClientBudget != 7 || kc.ServerBudget != 9 {
		t.Errorf("budgets %d/%d, want 7/9", kc.ClientBudget, kc.ServerBudget)
	}
	watched := map[int]bool{1: true, 63: true, 64: true, 443: true, 65535: true}
	for p := 0; p < 65536; p++ {
		got := kc.Ports[p>>6]>>(p&63)&1 == 1
		if got != watched[p] {
			t.Errorf("port %d: watched=%v, want %v", p, got, watched[p])
		}
	}
}
