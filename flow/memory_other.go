//go:build !linux

package flow

// machineMemory is the machine's physical memory in bytes (0: unknown).
func machineMemory() int64 { return 0 }
