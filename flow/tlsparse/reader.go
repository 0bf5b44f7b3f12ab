package tlsparse

// reader walks a length-prefixed structure that may be cut short. want is
// the number of bytes the structure declares it still holds; b is the part
// of them present (len(b) <= want). Reading past want is malformed input;
// reading past b but within want means the input was truncated. The first
// failure sticks: later reads fail too, and err says what happened.
type reader struct {
	b    []byte
	want int
	err  error
	what string // the structure, for error messages
}

func newReader(b []byte, want int, what string) reader {
	if want < len(b) {
		b = b[:want]
	}
	return reader{b: b, want: want, what: what}
}

// take returns the next n bytes. The common case (no error, the bytes
// present) is kept small enough to inline; parsing a hello calls the
// reader a hundred times.
func (r *reader) take(n int, field string) ([]byte, bool) {
	if r.err == nil && n <= len(r.b) {
		v := r.b[:n:n]
		r.b, r.want = r.b[n:], r.want-n
		return v, true
	}
	return r.takeSlow(n, field)
}

func (r *reader) takeSlow(n int, field string) ([]byte, bool) {
	if r.err != nil {
		return nil, false
	}
	switch {
	case n > r.want:
		r.err = errorf(ErrMalformed, "%s: %s needs %d bytes, %d left", r.what, field, n, r.want)
		return nil, false
	case n > len(r.b):
		r.err = &fieldCut{r.what, field}
		return nil, false
	}
	v := r.b[:n:n]
	r.b, r.want = r.b[n:], r.want-n
	return v, true
}

func (r *reader) u8(field string) (uint8, bool) {
	if r.err == nil && len(r.b) >= 1 {
		v := r.b[0]
		r.b, r.want = r.b[1:], r.want-1
		return v, true
	}
	_, ok := r.takeSlow(1, field)
	return 0, ok
}

func (r *reader) u16(field string) (uint16, bool) {
	if r.err == nil && len(r.b) >= 2 {
		v := uint16(r.b[0])<<8 | uint16(r.b[1])
		r.b, r.want = r.b[2:], r.want-2
		return v, true
	}
	_, ok := r.takeSlow(2, field)
	return 0, ok
}

func (r *reader) u24(field string) (int, bool) {
	v, ok := r.take(3, field)
	if !ok {
		return 0, false
	}
	return int(v[0])<<16 | int(v[1])<<8 | int(v[2]), true
}

// vec reads a vector with an lenBytes-byte length prefix and returns a
// reader over its content. The content may itself be cut: the sub-reader
// knows the declared length and the bytes present. ok is false only when
// not even the length prefix could be read or the length overruns the
// enclosing structure; a sub-reader over a cut vector is returned with
// ok == true and r's err set to ErrTruncated, so the caller can still
// salvage the complete elements.
func (r *reader) vec(lenBytes int, field string) (sub reader, ok bool) {
	if r.err == nil && len(r.b) >= lenBytes {
		// The common case: the whole vector is present.
		n := 0
		for _, c := range r.b[:lenBytes] {
			n = n<<8 | int(c)
		}
		if end := lenBytes + n; end <= len(r.b) {
			sub = reader{b: r.b[lenBytes:end:end], want: n, what: field}
			r.b, r.want = r.b[end:], r.want-end
			return sub, true
		}
	}
	return r.vecSlow(lenBytes, field)
}

// extension reads one hello extension: its type and a reader over its
// data. ok is false when the extension is cut short or overruns r (r's
// err then says which, as reading the type and the vector would).
func (r *reader) extension() (typ uint16, data reader, ok bool) {
	if b := r.b; r.err == nil && len(b) >= 4 {
		n := int(b[2])<<8 | int(b[3])
		if end := 4 + n; end <= len(b) { // the common case: all there
			r.b, r.want = b[end:], r.want-end
			return uint16(b[0])<<8 | uint16(b[1]), reader{b: b[4:end:end], want: n, what: "extension data"}, true
		}
	}
	if typ, ok = r.u16("extension type"); !ok {
		return 0, reader{}, false
	}
	if data, ok = r.vec(2, "extension data"); !ok || r.err != nil {
		return 0, reader{}, false
	}
	return typ, data, true
}

func (r *reader) vecSlow(lenBytes int, field string) (sub reader, ok bool) {
	var n int
	switch lenBytes {
	case 1:
		v, ok := r.u8(field)
		if !ok {
			return reader{}, false
		}
		n = int(v)
	case 2:
		v, ok := r.u16(field)
		if !ok {
			return reader{}, false
		}
		n = int(v)
	default:
		v, ok := r.u24(field)
		if !ok {
			return reader{}, false
		}
		n = v
	}
	return r.sub(n, field)
}

// sub returns a reader over the next n bytes, which may be cut short (see
// vec).
func (r *reader) sub(n int, field string) (sub reader, ok bool) {
	if r.err != nil {
		return reader{}, false
	}
	if n > r.want {
		r.err = errorf(ErrMalformed, "%s: %s length %d, %d left", r.what, field, n, r.want)
		return reader{}, false
	}
	sub = newReader(r.b[:min(n, len(r.b))], n, field)
	if n > len(r.b) {
		r.b, r.want = nil, r.want-n
		r.err = &fieldCut{r.what, field}
		return sub, true
	}
	r.b, r.want = r.b[n:], r.want-n
	return sub, true
}

// empty reports whether the structure declares no more bytes.
func (r *reader) empty() bool { return r.want == 0 }

// complete reports whether all declared bytes are present.
func (r *reader) complete() bool { return len(r.b) == r.want }

// u16s reads the rest of r as big-endian 16-bit values into a list carved
// from a. It returns those fully present; a trailing odd byte in a
// complete vector is malformed.
func (r *reader) u16s(a *u16Arena, field string) []uint16 {
	if r.err != nil {
		return nil
	}
	if r.want%2 != 0 {
		r.err = errorf(ErrMalformed, "%s: %s has odd length %d", r.what, field, r.want)
		return nil
	}
	from := a.mark()
	for b := r.b; len(b) >= 2; b = b[2:] {
		a.push(uint16(b[0])<<8 | uint16(b[1]))
	}
	out := a.carve(from)
	if !r.complete() {
		r.err = &fieldCut{r.what, field}
	}
	r.b, r.want = nil, 0
	return out
}
