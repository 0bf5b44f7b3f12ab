package evidence

import (
	"slices"
	"strconv"
	"strings"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// A ClientHello that contradicts itself, and a ServerHello that answers
// what its client never offered: what TLS libraries do not write and hand-
// made or replayed hellos do.

// helloPair: a whole ClientHello and the server's answer to it (not a
// HelloRetryRequest, which answers with a request of its own), both in
// TLS's own format (not SSLv2).
func helloPair(in *Input) bool {
	ch, fl := in.TLS.Client, in.TLS.Server
	if ch == nil || ch.SSLv2 || ch.Truncated || fl == nil || fl.ServerHello == nil {
		return false
	}
	sh := fl.ServerHello
	return !sh.SSLv2 && !sh.Truncated && !sh.HelloRetryRequest
}

// answersThisHello: a hello pair whose server answered the hello seen. A
// client that offers Encrypted Client Hello sends a second hello inside
// it, and a server that accepts it answers that one, whose extensions
// (a pre-shared key, ALPN...) the outer hello need not carry (Chrome's
// resumptions to Cloudflare's ECH servers).
func answersThisHello(in *Input) bool {
	return helloPair(in) && !in.TLS.Client.HasExtension(tlsparse.ExtEncryptedClientHello)
}

// unoffered returns what a server's hello chose or answered that its
// client's hello never offered: a cipher suite, a version, an extension
// (RFC 5246 7.4.1.4, RFC 8446 4.2: a server sends only extensions its
// client sent; renegotiation_info may answer the SCSV, RFC 5746), an
// ALPN protocol not in the client's list (RFC 7301 3.2). Not the key
// share's group: after a HelloRetryRequest the share answered is in the
// second ClientHello, which the parse does not keep. A real
// server cannot do this and finish the handshake; a server that replays
// a canned hello, whatever the client said, does. It does not allocate.
func unoffered(in *Input) (what unofferedKind, v uint16) {
	ch, sh := in.TLS.Client, in.TLS.Server.ServerHello
	if !slices.Contains(ch.CipherSuites, sh.CipherSuite) {
		return unofferedCipher, sh.CipherSuite
	}
	if sh.HasExtension(tlsparse.ExtSupportedVersions) && !slices.Contains(ch.SupportedVersions, sh.SelectedVersion) {
		return unofferedVersion, sh.SelectedVersion
	}
	for _, e := range sh.Extensions {
		if ch.HasExtension(e.Type) || e.Type == extRenegotiationInfo && slices.Contains(ch.CipherSuites, scsvRenegotiation) {
			continue
		}
		return unofferedExtension, e.Type
	}
	if sh.ALPN != "" && !slices.Contains(ch.ALPN, sh.ALPN) {
		return unofferedALPN, 0
	}
	return unofferedNone, 0
}

type unofferedKind uint8

const (
	unofferedNone unofferedKind = iota
	unofferedCipher
	unofferedVersion
	unofferedExtension
	unofferedALPN
)

func describeUnoffered(in *Input) (field, value, text string) {
	what, v := unoffered(in)
	switch what {
	case unofferedCipher:
		field, value = "tls.server.cipher_suite", tlsparse.CipherSuiteName(v)
		text = "cipher suite " + value
	case unofferedVersion:
		field, value = "tls.server.version", tlsparse.VersionName(v)
		text = "version " + value
	case unofferedALPN:
		field, value = "tls.server.alpn", in.TLS.Server.ServerHello.ALPN
		text = "ALPN protocol " + strconv.Quote(value)
	default:
		field, value = "tls.server.extensions", strconv.Itoa(int(v))
		text = "extension " + value
	}
	return field, value, "the server's hello answers with what its client never offered (" + text + "): no TLS server can, one that replays a canned hello whatever the client said does"
}

// renegotiation_info and the SCSV that stands for it (RFC 5746).
const (
	extRenegotiationInfo = 0xff01
	scsvRenegotiation    = 0x00ff
)

// inconsistentHello returns how a whole ClientHello contradicts itself in
// a way TLS libraries do not write as shipped: TLS 1.3 offered with no
// TLS 1.3 cipher suite (it could never be chosen; OpenSSL told to use no
// TLS 1.3 suite does it, zeek's tls12-decryption trace), a key share for
// a group the hello does not list in supported_groups (RFC 8446 4.2.8),
// or an extension sent twice (RFC 8446 4.2); in SSL 2.0's format, a
// challenge shorter than 16 or longer than 32 bytes (SSL 2.0 requires
// 16 to 32, and RFC 5246 E.2 keeps the rule for hellos in that format;
// libraries send 16 or 32). Hand-made hellos (a template with one part
// changed) show it. It does not allocate.
func inconsistentHello(ch *tlsparse.ClientHello) (what helloFlaw, v uint16) {
	if n := len(ch.Challenge); ch.SSLv2 && (n < minChallengeV2 || n > maxChallengeV2) {
		return flawChallengeV2, uint16(n)
	}
	if offers13(ch) && !slices.ContainsFunc(ch.CipherSuites, isTLS13Suite) {
		return flawNo13Suite, 0
	}
	for _, g := range ch.KeyShareGroups {
		if !tlsparse.IsGREASE(g) && !slices.Contains(ch.SupportedGroups, g) {
			return flawKeyShare, g
		}
	}
	// Pairs among the first maxDupScan only: a hostile hello may carry
	// thousands, and comparing all of them would cost quadratic time.
	exts := ch.Extensions[:min(len(ch.Extensions), maxDupScan)]
	for i, e := range exts {
		for _, f := range exts[:i] {
			if f.Type == e.Type {
				return flawDuplicate, e.Type
			}
		}
	}
	return flawNone, 0
}

// unassignedSuites counts the cipher suites of ch (GREASE left out) that
// the IANA registry does not assign, of all it offers. Libraries offer
// what they implement: at most a few drafts' or a vendor's private values
// beside registered suites (old Chrome's pre-standard ChaCha20 0xCC13-
// 0xCC15, OpenSSL's GOST 0xFF85), 9 of 23 at most in the public corpus.
// A list made mostly of unassigned values is random numbers: a tool that
// dresses other traffic as TLS (PotatoVPN's hellos offer ten random
// 16-bit values). It does not allocate.
func unassignedSuites(ch *tlsparse.ClientHello) (unassigned, offered int) {
	for _, c := range ch.CipherSuites {
		if tlsparse.IsGREASE(c) {
			continue
		}
		offered++
		if !tlsparse.CipherSuiteAssigned(c) {
			unassigned++
		}
	}
	return unassigned, offered
}

// randomSuites: most of the hello's suites (and at least minRandomSuites)
// are values no registry assigns.
func randomSuites(in *Input) bool {
	u, n := unassignedSuites(in.TLS.Client)
	return u >= minRandomSuites && 2*u > n
}

// minRandomSuites: fewer unassigned values than this say too little (a
// hello of two suites, one a draft's).
const minRandomSuites = 4

func describeRandomSuites(in *Input) (field, value, text string) {
	u, n := unassignedSuites(in.TLS.Client)
	var shown []string
	for _, c := range in.TLS.Client.CipherSuites {
		if len(shown) == 3 {
			break
		}
		if !tlsparse.IsGREASE(c) && !tlsparse.CipherSuiteAssigned(c) {
			shown = append(shown, tlsparse.CipherSuiteName(c))
		}
	}
	value = strconv.Itoa(u) + " of " + strconv.Itoa(n)
	return "tls.client.cipher_suites", value, "the client offered " + value + " cipher suites that no registry assigns (" +
		strings.Join(shown, ", ") + ", ...): a hello of random numbers, as tools that dress other traffic as TLS write, not a TLS library's"
}

// maxDupScan bounds the extensions compared for duplicates; libraries
// send fewer than 30.
const maxDupScan = 64

type helloFlaw uint8

const (
	flawNone helloFlaw = iota
	flawNo13Suite
	flawKeyShare
	flawDuplicate
	flawChallengeV2
)

// The lengths an SSL 2.0 ClientHello's challenge may have.
const (
	minChallengeV2 = 16
	maxChallengeV2 = 32
)

func offers13(ch *tlsparse.ClientHello) bool {
	return slices.Contains(ch.SupportedVersions, tlsparse.VersionTLS13)
}

// isTLS13Suite: the suites of RFC 8446 (and RFC 9150's integrity-only
// ones), 0x1301 to 0x13ff; drafts used the same.
func isTLS13Suite(s uint16) bool { return s>>8 == 0x13 }

func describeInconsistentHello(in *Input) (field, value, text string) {
	what, v := inconsistentHello(in.TLS.Client)
	switch what {
	case flawNo13Suite:
		return "tls.client.cipher_suites", "no TLS 1.3 suite", "the ClientHello offers TLS 1.3 but no TLS 1.3 cipher suite, so TLS 1.3 could never be chosen: a hand-made hello, or a library set against itself"
	case flawKeyShare:
		value = strconv.Itoa(int(v))
		return "tls.client.key_share", value, "the ClientHello sends a key share for group " + value + ", which its supported_groups do not list (RFC 8446 4.2.8): a hand-made hello, not a TLS library's"
	case flawChallengeV2:
		value = strconv.Itoa(int(v))
		return "tls.client.challenge_length", value, "the ClientHello sends, in SSL 2.0's format, a challenge of " + value + " bytes, where SSL 2.0 requires 16 to 32 (RFC 5246 E.2): a hand-made hello, not a TLS library's"
	}
	value = strconv.Itoa(int(v))
	return "tls.client.extensions", value, "the ClientHello sends extension " + value + " twice (RFC 8446 4.2 forbids it): a hand-made hello, not a TLS library's"
}

// weakRandom reports a hello random no generator of random bytes writes:
// a run of 8 equal bytes, or 12 zero bytes in all (a hard-coded hello, a
// replayed template). TLS 1.2 and older put the time in the first four
// bytes and TLS 1.3 servers a downgrade sentinel in the last eight: both
// are left out, and what remains of a real random has either with a
// chance under 2^-40.
func weakRandom(r []byte) bool {
	if len(r) != 32 {
		return false
	}
	r = r[4:24]
	zeros, run := 0, 1
	for i, b := range r {
		if b == 0 {
			zeros++
		}
		if i > 0 && b == r[i-1] {
			run++
			if run >= 8 {
				return true
			}
		} else {
			run = 1
		}
	}
	return zeros >= 12
}

// wholeHelloInRecords: a whole ClientHello in TLS records (over TCP; QUIC
// carries it in CRYPTO frames).
func wholeHelloInRecords(in *Input) bool {
	return hello(in) && !in.TLS.Client.Truncated && in.Flow.Transport != flow.TransportUDP
}

// helloFragmented reports a ClientHello spread over several TLS records
// though it would fit one (transcript.Side.HelloCut).
func helloFragmented(in *Input) bool { return in.T.Client.HelloCut(len(in.TLS.Client.Raw)) }
