package beacon

import (
	"encoding/binary"
	"math"
	"net/netip"
	"strings"
	"testing"
	"time"
)

var fuzzNames = []string{"", "a.example", strings.Repeat("x", 300), "b.example"}

// FuzzTracker feeds arbitrary event sequences (times going backwards and
// jumping, duplicates, zero sizes, bad times, long names) to a small
// tracker: it must never panic, keep its tables within bounds and
// consistent, and give findings with sane numbers.
func FuzzTracker(f *testing.F) {
	// Seeds: a steady beacon, a reordered one, and noise.
	f.Add(steadySeed())
	var back []byte
	back = append(back, 0x13)
	for i := range 30 {
		d := int32(2000)
		if i%3 == 0 {
			d = -1000
		}
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], uint32(d))
		back = append(back, 0x22, b[0], b[1], b[2], b[3], 0, 0, 0, 0, 0, 7)
	}
	f.Add(back)
	f.Add([]byte("\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"))

	f.Fuzz(func(t *testing.T, data []byte) { fuzzTracker(t, data) })
}

// steadySeed is a fuzz input of 40 connections one second apart, sizes
// 256 and 512.
func steadySeed() []byte {
	b := []byte{0}
	for range 40 {
		b = append(b, 0x01, 0, 0, 0x03, 0xe8, 1, 0, 2, 0, 0, 1)
	}
	return b
}

// fuzzTracker runs one fuzz input and returns the findings it gave.
func fuzzTracker(t *testing.T, data []byte) (findings int) {
	if len(data) == 0 {
		return 0
	}
	cfg := Config{
		Key: Key(data[0] % 3), MaxPairs: 16, MaxDestinations: 16, RingLen: 8 + 8*int(data[0]>>2&1),
		MinConns: 4, FullConns: 6, EvalEvery: 1, MinPeriod: time.Millisecond, PopularClients: 3,
		Window: time.Minute << (data[0] >> 3 & 7), Threshold: 0.05 + float64(data[0]>>6)*0.2,
	}
	tr, err := NewTracker(cfg)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(1_800_000_000, 0)
	data = data[1:]
	for i := 0; len(data) >= 11 && i < 4000; i++ {
		op := data[0]
		delta := int32(binary.BigEndian.Uint32(data[1:5]))
		at = at.Add(time.Duration(delta) * time.Millisecond)
		ev := Event{
			Time:          at,
			FlowID:        uint64(i),
			Client:        netip.AddrFrom4([4]byte{10, 0, 0, op & 3}),
			Server:        netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 0, 2, op >> 2 & 7}), 443),
			SNI:           fuzzNames[op>>5&3],
			JA4:           fuzzNames[op>>7],
			BytesToServer: uint64(binary.BigEndian.Uint16(data[5:7])),
			BytesToClient: uint64(binary.BigEndian.Uint16(data[7:9])) << (data[9] & 63),
		}
		if data[10] == 0xff {
			ev.Time = time.Time{}
		}
		if f, ok := tr.Add(ev); ok {
			checkFinding(t, f)
			findings++
		}
		data = data[11:]
	}
	checkInvariants(t, tr)
	s := tr.Stats()
	if s.Pairs > cfg.MaxPairs || s.Destinations > cfg.MaxDestinations {
		t.Fatalf("stats %+v over the bounds", s)
	}
	return findings
}

// TestFuzzSeedFinds: the steady seed gives findings, so the fuzz test's
// checks of findings run.
func TestFuzzSeedFinds(t *testing.T) {
	if n := fuzzTracker(t, steadySeed()); n == 0 {
		t.Error("the steady seed gave no finding")
	}
}

func checkFinding(t *testing.T, f Finding) {
	t.Helper()
	ok := func(x float64) bool { return x >= 0 && x <= 1 && !math.IsNaN(x) }
	pa := f.Parts
	if !ok(f.Score) || !ok(pa.Beat) || !ok(pa.Dispersion) || !ok(pa.Skew) || !ok(pa.Interval) ||
		!ok(pa.Size) || !ok(pa.Count) || !ok(pa.Prevalence) || f.Score < f.Threshold {
		t.Fatalf("finding numbers out of range: score %v threshold %v parts %+v", f.Score, f.Threshold, pa)
	}
	if f.Period <= 0 || f.Jitter < 0 || math.IsNaN(f.Jitter) || f.Count < int64(f.Sampled) || len(f.FlowIDs) > lastIDs ||
		len(f.Reasons) == 0 || f.LastSeen.Before(f.FirstSeen) || f.Seq < 1 {
		t.Fatalf("finding %+v", f)
	}
}
