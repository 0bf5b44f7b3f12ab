//go:build linux

package bpf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/tlsentry/tlsentry/internal/netnstest"
	"golang.org/x/sys/unix"
)

const (
	liveWatched   = 7443
	liveUnwatched = 7080
	liveBudget    = 2000
	liveBytes     = 50000 // each way, per connection
)

// capturedSegment is one TCP segment the packet socket received.
type capturedSegment struct {
	outgoing     bool // PACKET_OUTGOING: loopback shows each packet twice, sent and received
	sport, dport uint16
	seq          uint32
	syn, fin     bool
	rst          bool
	payload      int
}

// TestLive runs real TCP connections over loopback in a fresh network
// namespace and checks what an AF_PACKET socket with the filter receives.
func TestLive(t *testing.T) {
	// One packet per MTU-sized segment, as on a wire: no GSO super-packets.
	ns := netnstest.New(t)
	ns.MustIP(t, "link", "set", "lo", "up", "mtu", "1500", "gso_max_segs", "1", "gso_max_size", "1500")
	f := loadForTest(t, Config{Ports: []uint16{liveWatched}, MapEntries: 1024, ClientBudget: liveBudget, ServerBudget: liveBudget, UDPPackets: 4})

	var (
		pktFD = -1
		pairs [][2]net.Conn // client, server; the last one is on the unwatched port
	)
	t.Cleanup(func() {
		if pktFD >= 0 {
			unix.Close(pktFD)
		}
		for _, p := range pairs {
			p[0].Close()
			p[1].Close()
		}
	})
	err := ns.Do(func() error {
		var err error
		pktFD, err = packetSocket(f)
		if err != nil {
			return err
		}
		for _, addr := range []struct{ network, host string }{
			{"tcp4", "127.0.0.1"}, {"tcp6", "[::1]"}, {"tcp4", "127.0.0.1"},
		} {
			port := liveWatched
			if len(pairs) == 2 {
				port = liveUnwatched
			}
			cli, srv, err := connect(addr.network, fmt.Sprintf("%s:%d", addr.host, port))
			if err != nil {
				return err
			}
			pairs = append(pairs, [2]net.Conn{cli, srv})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	errs := make(chan error, 2*len(pairs))
	for _, p := range pairs {
		wg.Add(2)
		go func() { defer wg.Done(); errs <- runClient(p[0]) }()
		go func() { defer wg.Done(); errs <- runServer(p[1]) }()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	segs, frames, err := drain(pktFD)
	if err != nil {
		t.Fatal(err)
	}
	st, err := unix.GetsockoptTpacketStats(pktFD, unix.SOL_PACKET, unix.PACKET_STATISTICS)
	if err != nil {
		t.Fatal(err)
	}
	if st.Drops != 0 {
		t.Fatalf("the packet socket dropped %d frames: the counts below would be short", st.Drops)
	}

	byConn := map[uint16][]capturedSegment{}
	for _, s := range segs {
		if s.sport == liveUnwatched || s.dport == liveUnwatched {
			t.Errorf("a segment of the unwatched connection passed: %+v", s)
			continue
		}
		if !s.outgoing {
			continue
		}
		cport := s.sport
		if s.sport == liveWatched {
			cport = s.dport
		}
		byConn[cport] = append(byConn[cport], s)
	}
	if len(byConn) != 2 {
		t.Fatalf("segments of %d watched connections passed, want 2 (IPv4 and IPv6)", len(byConn))
	}
	var payloadPassed int
	for cport, cs := range byConn {
		for _, toServer := range []bool{true, false} {
			payloadPassed += checkDirection(t, cport, cs, toServer)
		}
	}

	fs, err := f.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if fs.Passed != uint64(frames) {
		t.Errorf("filter passed %d frames, the socket received %d", fs.Passed, frames)
	}
	if fs.Seen != fs.Passed+fs.Dropped() {
		t.Errorf("counters do not add up: %+v", fs)
	}
	if fs.OverBudget == 0 || fs.NotWatched == 0 {
		t.Errorf("counters %+v: want over-budget and not-watched drops", fs)
	}
	// Loopback shows each packet twice (sent, received); both copies go
	// through the filter, so the shares are those of a one-copy capture.
	watchedSent, allSent := 2*liveBytes*2, 2*liveBytes*len(pairs)
	t.Logf("filter counters: %+v", fs)
	t.Logf("frames kept in the kernel: %d of %d (%.1f%%)", fs.Dropped(), fs.Seen, 100*float64(fs.Dropped())/float64(fs.Seen))
	t.Logf("payload passed: %d of the watched connections' %d bytes, of %d bytes in all (%.1f%% kept in the kernel)",
		payloadPassed, watchedSent, allSent, 100*(1-float64(payloadPassed)/float64(allSent)))
}

// packetSocket opens an AF_PACKET socket on loopback with the filter
// attached before it is bound, so no unfiltered frame gets in.
func packetSocket(f *Filter) (int, error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("opening a packet socket: %w", err)
	}
	lo, err := net.InterfaceByName("lo")
	if err == nil {
		err = f.Attach(fd)
	}
	if err == nil {
		err = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 16<<20)
	}
	if err == nil {
		err = unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: lo.Index})
	}
	if err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("setting up the packet socket: %w", err)
	}
	return fd, nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// connect dials addr and accepts the connection on a fresh listener.
