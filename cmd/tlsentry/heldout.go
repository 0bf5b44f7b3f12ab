package main

import (
	"context"
	"fmt"
	"io"

	"github.com/tlsentry/tlsentry/detector/dataset"
)

// runHeldout prints the files of its arguments that training with
// -holdout leaves out, one per line (for scripts and make eval).
func runHeldout(_ context.Context, args []string, stdout, _ io.Writer) error {
	_, held := dataset.Split(args)
	for _, f := range held {
		fmt.Fprintln(stdout, f)
	}
	return nil
}
