package pcapdump

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/labset"
	"github.com/tlsentry/tlsentry/sensor/capture"
	"github.com/tlsentry/tlsentry/sensor/decode"
)

// reread reads a written pcap back through the sensor's own path.
func reread(t *testing.T, path string) []*flow.Flow {
	t.Helper()
	src, err := capture.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out []*flow.Flow
	table, _ := flow.NewTable(flow.DefaultConfig(), func(f *flow.Flow) { out = append(out, f) })
	dec := decode.NewDecoder()
	var seg flow.Segment
	for {
		fr, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if dec.Decode(fr.LinkType, fr.Data, &seg) == decode.SkipNone {
			seg.Time = fr.Time
			table.Process(&seg)
		}
	}
	table.Flush()
	return out
}

// TestPcapHoldsTheFlow: the file of a TLS flow and of an SSH-on-443 flow
// gives back, read by the sensor, the same prefix and handshake; and
// Wireshark finds the ClientHello with its SNI.
func TestPcapHoldsTheFlow(t *testing.T) {
	w, err := Open(Config{Dir: t.TempDir(), MaxBytes: MinBytes})
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{labset.Benign, labset.NonTLSSSH, labset.LegacyTLS10} {
		flows, err := labset.Flows(context.Background(), kind, 2, 9)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range flows {
			path, err := w.Write(f)
			if err != nil {
				t.Fatal(err)
			}
			back := reread(t, path)
			if len(back) != 1 {
				t.Fatalf("%s: %d flows in %s", kind, len(back), path)
			}
			b := back[0]
			if !bytes.Equal(b.Prefix, f.Prefix) || !bytes.Equal(b.ClientHandshake, f.ClientHandshake) || b.Client != f.Client || b.Server != f.Server {
				t.Errorf("%s: flow read back differs: prefix %d/%d bytes, client handshake %d/%d", kind, len(b.Prefix), len(f.Prefix), len(b.ClientHandshake), len(f.ClientHandshake))
			}
			if b.Midstream != f.Midstream || b.ClientSYN != f.ClientSYN {
				t.Errorf("%s: read back midstream %v client SYN %v, was %v %v", kind, b.Midstream, b.ClientSYN, f.Midstream, f.ClientSYN)
			}
			if kind == labset.Benign {
				// Seen from the server's SYN-ACK: the file holds no SYN.
				g := *f
				g.ClientSYN = false
				p, err := w.Write(&g)
				if err != nil {
					t.Fatal(err)
				}
				if back := reread(t, p); len(back) != 1 || back[0].ClientSYN || back[0].Midstream || !bytes.Equal(back[0].Prefix, f.Prefix) {
					t.Errorf("a flow seen from the SYN-ACK did not read back as one")
				}
			}
			h := tlsparse.FromFlow(f, nil)
			if h.Client == nil {
				continue
			}
			if _, err := exec.LookPath("tshark"); err != nil {
				continue
			}
			out, err := exec.Command("tshark", "-r", path, "-Y", "tls.handshake.type==1", "-T", "fields", "-e", "tls.handshake.extensions_server_name").Output()
			if err != nil || strings.TrimSpace(string(out)) != h.Client.ServerName {
				t.Errorf("%s: tshark finds SNI %q (%v), want %q", kind, out, err, h.Client.ServerName)
			}
		}
	}
}

// TestFolderStaysBounded writes far past the bound: the folder never holds
// more, the oldest go first, and a new writer counts what it finds.
func TestFolderStaysBounded(t *testing.T) {
	dir := t.TempDir()
	flows, err := labset.Flows(context.Background(), labset.Benign, 40, 3)
	if err != nil {
		t.Fatal(err)
	}
	w, err := Open(Config{Dir: dir, MaxBytes: MinBytes})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for round := range 60 {
		for _, f := range flows {
			g := *f
			g.ID = f.ID + uint64(round)<<40 // a new flow each time
			p, err := w.Write(&g)
			if err != nil {
				t.Fatal(err)
			}
			paths = append(paths, p)
			if used := dirBytes(t, dir); used > MinBytes {
				t.Fatalf("the folder holds %d bytes, over its bound of %d", used, MinBytes)
			}
		}
	}
	if _, err := os.Stat(paths[0]); !os.IsNotExist(err) {
		t.Error("the oldest file is still there")
	}
	if _, err := os.Stat(paths[len(paths)-1]); err != nil {
		t.Errorf("the newest file: %v", err)
	}
	n, total := w.Stats()
	if total != dirBytes(t, dir) || n == 0 {
		t.Errorf("writer counts %d files, %d bytes; the folder has %d bytes", n, total, dirBytes(t, dir))
	}
	w2, err := Open(Config{Dir: dir, MaxBytes: MinBytes / 2 * 2})
	if err != nil {
		t.Fatal(err)
	}
	if n2, total2 := w2.Stats(); n2 != n || total2 != total {
		t.Errorf("reopened: %d files %d bytes, want %d %d", n2, total2, n, total)
	}
	if err := w2.SetMaxBytes(MinBytes + 1); err != nil {
		t.Fatal(err)
	}
}

func dirBytes(t *testing.T, dir string) int64 {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, e := range ents {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Ext(e.Name()) == ".pcap" {
			n += info.Size()
		}
	}
	return n
}

func TestConfigValidate(t *testing.T) {
	if err := (Config{Dir: "x", MaxBytes: 10 << 20}).Validate(); err != nil {
		t.Error(err)
	}
	err := (Config{MaxBytes: 5}).Validate()
	if err == nil || !strings.Contains(err.Error(), "Dir: no folder") || !strings.Contains(err.Error(), "MaxBytes: 5 is out of range") {
		t.Errorf("%v", err)
	}
}
