package main

import (
	"context"
	"fmt"
	"io"

	"github.com/tlsentry/tlsentry/detector/dataset"
)

var heldoutHelp = help{
	usage: []string{"tlsentry heldout FILE..."},
	about: `Prints which of the files train -holdout leaves out (one in five, by a hash
of the file name), one per line, for scripts and make eval.`,
}

// runHeldout prints the files of its arguments that training with
// -holdout leaves out, one per line (for scripts and make eval).
func runHeldout(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("heldout", heldoutHelp)
	if err := parseFlagsAndArgs(fs, args, stderr); err != nil {
		return err
	}
	_, held := dataset.Split(fs.Args())
	for _, f := range held {
		fmt.Fprintln(stdout, f)
	}
	return nil
}
