package blocklist

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"syscall"
)

// ReadFile parses the list file at path (see Parse). It must be a
// regular file of at most MaxFileSize bytes, checked before it is read:
// a device, a pipe or a directory is refused at once.
func ReadFile(k Kind, path string) (Kind, []Entry, error) {
	data, err := readBounded(path)
	if err != nil {
		return "", nil, fmt.Errorf("block list: %w", err)
	}
	return Parse(bytes.NewReader(data), k, path)
}

// readBounded reads a regular file of at most MaxFileSize bytes. It looks
// before it opens (opening a pipe would wait for a writer) and opens
// without blocking in case the name was swapped meanwhile.
func readBounded(path string) ([]byte, error) {
	if err := checkFile(path, os.Stat); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := checkFile(path, func(string) (os.FileInfo, error) { return f.Stat() }); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s grew past %d bytes while read", path, MaxFileSize)
	}
	return data, nil
}

func checkFile(path string, stat func(string) (os.FileInfo, error)) error {
	st, err := stat(path)
	if err != nil {
		return err
	}
	switch {
	case st.IsDir():
		return fmt.Errorf("%s is a directory, not a list file", path)
	case !st.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file (%s)", path, st.Mode().Type())
	case st.Size() > MaxFileSize:
		return fmt.Errorf("%s is %d bytes, more than a block list may be (%d)", path, st.Size(), MaxFileSize)
	}
	return nil
}
