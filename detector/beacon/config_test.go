package beacon

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestConfigDefaults(t *testing.T) {
	var c Config
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	want := Config{
		Key: KeyServer, MaxPairs: DefaultMaxPairs, MaxDestinations: DefaultMaxPairs, RingLen: DefaultRingLen,
		Window: DefaultWindow, MinConns: DefaultMinConns, FullConns: DefaultFullConns, MinPeriod: DefaultMinPeriod,
		EvalEvery: DefaultEvalEvery, PopularClients: DefaultPopularClients, Threshold: DefaultThreshold, Seed: defaultSeed,
	}
	if c != want {
		t.Errorf("defaults:\n got %+v\nwant %+v", c, want)
	}
	again := c
	if err := again.Validate(); err != nil || again != c {
		t.Errorf("Validate of a valid config changed it or failed: %+v, %v", again, err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Key: 7}, "key: 7 is not a key"},
		{Config{MaxPairs: 3}, "max pairs: 3 is outside 16-16777216"},
		{Config{MaxPairs: -1}, "max pairs"},
		{Config{MaxDestinations: 1 << 25}, "max destinations"},
		{Config{RingLen: 4}, "ring length: 4 is outside 8-1024"},
		{Config{Window: time.Second}, "window: 1s is outside 1m0s-720h0m0s"},
		{Config{MinConns: 2}, "min connections: 2 is outside 4-48"},
		{Config{RingLen: 10, MinConns: 11}, "min connections: 11 is outside 4-10"},
		{Config{FullConns: 8}, "full connections: 8 is outside 16"},
		{Config{MinPeriod: time.Hour * 2}, "min period"},
		{Config{MinPeriod: time.Microsecond}, "min period"},
		{Config{EvalEvery: 49}, "eval every: 49 is outside 1-48"},
		{Config{PopularClients: 1}, "popular clients: 1 is outside 2-16"},
		{Config{Threshold: 1.5}, "threshold: 1.5 is outside (0, 1]"},
		{Config{Threshold: -0.1}, "threshold"},
		{Config{Threshold: math.NaN()}, "threshold"},
	} {
		err := tc.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want an error with %q", tc.cfg, err, tc.want)
		}
		if _, err := NewTracker(tc.cfg); err == nil {
			t.Errorf("NewTracker(%+v) accepted it", tc.cfg)
		}
	}
	// Several bad fields are all reported.
	err := (&Config{RingLen: 1, Threshold: 2}).Validate()
	if err == nil || !strings.Contains(err.Error(), "ring length") || !strings.Contains(err.Error(), "threshold") {
		t.Errorf("got %v, want both errors", err)
	}
}

func TestParseKey(t *testing.T) {
	for _, k := range []Key{KeyServer, KeySNI, KeyJA4Server} {
		got, err := ParseKey(k.String())
		if err != nil || got != k {
			t.Errorf("ParseKey(%q) = %v, %v", k.String(), got, err)
		}
	}
	if _, err := ParseKey("client"); err == nil || !strings.Contains(err.Error(), "server, sni, ja4+server") {
		t.Errorf("ParseKey(client): %v", err)
	}
	if s := Key(9).String(); s != "Key(9)" {
		t.Errorf("Key(9).String() = %q", s)
	}
	var k Key
	if err := k.UnmarshalText([]byte("ja4+server")); err != nil || k != KeyJA4Server {
		t.Errorf("UnmarshalText(ja4+server) = %v, %v", k, err)
	}
	if b, err := KeySNI.MarshalText(); err != nil || string(b) != "sni" {
		t.Errorf("MarshalText(sni) = %q, %v", b, err)
	}
	if err := k.UnmarshalText([]byte("SNI")); err == nil {
		t.Error("UnmarshalText(SNI) accepted")
	}
	if _, err := Key(5).MarshalText(); err == nil {
		t.Error("MarshalText(Key(5)) accepted")
	}
}
