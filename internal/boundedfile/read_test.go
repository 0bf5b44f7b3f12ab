package boundedfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRead: a file within the bound is read whole; a directory, a named
// pipe (refused without waiting for a writer), a missing file and a file
// past the bound are each refused in words.
func TestRead(t *testing.T) {
	dir := t.TempDir()
	k := Kind{Noun: "a test file", Hint: ": copy it into a file", Max: 8}
	ok := filepath.Join(dir, "ok")
	os.WriteFile(ok, []byte("12345678"), 0o600)
	if data, err := Read(ok, k); err != nil || string(data) != "12345678" {
		t.Fatalf("Read = %q, %v", data, err)
	}
	big := filepath.Join(dir, "big")
	os.WriteFile(big, []byte("123456789"), 0o600)
	fifo := filepath.Join(dir, "fifo")
	if err := mkfifo(fifo); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		dir:                        "is a directory, not a test file",
		fifo:                       "is not a regular file (p---------): copy it into a file",
		big:                        "is 9 bytes, more than a test file may be (8)",
		filepath.Join(dir, "none"): "no such file",
	} {
		_, err := Read(path, k)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Read(%s) = %v, want %q", filepath.Base(path), err, want)
		}
		if err2 := k.Check(path); err2 == nil || err2.Error() != err.Error() {
			t.Errorf("Check(%s) = %v, Read said %v", filepath.Base(path), err2, err)
		}
	}
}
