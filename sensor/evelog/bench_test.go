package evelog

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A flow record's size: the base64 of the 1024-byte prefix dominates.
func BenchmarkWrite(b *testing.B) {
	l, err := New(Config{Path: filepath.Join(b.TempDir(), "alerts.json"), Sensor: "bench",
		Rotation: Rotation{MaxBytes: 64 << 20, MaxBackups: 2}})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	rec := []byte(`{"flow_id":1234567,"src_ip":"192.168.1.20","src_port":51234,"dest_ip":"10.0.0.1","dest_port":443,` +
		`"proto":"TCP","prefix":"` + strings.Repeat("QUJD", 342) + `","tls":{"sni":"example.com","ja4":"t13d1516h2_8daaf6152771_02713d6af862"}}`)
	ev := Event{Time: time.Now(), Type: TypeAlert, Body: rec}
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := l.Write(ev); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// The encoding alone, without the file.
func BenchmarkEncode(b *testing.B) {
	l, err := New(Config{Console: discard{}, Sensor: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	rec := []byte(`{"flow_id":1234567,"prefix":"` + strings.Repeat("QUJD", 342) + `"}`)
	ev := Event{Time: time.Now(), Type: TypeAlert, Body: rec}
	b.ReportAllocs()
	for b.Loop() {
		if err := l.Write(ev); err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
