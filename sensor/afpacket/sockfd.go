//go:build linux

package afpacket

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/gopacket/gopacket/afpacket"
	"golang.org/x/sys/unix"
)

// tpacketFD finds the socket's descriptor, which gopacket keeps to
// itself, and the device it is bound to. The capture needs the descriptor
// for one thing: when the interface goes down the kernel sets the
// socket's error, so every poll fails until the error is read (SO_ERROR);
// read, the socket carries on when the interface is up again (the kernel
// puts it back in its fanout group). The value is checked to be an
// AF_PACKET socket bound to a device, so that a gopacket that keeps it
// otherwise costs only a reopen on each flap, never a wrong descriptor.
func tpacketFD(tp *afpacket.TPacket) (fd, ifindex int, err error) {
	f := reflect.ValueOf(tp).Elem().FieldByName("fd")
	if !f.IsValid() || f.Kind() != reflect.Int {
		return -1, 0, errors.New("gopacket's TPacket has no int field fd")
	}
	fd = int(f.Int())
	if dom, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN); err != nil || dom != unix.AF_PACKET {
		return -1, 0, fmt.Errorf("descriptor %d is not an AF_PACKET socket (domain %d, %v)", fd, dom, err)
	}
	ifindex, err = boundIndex(fd)
	if err != nil || ifindex <= 0 {
		return -1, 0, fmt.Errorf("descriptor %d is not bound to a device (%d, %v)", fd, ifindex, err)
	}
	return fd, ifindex, nil
}

// boundIndex is the index of the device a packet socket is bound to; the
// kernel makes it -1 when the device is removed.
func boundIndex(fd int) (int, error) {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return 0, err
	}
	ll, ok := sa.(*unix.SockaddrLinklayer)
	if !ok {
		return 0, fmt.Errorf("not a link-layer address: %T", sa)
	}
	return ll.Ifindex, nil
}

// recover reads (and so clears) the socket's pending error after a
// failed poll, and says whether the socket can go on: it is still bound
// to its device, which went down (ENETDOWN) and will come back on it.
// Otherwise (the device was removed, or the error is another) the socket
// must be replaced; why says what happened.
func (s *socket) recover(pollErr error) (ok bool, why error) {
	if !errors.Is(pollErr, afpacket.ErrPoll) {
		return false, pollErr
	}
	if s.fd < 0 {
		return false, fmt.Errorf("%w (the socket's error cannot be read here, so it is replaced)", pollErr)
	}
	soErr, err := unix.GetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return false, fmt.Errorf("%w: reading its error: %w", pollErr, err)
	}
	if soErr == 0 {
		return false, fmt.Errorf("%w without a socket error", pollErr)
	}
	why = fmt.Errorf("socket error: %w", unix.Errno(soErr))
	idx, err := boundIndex(s.fd)
	if err != nil {
		return false, fmt.Errorf("%w; bound device: %w", why, err)
	}
	if idx != s.ifindex {
		return false, fmt.Errorf("%w; the interface was removed", why)
	}
	return true, why
}
