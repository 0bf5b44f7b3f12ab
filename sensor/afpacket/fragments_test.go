//go:build linux

package afpacket

import (
	"bytes"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/cilium/ebpf/rlimit"

	"github.com/tlsentry/tlsentry/bpf"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/capgen"
	"github.com/tlsentry/tlsentry/internal/netnstest"
)

// filterFor loads the eBPF filter watching port for the test and returns
// its descriptor, or skips the test where it cannot be loaded.
func filterFor(t *testing.T, port uint16) int {
	t.Helper()
	if err := rlimit.RemoveMemlock(); err != nil {
		t.Skipf("needs eBPF: %v", err)
	}
	f, err := bpf.Load(bpf.DefaultConfig(port))
	if err != nil {
		t.Skipf("needs the eBPF filter: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f.FD()
}

// TestLiveCaptureReassemblesIPv4Fragments sends a TLS connection whose
// IPv4 packets are cut into fragments of at most 64 bytes (the
// ClientHello alone in a dozen), the last fragment of each first: the
// kernel reassembles them before the fanout and before the eBPF filter,
// which cannot see a fragment's ports, so the flow is the connection's,
// byte for byte, as from unfragmented packets, with the filter or without.
func TestLiveCaptureReassemblesIPv4Fragments(t *testing.T) {
	t.Run("no filter", func(t *testing.T) { liveFragments(t, false) })
	t.Run("eBPF filter", func(t *testing.T) { liveFragments(t, true) })
}

func liveFragments(t *testing.T, filtered bool) {
	p := netnstest.NewVethPair(t)
	conv, spec, frames := injectedTLSFlow(t, 0)
	var sent [][]byte
	for i, f := range frames {
		frags := capgen.FragmentFrame(f, 64, uint32(0x4000+i))
		slices.Reverse(frags) // reassembly must not need them in order
		sent = append(sent, frags...)
	}
	if len(sent) < 2*len(frames) {
		t.Fatalf("%d fragments of %d frames: the payloads were not cut", len(sent), len(frames))
	}
	cfg := testLiveConfig(p.B.Name, 2)
	if filtered {
		cfg.BPFProgramFD = filterFor(t, spec.Server.Port())
	}
	c := openLiveIn(t, p.B.NS, cfg)
	recs := newLiveRecorders(t, 2, nil)
	stop, _ := runLive(t, c, liveSinks(recs))
	inject(t, p.A, sent)

	client := endpointOf(spec.Client)
	var f *flow.Flow
	if !waitFor(5*time.Second, func() bool {
		for _, r := range recs {
			if f = r.flowOf(client); f != nil {
				return true
			}
		}
		return false
	}) {
		t.Fatal("no flow within 5 s")
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if want := conv.Prefix(flow.PrefixSize); !bytes.Equal(f.Prefix, want) {
		t.Errorf("prefix differs from the conversation's (%d vs %d bytes)", len(f.Prefix), len(want))
	}
	if ch, err := tlsparse.ParseClientHello(f.ClientHandshake); err != nil || ch.ServerName != "inject.tlsentry.test" {
		t.Errorf("ClientHello: %+v, %v", ch, err)
	}
}

// TestLiveCaptureReassemblesIPv6Fragments sends TLS connections from
// eight IPv6 clients whose packets are cut into fragments of at most 64
// bytes, the last fragment of each first, to a capture of four workers.
// The kernel does not reassemble IPv6 fragments for packet sockets, and a
// fragment after the first has no ports: the capture's fanout program
// sends them to the worker of their connection (the kernel's flow hash
// would part most of these connections from their fragments), the eBPF
// filter lets them through, and the worker reassembles them. Each flow
// is its connection's, byte for byte, in one worker.
func TestLiveCaptureReassemblesIPv6Fragments(t *testing.T) {
	t.Run("no filter", func(t *testing.T) { liveFragments6(t, false) })
	t.Run("eBPF filter", func(t *testing.T) { liveFragments6(t, true) })
}

func liveFragments6(t *testing.T, filtered bool) {
	const workers, clients = 4, 8
	p := netnstest.NewVethPair(t)
	conv, spec, _ := injectedTLSFlow(t, 0)
	spec.Server = netip.MustParseAddrPort("[2001:db8::20]:443")
	var (
		sent      [][]byte
		endpoints []flow.Endpoint
		datagrams int // packets sent in fragments
	)
	for i := range clients {
		spec.Client = netip.AddrPortFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 14: 1, 15: byte(i)}), uint16(40000+i))
		pkts, err := spec.Packets(conv)
		if err != nil {
			t.Fatal(err)
		}
		for j, pk := range pkts {
			frags := capgen.FragmentFrame(pk.Data, 64, uint32(i<<16|j))
			if len(frags) > 1 {
				datagrams++
			}
			slices.Reverse(frags)
			sent = append(sent, frags...)
		}
		endpoints = append(endpoints, endpointOf(spec.Client))
	}
	cfg := testLiveConfig(p.B.Name, workers)
	if filtered {
		cfg.BPFProgramFD = filterFor(t, spec.Server.Port())
	}
	c := openLiveIn(t, p.B.NS, cfg)
	if err := c.SpreadError(); err != nil {
		t.Skipf("the fanout program did not load: %v", err)
	}
	recs := newLiveRecorders(t, workers, nil)
	stop, _ := runLive(t, c, liveSinks(recs))
	inject(t, p.A, sent)

	handedOut := func() bool {
		for _, ep := range endpoints {
			n := 0
			for _, r := range recs {
				n += r.flowsOf(ep)
			}
			if n == 0 {
				return false
			}
		}
		return true
	}
	if !waitFor(5*time.Second, handedOut) {
		t.Error("not every flow handed out within 5 s")
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	used := map[int]bool{}
	for k, ep := range endpoints {
		var got []*flow.Flow
		for i, r := range recs {
			if f := r.flowOf(ep); f != nil {
				got = append(got, f)
				used[i] = true
			}
		}
		if len(got) != 1 {
			t.Errorf("client %d: %d flows in the workers, want 1", k, len(got))
			continue
		}
		f := got[0]
		if want := conv.Prefix(flow.PrefixSize); !bytes.Equal(f.Prefix, want) {
			t.Errorf("client %d: prefix differs from the conversation's (%d vs %d bytes)", k, len(f.Prefix), len(want))
		}
		if ch, err := tlsparse.ParseClientHello(f.ClientHandshake); err != nil || ch.ServerName != "inject.tlsentry.test" {
			t.Errorf("client %d: ClientHello: %+v, %v", k, ch, err)
		}
	}
	st := c.Stats().Total
	t.Logf("%d frames, %d datagrams in fragments; %d workers used; capture: %+v", len(sent), datagrams, len(used), st)
	if st.Reassembled != uint64(datagrams) {
		t.Errorf("%d datagrams reassembled, %d sent in fragments", st.Reassembled, datagrams)
	}
}
