package transcript

import (
	"math"
	"strconv"

	"github.com/tlsentry/tlsentry/flow"
)

// Content types and handshake messages named in facts and texts.
const (
	TypeCCS       = 20
	TypeAlert     = 21
	TypeHandshake = 22
	TypeAppData   = 23
	TypeHeartbeat = 24

	MsgClientHello        = 1
	MsgServerHello        = 2
	MsgCertificate        = 11
	MsgCertificateRequest = 13
)

// Sent reports whether the side sent handshake message typ in clear
// (within the prefix, or later as its record headers show).
func (sd *Side) Sent(typ uint8) bool {
	for _, recs := range [2][]Record{sd.Records, sd.Later} {
		for i := range recs {
			for _, m := range recs[i].Messages {
				if m == typ {
					return true
				}
			}
		}
	}
	return false
}

// emptyCertificateLen is the body length of a Certificate message with
// no certificate: its list's 3-byte length, 0 (TLS 1.2 and older; a TLS
// 1.3 one is encrypted).
const emptyCertificateLen = 3

// SentCertificate reports whether the side sent a Certificate message in
// clear that carried a certificate: an empty one (a client asked for a
// certificate that has none) is not client authentication.
func (sd *Side) SentCertificate() bool {
	n := 0
	for _, recs := range [2][]Record{sd.Records, sd.Later} {
		for i := range recs {
			for _, m := range recs[i].Messages {
				if m == MsgCertificate {
					n++
				}
			}
		}
	}
	return n > sd.EmptyCertificates
}

// Has reports whether the side sent a record of content type typ.
func (sd *Side) Has(typ uint8) bool {
	for i := range sd.Records {
		if sd.Records[i].Type == typ {
			return true
		}
	}
	return false
}

// NoHandshake reports records that carry no handshake at all: the side's
// bytes are TLS records from byte 0, none of them a handshake record.
func (sd *Side) NoHandshake() bool {
	return sd.Preamble == PreambleNoTLS && len(sd.Records) > 0 && !sd.Has(TypeHandshake)
}

// DataBeforeHandshake reports a record no benign stack sends before its
// handshake is done: application data before the side's first handshake
// record, application data between a TLS 1.2 (or older) hello and the
// side's change_cipher_spec (TLS 1.3 may send 0-RTT data there), or a
// heartbeat before change_cipher_spec. It returns the content type.
func (sd *Side) DataBeforeHandshake(tls13 bool) (uint8, bool) {
	if !sd.Has(TypeHandshake) {
		return 0, false // no handshake at all: NoHandshake says so
	}
	hello, ccs := false, false
	for _, recs := range [2][]Record{sd.Records, sd.Later} {
		for _, r := range recs {
			switch r.Type {
			case TypeHandshake:
				hello = true
			case TypeCCS:
				ccs = true
			case TypeAppData:
				if !hello || !ccs && !tls13 {
					return r.Type, true
				}
			case TypeHeartbeat:
				if !ccs {
					return r.Type, true
				}
			}
		}
	}
	return 0, false
}

// UnknownType returns the first content type TLS does not define.
func (sd *Side) UnknownType() (uint8, bool) {
	for _, r := range sd.Records {
		if r.Type < TypeCCS || r.Type > TypeHeartbeat {
			return r.Type, true
		}
	}
	return 0, false
}

// TypeName names a content type.
func TypeName(t uint8) string {
	switch t {
	case TypeCCS:
		return "change_cipher_spec"
	case TypeAlert:
		return "alert"
	case TypeHandshake:
		return "handshake"
	case TypeAppData:
		return "application_data"
	case TypeHeartbeat:
		return "heartbeat"
	}
	return "content type " + strconv.Itoa(int(t))
}

var msgNames = map[uint8]string{
	0: "HelloRequest", 1: "ClientHello", 2: "ServerHello", 4: "NewSessionTicket", 5: "EndOfEarlyData",
	6: "HelloRetryRequest", 8: "EncryptedExtensions", 11: "Certificate", 12: "ServerKeyExchange",
	13: "CertificateRequest", 14: "ServerHelloDone", 15: "CertificateVerify", 16: "ClientKeyExchange",
	20: "Finished", 21: "CertificateURL", 22: "CertificateStatus", 24: "KeyUpdate", 25: "CompressedCertificate",
}

