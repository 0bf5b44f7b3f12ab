package model

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"
)

func sampleFile() *File {
	f := &File{Meta: Meta{
		Kind: KindCNNIForest, Layout: LayoutPrefix1024, Created: time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC),
		Threshold: 0.61, AlertRate: 0.001,
		Training: Training{Flows: 1000, Sources: []string{"a.pcap"}, Epochs: 3, ScoreQuantiles: map[string]float64{"0.5": 0.4}},
	}}
	f.AddFloat32s("cnn/enc1_w", []float32{1, -2.5, 3e-8})
	f.Sections = append(f.Sections, Section{Name: "iforest", Data: []byte("forest bytes")})
	return f
}

func TestRoundTrip(t *testing.T) {
	f := sampleFile()
	data, err := f.Encode()
	if err != nil {
		t.Fatal(err)
	}
	g, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if g.ID != f.ID || len(g.ID) != 12 {
		t.Errorf("ids %q / %q", g.ID, f.ID)
	}
	if g.Meta.Threshold != 0.61 || g.Meta.Training.Sources[0] != "a.pcap" || !g.Meta.Created.Equal(f.Meta.Created) {
		t.Errorf("meta %+v", g.Meta)
	}
	w, err := g.Float32s("cnn/enc1_w", 3)
	if err != nil || w[1] != -2.5 || w[2] != 3e-8 {
		t.Errorf("weights %v %v", w, err)
	}
	if string(g.Section("iforest")) != "forest bytes" || g.Section("nope") != nil {
		t.Error("sections")
	}
	again, _ := g.Encode()
	if !bytes.Equal(again, data) {
		t.Error("re-encoding changes the bytes")
	}
}

func TestDecodeErrorsNameTheProblem(t *testing.T) {
	good, _ := sampleFile().Encode()
	flip := func(i int) []byte { b := bytes.Clone(good); b[i] ^= 0x40; return b }
	newer := bytes.Clone(good)
	binary.LittleEndian.PutUint16(newer[8:], 2)
	cases := []struct {
		name string
		data []byte
		is   error
		says string
	}{
		{"empty", nil, ErrCorrupt, "too short"},
		{"not a model", append([]byte("PK\x03\x04zip file......"), make([]byte, 40)...), ErrCorrupt, "not a tlsentry model file"},
		{"newer format", newer, ErrUnsupported, "format version 2"},
		{"truncated", good[:len(good)-10], ErrCorrupt, "checksum mismatch"},
		{"flipped byte", flip(40), ErrCorrupt, "checksum mismatch"},
	}
	for _, c := range cases {
		_, err := Decode(c.data)
		if !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v, want %v saying %q", c.name, err, c.is, c.says)
		}
	}
	wrongKind := sampleFile()
	wrongKind.Meta.Kind = "random-forest"
	if _, err := wrongKind.Encode(); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), `"random-forest"`) {
		t.Errorf("unknown kind: %v", err)
	}
	f, _ := Decode(good)
	if _, err := f.Float32s("cnn/enc1_w", 4); !errors.Is(err, ErrCorrupt) {
		t.Errorf("wrong size: %v", err)
	}
	if _, err := f.Float32s("cnn/dec1_w", 4); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing section: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	good, _ := sampleFile().Encode()
	f.Add(good)
	f.Add(good[:30])
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("error %v wraps neither ErrCorrupt nor ErrUnsupported", err)
			}
			return
		}
		if _, err := m.Encode(); err != nil {
			t.Fatalf("decoded file does not encode: %v", err)
		}
	})
}

// FuzzDecodeBody fixes up the checksum so that the fuzzer reaches the
// metadata and section parsing behind it.
func FuzzDecodeBody(f *testing.F) {
	good, _ := sampleFile().Encode()
	f.Add(good[:len(good)-32])
	f.Fuzz(func(t *testing.T, body []byte) {
		sum := sha256.Sum256(body)
		m, err := Decode(append(bytes.Clone(body), sum[:]...))
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("error %v wraps neither ErrCorrupt nor ErrUnsupported", err)
			}
			return
		}
		if _, err := m.Encode(); err != nil {
			t.Fatalf("decoded file does not encode: %v", err)
		}
	})
}
