package quic

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Google QUIC before TLS (QUIC Crypto, the Q0xx versions; Q050 is the last)
// carries its handshake in tag-value messages instead of TLS handshake
// messages: a 4-byte message tag ("CHLO" from the client, "REJ\0" or
// "SHLO" from the server), the number of entries (uint16, little endian),
// two bytes of padding, then per entry a 4-byte tag and the end offset of
// its value (uint32, little endian, from the start of the values, never
// decreasing), then the values. Chrome sent them to Google's servers on
// UDP 443 until 2020; such a flow is QUIC working as designed, not a TLS
// hello gone wrong.

// maxGoogleEntries bounds the entries of a message (Chromium's crypto
// framer refuses more than 128).
const maxGoogleEntries = 128

var (
	tagCHLO = [4]byte{'C', 'H', 'L', 'O'}
	tagREJ  = [4]byte{'R', 'E', 'J', 0}
	tagSHLO = [4]byte{'S', 'H', 'L', 'O'}
)

// IsGoogleHandshake reports whether a CRYPTO stream starts with one of
// Google QUIC Crypto's handshake messages (CHLO, REJ, SHLO) rather than a
// TLS handshake message.
func IsGoogleHandshake(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	t := [4]byte(b[:4])
	return t == tagCHLO || t == tagREJ || t == tagSHLO
}

// GoogleHello is what a client's CHLO says that a sensor reports.
type GoogleHello struct {
	// Tags are the entries' tags in order, a tag's trailing NUL bytes
	// dropped ("PAD", "SNI", "VER", "UAID", ...): the list Zeek's and
	// Suricata's CYU fingerprint is made of.
	Tags []string
	// SNI is the server name the client asked for, UAID its user agent
	// ("Chrome/83.0.4103.101 Android 8.0.0; LDN-L21"); empty when absent.
	SNI, UAID string
	// Truncated is set when the values ran past the bytes held: the tags
	// are whole, the values past the end are not read.
	Truncated bool
	// Len is the message's length in bytes (entries and values); 0 when
	// Truncated.
	Len int
}

// Errors of ParseGoogleHello.
var (
	ErrNotCHLO        = errors.New("quic: not a Google QUIC client hello (CHLO)")
	ErrGoogleShort    = errors.New("quic: Google QUIC handshake message cut inside its entry list")
	ErrGoogleEntries  = errors.New("quic: Google QUIC handshake message with too many entries")
	ErrGoogleOffsetUp = errors.New("quic: Google QUIC handshake message whose value offsets go back")
)

// ParseGoogleHello reads a CHLO at the start of b. Values past the end of b
// (a stream cut by the capture or the handshake limit) leave Truncated set
// and are not read; an entry list that does not fit, or offsets that go
// back, are errors.
func ParseGoogleHello(b []byte) (*GoogleHello, error) {
	if len(b) < 8 || [4]byte(b[:4]) != tagCHLO {
		return nil, ErrNotCHLO
	}
	n := int(binary.LittleEndian.Uint16(b[4:]))
	if n > maxGoogleEntries {
		return nil, fmt.Errorf("%w: %d", ErrGoogleEntries, n)
	}
	values := 8 + 8*n
	if len(b) < values {
		return nil, ErrGoogleShort
	}
	h := &GoogleHello{Tags: make([]string, 0, n)}
	prev := uint32(0)
	for i := range n {
		e := b[8+8*i:]
		end := binary.LittleEndian.Uint32(e[4:])
		if end < prev {
			return nil, ErrGoogleOffsetUp
		}
		tag := trimNUL(e[:4])
		h.Tags = append(h.Tags, tag)
		if uint64(values)+uint64(end) > uint64(len(b)) {
			h.Truncated = true
		} else {
			v := b[values+int(prev) : values+int(end)]
			switch tag {
			case "SNI":
				h.SNI = string(v)
			case "UAID":
				h.UAID = string(v)
			}
		}
		prev = end
	}
	if !h.Truncated {
		h.Len = values + int(prev)
	}
	return h, nil
}

// maxGoogleHellos bounds the CHLOs read from one stream: a client sends
// an inchoate one, then after the server's REJ a full one.
const maxGoogleHellos = 4

// ParseGoogleHellos reads the CHLOs at the start of a client's stream, one
// after another, while each is whole (at most four): the first, and the
// ones a client sends after a REJ. The error is the first CHLO's; later
// ones that do not parse end the list.
func ParseGoogleHellos(b []byte) ([]*GoogleHello, error) {
	h, err := ParseGoogleHello(b)
	if err != nil {
		return nil, err
	}
	out := []*GoogleHello{h}
	for h.Len > 0 && len(out) < maxGoogleHellos {
		b = b[h.Len:]
		if h, err = ParseGoogleHello(b); err != nil {
			break
		}
		out = append(out, h)
	}
	return out, nil
}

// trimNUL is a tag as text, its trailing NUL bytes dropped ("SNI\x00" is
// "SNI").
func trimNUL(t []byte) string {
	n := len(t)
	for n > 0 && t[n-1] == 0 {
		n--
	}
	return string(t[:n])
}

// CYU is Salesforce's gQUIC fingerprint of a hello, as Zeek's analyzer
// and Suricata's quic.cyu make it: String is the version's number, a
// comma, the tags joined by "-" ("46,PAD-SNI-STK-VER-..."), Hash its MD5
// in hex.
type CYU struct{ String, Hash string }

// CYU is the hello's fingerprint sent in version v. Like Suricata, only
// for the versions whose hello is in clear (IsLegacyGoogle); ok is false
// for others.
func (h *GoogleHello) CYU(v Version) (c CYU, ok bool) {
	if !IsLegacyGoogle(v) {
		return CYU{}, false
	}
	c.String = strconv.Itoa(legacyNumber(v)) + "," + strings.Join(h.Tags, "-")
	sum := md5.Sum([]byte(c.String))
	c.Hash = hex.EncodeToString(sum[:])
	return c, true
}

// FullGoogleHello reports whether a client's stream holds, among its first
// whole CHLOs, a full one: one naming the server config it answers (an
// SCID entry). A client sends an inchoate CHLO, then after the server's
// REJ (or at once, with a config it kept) the full one, the last of its
// handshake a sensor can read: the rest is encrypted.
func FullGoogleHello(b []byte) bool {
	hellos, err := ParseGoogleHellos(b)
	if err != nil {
		return false
	}
	for _, h := range hellos {
		if h.Len > 0 && slices.Contains(h.Tags, "SCID") {
			return true
		}
	}
	return false
}