// MsgName names a handshake message type.
func MsgName(t uint8) string { return msgNameTable[t] }

// msgNameTable names every message type, made once: the features name
// each message of every scored flow (a map lookup each, and a string
// built for each unknown type).
var msgNameTable = func() (t [256]string) {
	for i := range t {
		if n, ok := msgNames[uint8(i)]; ok {
			t[i] = n
		} else {
			t[i] = "handshake message " + strconv.Itoa(i)
		}
	}
	return t
}()

// ByteCount is n bytes in words for a reason: "1 byte", "5 bytes".
func ByteCount(n int) string {
	if n == 1 {
		return "1 byte"
	}
	return strconv.Itoa(n) + " bytes"
}

// Printable renders bytes for a reason: text as it is (control bytes
// escaped), binary as hex.
func Printable(b []byte) string {
	text := 0
	for _, c := range b {
		if c >= 0x20 && c < 0x7f || c == '\r' || c == '\n' || c == '\t' {
			text++
		}
	}
	if len(b) > 0 && text*10 >= len(b)*9 {
		s := strconv.Quote(string(b))
		return s[1 : len(s)-1]
	}
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 3*len(b))
	for i, c := range b {
		if i > 0 {
			out = append(out, ' ')
		}
		out = append(out, hex[c>>4], hex[c&15])
	}
	return string(out)
}

// Random labels client bytes that look uniformly random from the first
// byte on: encrypted or obfuscated with no framing at all.
const Random = "random"

// RecordsOnly labels bytes framed as TLS records that carry no handshake:
// a preamble of records before the hello, or a client that never shakes
// hands (obfuscation that passes a glance at the record header).
const RecordsOnly = "tls-records"

// randomBytes is how many first client bytes LooksRandom judges.
const randomBytes = 256

// LooksRandom reports whether the client's first bytes (at least 32)
// hold about as many distinct byte values as uniform random bytes would
// (n uniform bytes show 256(1 - (1 - 1/256)^n) distinct values on
// average; structured protocols, with zeros and small integers, far
// fewer), few zero bytes, and no text: a run of 10 printable characters
// has a chance of about 1 in 20,000 at each position of random bytes.
// Nor may the first bytes be a header: a magic, a version and a length
// before ciphertext (Meta's edge prefix "ED\0\1" before WhatsApp's Noise
// handshake) is framing, however random what follows.
func LooksRandom(f *flow.Flow) bool {
	n := randomBytes
	if f.ClientHoled {
		n = min(n, f.ClientIntact) // bytes after a hole are not the start's
	}
	return looksRandom(f.SideBytes(true, n))
}

// headerBytes: the first bytes where a header's fields show.
const headerBytes = 8

// header reports whether b's first headerBytes hold at least three zero
// bytes in at least two runs: two fields with small values (a version and
// a length). Random bytes do so with a chance under 5 in a million
// (C(8,3)/256^3). A lone length before ciphertext (a 4-byte length under
// 256: one run of three zeros) is not a header: encrypted C2 framed so
// stays "random".
func header(b []byte) bool {
	zeros, runs := 0, 0
	for i, c := range b[:headerBytes] {
		if c != 0 {
			continue
		}
		zeros++
		if i == 0 || b[i-1] != 0 {
			runs++
		}
	}
	return zeros >= 3 && runs >= 2
}

func looksRandom(b []byte) bool {
	if len(b) < 32 || header(b) {
		return false
	}
	var seen [256]bool
	distinct, run, zeros := 0, 0, -lengthZeros(b)
	for _, c := range b {
		if c == 0 {
			zeros++
		}
		if !seen[c] {
			seen[c] = true
			distinct++
		}
		if c >= 0x20 && c < 0x7f {
			run++
			if run >= 10 {
				return false
			}
		} else {
			run = 0
		}
	}
	// Zero bytes: n/256 expected; more than that plus three standard
	// deviations and one is structure (lengths, padding).
	n := float64(len(b))
	if float64(zeros) > n/256+3*math.Sqrt(n/256)+1 {
		return false
	}
	want := 256 * (1 - math.Pow(1-1.0/256, n))
	return float64(distinct) >= 0.9*want
}

