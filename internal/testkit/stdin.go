package testkit

import (
	"os"
	"path/filepath"
	"testing"
)

// Stdin makes data the process's standard input until the test ends, as
// a capture piped in (tlsentry -r -): a file that holds it, since a
// reader that peeks its magic needs no pipe. Not for parallel tests.
func Stdin(t testing.TB, data []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "stdin")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdin
	os.Stdin = f
	t.Cleanup(func() {
		os.Stdin = saved
		f.Close()
	})
}
