package blocklist

import (
	"bytes"
	"fmt"

	"github.com/tlsentry/tlsentry/internal/boundedfile"
)

// ReadFile parses the list file at path (see Parse). It must be a
// regular file of at most MaxFileSize bytes, checked before it is read:
// a device, a pipe or a directory is refused at once.
func ReadFile(k Kind, path string) (Kind, []Entry, error) {
	data, err := boundedfile.Read(path, listFile)
	if err != nil {
		return "", nil, fmt.Errorf("block list: %w", err)
	}
	return Parse(bytes.NewReader(data), k, path)
}

// listFile is what a block list file may be.
var listFile = boundedfile.Kind{Noun: "a block list", Max: MaxFileSize}
