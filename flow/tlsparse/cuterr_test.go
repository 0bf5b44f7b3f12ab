package tlsparse

import (
	"errors"
	"testing"
)

// TestCutErrors: the lazily formatted errors read as errorf's would and
// wrap ErrTruncated.
func TestCutErrors(t *testing.T) {
	for _, tc := range []struct {
		lazy error
		want error
	}{
		{&recordCut{ContentHandshake, 10, 300}, errorf(ErrTruncated, "%s record: %d of %d bytes", ContentHandshake, 10, 300)},
		{&recordCut{ContentType(99), 0, 1}, errorf(ErrTruncated, "%s record: %d of %d bytes", ContentType(99), 0, 1)},
		{&messageCut{11, 1200, 4000}, errorf(ErrTruncated, "handshake message type %d: %d of %s bytes", 11, 1200, "4000")},
		{&messageCut{2, 3, -1}, errorf(ErrTruncated, "handshake message type %d: %d of %s bytes", 2, 3, "?")},
		{&fieldCut{"client hello", "random"}, errorf(ErrTruncated, "%s: %s", "client hello", "random")},
	} {
		if tc.lazy.Error() != tc.want.Error() {
			t.Errorf("%q, want %q", tc.lazy.Error(), tc.want.Error())
		}
		if !errors.Is(tc.lazy, ErrTruncated) {
			t.Errorf("%q does not wrap ErrTruncated", tc.lazy)
		}
	}
}
