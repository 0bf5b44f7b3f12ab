//go:build linux

package bpf

import (
	"errors"
	"fmt"
	"os"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// verifierLogLines is how much of the verifier's log a load error carries.
const verifierLogLines = 40

// Filter is the loaded socket filter program and its maps.
type Filter struct {
	objs    filterObjects
	entries uint32
}

// Load checks cfg and loads the program into the kernel. It needs
// CAP_BPF (or root); errors wrap the kernel's: without the privilege a
// *PermissionError that names what is missing (errors.Is(err,
// os.ErrPermission)), and when the verifier refuses the program, the end
// of its log.
func Load(cfg Config) (*Filter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	spec, err := loadFilter()
	if err != nil {
		return nil, fmt.Errorf("bpf: reading the embedded socket filter: %w", err)
	}
	spec.Maps[filterMapFlows].MaxEntries = cfg.MapEntries

	f := &Filter{entries: cfg.MapEntries}
	if err := spec.LoadAndAssign(&f.objs, nil); err != nil {
		return nil, loadError(socketFilter, err)
	}
	if err := f.Reconfigure(cfg); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// loadError explains why the kernel did not load p: the verifier's
// refusal with the end of its log, or a missing privilege.
func loadError(p program, err error) error {
	var ve *ebpf.VerifierError
	if errors.As(err, &ve) {
		return fmt.Errorf("bpf: the kernel's verifier refused the %v: %w\nlast lines of the verifier log:\n%-*v", p, err, verifierLogLines, ve)
	}
	if errors.Is(err, os.ErrPermission) {
		return permissionError(p, err)
	}
	return fmt.Errorf("bpf: loading the %v: %w", p, err)
}

// Reconfigure changes the watched ports and the budgets of a loaded
// filter; the map size cannot change. Packets being filtered meanwhile
// may see the old or the new settings.
func (f *Filter) Reconfigure(cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if cfg.MapEntries != f.entries {
		return fmt.Errorf("%w: map entries %d: the loaded filter has %d; load a new one to resize", ErrInvalidConfig, cfg.MapEntries, f.entries)
	}
	kc := cfg.kernelConfig()
	if err := f.objs.Config.Put(uint32(0), &kc); err != nil {
		return fmt.Errorf("bpf: writing the filter config: %w", err)
	}
	return nil
}

// FD is the program's file descriptor, to attach to a socket
// (SO_ATTACH_BPF; gopacket afpacket's TPacket.SetEBPF). It stays valid
// until Close; a socket keeps an attached program loaded after that.
func (f *Filter) FD() int { return f.objs.TlsentryFilter.FD() }

// Attach attaches the filter to the socket sockFD (SO_ATTACH_BPF).
func (f *Filter) Attach(sockFD int) error {
	if err := unix.SetsockoptInt(sockFD, unix.SOL_SOCKET, unix.SO_ATTACH_BPF, f.FD()); err != nil {
		return fmt.Errorf("bpf: attaching the socket filter to socket %d: %w", sockFD, err)
	}
	return nil
}

// Stats counts what the filter did with the frames it saw, summed over
// CPUs. Seen = Passed + NotWatched + Fragment + Malformed + OverBudget,
// up to frames being filtered while the counters are read.
type Stats struct {
	Seen       uint64 // frames the program ran on
	Passed     uint64 // handed to the socket
	NotWatched uint64 // not IP, neither TCP nor UDP, or neither port watched
	Fragment   uint64 // IPv4 fragments (IPv6 ones pass, for the sensor to reassemble; the capture's fanout reassembles IPv4 ones before the filter)
	Malformed  uint64 // truncated or inconsistent headers, long IPv6 extension chains
	OverBudget uint64 // data or pure ACKs past their flow's budget, datagrams past a UDP flow's
}

// Dropped is how many frames stayed in the kernel.
func (s Stats) Dropped() uint64 { return s.NotWatched + s.Fragment + s.Malformed + s.OverBudget }

// Stats reads the counters.
func (f *Filter) Stats() (Stats, error) {
	var s Stats
	for i, dst := range []*uint64{&s.Seen, &s.Passed, &s.NotWatched, &s.Fragment, &s.Malformed, &s.OverBudget} {
		var perCPU []uint64
		if err := f.objs.Stats.Lookup(uint32(i), &perCPU); err != nil {
			return Stats{}, fmt.Errorf("bpf: reading filter counter %d: %w", i, err)
		}
		for _, v := range perCPU {
			*dst += v
		}
	}
	return s, nil
}

// Flows counts the connections in the kernel's flow map. It walks the
// map key by key (a system call each), so it is for occasional metrics.
func (f *Filter) Flows() (int, error) {
	var (
		key filterFlowKey
		val filterFlowState
		n   int
	)
	it := f.objs.Flows.Iterate()
	for it.Next(&key, &val) {
		n++
	}
	if err := it.Err(); err != nil {
		return 0, fmt.Errorf("bpf: walking the flow map: %w", err)
	}
	return n, nil
}

// Close unloads the program and its maps (sockets it is attached to keep
// their own reference).
func (f *Filter) Close() error {
	if err := f.objs.Close(); err != nil {
		return fmt.Errorf("bpf: closing the socket filter: %w", err)
	}
	return nil
}
