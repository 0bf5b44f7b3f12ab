//go:build linux

package afpacket

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/capgen"
	"github.com/tlsentry/tlsentry/internal/netnstest"
	"github.com/tlsentry/tlsentry/internal/testkit"
)

// TestLiveCaptureQUICAcrossVeth captures real QUIC connections (quic-go)
// on a veth end with two fanout workers: the kernel's fanout hash is
// symmetric for UDP too, so every connection's datagrams, both ways, went
// to exactly one worker, whose table made one QUIC flow of them with the
// client's SNI.
func TestLiveCaptureQUICAcrossVeth(t *testing.T) {
	p := netnstest.NewVethPair(t)
	cert, err := capgen.SelfSignedCert(capgen.CertOptions{CommonName: "tlsentry.test", DNSNames: []string{"*.tlsentry.test"}})
	if err != nil {
		t.Fatal(err)
	}
	clientCfg, serverCfg := capgen.TLSConfigs(cert, "tlsentry.test")
	clientCfg.NextProtos, serverCfg.NextProtos = []string{"tlsentry-test"}, []string{"tlsentry-test"}
	addrs := []netip.AddrPort{
		testkit.ServeQUIC(t, p.B, netip.AddrPortFrom(p.B.Addr4, 0), serverCfg),
		testkit.ServeQUIC(t, p.B, netip.AddrPortFrom(p.B.Addr6, 0), serverCfg),
	}

	const workers = 2
	c := openLiveIn(t, p.B.NS, testLiveConfig(p.B.Name, workers))
	clientAddrs := map[[16]byte]bool{p.A.Addr4.As16(): true, p.A.Addr6.As16(): true}
	recs := newLiveRecorders(t, workers, func(e flow.Endpoint) bool { return clientAddrs[e.Addr] })
	stop, _ := runLive(t, c, liveSinks(recs))

	const conns = 16
	sni := map[flow.Endpoint]string{}
	for i := range conns {
		cfg := clientCfg.Clone()
		cfg.ServerName = fmt.Sprintf("q%02d.tlsentry.test", i)
		local, err := testkit.DialQUIC(p.A, addrs[i%2], cfg, 0)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		sni[endpointOf(local)] = cfg.ServerName
	}
	if !waitFor(10*time.Second, func() bool {
		for ep := range sni {
			if recs[0].flowOf(ep) == nil && recs[1].flowOf(ep) == nil {
				return false
			}
		}
		return true
	}) {
		t.Error("not every connection's flow was handed out within 10s")
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}

	perWorker := make([]int, workers)
	for ep, name := range sni {
		var owners []int
		for i, r := range recs {
			if d := r.dirs[ep]; d != nil {
				owners = append(owners, i)
				if d[0] == 0 || d[1] == 0 {
					t.Errorf("%v: worker %d saw %d datagrams to the server, %d to the client: want both directions", ep.AddrPort(), i, d[0], d[1])
				}
			}
		}
		if len(owners) != 1 {
			t.Errorf("%v (%s): datagrams reached workers %v, want exactly one", ep.AddrPort(), name, owners)
			continue
		}
		perWorker[owners[0]]++
		f := recs[owners[0]].flowOf(ep)
		if f == nil || f.Transport != flow.TransportUDP || f.EndReason != flow.EndComplete {
			t.Errorf("%v (%s): flow %+v", ep.AddrPort(), name, f)
			continue
		}
		h := tlsparse.FromFlow(f, nil)
		if h.Client == nil || h.Client.ServerName != name || h.Server == nil || h.Server.ServerHello == nil {
			t.Errorf("%v: hellos %+v / %+v (%v %v), want SNI %s", ep.AddrPort(), h.Client, h.Server, h.ClientErr, h.ServerErr, name)
		}
	}
	for i, n := range perWorker {
		t.Logf("worker %d: %d QUIC connections", i, n)
		if n == 0 {
			t.Errorf("worker %d got no connection of %d: fanout did not spread flows", i, conns)
		}
	}
}
