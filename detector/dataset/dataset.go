package dataset

import (
	"crypto/sha256"
	"encoding/binary"
	"path/filepath"
)

// HeldOut reports whether a capture file belongs to the held-out part:
// one file in five, chosen by a hash of its base name so that the split
// does not depend on where the files live or in which order they come.
func HeldOut(path string) bool {
	sum := sha256.Sum256([]byte(filepath.Base(path)))
	return binary.BigEndian.Uint64(sum[:8])%5 == 0
}

// Split divides files into training and held-out files by HeldOut.
func Split(files []string) (train, heldOut []string) {
	for _, f := range files {
		if HeldOut(f) {
			heldOut = append(heldOut, f)
		} else {
			train = append(train, f)
		}
	}
	return train, heldOut
}
