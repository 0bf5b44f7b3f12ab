// Command printinfo prints the build information, for TestMakefileStamps.
package main

import (
	"fmt"
	"os"

	"github.com/tlsentry/tlsentry/internal/buildinfo"
)

func main() {
	if err := buildinfo.Read().Write(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
