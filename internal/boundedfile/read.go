package boundedfile

import (
	"fmt"
	"io"
	"os"
	"syscall"
)

// Kind says what a file is for, in the words of its error messages.
type Kind struct {
	Noun string // what it should be, "a model file"
	Hint string // added when it is not a regular file, ": copy the model into a file"
	Max  int64  // its most bytes
}

// Read reads the regular file at path, of at most k.Max bytes. It looks
// before it opens (opening a pipe would wait for a writer), opens without
// blocking in case the name was swapped meanwhile, and reads at most one
// byte past the bound, as the size may change under it.
func Read(path string, k Kind) ([]byte, error) {
	if err := k.check(path, os.Stat); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := k.check(path, func(string) (os.FileInfo, error) { return f.Stat() }); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, k.Max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > k.Max {
		return nil, fmt.Errorf("%s grew past %d bytes while read", path, k.Max)
	}
	return data, nil
}

// Check refuses what cannot be a file of this kind, without opening it.
func (k Kind) Check(path string) error { return k.check(path, os.Stat) }

func (k Kind) check(path string, stat func(string) (os.FileInfo, error)) error {
	st, err := stat(path)
	if err != nil {
		return err
	}
	switch {
	case st.IsDir():
		return fmt.Errorf("%s is a directory, not %s", path, k.Noun)
	case !st.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file (%s)%s", path, st.Mode().Type(), k.Hint)
	case st.Size() > k.Max:
		return fmt.Errorf("%s is %d bytes, more than %s may be (%d)", path, st.Size(), k.Noun, k.Max)
	}
	return nil
}
