//go:build linux

package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOutputToAClosedPipe: -w naming a pipe (/dev/stdout of a shell
// pipeline) whose reader went away fails the writes with a broken pipe
// rather than blocking them for ever (opened read-write, the output held
// the pipe's read end itself).
func TestOutputToAClosedPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	out, closeOut, err := output(fmt.Sprintf("/proc/self/fd/%d", w.Fd()), nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	done := make(chan error, 1)
	go func() {
		line := strings.Repeat("x", 1<<16) + "\n"
		for i := 0; i < 16; i++ { // more than a pipe holds
			if _, err := out.WriteString(line); err != nil {
				done <- err
				return
			}
		}
		done <- closeOut()
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), syscall.EPIPE.Error()) {
			t.Errorf("writes to a pipe nobody reads: %v, want a broken pipe", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("writes to a pipe nobody reads still blocked after 10 s")
	}
}
