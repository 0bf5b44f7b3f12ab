package testkit

import (
	"os/exec"
	"testing"
)

// Start starts cmd and returns a channel that gets its exit once it ends;
// a child still running when the test ends is killed (and onKill, if not
// nil, runs first, to log what it had said).
func Start(t testing.TB, cmd *exec.Cmd, onKill func()) <-chan error {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited, done := make(chan error, 1), make(chan struct{})
	go func() {
		exited <- cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		select {
		case <-done:
		default:
			if onKill != nil {
				onKill()
			}
			cmd.Process.Kill()
			<-done
		}
	})
	return exited
}
