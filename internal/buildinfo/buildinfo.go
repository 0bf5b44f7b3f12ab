package buildinfo

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// Set by the linker: go build -ldflags "-X PKG.version=v1.2.3 -X
// PKG.revision=HASH -X PKG.modified=true", PKG being this package's
// import path (the Makefile's BUILDINFO).
var (
	version  string
	revision string
	modified string
)

// Unknown is said of a version or revision the build did not record.
const Unknown = "unknown"

// Info describes a build.
type Info struct {
	Version   string // module version (a tag, or a pseudo-version); Unknown if not recorded
	Revision  string // VCS revision (a full commit hash); Unknown if not recorded
	Modified  bool   // the working tree had uncommitted changes
	GoVersion string // the Go toolchain, e.g. go1.26.8
	Platform  string // GOOS/GOARCH
}

// Read returns the running binary's build: what the linker stamped, else
// what the Go build information holds.
func Read() Info {
	bi, _ := debug.ReadBuildInfo()
	return read(bi, version, revision, modified)
}

// read combines the stamped values (which win) with bi (may be nil).
func read(bi *debug.BuildInfo, version, revision, modified string) Info {
	info := Info{Version: version, Revision: revision, Modified: modified == "true",
		GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi != nil {
		// "(devel)" is what Go records for a build of a checkout without
		// VCS information: no version.
		if info.Version == "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		if info.Revision == "" {
			for _, s := range bi.Settings {
				switch s.Key {
				case "vcs.revision":
					info.Revision = s.Value
				case "vcs.modified":
					info.Modified = info.Modified || s.Value == "true"
				}
			}
		}
	}
	if info.Version == "" {
		info.Version = Unknown
	}
	if info.Revision == "" {
		info.Revision = Unknown
	}
	return info
}

// Write prints the build for a person, one fact a line.
func (i Info) Write(w io.Writer) error {
	const unrecorded = " (not recorded in this build: make build records it)"
	version, rev := i.Version, i.Revision
	if version == Unknown {
		version += unrecorded
	}
	switch {
	case rev == Unknown:
		rev += unrecorded
	case i.Modified:
		rev += " (with uncommitted changes)"
	}
	_, err := fmt.Fprintf(w, "tlsentry version: %s\nrevision: %s\ngo: %s %s\n", version, rev, i.GoVersion, i.Platform)
	return err
}
