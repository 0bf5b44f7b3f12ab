package labset

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/sensor/eve"
)

// TestKindsLookAsLabelled makes a few flows of every kind and checks the
// sensor sees what the label says.
func TestKindsLookAsLabelled(t *testing.T) {
	want := map[string]func(h appProto) bool{
		Benign:          func(h appProto) bool { return h.proto == "tls" && h.sni && h.parseErr == "" },
		NonTLSSSH:       func(h appProto) bool { return h.proto == "ssh" },
		NonTLSHTTP:      func(h appProto) bool { return h.proto == "http" },
		NonTLSRandom:    func(h appProto) bool { return h.proto != "tls" },
		TruncatedHello:  func(h appProto) bool { return h.proto == "tls" && h.parseErr != "" },
		MalformedHello:  func(h appProto) bool { return h.proto == "tls" && h.parseErr != "" },
		LegacyTLS10:     func(h appProto) bool { return h.version == "TLSv1" },
		OddCiphersNoSNI: func(h appProto) bool { return !h.sni && h.version == "TLS 1.2" },
		SelfSigned:      func(h appProto) bool { return h.selfSigned },
		PreambleConnect: func(h appProto) bool { return h.proto == "tls" && h.sni && h.parseErr == "" },
		PreambleBanner:  func(h appProto) bool { return h.proto == "tls" && h.sni && h.parseErr == "" },
		ClientCert:      func(h appProto) bool { return h.version == "TLS 1.2" && h.sni },
		FakeTLS:         func(h appProto) bool { return h.proto == "tls" && !h.sni && h.version == "UNDETERMINED" },
		StagerPayload:   func(h appProto) bool { return h.proto == "executable" },
		RolesSwapped:    func(h appProto) bool { return h.proto == "tls" && !h.sni },
		HelloCut:        func(h appProto) bool { return h.proto == "tls" && h.sni && h.parseErr == "" },
		SNIInjection:    func(h appProto) bool { return h.proto == "tls" && h.sni && h.parseErr == "" },
	}
	for kind, ok := range want {
		flows, err := Flows(context.Background(), kind, 4, 1)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if len(flows) != 4 {
			t.Fatalf("%s: %d flows, want 4", kind, len(flows))
		}
		for _, f := range flows {
			if h := look(f); !ok(h) {
				t.Errorf("%s: flow looks like %+v", kind, h)
			}
		}
	}
	if _, err := Conversations(context.Background(), "nope", 1, 1); err == nil {
		t.Error("unknown kind accepted")
	}
}

// TestWriteSet: the capture file holds the packets Packets makes.
func TestWriteSet(t *testing.T) {
	ctx := context.Background()
	path, err := WriteSet(ctx, t.TempDir(), NonTLSHTTP, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) != NonTLSHTTP+".pcap" {
		t.Errorf("written to %s", path)
	}
	pkts, err := Packets(ctx, NonTLSHTTP, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		data, _, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n >= len(pkts) || !bytes.Equal(data, pkts[n].Data) {
			t.Fatalf("packet %d differs from Packets'", n+1)
		}
		n++
	}
	if n != len(pkts) {
		t.Errorf("%d packets in the file, want %d", n, len(pkts))
	}
}

type appProto struct {
	proto, version, parseErr string
	sni, selfSigned          bool
}

func look(f *flow.Flow) appProto {
	h := tlsparse.FromFlow(f, nil)
	a := appProto{proto: h.AppProto}
	if r := eve.NewTLSRecord(h); r != nil {
		a.version, a.parseErr, a.sni = r.Version, r.ParseError, r.SNI != ""
		a.selfSigned = r.SelfSigned != nil && *r.SelfSigned
	}
	return a
}