// lengthZeros is how many zero bytes a lone length before ciphertext
// holds: a run of two or three in the first four bytes (a 4-byte length
// under 65,536, big- or little-endian), which random bytes show with a
// chance of about 3 in 65,536. They are the length's, not the ciphertext's:
// a short first message (Kovter's 71 bytes after its length) would
// otherwise hold more zeros than its size allows random bytes.
func lengthZeros(b []byte) int {
	run, longest := 0, 0
	for _, c := range b[:4] {
		if c != 0 {
			run = 0
			continue
		}
		run++
		longest = max(longest, run)
	}
	if longest < 2 || longest > 3 {
		return 0
	}
	return longest
}

// TLS13 reports whether a version is TLS 1.3 or one of its drafts
// (0x7fNN, Facebook's 0xfbNN), where records after the ServerHello are
// encrypted application data.
func TLS13(v uint16) bool { return v == 0x0304 || v>>8 == 0x7f || v>>8 == 0xfb }

// HelloCut reports a ClientHello of helloLen bytes that the side sent cut
// over several TLS records though one holds it (a record carries 16 KB,
// RFC 8446 5.1): libraries send it whole; tools that slip past inspection
// of the first record cut it. Its first record starts the hello, which
// declares more bytes than the record, and the second goes on with it
// (a second record the prefix ends inside, its message header unread,
// tells nothing).
func (sd *Side) HelloCut(helloLen int) bool {
	r := sd.Records
	return helloLen <= 1<<14 && sd.helloSpans && len(r) >= 2 && r[1].Type == TypeHandshake
}

// HelloCutName is how the features name a cut hello among the messages
// the client sent.
const HelloCutName = "ClientHello cut over records"

// HandshakesAfterCCS counts the handshake records the side sent after its
// change_cipher_spec, and reports whether it sent one (as far as the
// prefix and the record log show). A TLS 1.2 (or older) handshake ends
// with one such record, the side's encrypted Finished; a client that
// negotiated NPN or Channel ID sends one more for it. More are a new
// handshake inside the encrypted session: a renegotiation. TLS 1.3 sends
// its encrypted handshake as application data records, so its count
// stays at 0 or, after a HelloRetryRequest, 1 (the second ClientHello
// follows a compatibility change_cipher_spec).
func (sd *Side) HandshakesAfterCCS() (n int, ccs bool) {
	for _, recs := range [2][]Record{sd.Records, sd.Later} {
		for _, r := range recs {
			switch {
			case r.Type == TypeCCS:
				ccs = true
			case ccs && r.Type == TypeHandshake:
				n++
			}
		}
	}
	return n, ccs
}

// AfterCCS renders the content types of the records the side sent from
// its change_cipher_spec on, as TypeRuns does ("change_cipher_spec,
// handshake x2, alert").
func (sd *Side) AfterCCS() string {
	var from []Record
	ccs := false
	for _, recs := range [2][]Record{sd.Records, sd.Later} {
		for _, r := range recs {
			ccs = ccs || r.Type == TypeCCS
			if ccs {
				from = append(from, r)
			}
		}
	}
	return TypeRuns(from)
}

// TypeRuns renders records' content types in order, a run of one type
// named once with its count ("handshake x2, change_cipher_spec").
func TypeRuns(recs []Record) string {
	var b []byte
	for i := 0; i < len(recs); {
		j := i
		for j < len(recs) && recs[j].Type == recs[i].Type {
			j++
		}
		if len(b) > 0 {
			b = append(b, ", "...)
		}
		b = append(b, TypeName(recs[i].Type)...)
		if j-i > 1 {
			b = append(b, " x"...)
			b = strconv.AppendInt(b, int64(j-i), 10)
		}
		i = j
	}
	return string(b)
}
