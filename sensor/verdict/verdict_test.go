package verdict

import (
	"testing"

	"github.com/tlsentry/tlsentry/detector/scoring"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/sensor/allowlist"
	"github.com/tlsentry/tlsentry/sensor/blocklist"
)

// TestJudgeExploits: a known exploit's finding makes a flow alert
// whatever its score, as a block list hit does, and the allowlist still
// wins over it.
func TestJudgeExploits(t *testing.T) {
	f := &flow.Flow{Client: flow.Endpoint{Addr: [16]byte{10: 0xff, 11: 0xff, 12: 10, 15: 1}}, Server: flow.Endpoint{Addr: [16]byte{10: 0xff, 11: 0xff, 12: 192, 13: 0, 14: 2, 15: 10}, Port: 443}}
	found := []scoring.Reason{{Layer: scoring.LayerExploit, Feature: "exploit.heartbleed.leak", Text: "exploit: a leak"}}
	p := &Policy{Threshold: 20}
	if v := p.Judge(5, f, nil, nil); v.Alert || v.Over() {
		t.Errorf("under the threshold, no exploit: %+v", v)
	}
	v := p.Judge(5, f, nil, found)
	if !v.Alert || len(v.Exploits) != 1 || v.Score != 5 {
		t.Errorf("under the threshold with an exploit: %+v, want an alert that keeps its score", v)
	}
	allow, err := allowlist.New(allowlist.Config{CIDRs: []string{"192.0.2.0/24"}})
	if err != nil {
		t.Fatal(err)
	}
	p.Allow = allow
	if v := p.Judge(5, f, nil, found); v.Alert || v.Suppressed == "" || len(v.Exploits) != 1 {
		t.Errorf("allowed flow with an exploit: %+v, want it suppressed, the finding kept", v)
	}
}

// TestGoogleQUICServerName: a Google QUIC hello's server name is the
// flow's, for the block lists (an SNI entry hits it) and the allowlist (an
// SNI suffix allows it), as a ClientHello's is.
func TestGoogleQUICServerName(t *testing.T) {
	chlo := []byte("CHLO\x01\x00\x00\x00SNI\x00\x0f\x00\x00\x00www.gstatic.com")
	f := &flow.Flow{Transport: flow.TransportUDP, ClientHandshake: chlo, Server: flow.Endpoint{Port: 443}}
	h := tlsparse.FromFlow(f, nil)
	if h.Client != nil || h.ServerName() != "www.gstatic.com" {
		t.Fatalf("server name %q (TLS hello %v)", h.ServerName(), h.Client)
	}
	block := &blocklist.Lists{}
	block.Add(blocklist.KindSNI, []blocklist.Entry{{Value: "gstatic.com"}})
	p := &Policy{Threshold: 20, Block: block}
	v := p.Judge(0, f, h, nil)
	if !v.Alert || len(v.Listed) != 1 || v.Listed[0].Value != "www.gstatic.com" {
		t.Errorf("listed name: %+v", v)
	}
	allow, err := allowlist.New(allowlist.Config{SNISuffixes: []string{"gstatic.com"}})
	if err != nil {
		t.Fatal(err)
	}
	p.Allow = allow
	if v := p.Judge(30, f, h, nil); v.Alert || v.Suppressed == "" {
		t.Errorf("allowed name: %+v", v)
	}
}

// TestTruncatedHelloListsNoPrint: a hello the capture cut short has no
// JA3 or JA4 for the lists, so it cannot hit (or be allowed by) the entry
// of what its fingerprints used to be made of: "771,,,," and
// t12i000000_000000000000_000000000000 for a hello cut in its random. The
// whole hello still hits its own entries.
func TestTruncatedHelloListsNoPrint(t *testing.T) {
	body := append([]byte{3, 3}, make([]byte, 32)...) // version, random
	body = append(body, 0, 0, 2, 0x00, 0x2f, 1, 0)    // no session id, one suite, null compression
	msg := append([]byte{1, 0, 0, byte(len(body))}, body...)
	hello := append([]byte{0x16, 3, 1, 0, byte(len(msg))}, msg...)
	f := &flow.Flow{Server: flow.Endpoint{Port: 443}}

	block := &blocklist.Lists{}
	block.Add(blocklist.KindJA3, []blocklist.Entry{{Value: "bddda940f9963577c41d7c28b1a5f65f"}}) // MD5 of "771,,,,"
	block.Add(blocklist.KindJA4, []blocklist.Entry{{Value: "t12i000000_000000000000_000000000000"}})
	allow, err := allowlist.New(allowlist.Config{JA3: []string{"bddda940f9963577c41d7c28b1a5f65f"}, JA4: []string{"t12i000000_000000000000_000000000000"}})
	if err != nil {
		t.Fatal(err)
	}
	p := &Policy{Threshold: 20, Block: block, Allow: allow}
	for _, cut := range []int{9, 11, 30, len(hello) - 1} {
		f.ClientHandshake = hello[:cut]
		h := tlsparse.FromFlow(f, nil)
		if h.Client == nil || !h.Client.Truncated {
			t.Fatalf("cut at %d: hello %+v", cut, h.Client)
		}
		if info := BlockInfo(h, false); info.JA3 != "" || info.JA4 != "" {
			t.Errorf("cut at %d: block info %+v", cut, info)
		}
		if info := Info(f, h); info.JA3 != "" || info.JA4 != "" {
			t.Errorf("cut at %d: allow info %+v", cut, info)
		}
		if v := p.Judge(30, f, h, nil); !v.Alert || len(v.Listed) != 0 || v.Suppressed != "" {
			t.Errorf("cut at %d: %+v, want an alert by score alone", cut, v)
		}
	}

	f.ClientHandshake = hello
	h := tlsparse.FromFlow(f, nil)
	pr := h.Prints(h.Transport())
	if h.ClientErr != nil || pr.JA3.Full != "771,47,,," {
		t.Fatalf("whole hello: %v, JA3 %+v", h.ClientErr, pr.JA3)
	}
	own := &blocklist.Lists{}
	own.Add(blocklist.KindJA3, []blocklist.Entry{{Value: pr.JA3.Hash}})
	own.Add(blocklist.KindJA4, []blocklist.Entry{{Value: pr.JA4}})
	if v := (&Policy{Threshold: 20, Block: own}).Judge(0, f, h, nil); !v.Alert || len(v.Listed) != 2 {
		t.Errorf("whole hello on its own lists: %+v", v)
	}
}
