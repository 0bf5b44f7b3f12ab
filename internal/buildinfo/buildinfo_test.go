package buildinfo

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	vcs := &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261129120000-91d6949b9e6a+dirty"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "91d6949b9e6a0000000000000000000000000000"}, {Key: "vcs.modified", Value: "true"}}}
	devel := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}
	tests := []struct {
		name                 string
		bi                   *debug.BuildInfo
		version, rev, mod    string
		wantVersion, wantRev string
		wantModified         bool
	}{
		{"nothing recorded", devel, "", "", "", Unknown, Unknown, false},
		{"no build info", nil, "", "", "", Unknown, Unknown, false},
		{"from Go's VCS stamp", vcs, "", "", "", vcs.Main.Version, vcs.Settings[0].Value, true},
		{"stamped by the linker", devel, "v1.2.3", "abc", "", "v1.2.3", "abc", false},
		{"linker wins", vcs, "v1.2.3", "abc", "true", "v1.2.3", "abc", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := read(tc.bi, tc.version, tc.rev, tc.mod)
			if got.Version != tc.wantVersion || got.Revision != tc.wantRev || got.Modified != tc.wantModified {
				t.Errorf("read = %+v", got)
			}
			var b bytes.Buffer
			if err := got.Write(&b); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if !strings.HasPrefix(out, "tlsentry version: "+tc.wantVersion) || !strings.Contains(out, "\nrevision: "+tc.wantRev) {
				t.Errorf("Write:\n%s", out)
			}
			if unknown := tc.wantRev == Unknown; unknown != strings.Contains(out, "not recorded in this build") {
				t.Errorf("Write does not say clearly what is unknown:\n%s", out)
			}
		})
	}
}

// TestMakefileStamps builds a program with the ldflags of the Makefile's
// build target and checks that it reports this checkout's revision: the
// variable names the Makefile sets are this package's.
func TestMakefileStamps(t *testing.T) {
	for _, tool := range []string{"make", "git", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s", tool)
		}
	}
	root := "../.."
	head, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	ldflags, err := exec.Command("make", "-s", "-C", root, "ldflags").Output()
	if err != nil {
		t.Fatalf("make ldflags: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "printinfo")
	build := exec.Command("go", "build", "-ldflags", strings.TrimSpace(string(ldflags)), "-o", bin, "./testdata/printinfo")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("go build -ldflags %s: %v", ldflags, err)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	rev := strings.TrimSpace(string(head))
	if !strings.Contains(string(out), "\nrevision: "+rev) {
		t.Errorf("built with make's ldflags (%s), the program says:\n%s\nwant revision %s", ldflags, out, rev)
	}
	if strings.Contains(string(out), Unknown) {
		t.Errorf("a version or revision is unknown after make's stamps:\n%s", out)
	}
}
