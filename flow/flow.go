package flow

import (
	"time"

	"github.com/tlsentry/tlsentry/flow/quic"
)

// PrefixSize is the number of payload bytes kept per flow (both directions,
// in send order): the detector's 32x32 image.
const PrefixSize = 1024

// EndReason says why a flow was handed out.
type EndReason uint8

// End reasons. A flow is handed out once: as soon as it holds everything
// the detector needs (Complete) or its bytes already decide (Decided), or
// when it ends or holds still before that.
const (
	EndComplete EndReason = iota // prefix full and both handshakes captured
	EndFIN                       // both sides closed
	EndRST                       // reset
	EndIdle                      // no packet for the idle timeout (packet time)
	EndMaxAge                    // open longer than the maximum age without completing
	EndEvicted                   // table full; the least recently seen flow made room
	EndReused                    // a new SYN reused the 5-tuple of this connection
	EndFlush                     // end of input (capture file read to the end, or shutdown)
	// EndDecided: its bytes decide before it completes: a client that does
	// not speak TLS to a TLS port, its first flight over (the prefix full,
	// the server answered, or a second of silence), or handshake framing
	// that is broken.
	EndDecided
	EndVerdictTimeout // payload seen, then no packet for Config.VerdictTimeout (packet time)
	numEndReasons
)

var endReasonNames = [numEndReasons]string{"complete", "fin", "rst", "idle_timeout", "max_age", "evicted", "reused", "flush", "decided", "verdict_timeout"}

func (r EndReason) String() string {
	if r < numEndReasons {
		return endReasonNames[r]
	}
	return "unknown"
}

// EndReasons lists every end reason, for metrics and summaries.
func EndReasons() []EndReason {
	out := make([]EndReason, numEndReasons)
	for i := range out {
		out[i] = EndReason(i)
	}
	return out
}

