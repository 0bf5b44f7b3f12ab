package tlsparse

import "fmt"

// Most captured flows end inside a record or a message (the sensor keeps
// only the handshake's first bytes), so the parsers meet truncation all
// the time and usually never report it. These errors keep their details
// and format their text, the same as errorf would, only when asked.

// errStreamEnds: no bytes left where a handshake record should follow.
var errStreamEnds = errorf(ErrTruncated, "stream ends inside the handshake")

// recordCut: a record shorter than its header says.
type recordCut struct {
	typ        ContentType
	have, want int
}

func (e *recordCut) Error() string {
	return fmt.Sprintf("%v: %s record: %d of %d bytes", ErrTruncated, e.typ, e.have, e.want)
}

func (e *recordCut) Unwrap() error { return ErrTruncated }

// messageCut: a handshake message shorter than its header says (want < 0:
// not even the header is there).
type messageCut struct {
	typ        byte
	have, want int
}

func (e *messageCut) Error() string {
	want := "?"
	if e.want >= 0 {
		want = fmt.Sprint(e.want)
	}
	return fmt.Sprintf("%v: handshake message type %d: %d of %s bytes", ErrTruncated, e.typ, e.have, want)
}

func (e *messageCut) Unwrap() error { return ErrTruncated }

// fieldCut: the input ends inside a field of a structure.
type fieldCut struct{ what, field string }

func (e *fieldCut) Error() string {
	return fmt.Sprintf("%v: %s: %s", ErrTruncated, e.what, e.field)
}

func (e *fieldCut) Unwrap() error { return ErrTruncated }
