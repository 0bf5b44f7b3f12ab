package labset

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/sensor"
)

// TestKindsLookAsLabelled writes a few flows of every kind and checks the
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
	}
	dir := t.TempDir()
	for kind, ok := range want {
		path, err := WriteSet(context.Background(), dir, kind, 4, 1)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if filepath.Base(path) != kind+".pcap" {
			t.Errorf("%s written to %s", kind, path)
		}
		seen := read(t, path)
		if len(seen) != 4 {
			t.Fatalf("%s: %d flows, want 4", kind, len(seen))
		}
		for _, h := range seen {
			if !ok(h) {
				t.Errorf("%s: flow looks like %+v", kind, h)
			}
		}
	}
	if _, err := Conversations(context.Background(), "nope", 1, 1); err == nil {
		t.Error("unknown kind accepted")
	}
}

type appProto struct {
	proto, version, parseErr string
	sni, selfSigned          bool
}

func read(t *testing.T, path string) []appProto {
	t.Helper()
	var out []appProto
	table, _ := flow.NewTable(flow.Config{}, func(f *flow.Flow) {
		h := sensor.ParseHandshake(f, nil)
		a := appProto{proto: h.AppProto}
		if r := sensor.NewTLSRecord(h); r != nil {
			a.version, a.parseErr, a.sni = r.Version, r.ParseError, r.SNI != ""
			a.selfSigned = r.SelfSigned != nil && *r.SelfSigned
		}
		out = append(out, a)
	})
	r := &sensor.FileReader{Decoder: sensor.NewDecoder(), Flows: table}
	if err := r.ReadFiles(context.Background(), []string{path}); err != nil {
		t.Fatal(err)
	}
	table.Flush()
	return out
}