// Flow is what the table hands out for one TCP connection or QUIC flow.
// Its slices are owned by the receiver.
type Flow struct {
	ID             uint64
	Client, Server Endpoint
	Transport      Transport
	// ClientByPort is true when no SYN and no recognisable client payload
	// told which side is the client, and the port numbers decided.
	ClientByPort bool
	Start, End   time.Time // first and last packet seen (packet time)

	PktsToServer, PktsToClient   uint64
	BytesToServer, BytesToClient uint64

	// Prefix holds the first PrefixSize payload bytes of the flow, both
	// directions, in the order they became available in sequence order.
	Prefix []byte
	// PrefixGap is set when bytes are missing inside the prefix (lost
	// segments, snaplen cuts): the prefix skips them rather than inventing them.
	PrefixGap bool
	// PrefixRuns splits Prefix into its turns: consecutive bytes from one
	// side. At most maxPrefixRuns; a prefix with more turns ends in a run
	// that covers the rest (Mixed set).
	PrefixRuns []PrefixRun
	// Midstream is set when the capture did not see the connection start.
	Midstream bool
	// ClientSYN is set when the capture saw the client's SYN, so that the
	// client's first payload bytes are known: a SYN may carry some (TCP
	// Fast Open), which a capture that saw only the server's SYN-ACK
	// missed. Only then can a flow show what a client sent first.
	ClientSYN bool
	// ServerAnswered is set when the server's first bytes acknowledged
	// bytes of its client that the capture had not shown before them
	// (later, or never): the client spoke first, though the prefix (in
	// capture order) starts with the server's turn, as a tap whose
	// directions are merged with clocks apart, or a lost segment, puts it.
	ServerAnswered bool
	// PickupAfterEviction is set on a mid-stream flow opened on a
	// connection handed out before and then given up for want of room
	// (Config.MaxRemembered): the same connection's earlier record is in
	// the log, with another ID.
	PickupAfterEviction bool

	// ClientHandshake and ServerHandshake are each direction's stream bytes
	// from the first TLS handshake record on, up to the end of the first
	// handshake messages (the ClientHello; the server's clear flight up to
	// ServerHelloDone, or the alert it sent instead), at most
	// HandshakeLimit bytes. Empty when the direction sent no TLS. Inside
	// OpenVPN over TCP they are the TLS bytes of its control channel,
	// without OpenVPN's framing. For a QUIC flow they are the CRYPTO
	// streams of each side's Initial packets: handshake messages without
	// record headers (see QUIC).
	ClientHandshake, ServerHandshake []byte
	// Handshake*Gap is set when the captured handshake crossed missing bytes.
	ClientHandshakeGap, ServerHandshakeGap bool
	// *Holed is set when bytes of the side went missing (a hole the
	// capture skipped, a segment cut short, a lost last segment); *Intact
	// is then how many of the side's prefix bytes (SideBytes) came before
	// the first missing one: what follows them in the prefix is not where
	// it was in the stream.
	ClientHoled, ServerHoled   bool
	ClientIntact, ServerIntact int
	// Handshake*AtLimit is set when the capture kept HandshakeLimit bytes
	// and stopped there with the messages going on (a certificate chain
	// larger than the limit): the stream did not end, the capture's bound
	// did.
	ClientHandshakeAtLimit, ServerHandshakeAtLimit bool
	// OpenVPN is set when the handshake rode in OpenVPN's TCP framing: the
	// handshake bytes are those of OpenVPN's control channel, and the
	// prefix is OpenVPN packets, not TLS records.
	OpenVPN bool
	// ClientRecords and ServerRecords are the headers of each direction's
	// first TLS records (at most MaxRecordLog), from its first handshake
	// record on, as far as the table followed the direction: to the end
	// of its first messages and the prefix, and, when the server chose
	// TLS 1.2 or older (heartbeats, RFC 6520, exist there), until the
	// client sent application data, a heartbeat or an alert, and after a
	// heartbeat until the server did (records.go). Nil when the direction
	// sent no TLS hello (and for SSLv2 hellos and OpenVPN's framing).
	ClientRecords, ServerRecords []RecordHeader
	// ClientConflict and ServerConflict are set when a side's segments
	// disagreed with bytes of its stream already received (the same
	// sequence numbers, other bytes), as far as the table still held
	// them: the first disagreement and how many segments did.
	ClientConflict, ServerConflict *Conflict
	// ClientNoACK and ServerNoACK are set when a side sent data on
	// segments without the ACK flag, which no endpoint takes and the
	// table left out of the stream.
	ClientNoACK, ServerNoACK *Stray
	// ClientBeforeStart and ServerBeforeStart are set when a side sent
	// data at sequence numbers before its stream's first byte (the one
	// after its SYN), which no receiver takes: the table left it out of
	// the stream (stray.go).
	ClientBeforeStart, ServerBeforeStart *Stray
	// ClientSigned and ServerSigned are set when a side sent data on
	// segments with a TCP MD5 signature or TCP-AO option though its SYN
	// had none: a TCP without a key for the connection drops them, and
	// the table left them out of the stream (stray.go).
	ClientSigned, ServerSigned *Stray
	// ClientTinyFragments and ServerTinyFragments are set when a side's
	// segments (a UDP flow's datagrams) came in IP fragments smaller than
	// any link needs, which the capture reassembled (fragments.go).
	ClientTinyFragments, ServerTinyFragments *Fragmented
	// ClientHelloSegments is set when the client's stream opened with a
	// TLS record that came whole in more than one TCP segment: how they
	// carried it (hellosegs.go).
	ClientHelloSegments *HelloSegments

	// QUIC is set for a UDP flow, which the table tracks only when its
	// first datagram looks like QUIC: what its Initial packets showed.
	QUIC *QUIC

	EndReason EndReason
	// Decided is when the flow's verdict was decided, in packet time: the
	// time of the packet that completed, closed or decided it (for a
	// client that does not speak TLS to a TLS port, the packet whose bytes
	// showed it, though the flow waits for its first flight to end), or
	// when the silence that ended it reached its timeout (verdict and idle
	// timeouts). Live, the verdict's latency is counted from it.
	Decided time.Time
}

// QUIC is what a UDP flow showed of QUIC: the counters of its Initial
// packets (quic.Info) and whether they could be read.
type QUIC struct {
	quic.Info
	// Undecrypted is set when the client sent Initial packets of a
	// version whose keys are known and none of them opened with the
	// Initial keys: the flow looks like QUIC but is not what it looks
	// like (or its first packets were not captured). Evidence on its own.
	Undecrypted bool
}

// PrefixRun is a stretch of the prefix sent by one side.
type PrefixRun struct {
	FromClient bool
	Len        int
	Mixed      bool // the last run, standing for more turns than were recorded
}

// maxPrefixRuns bounds the turns recorded per flow.
const maxPrefixRuns = 32

// SideBytes returns up to limit prefix bytes one side sent, in order. It
// returns a slice of Prefix when that side's first run holds them all.
func (f *Flow) SideBytes(fromClient bool, limit int) []byte {
	var out []byte
	off := 0
	for _, r := range f.PrefixRuns {
		end := min(off+r.Len, len(f.Prefix))
		if r.FromClient == fromClient && !r.Mixed {
			take := f.Prefix[off:min(end, off+limit-len(out))]
			if out == nil && (len(take) == limit-len(out) || end == len(f.Prefix)) {
				return take
			}
			out = append(out, take...)
			if len(out) >= limit {
				return out
			}
		}
		off = end
	}
	return out
}
