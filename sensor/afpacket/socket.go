//go:build linux

package afpacket

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/gopacket/gopacket/afpacket"
	"github.com/tlsentry/tlsentry/sensor/decode"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// livePollTimeout bounds how long a worker waits for a block of packets,
// so that it sees a stop request and ticks on an idle link.
const livePollTimeout = 100 * time.Millisecond

// dropAll is a classic BPF program that accepts nothing.
var dropAll = []bpf.RawInstruction{{Op: 0x06, K: 0}} // ret #0

// interfaceLinkType checks that the interface exists and is up, and
// returns the link type of the frames AF_PACKET gives for it. It asks on
// a socket made on the calling thread, so it sees that thread's network
// namespace.
func interfaceLinkType(name string) (uint32, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		if ifaces, lerr := net.Interfaces(); lerr == nil && !hasInterface(ifaces, name) {
			return 0, ErrNoSuchInterface
		}
		return 0, err
	}
	if ifi.Flags&net.FlagUp == 0 {
		return 0, errors.New("interface is down")
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, fmt.Errorf("socket for the interface type: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFHWADDR, ifr); err != nil {
		return 0, fmt.Errorf("interface type: %w", err)
	}
	switch hw := ifr.Uint16(); hw { // the hardware address's family: ARPHRD_*
	case unix.ARPHRD_ETHER, unix.ARPHRD_LOOPBACK:
		return decode.LinkEthernet, nil
	case unix.ARPHRD_NONE, unix.ARPHRD_RAWIP, unix.ARPHRD_TUNNEL, unix.ARPHRD_TUNNEL6:
		return decode.LinkRaw, nil // no link header: tun devices, IP-in-IP tunnels
	default:
		return 0, fmt.Errorf("interface hardware type %d is not supported (Ethernet, loopback and raw IP are)", hw)
	}
}

func hasInterface(ifaces []net.Interface, name string) bool {
	for _, ifi := range ifaces {
		if ifi.Name == name {
			return true
		}
	}
	return false
}

// openSockets opens one socket per worker and makes it part of the fanout
// group, so that from then on each socket gets only its share of the
// flows. A socket receives every packet between its bind and its joining
// the group; those frames are drained and thrown away (with a drop-all
// filter attached meanwhile) before the real filter goes on.
func openSockets(cfg Config) (_ []*liveWorker, err error) {
	workers := make([]*liveWorker, 0, cfg.Workers)
	defer func() {
		if err != nil {
			for _, w := range workers {
				w.tp.Close()
			}
		}
	}()
	for i := range cfg.Workers {
		tp, err := openSocket(cfg)
		if err != nil {
			return nil, fmt.Errorf("socket %d: %w", i, err)
		}
		workers = append(workers, &liveWorker{index: i, tp: tp, addVLAN: cfg.AddVLANHeader})
	}
	if err := drainAll(workers, 3*cfg.BlockTimeout); err != nil {
		return nil, err
	}
	for _, w := range workers {
		if err := attachFilter(w.tp, cfg.BPFProgramFD); err != nil {
			return nil, fmt.Errorf("socket %d: %w", w.index, err)
		}
	}
	return workers, nil
}

// openSocket opens a socket, makes it accept nothing, and joins it to the
// fanout group.
func openSocket(cfg Config) (*afpacket.TPacket, error) {
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
			return nil, fmt.Errorf("opening an AF_PACKET socket needs CAP_NET_RAW (run as root or grant the capability): %w", err)
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
	if err := tp.SetFanout(afpacket.FanoutHash, cfg.FanoutGroup); err != nil {
		tp.Close()
		return nil, fmt.Errorf("join fanout group %d (is a group with that id in use on another interface or with another mode?): %w", cfg.FanoutGroup, err)
	}
	return tp, nil
}

// drainAll reads every socket's ring, in parallel, until it has been
// empty for a poll timeout after settle has passed (by then the kernel
// has handed over any block it was filling).
func drainAll(workers []*liveWorker, settle time.Duration) error {
	errs := make([]error, len(workers))
	var wg sync.WaitGroup
	for i, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = w.drain(settle)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (w *liveWorker) drain(settle time.Duration) error {
	start := time.Now()
	for {
		_, _, err := w.tp.ZeroCopyReadPacketData()
		switch {
		case err == nil:
			w.local.StartupDiscarded++
		case errors.Is(err, afpacket.ErrTimeout):
			if time.Since(start) >= settle {
				w.baselineKernel()
				w.store()
				return nil
			}
		default:
			return fmt.Errorf("socket %d: drain: %w", w.index, err)
		}
	}
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
