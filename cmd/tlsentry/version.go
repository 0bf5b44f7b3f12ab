package main

import (
	"context"
	"io"

	"github.com/tlsentry/tlsentry/internal/buildinfo"
)

var versionHelp = help{
	usage: []string{"tlsentry version", "tlsentry --version"},
	about: `Prints the module version, the VCS revision (with a note when the tree had
uncommitted changes) and the Go toolchain of this build. A build that
recorded neither (go build with -buildvcs=false and no -ldflags -X) says
"unknown"; make build and make install record both.`,
}

func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", versionHelp)
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	return buildinfo.Read().Write(stdout)
}