func connect(network, addr string) (client, server net.Conn, err error) {
	ln, err := net.Listen(network, addr)
	if err != nil {
		return nil, nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	defer ln.Close()
	client, err = net.Dial(network, addr)
	if err != nil {
		return nil, nil, fmt.Errorf("dialling %s: %w", addr, err)
	}
	server, err = ln.Accept()
	if err != nil {
		client.Close()
		return nil, nil, fmt.Errorf("accepting on %s: %w", addr, err)
	}
	return client, server, nil
}

func pattern(seed byte) []byte {
	b := make([]byte, liveBytes)
	for i := range b {
		b[i] = seed + byte(i*7)
	}
	return b
}

// runClient sends its bytes, reads the server's, and closes.
func runClient(c net.Conn) error {
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(20 * time.Second)); err != nil {
		return err
	}
	if _, err := c.Write(pattern(1)); err != nil {
		return fmt.Errorf("client write: %w", err)
	}
	got := make([]byte, liveBytes)
	if _, err := io.ReadFull(c, got); err != nil {
		return fmt.Errorf("client read: %w", err)
	}
	if !bytes.Equal(got, pattern(2)) {
		return errors.New("client read other bytes than the server sent")
	}
	return nil
}

// runServer reads the client's bytes, answers, waits for the client's
// close and closes.
func runServer(c net.Conn) error {
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(20 * time.Second)); err != nil {
		return err
	}
	got := make([]byte, liveBytes)
	if _, err := io.ReadFull(c, got); err != nil {
		return fmt.Errorf("server read: %w", err)
	}
	if !bytes.Equal(got, pattern(1)) {
		return errors.New("server read other bytes than the client sent")
	}
	if _, err := c.Write(pattern(2)); err != nil {
		return fmt.Errorf("server write: %w", err)
	}
	if n, err := c.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		return fmt.Errorf("server waiting for the client's close: read %d bytes, %v", n, err)
	}
	return nil
}

// drain reads the packet socket until it stays empty for a while, and
// decodes the TCP segments. It returns them and how many frames it read.
func drain(fd int) ([]capturedSegment, int, error) {
	tv := unix.NsecToTimeval((300 * time.Millisecond).Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return nil, 0, err
	}
	var (
		segs   []capturedSegment
		frames int
		buf    = make([]byte, 1<<16)
	)
	for {
		n, from, err := unix.Recvfrom(fd, buf, 0)
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return segs, frames, nil
		}
		if err != nil {
			return nil, 0, fmt.Errorf("reading the packet socket: %w", err)
		}
		frames++
		ll, _ := from.(*unix.SockaddrLinklayer)
		pkt := gopacket.NewPacket(buf[:n], layers.LayerTypeEthernet, gopacket.NoCopy)
		tcp, ok := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if !ok {
			return nil, 0, fmt.Errorf("the filter passed a frame that is not TCP: %v", pkt)
		}
		segs = append(segs, capturedSegment{
			outgoing: ll != nil && ll.Pkttype == unix.PACKET_OUTGOING,
			sport:    uint16(tcp.SrcPort), dport: uint16(tcp.DstPort), seq: tcp.Seq,
			syn: tcp.SYN, fin: tcp.FIN, rst: tcp.RST, payload: len(tcp.Payload),
		})
	}
}

// checkDirection checks one direction of a watched connection: its SYN and
// FIN passed, its data passed from offset 0 to the budget without a gap,
// and nothing starting past the budget passed. It returns the payload
// bytes that passed.
func checkDirection(t *testing.T, cport uint16, segs []capturedSegment, toServer bool) int {
	t.Helper()
	name := fmt.Sprintf("connection from port %d, %s", cport, map[bool]string{true: "client to server", false: "server to client"}[toServer])
	var (
		isn         uint32
		syn, fin    bool
		ranges      [][2]uint32
		payloadSeen int
	)
	for _, s := range segs {
		if (s.dport == liveWatched) != toServer {
			continue
		}
		if s.syn {
			syn, isn = true, s.seq
		}
		fin = fin || s.fin
	}
	if !syn || !fin {
		t.Errorf("%s: SYN passed %v, FIN passed %v; want both", name, syn, fin)
		return 0
	}
	for _, s := range segs {
		if (s.dport == liveWatched) != toServer || s.payload == 0 {
			continue
		}
		off := s.seq - (isn + 1)
		if off >= liveBudget {
			t.Errorf("%s: data at offset %d passed, past the budget of %d", name, off, liveBudget)
		}
		ranges = append(ranges, [2]uint32{off, off + uint32(s.payload)})
		payloadSeen += s.payload
	}
	sort.Slice(ranges, func(i, j int) bool { return ranges[i][0] < ranges[j][0] })
	var covered uint32
	for _, r := range ranges {
		if r[0] > covered {
			break
		}
		covered = max(covered, r[1])
	}
	if covered < liveBudget {
		t.Errorf("%s: the data that passed covers offsets 0..%d, want at least 0..%d", name, covered, liveBudget)
	}
	return payloadSeen
}
