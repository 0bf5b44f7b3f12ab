//go:build linux

package afpacket

import (
	"errors"
	"fmt"
	"os"
	"runtime"

	"github.com/tlsentry/tlsentry/sensor/decode"
	"golang.org/x/sys/unix"
)

// netns is the network namespace a capture was opened in. Open may run
// on a thread that entered another namespace than the rest of the
// process (tests do): the capture keeps a socket made there for looking
// at its interface, and a handle on the namespace for opening sockets
// there again when the interface comes back.
type netns struct {
	fd       int // the namespace (/proc/thread-self/ns/net), -1 if /proc is not there
	dev, ino uint64
	ctl      int // an AF_INET socket of the namespace: interface ioctls
}

// openNetns records the calling thread's network namespace.
func openNetns() (*netns, error) {
	ctl, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socket for interface queries: %w", err)
	}
	n := &netns{fd: -1, ctl: ctl}
	fd, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return n, nil // no /proc: sockets are opened in the caller's namespace, as the process's threads share one
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return n, nil
	}
	n.fd, n.dev, n.ino = fd, st.Dev, st.Ino
	return n, nil
}

func (n *netns) close() {
	if n.fd >= 0 {
		unix.Close(n.fd)
		n.fd = -1
	}
	if n.ctl >= 0 {
		unix.Close(n.ctl)
		n.ctl = -1
	}
}

// do runs f on a thread of the namespace: the calling goroutine's own
// when the thread it gets is already there (the daemon: the whole process
// is in one namespace, and setns would need CAP_SYS_ADMIN), else a thread
// that enters it and is thrown away after f.
func (n *netns) do(f func() error) error {
	if n.fd < 0 {
		return f()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		var st unix.Stat_t
		if unix.Stat("/proc/thread-self/ns/net", &st) == nil && st.Dev == n.dev && st.Ino == n.ino {
			defer runtime.UnlockOSThread()
			errc <- f()
			return
		}
		// Never unlocked: the thread ends with this goroutine, so no other
		// goroutine runs in the namespace by accident.
		if err := unix.Setns(n.fd, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("enter the capture's network namespace: %w", err)
			return
		}
		errc <- f()
	}()
	return <-errc
}

// linkInfo is what the kernel says of an interface.
type linkInfo struct {
	index int
	flags uint16 // IFF_*
	state LinkState
}

// link looks the interface up in the namespace. A missing interface is
// not an error: its state is LinkAbsent.
func (n *netns) link(name string) (linkInfo, error) {
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return linkInfo{}, err
	}
	if err := unix.IoctlIfreq(n.ctl, unix.SIOCGIFINDEX, ifr); err != nil {
		if errors.Is(err, unix.ENODEV) {
			return linkInfo{state: LinkAbsent}, nil
		}
		return linkInfo{}, fmt.Errorf("interface index: %w", err)
	}
	info := linkInfo{index: int(ifr.Uint32())}
	ifr, _ = unix.NewIfreq(name)
	if err := unix.IoctlIfreq(n.ctl, unix.SIOCGIFFLAGS, ifr); err != nil {
		if errors.Is(err, unix.ENODEV) {
			return linkInfo{state: LinkAbsent}, nil
		}
		return linkInfo{}, fmt.Errorf("interface flags: %w", err)
	}
	info.flags = ifr.Uint16()
	switch {
	case info.flags&unix.IFF_UP == 0:
		info.state = LinkDown
	case info.flags&unix.IFF_RUNNING == 0:
		info.state = LinkNoCarrier
	default:
		info.state = LinkUp
	}
	return info, nil
}

// linkType is the link type of the frames AF_PACKET gives for the
// interface, from its hardware address family.
func (n *netns) linkType(name string) (uint32, error) {
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, err
	}
	if err := unix.IoctlIfreq(n.ctl, unix.SIOCGIFHWADDR, ifr); err != nil {
		return 0, fmt.Errorf("interface type: %w", err)
	}
	switch hw := ifr.Uint16(); hw { // ARPHRD_*
	case unix.ARPHRD_ETHER, unix.ARPHRD_LOOPBACK:
		return decode.LinkEthernet, nil
	case unix.ARPHRD_NONE, unix.ARPHRD_RAWIP, unix.ARPHRD_TUNNEL, unix.ARPHRD_TUNNEL6:
		return decode.LinkRaw, nil // no link header: tun devices, IP-in-IP tunnels
	default:
		return 0, fmt.Errorf("interface hardware type %d is not supported (Ethernet, loopback and raw IP are)", hw)
	}
}

// linkEvents is a netlink socket of the namespace that hears of every
// change to its interfaces (RTMGRP_LINK), so that the capture looks at
// its own at once instead of at its next poll.
type linkEvents struct {
	f *os.File
}

// openLinkEvents subscribes to the namespace's link changes. The file is
// non-blocking, so Read waits in the runtime's poller and close ends it.
func openLinkEvents() (*linkEvents, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netlink socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: unix.RTMGRP_LINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("netlink bind: %w", err)
	}
	return &linkEvents{f: os.NewFile(uintptr(fd), "netlink-link-events")}, nil
}

// watch signals changed (without blocking) after each batch of link
// messages, until close. The messages are not parsed: any change makes
// the capture look at its interface again.
func (e *linkEvents) watch(changed chan<- struct{}) {
	buf := make([]byte, 32<<10)
	for {
		if _, err := e.f.Read(buf); err != nil && !errors.Is(err, unix.ENOBUFS) {
			return // closed (ENOBUFS: messages were lost, which is a change too)
		}
		select {
		case changed <- struct{}{}:
		default:
		}
	}
}

// close ends watch; closing twice does no harm.
func (e *linkEvents) close() { e.f.Close() }
