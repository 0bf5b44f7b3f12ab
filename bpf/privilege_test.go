//go:build linux

package bpf

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestLoadWithoutCapBPF loads the filter in a child process that runs as
// nobody without capabilities: the error must name CAP_BPF (not the
// kernel's bare "operation not permitted", nor cilium/ebpf's MEMLOCK
// guess) and still be os.ErrPermission.
func TestLoadWithoutCapBPF(t *testing.T) {
	if os.Getenv("TLSENTRY_BPF_LOAD_CHILD") == "1" {
		_, err := Load(DefaultConfig(443))
		var pe *PermissionError
		switch {
		case err == nil:
			t.Fatal("loaded without CAP_BPF")
		case !errors.As(err, &pe) || !errors.Is(err, os.ErrPermission):
			t.Fatalf("not a permission error: %v", err)
		}
		t.Log("LOAD ERROR: " + err.Error())
		return
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil || os.Geteuid() != 0 {
		t.Skip("needs root and setpriv (util-linux) to run a child without capabilities")
	}
	loadForTest(t, DefaultConfig(443)) // skips where even root cannot load it
	cmd := exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
		"--inh-caps=-all", "--bounding-set=-all", "--no-new-privs",
		os.Args[0], "-test.run=^TestLoadWithoutCapBPF$", "-test.v")
	cmd.Env = append(os.Environ(), "TLSENTRY_BPF_LOAD_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	text := string(out)
	if !strings.Contains(text, "LOAD ERROR: bpf: the kernel refused to load the eBPF socket filter (operation not permitted): it needs CAP_BPF") || strings.Contains(text, "MEMLOCK") {
		t.Errorf("the error does not name CAP_BPF:\n%s", text)
	}
}

func TestPermissionErrorText(t *testing.T) {
	err := &PermissionError{HasCapBPF: true, Err: os.ErrPermission}
	if !strings.Contains(err.Error(), "RLIMIT_MEMLOCK") || !errors.Is(err, os.ErrPermission) {
		t.Errorf("with CAP_BPF held: %v", err)
	}
	has, capErr := holdsBPFCapability()
	if capErr != nil {
		t.Fatal(capErr)
	}
	if os.Geteuid() == 0 && !has {
		t.Error("root does not hold CAP_BPF or CAP_SYS_ADMIN, says capget")
	}
}
