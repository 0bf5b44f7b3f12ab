package transcript

import (
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsrecord"
)

// Flight is what the server's turn that answers the client's hello sent
// encrypted (not a HelloRetryRequest's turn, nor an answer before TLS),
// as far as the flow's bytes show it (ServerFlight: the prefix;
// KeptFlight: the kept handshake bytes): in TLS 1.3 the server's
// certificates travel there, so their size is what a sensor can still
// see of them.
type Flight struct {
	// Records is how many application-data records the turn held (at
	// most MaxFlightRecords), Largest and Total their declared lengths.
	// A record cut by the bytes' end counts with its declared length.
	Records, Largest, Total int
	// Whole is set when the prefix holds the turn to its end (the client
	// spoke again inside the prefix): nothing of the turn is missing.
	// KeptFlight never sets it.
	Whole bool
}

// MaxFlightRecords bounds the records a Flight looks at: a server's first
// turn in TLS 1.3 is five at most (encrypted extensions, certificate
// request, certificate, certificate verify, finished), unless it splits
// its certificates over small records.
const MaxFlightRecords = 8

// ServerFlight reads the server's turn of f that answers the client's
// hello: its first turn that starts with a TLS record (what a server said
// before, a STARTTLS reply, a proxy's or a database's answer, holds no
// certificates) and is not a HelloRetryRequest's (after one, the turn
// after it). It reads the records after the hello up to the first bytes
// that are not a TLS 1.x record header.
func ServerFlight(f *flow.Flow) Flight {
	var fl Flight
	off := 0
	for i, r := range f.PrefixRuns {
		end := min(off+r.Len, len(f.Prefix))
		b := f.Prefix[off:end]
		off = end
		if r.FromClient || r.Mixed || !helloTurn(b) {
			continue
		}
		fl.Whole = i+1 < len(f.PrefixRuns) && end < len(f.Prefix)
		fl.walk(b)
		break
	}
	return fl
}

// helloTurn reports whether a server's turn b can answer a hello: it
// starts with a TLS record header, and not with a HelloRetryRequest (a
// handshake record whose first message is one).
func helloTurn(b []byte) bool {
	if len(b) < tlsrecord.HeaderLen || !tlsrecord.ValidHeader(b[:tlsrecord.HeaderLen]) {
		return false
	}
	return b[0] != tlsrecord.Handshake || !tlsrecord.IsHelloRetryRequest(b[tlsrecord.HeaderLen:])
}

// KeptFlight reads the same records from the server's kept handshake bytes
// (flow.Flow.ServerHandshake), which go on past the prefix to the end of
// the bytes that completed the clear handshake: the encrypted records that
// came with it. A client hello that fills the prefix (a post-quantum key
// share) leaves the server's turn out of the prefix but not out of these.
// Where the turn ends is not known there.
func KeptFlight(f *flow.Flow) Flight {
	var fl Flight
	if f.Transport == flow.TransportUDP {
		return fl // QUIC's kept bytes are CRYPTO frames, not records
	}
	fl.walk(f.ServerHandshake)
	return fl
}

// walk counts the application-data records of b up to the first bytes
// that are not a TLS 1.x record header; a record cut short ends the walk
// and the turn is not whole.
func (fl *Flight) walk(b []byte) {
	for len(b) >= 5 && fl.Records < MaxFlightRecords {
		typ, l := b[0], int(b[3])<<8|int(b[4])
		if b[1] != 3 || typ < TypeCCS || typ > TypeAppData {
			return
		}
		if typ == TypeAppData {
			fl.Records++
			fl.Largest = max(fl.Largest, l)
			fl.Total += l
		}
		if 5+l > len(b) {
			fl.Whole = false
			return
		}
		b = b[5+l:]
	}
}
