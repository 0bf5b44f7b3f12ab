//go:build linux

package afpacket

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/gopacket/gopacket/afpacket"
	cbpf "golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/tlsentry/tlsentry/bpf"
)

// livePollTimeout bounds how long a worker waits for a block of packets,
// so that it sees a stop request and ticks on an idle link.
const livePollTimeout = 100 * time.Millisecond

// dropAll is a classic BPF program that accepts nothing.
var dropAll = []cbpf.RawInstruction{{Op: 0x06, K: 0}} // ret #0

// socket is one open capture socket and what opening it learnt.
type socket struct {
	tp       *afpacket.TPacket
	fd       int // its descriptor (tpacketFD), -1 when not known
	linkType uint32
	ifindex  int // the device it is bound to

	kernelBase [3]uint32 // the kernel counters once the startup drain was done
	discarded  uint64    // frames thrown away by the startup drain
}

// openSockets opens one socket per worker on the interface (of link type
// lt) and makes it part of the fanout group, so that from then on each
// socket gets only its share of the flows. A socket receives every packet
// between its bind and its joining the group; those frames are drained
// and thrown away (with a drop-all filter attached meanwhile) before the
// real filter goes on. It runs on a thread of the interface's network
// namespace.
func openSockets(cfg Config, lt uint32, fanout *bpf.Fanout) (_ []*socket, err error) {
	socks := make([]*socket, 0, cfg.Workers)
	defer func() {
		if err != nil {
			for _, s := range socks {
				s.tp.Close()
			}
		}
	}()
	for i := range cfg.Workers {
		tp, err := openSocket(cfg, fanout)
		if err != nil {
			return nil, fmt.Errorf("socket %d: %w", i, err)
		}
		s := &socket{tp: tp, fd: -1, linkType: lt}
		socks = append(socks, s)
		if s.fd, s.ifindex, err = tpacketFD(tp); err != nil {
			if fanout != nil {
				return nil, fmt.Errorf("socket %d: setting the program of fanout group %d: %w", i, cfg.FanoutGroup, err)
			}
			s.fd = -1 // the socket works; only a link flap costs a reopen
		}
		if fanout != nil {
			// Every member sets the group's program: the group is made anew
			// when all its sockets were closed (a reopen after the link flapped).
			if err := fanout.Attach(s.fd); err != nil {
				return nil, fmt.Errorf("socket %d: fanout group %d: %w", i, cfg.FanoutGroup, err)
			}
		}
	}
	if err := drainAll(socks, 3*cfg.BlockTimeout); err != nil {
		return nil, err
	}
	for i, s := range socks {
		if err := attachFilter(s.tp, cfg.BPFProgramFD); err != nil {
			return nil, fmt.Errorf("socket %d: %w", i, err)
		}
	}
	return socks, nil
}

// openSocket opens a socket, makes it accept nothing, and joins it to the
// fanout group, as one spread by the fanout program when there is one
// (openSockets gives the group the program), by the kernel's flow hash
// otherwise.
func openSocket(cfg Config, fanout *bpf.Fanout) (*afpacket.TPacket, error) {
	tp, err := afpacket.NewTPacket(
		afpacket.OptInterface(cfg.Interface),
		afpacket.TPacketVersion3,
		afpacket.OptFrameSize(os.Getpagesize()), // TPACKET_V3 packs frames of any size into blocks
		afpacket.OptBlockSize(cfg.BlockSize),
		afpacket.OptNumBlocks(cfg.RingBytes/cfg.BlockSize),
		afpacket.OptBlockTimeout(cfg.BlockTimeout),
		afpacket.OptPollTimeout(livePollTimeout),
		afpacket.OptAddVLANHeader(cfg.AddVLANHeader),
	)
	if err != nil {
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			return nil, needsCapNetRaw(err)
		}
		return nil, fmt.Errorf("open TPACKET_V3 socket (ring of %d × %d bytes): %w", cfg.RingBytes/cfg.BlockSize, cfg.BlockSize, err)
	}
	if err := tp.SetBPF(dropAll); err != nil {
		tp.Close()
		return nil, fmt.Errorf("attach the startup drop-all filter: %w", err)
	}
	if cfg.Promiscuous {
		if err := tp.SetPromiscuous(true); err != nil {
			tp.Close()
			return nil, fmt.Errorf("promiscuous mode: %w", err)
		}
	}
	// With the defrag flag the kernel reassembles IPv4 fragments before
	// it hashes them to a socket and before the eBPF filter, which
	// drops them (it cannot see their ports): a handshake sent in
	// fragments reaches the flow table whole. IPv6 fragments are not
	// reassembled by the kernel here: the fanout program sends them to
	// the worker of their connection, which reassembles them.
	mode := afpacket.FanoutHashWithDefrag
	if fanout != nil {
		mode = afpacket.FanoutType(unix.PACKET_FANOUT_EBPF | unix.PACKET_FANOUT_FLAG_DEFRAG)
	}
	if err := tp.SetFanout(mode, cfg.FanoutGroup); err != nil {
		tp.Close()
		return nil, fmt.Errorf("join fanout group %d (is a group with that id in use on another interface or with another mode?): %w", cfg.FanoutGroup, err)
	}
	return tp, nil
}

func needsCapNetRaw(err error) error {
	return fmt.Errorf("opening an AF_PACKET socket needs CAP_NET_RAW (run as root or grant the capability): %w", err)
}

// checkCapNetRaw opens and closes an unbound AF_PACKET socket: what a
// capture waiting for its interface can check of its rights.
func checkCapNetRaw() error {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			return needsCapNetRaw(err)
		}
		return fmt.Errorf("AF_PACKET socket: %w", err)
	}
	return unix.Close(fd)
}

// drainAll reads every socket's ring, in parallel, until it has been
// empty for a poll timeout after settle has passed (by then the kernel
// has handed over any block it was filling).
func drainAll(socks []*socket, settle time.Duration) error {
	errs := make([]error, len(socks))
	var wg sync.WaitGroup
	for i, s := range socks {
		wg.Go(func() {
			if err := s.drain(settle); err != nil {
				errs[i] = fmt.Errorf("socket %d: drain: %w", i, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (s *socket) drain(settle time.Duration) error {
	start := time.Now()
	for {
		_, _, err := s.tp.ZeroCopyReadPacketData()
		switch {
		case err == nil:
			s.discarded++
		case errors.Is(err, afpacket.ErrTimeout):
			if time.Since(start) >= settle {
				s.kernelBase = s.kernelCounters(s.kernelBase)
				return nil
			}
		default:
			return err
		}
	}
}

// kernelCounters reads the socket's cumulative kernel counters (prev when
// they cannot be read).
func (s *socket) kernelCounters(prev [3]uint32) [3]uint32 {
	_, v3, err := s.tp.SocketStats()
	if err != nil {
		return prev
	}
	return [3]uint32{uint32(v3.Packets()), uint32(v3.Drops()), uint32(v3.QueueFreezes())}
}

// attachFilter replaces the drop-all filter by the eBPF program, or by
// nothing.
func attachFilter(tp *afpacket.TPacket, progFD int) error {
	if progFD > 0 {
		if err := tp.SetEBPF(int32(progFD)); err != nil {
			return fmt.Errorf("attach eBPF program (fd %d): %w", progFD, err)
		}
		return nil
	}
	if err := tp.SetBPF(nil); err != nil {
		return fmt.Errorf("remove the startup filter: %w", err)
	}
	return nil
}
