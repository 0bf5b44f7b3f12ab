//go:build linux

package bpf

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// PermissionError is the kernel refusing to load a program (EPERM). Its
// message names what the process lacks, which the kernel's error does not
// say: the capability, or when the process has it, the locked-memory
// limit. It wraps the kernel's error (errors.Is(err, os.ErrPermission)).
type PermissionError struct {
	Program   program // which; the zero value is the socket filter
	HasCapBPF bool    // the process holds CAP_BPF or CAP_SYS_ADMIN
	Err       error
}

// program names the package's eBPF programs in messages.
type program uint8

const (
	socketFilter program = iota
	fanoutProgram
)

func (p program) String() string {
	if p == fanoutProgram {
		return "fanout program"
	}
	return "socket filter"
}

// doWithout is how to capture without the program.
func (p program) doWithout() string {
	if p == fanoutProgram {
		return "capture with one worker"
	}
	return "capture without the filter"
}

func (e *PermissionError) Error() string {
	refused := "bpf: the kernel refused to load the eBPF " + e.Program.String() + " (operation not permitted): "
	if !e.HasCapBPF {
		return refused + "it needs CAP_BPF (CAP_SYS_ADMIN before Linux 5.8), which this process lacks; " +
			"run as root, grant CAP_BPF (the systemd unit does) or " + e.Program.doWithout()
	}
	return refused + "this process holds CAP_BPF, so the likely cause is RLIMIT_MEMLOCK, which eBPF maps count against " +
		"before Linux 5.11 (the systemd unit sets LimitMEMLOCK=infinity; in a shell, ulimit -l unlimited), " +
		"or a security module (SELinux, AppArmor, lockdown) that denied it"
}

func (e *PermissionError) Unwrap() error { return e.Err }

// permissionError explains err, the kernel's EPERM for loading p.
func permissionError(p program, err error) error {
	has, capErr := holdsBPFCapability()
	if capErr != nil {
		return fmt.Errorf("bpf: loading the %v (it needs CAP_BPF; the process's capabilities could not be read: %v): %w", p, capErr, err)
	}
	return &PermissionError{Program: p, HasCapBPF: has, Err: err}
}

// holdsBPFCapability reports whether the calling thread's effective
// capabilities include CAP_BPF or CAP_SYS_ADMIN (which covers it, and is
// what kernels before 5.8 ask for).
func holdsBPFCapability() (bool, error) {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData // version 3: 64 capability bits in two halves
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return false, fmt.Errorf("capget: %w", err)
	}
	has := func(c uint) bool { return data[c/32].Effective&(1<<(c%32)) != 0 }
	return has(unix.CAP_BPF) || has(unix.CAP_SYS_ADMIN), nil
}
