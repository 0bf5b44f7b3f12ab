package tlsparse

import (
	"testing"
	"unsafe"
)

// TestStoreSize: a flow's store stays within the 2 KiB allocation size
// class (a field added to a result type may push it to the next one).
func TestStoreSize(t *testing.T) {
	if n := unsafe.Sizeof(flowStore{}); n > 2048 {
		t.Fatalf("flowStore is %d bytes: shrink its arrays to stay within 2048", n)
	}
}
