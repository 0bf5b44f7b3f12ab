package detector

import (
	"fmt"
	"strings"

	"github.com/tlsentry/tlsentry/detector/features"
	"github.com/tlsentry/tlsentry/detector/transcript"
	"github.com/tlsentry/tlsentry/flow"
)

// describeBytes names prefix bytes lo..hi by what they are in the flow:
// the TLS structures of the ClientHello, the server's records, or, for a
// flow that is not TLS, what its first bytes are instead.
func describeBytes(f *flow.Flow, v *features.Values, lo, hi int) string {
	hi = min(hi, len(f.Prefix)-1)
	if lo > hi {
		return fmt.Sprintf("bytes %d-%d (zero padding: the flow sent fewer bytes than usual)", lo, lo+127)
	}
	head := fmt.Sprintf("bytes %d-%d", lo, hi)
	off := 0
	var parts []string
	for _, r := range f.PrefixRuns {
		end := min(off+r.Len, len(f.Prefix))
		if end > lo && off <= hi {
			parts = append(parts, runParts(f, v, r, off, end, lo, hi)...)
		}
		off = end
		if off > hi || r.Mixed {
			break
		}
	}
	if len(parts) == 0 {
		return head
	}
	return head + " (" + strings.Join(parts, "; ") + ")"
}

// runParts names what a turn [off, end) holds within lo..hi.
func runParts(f *flow.Flow, v *features.Values, r flow.PrefixRun, off, end, lo, hi int) []string {
	side := "server"
	sd := &v.T.Server
	if r.FromClient {
		side, sd = "client", &v.T.Client
	}
	first := off == 0
	switch {
	case sd.Preamble == transcript.PreambleNoTLS && len(sd.Records) == 0:
		if off >= lo && off+4 <= hi {
			b := f.Prefix[off:min(end, off+5)]
			return []string{fmt.Sprintf("bytes %d-%d: not a TLS record header (%s)", off, off+len(b)-1, transcript.Printable(b))}
		}
		return []string{fmt.Sprintf("the %s's non-TLS bytes", side)}
	case r.FromClient && first && sd.Preamble == transcript.PreambleNone && len(f.ClientHandshake) > 0:
		return helloParts(f.Prefix[off:end], off, lo, hi)
	}
	var names []string
	if sd.PreambleLen > 0 && off+sd.PreambleLen > lo {
		names = append(names, fmt.Sprintf("the %s's %s before its handshake", side, transcript.ByteCount(sd.PreambleLen)))
	}
	if len(sd.Records) > 0 {
		names = append(names, fmt.Sprintf("the %s's TLS records", side))
	}
	return names
}

// helloParts names the ClientHello fields that lie within lo..hi of a
// hello starting at prefix offset base.
func helloParts(b []byte, base, lo, hi int) []string {
	type span struct {
		name   string
		lo, hi int
	}
	var spans []span
	add := func(name string, start, n int) {
		spans = append(spans, span{name, base + start, base + start + n - 1})
	}
	add("record header", 0, 5)
	add("handshake header", 5, 4)
	add("client version", 9, 2)
	add("client random", 11, 32)
	p := 43
	if p < len(b) {
		n := int(b[p])
		add("session id", p, 1+n)
		p += 1 + n
	}
	if p+2 <= len(b) {
		n := int(b[p])<<8 | int(b[p+1])
		add("cipher suites", p, 2+n)
		p += 2 + n
	}
	if p < len(b) {
		n := int(b[p])
		add("compression methods", p, 1+n)
		p += 1 + n
	}
	if p+2 <= len(b) {
		p += 2
		for k := 0; p+4 <= len(b) && k < 64; k++ {
			typ, n := int(b[p])<<8|int(b[p+1]), int(b[p+2])<<8|int(b[p+3])
			add(extName(typ)+" extension", p, 4+n)
			p += 4 + n
		}
	}
	var out []string
	for _, s := range spans {
		if s.hi >= lo && s.lo <= hi && len(out) < 4 {
			out = append(out, "the ClientHello's "+s.name)
		}
	}
	return out
}

var extNames = map[int]string{0: "server_name", 5: "status_request", 10: "supported_groups", 11: "ec_point_formats",
	13: "signature_algorithms", 16: "ALPN", 18: "signed_certificate_timestamp", 21: "padding", 23: "extended_master_secret",
	27: "compress_certificate", 35: "session_ticket", 41: "pre_shared_key", 43: "supported_versions", 45: "psk_key_exchange_modes",
	51: "key_share", 65037: "encrypted_client_hello", 65281: "renegotiation_info", 17513: "application_settings"}

func extName(t int) string {
	if n, ok := extNames[t]; ok {
		return n
	}
	if t&0x0f0f == 0x0a0a {
		return "GREASE"
	}
	return fmt.Sprintf("type %d", t)
}
