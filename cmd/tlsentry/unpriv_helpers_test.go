//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// unprivilegedDir makes what a daemon run as nobody (uid 65534) needs:
// a world-readable directory (t.TempDir's parent is private to root)
// holding a copy of this test binary, and a logs directory nobody owns,
// as LogsDirectory= makes it. It skips without setpriv (util-linux).
func unprivilegedDir(t *testing.T, prefix string) (setpriv, dir, bin, logs string) {
	t.Helper()
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("needs setpriv (util-linux) to drop privileges")
	}
	if dir, err = os.MkdirTemp("", prefix); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin = filepath.Join(dir, "tlsentry")
	copyFile(t, self, bin, 0o755)
	logs = filepath.Join(dir, "logs")
	if err := os.Mkdir(logs, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(logs, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	return setpriv, dir, bin, logs
}

// asNobody is the command line that runs bin as nobody holding only the
// capabilities caps (setpriv's list form, like "-all,+net_raw"), with
// no_new_privs, as the systemd unit does.
func asNobody(setpriv, caps, bin string, args ...string) []string {
	return append([]string{setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
		"--inh-caps=" + caps, "--ambient-caps=" + caps, "--bounding-set=" + caps,
		"--no-new-privs", bin}, args...)
}
