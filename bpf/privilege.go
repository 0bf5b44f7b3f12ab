//go:build linux

package bpf

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// PermissionError is the kernel refusing to load the filter (EPERM). Its
// message names what the process lacks, which the kernel's error does not
// say: the capability, or when the process has it, the locked-memory
// limit. It wraps the kernel's error (errors.Is(err, os.ErrPermission)).
type PermissionError struct {
	HasCapBPF bool // the process holds CAP_BPF or CAP_SYS_ADMIN
	Err       error
}

func (e *PermissionError) Error() string {
	const refused = "bpf: the kernel refused to load the eBPF socket filter (operation not permitted): "
	if !e.HasCapBPF {
		return refused + "it needs CAP_BPF (CAP_SYS_ADMIN before Linux 5.8), which this process lacks; " +
			"run as root, grant CAP_BPF (the systemd unit does) or capture without the filter"
	}
	return refused + "this process holds CAP_BPF, so the likely cause is RLIMIT_MEMLOCK, which eBPF maps count against " +
		"before Linux 5.11 (the systemd unit sets LimitMEMLOCK=infinity; in a shell, ulimit -l unlimited), " +
		"or a security module (SELinux, AppArmor, lockdown) that denied it"
}

func (e *PermissionError) Unwrap() error { return e.Err }

// permissionError explains err, the kernel's EPERM for a load.
func permissionError(err error) error {
	has, capErr := holdsBPFCapability()
	if capErr != nil {
		return fmt.Errorf("bpf: loading the socket filter (it needs CAP_BPF; the process's capabilities could not be read: %v): %w", capErr, err)
	}
	return &PermissionError{HasCapBPF: has, Err: err}
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
