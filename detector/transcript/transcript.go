package transcript

import (
	"bytes"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/quic"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// Preamble kinds: what came before a side's first TLS handshake record.
const (
	PreambleNone     = "none"           // the handshake starts at byte 0
	PreambleConnect  = "connect"        // an HTTP CONNECT request (or its 200 answer)
	PreambleHTTP     = "http"           // another HTTP request or response
	PreambleProxy    = "proxy-protocol" // a PROXY protocol v1 or v2 header
	PreambleSTARTTLS = "starttls"       // a text exchange that asks for TLS (STARTTLS, STLS, AUTH TLS)
	PreamblePgSQL    = "pgsql"          // PostgreSQL's SSLRequest
	PreambleMySQL    = "mysql"          // MySQL's SSL request packet
	// PreambleMySQLGreeting is a MySQL server's greeting that offers TLS:
	// a server's preamble, which tells the upgrade from its side.
	PreambleMySQLGreeting = "mysql-greeting"
	PreambleOpenVPN       = "openvpn"      // OpenVPN's TCP framing, whose control channel carries the handshake
	PreambleNoTLS         = "no-handshake" // no handshake record was found in the side's bytes
	PreambleUnseen        = "unseen"       // the side sent no bytes within the prefix
)

// MaxRecords bounds the records described per side.
const MaxRecords = 16

// Record is one TLS record a side sent.
type Record struct {
	Type uint8 // content type (20 change_cipher_spec ... 24 heartbeat; others are unknown)
	// Messages are the handshake message types the record starts or
	// carries while they are in clear (before the side's
	// change_cipher_spec): 1 ClientHello, 2 ServerHello, 11 Certificate,
	// 13 CertificateRequest, 16 ClientKeyExchange...
	Messages []uint8
	Len      int // declared payload length
}

// Side is what one direction sent.
type Side struct {
	// Preamble is what came before the first handshake record (one of the
	// Preamble constants, or a tlsparse.Sniff label such as "ssh" or
	// "text"); PreambleLen how many bytes it held (at least that many
	// when the handshake lies beyond the prefix); Head its first bytes.
	Preamble    string
	PreambleLen int
	Head        []byte // aliases the flow's prefix; at most HeadLen bytes
	// Records are the TLS records from the first handshake record on (or,
	// when there is none, from byte 0 if the side's bytes are framed as
	// TLS records), in order, as far as the prefix holds them.
	Records []Record
	// FramingBroke is set when, after at least one record, the bytes stop
	// being TLS records (a header no TLS stack writes) inside the prefix.
	FramingBroke bool
	// BrokeAt is the offset in the side's bytes where that happened; BrokeHead the bytes there.
	BrokeAt   int
	BrokeHead []byte
	// Later are the records past those the prefix held, from the flow's
	// record headers (flow.Flow.ClientRecords, ServerRecords): a TLS 1.2
	// client's second flight, its first application data. Of a record in
	// clear that starts a handshake message, Messages holds that message's
	// type. They are read by the facts (Sent, DataBeforeHandshake); of the
	// features, only the client's messages in clear (its second flight,
	// which falls inside the prefix or past it as the server's flight is
	// long or short) and heartbeats: how far a flow's records are followed
	// otherwise depends on the capture (a test capture that stops at the
	// handshake), which the novelty must not learn.
	Later []Record
	// EmptyCertificates counts the Certificate messages in clear that
	// carried no certificate: a client's answer to a CertificateRequest
	// when it has none to give (RFC 5246 7.4.6).
	EmptyCertificates int
	// helloSpans: the first record, a handshake record, starts a
	// ClientHello longer than it.
	helloSpans bool
	rec        [MaxRecords]Record
	later      [flow.MaxRecordLog]Record
	msgs       [MaxRecords * 4]uint8
	laterMsgs  [flow.MaxRecordLog]uint8
	buf        []byte // the side's bytes when its turns are not contiguous
}

// HeadLen bounds Side.Head and Side.BrokeHead.
const HeadLen = 24

// Transcript is both sides.
type Transcript struct {
	Client, Server Side
	// ClientBytes and ServerBytes are how many prefix bytes each side sent.
	ClientBytes, ServerBytes int
}

// Of describes a flow. It reuses t's memory.
func Of(f *flow.Flow, t *Transcript) {
	c := t.Client.side(f, true)
	s := t.Server.side(f, false)
	t.ClientBytes, t.ServerBytes = len(c), len(s)
	if f.Transport == flow.TransportUDP {
		t.Client.crypto(c)
		t.Server.crypto(s)
		return
	}
	ci, si := intact(f.ClientHoled, f.ClientIntact, len(c)), intact(f.ServerHoled, f.ServerIntact, len(s))
	if f.OpenVPN {
		t.Client.openVPN(c, f.ClientHandshake, ci)
		t.Server.openVPN(s, f.ServerHandshake, si)
		return
	}
	t.Client.describe(c, f.ClientHandshake, ci)
	t.Server.describe(s, f.ServerHandshake, si)
	t.Client.follow(f.ClientRecords)
	t.Server.follow(f.ServerRecords)
}

// follow sets Later from the side's record headers, when the records the
// prefix showed are where they begin (same types and lengths, in order):
// otherwise the two do not describe the same bytes.
func (sd *Side) follow(log []flow.RecordHeader) {
	if len(log) <= len(sd.Records) {
		return
	}
	for i, r := range sd.Records {
		if log[i].Type != r.Type || int(log[i].Len) != r.Len {
			return
		}
	}
	sd.Later = sd.later[:0]
	for i, h := range log[len(sd.Records):] {
		r := Record{Type: h.Type, Len: int(h.Len)}
		// A handshake record in clear starts a message, unless it goes on
		// with one: a message's length under 64 KiB (the head's second
		// byte 0) tells most continuations apart.
		if h.Clear && h.Type == TypeHandshake && h.HeadLen >= 2 && h.Head[1] == 0 {
			sd.laterMsgs[i] = h.Head[0]
			r.Messages = sd.laterMsgs[i : i+1 : i+1]
			// The head holds the length's top two bytes; a record of just
			// the 4-byte message header and a 3-byte empty list is an
			// empty Certificate message, as stacks send it.
			if h.Head[0] == MsgCertificate && h.HeadLen == 3 && h.Head[2] == 0 && r.Len == 4+emptyCertificateLen {
				sd.EmptyCertificates++
			}
		}
		sd.Later = append(sd.Later, r)
	}
}

// openVPN describes a side of a connection whose handshake rode in
// OpenVPN's TCP framing: its bytes are OpenVPN packets, which the flow
// layer took the TLS bytes out of (hs), so the preamble is OpenVPN's and
// the records are read from hs; read from the raw bytes they would stop
// being records at the first packet boundary, which says nothing.
func (sd *Side) openVPN(b, hs []byte, intact int) {
	if len(hs) == 0 {
		sd.describe(b, hs, intact)
		return
	}
	sd.reset()
	sd.Preamble, sd.Head = PreambleOpenVPN, b[:min(len(b), HeadLen)]
	sd.PreambleLen = handshakeStart(b, hs)
	if sd.PreambleLen < 0 {
		sd.PreambleLen = len(b) // the hello's start was cut over packets
	}
	sd.records(hs, 0)
}

// reset clears what a side said before it is described again (a
// Transcript's memory is reused across flows).
func (sd *Side) reset() {
	sd.Preamble, sd.PreambleLen, sd.Head = PreambleNone, 0, nil
	sd.Records, sd.Later = sd.rec[:0], nil
	sd.FramingBroke, sd.BrokeAt, sd.BrokeHead = false, 0, nil
	sd.EmptyCertificates, sd.helloSpans = 0, false
}

// crypto describes a QUIC side, whose prefix bytes are its Initial
// packets' CRYPTO stream: handshake messages without a record layer,
// told as one handshake record that carries them (what the same hellos
// over TCP would show), or nothing when the side sent none. Google QUIC
// Crypto's tag-value messages are no TLS: told as bytes with no
// handshake, as another protocol's over TCP are.
func (sd *Side) crypto(b []byte) {
	sd.reset()
	if len(b) == 0 {
		sd.Preamble = PreambleUnseen
		return
	}
	if quic.IsGoogleHandshake(b) {
		sd.Preamble, sd.Head = PreambleNoTLS, b[:min(len(b), HeadLen)]
		return
	}
	n := 0
	for len(b) >= 4 && n < len(sd.msgs) {
		sd.msgs[n] = b[0]
		n++
		b = b[min(len(b), 4+(int(b[1])<<16|int(b[2])<<8|int(b[3]))):]
	}
	sd.Records = append(sd.Records, Record{Type: TypeHandshake, Messages: sd.msgs[:n:n], Len: len(b)})
}

// intact is how many of a side's n prefix bytes came before its first
// missing one (all n when none went missing).
func intact(holed bool, k, n int) int {
	if holed {
		return max(0, min(k, n))
	}
	return n
}

// describe reads a side's prefix bytes b: what came before its handshake
// (hs, the kept handshake bytes), and its records. Records are read only
// up to the side's first missing byte (intact) where the handshake starts
// before it: past a hole they are not where they were in the stream, and
// records read across one would be made up (data before the handshake
// where a change_cipher_spec was lost).
func (sd *Side) describe(b, hs []byte, intact int) {
	sd.reset()
	if len(b) == 0 {
		sd.Preamble = PreambleUnseen
		return
	}
	start := handshakeStart(b, hs)
	switch {
	case start < 0 && len(hs) > 0:
		// The handshake lies beyond the prefix: all of it is preamble.
		sd.PreambleLen = len(b)
		sd.setPreamble(b)
		return
	case start < 0:
		sd.Preamble = PreambleNoTLS
		if len(b) == 0 || !framed(b) {
			sd.Head = b[:min(len(b), HeadLen)]
			return
		}
		start = 0
		// Records with no hello before them: after a hole, the hello may
		// be what went missing.
		b = b[:intact]
	case start > 0:
		sd.PreambleLen = start
		sd.setPreamble(b[:start])
	}
	if start < intact {
		b = b[:intact]
	}
	sd.records(b, start)
}

// handshakeStart finds where the kept handshake bytes begin in the side's
// prefix bytes: -1 when there is no handshake or it is not in b.
func handshakeStart(b, hs []byte) int {
	if len(hs) == 0 {
		return -1
	}
	key := hs[:min(len(hs), 11)]
	return bytes.Index(b, key)
}

// framed reports whether b starts with a TLS record header.
func framed(b []byte) bool {
	return len(b) >= 5 && b[0] >= 20 && b[0] <= 24 && b[1] == 3 && b[2] <= 4 &&
		int(b[3])<<8|int(b[4]) <= tlsparse.MaxRecordLen
}

func (sd *Side) setPreamble(p []byte) {
	sd.Head = p[:min(len(p), HeadLen)]
	switch {
	case hasPrefixFold(p, "CONNECT "), connectOK(p):
		sd.Preamble = PreambleConnect
	case bytes.HasPrefix(p, []byte("PROXY ")), bytes.HasPrefix(p, proxyV2):
		sd.Preamble = PreambleProxy
	case asksTLS(p):
		sd.Preamble = PreambleSTARTTLS
	case bytes.Equal(p, pgsqlSSLRequest):
		sd.Preamble = PreamblePgSQL
	case isMySQLSSLRequest(p):
		sd.Preamble = PreambleMySQL
	case isMySQLGreeting(p):
		sd.Preamble = PreambleMySQLGreeting
	default:
		sd.Preamble = tlsparse.Sniff(p)
		if sd.Preamble == tlsparse.SniffTLS {
			// TLS-framed bytes before the hello: records without a handshake.
			sd.Preamble = RecordsOnly
		}
	}
}

var proxyV2 = []byte("\r\n\r\n\x00\r\nQUIT\n")

// connectOK matches a proxy's answer to CONNECT ("HTTP/1.x 200 ..." with
// nothing after the header).
func connectOK(p []byte) bool {
	return bytes.HasPrefix(p, []byte("HTTP/1.")) && len(p) > 12 && string(p[9:12]) == "200" && bytes.HasSuffix(p, []byte("\r\n\r\n"))
}

// records walks the TLS records from off on.
func (sd *Side) records(b []byte, off int) {
	ccs := false
	need := 0 // bytes of a handshake message still to skip (spanning records)
	nmsg := 0
	for off < len(b) && len(sd.Records) < MaxRecords {
		h := b[off:]
		if len(h) < 5 {
			break // a header cut by the prefix's end
		}
		if h[1] != 3 || h[2] > 4 || int(h[3])<<8|int(h[4]) > tlsparse.MaxRecordLen || h[0] < 20 || h[0] > 24 && !plausibleUnknown(h) {
			if off == 0 && h[0]&0x80 != 0 {
				// An SSLv2 hello: no records to describe.
				return
			}
			sd.FramingBroke, sd.BrokeAt, sd.BrokeHead = true, off, h[:min(len(h), HeadLen)]
			return
		}
		r := Record{Type: h[0], Len: int(h[3])<<8 | int(h[4])}
		frag := h[5:min(len(h), 5+r.Len)]
		if r.Type == 22 && !ccs {
			if len(sd.Records) == 0 && len(frag) >= 4 && frag[0] == MsgClientHello {
				// By the lengths declared, not the bytes the prefix holds,
				// which may end inside either record.
				sd.helloSpans = 4+(int(frag[1])<<16|int(frag[2])<<8|int(frag[3])) > r.Len
			}
			first := nmsg
			if need > 0 {
				k := min(need, len(frag))
				need -= k
				frag = frag[k:]
			}
			for len(frag) >= 4 && nmsg < len(sd.msgs) {
				sd.msgs[nmsg] = frag[0]
				nmsg++
				l := int(frag[1])<<16 | int(frag[2])<<8 | int(frag[3])
				if frag[0] == MsgCertificate && l == emptyCertificateLen {
					sd.EmptyCertificates++
				}
				if 4+l > len(frag) {
					need = 4 + l - len(frag)
					frag = nil
					break
				}
				frag = frag[4+l:]
			}
			r.Messages = sd.msgs[first:nmsg:nmsg]
		}
		if r.Type == 20 {
			ccs = true
		}
		sd.Records = append(sd.Records, r)
		off += 5 + r.Len
	}
}

// plausibleUnknown accepts a record header with a content type TLS does
// not define but TLS framing otherwise (version 3.x, a length that fits):
// told apart from framing that broke.
func plausibleUnknown(h []byte) bool { return h[0] > 24 && h[0] < 32 }

func hasPrefixFold(b []byte, p string) bool {
	return len(b) >= len(p) && bytes.EqualFold(b[:len(p)], []byte(p))
}

// side returns the prefix bytes one side sent, in order: a slice of the
// prefix when they are one run, else a copy in the side's reused buffer.
func (sd *Side) side(f *flow.Flow, fromClient bool) []byte {
	off, runs, first := 0, 0, []byte(nil)
	for _, r := range f.PrefixRuns {
		end := min(off+r.Len, len(f.Prefix))
		if r.FromClient == fromClient && !r.Mixed {
			runs++
			if runs == 1 {
				first = f.Prefix[off:end]
			}
		}
		off = end
	}
	if runs <= 1 {
		return first
	}
	sd.buf = sd.buf[:0]
	off = 0
	for _, r := range f.PrefixRuns {
		end := min(off+r.Len, len(f.Prefix))
		if r.FromClient == fromClient && !r.Mixed {
			sd.buf = append(sd.buf, f.Prefix[off:end]...)
		}
		off = end
	}
	return sd.buf
}
