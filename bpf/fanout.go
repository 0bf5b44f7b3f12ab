//go:build linux

package bpf

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"
)

// Fanout is the loaded program that spreads a live capture's packets over
// its sockets (PACKET_FANOUT_EBPF): a symmetric hash of IPv4 addresses,
// protocol and ports, and of IPv6 addresses alone, so that IPv6 fragments,
// which carry no ports after the first, reach the socket that gets the
// rest of their connection (fanout.c says why).
type Fanout struct {
	objs fanoutObjects
}

// LoadFanout loads the fanout program with a random seed, so that which
// connections share a socket cannot be chosen from outside. It needs
// CAP_BPF (or root); errors are as Load's.
func LoadFanout() (*Fanout, error) {
	spec, err := loadFanout()
	if err != nil {
		return nil, fmt.Errorf("bpf: reading the embedded fanout program: %w", err)
	}
	var seed [4]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return nil, fmt.Errorf("bpf: seeding the fanout hash: %w", err)
	}
	if err := spec.Variables[fanoutVarSeed].Set(binary.LittleEndian.Uint32(seed[:])); err != nil {
		return nil, fmt.Errorf("bpf: seeding the fanout hash: %w", err)
	}
	f := &Fanout{}
	if err := spec.LoadAndAssign(&f.objs, nil); err != nil {
		return nil, loadError(fanoutProgram, err)
	}
	return f, nil
}

// FD is the program's file descriptor. It stays valid until Close; a
// fanout group keeps the program loaded after that.
func (f *Fanout) FD() int { return f.objs.TlsentryFanout.FD() }

// Attach makes the program spread the packets of the fanout group that
// sockFD (an AF_PACKET socket) belongs to, which must have been joined
// as PACKET_FANOUT_EBPF (PACKET_FANOUT_DATA). Any member may set it, for
// the whole group.
func (f *Fanout) Attach(sockFD int) error {
	if err := unix.SetsockoptInt(sockFD, unix.SOL_PACKET, unix.PACKET_FANOUT_DATA, f.FD()); err != nil {
		return fmt.Errorf("bpf: setting the fanout program of socket %d's group: %w", sockFD, err)
	}
	return nil
}

// Close unloads the program (a fanout group it spreads keeps its own
// reference).
func (f *Fanout) Close() error {
	if err := f.objs.Close(); err != nil {
		return fmt.Errorf("bpf: closing the fanout program: %w", err)
	}
	return nil
}
