package tlsparse

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"slices"
)

// Every fingerprint is rendered by appendPrints: the lists are filtered
// and sorted once, each string is written into one buffer (the caller's
// stack when it fits), hashed in place, and the caller turns the buffer
// into one string whose substrings are the fingerprints. A sensor renders
// them for every TLS flow; building each string and list separately cost
// more than the parsing.

// printSet selects the client fingerprints appendPrints renders.
type printSet uint8

const (
	wantJA3  printSet = 1 << iota
	wantJA3N          // JA3 with sorted extensions
	wantJA4           // JA4 and JA4_r
	wantJA4O          // JA4_o and JA4_ro
)

// span is where a rendering lies in the buffer.
type span struct{ from, to int }

func (s span) of(all string) string { return all[s.from:s.to] }

// clientSpans locates the client fingerprints in the buffer.
type clientSpans struct {
	ja3, ja3Hash, ja3n, ja3nHash span
	ja4, ja4r, ja4o, ja4ro       span
}

// printBufSize fits the fingerprints of nearly every hello, so that the
// buffer stays on the stack.
const printBufSize = 2048

// appendPrints appends the fingerprints in want to b; none for a
// truncated hello (see hasPrints).
func (ch *ClientHello) appendPrints(b []byte, want printSet, t Transport) ([]byte, clientSpans) {
	var sp clientSpans
	if !ch.hasPrints() {
		return b, sp
	}
	var cbuf, ebuf, nbuf [64]uint16
	ciphers := appendNonGREASE(cbuf[:0], ch.CipherSuites)
	exts := ebuf[:0]
	for _, e := range ch.Extensions {
		if !IsGREASE(e.Type) {
			exts = append(exts, e.Type)
		}
	}
	sorted := exts // what JA3 alone needs; the others need them sorted
	if want&^wantJA3 != 0 {
		sorted = append(nbuf[:0], exts...)
		slices.Sort(sorted)
	}

	if want&(wantJA3|wantJA3N) != 0 {
		b, sp.ja3, sp.ja3n = ch.appendJA3Strings(b, ciphers, exts, sorted, want&wantJA3N != 0)
		b, sp.ja3Hash = appendMD5Hex(b, sp.ja3)
		sp.ja3nHash = sp.ja3Hash
		if sp.ja3n != sp.ja3 {
			b, sp.ja3nHash = appendMD5Hex(b, sp.ja3n)
		}
	}
	if want&(wantJA4|wantJA4O) == 0 {
		return b, sp
	}

	a := ja4A(ch, t, len(ciphers), len(exts))
	var sbuf, fbuf, xbuf [64]uint16
	sigs := appendNonGREASE(sbuf[:0], ch.SignatureAlgorithms)
	filtered := fbuf[:0]
	for _, e := range sorted {
		if e != ExtServerName && e != ExtALPN {
			filtered = append(filtered, e)
		}
	}
	noCiphers, noExts := len(ciphers) == 0, len(filtered) == 0
	if want&wantJA4 != 0 {
		sortedCiphers := append(xbuf[:0], ciphers...)
		slices.Sort(sortedCiphers)
		var cs, es span
		b, sp.ja4r, cs, es = appendJA4Raw(b, a, sortedCiphers, filtered, sigs)
		b, sp.ja4 = appendJA4Hashed(b, a, cs, es, noCiphers, noExts)
	}
	if want&wantJA4O != 0 {
		var cs, es span
		b, sp.ja4ro, cs, es = appendJA4Raw(b, a, ciphers, exts, sigs)
		b, sp.ja4o = appendJA4Hashed(b, a, cs, es, noCiphers, noExts)
	}
	return b, sp
}

// appendJA3Strings appends the JA3 string and, with n, the JA3N string
// (the same span when they are equal); see JA3 for the malformed cases.
func (ch *ClientHello) appendJA3Strings(b []byte, ciphers, exts, sorted []uint16, n bool) (_ []byte, ja3, ja3n span) {
	if ch.ja3Cut == ja3None {
		return b, span{len(b), len(b)}, span{len(b), len(b)}
	}
	ja3.from = len(b)
	b = appendU16(b, ch.Version)
	b = append(b, ',')
	b = appendDecList(b, ciphers)
	b = append(b, ',')
	if ch.ja3Cut == ja3AfterCiphers {
		ja3.to = len(b)
		return b, ja3, ja3
	}
	pre := len(b)
	b = appendDecList(b, exts)
	post := len(b)
	b = append(b, ',')
	b = appendDecList(b, ch.SupportedGroups)
	b = append(b, ',')
	for i, f := range ch.ECPointFormats {
		if i > 0 {
			b = append(b, '-')
		}
		b = appendU16(b, uint16(f))
	}
	ja3.to = len(b)
	if !n || slices.Equal(exts, sorted) {
		return b, ja3, ja3
	}
	ja3n.from = len(b)
	b = append(b, b[ja3.from:pre]...)
	b = appendDecList(b, sorted)
	b = append(b, b[post:ja3.to]...)
	ja3n.to = len(b)
	return b, ja3, ja3n
}

// appendMD5Hex appends the hex MD5 of the bytes at s.
func appendMD5Hex(b []byte, s span) ([]byte, span) {
	if s.from == s.to {
		return b, s // no fingerprint, no hash
	}
	sum := md5.Sum(b[s.from:s.to])
	from := len(b)
	b = hex.AppendEncode(b, sum[:])
	return b, span{from, len(b)}
}

// ja4A is JA4's first part.
func ja4A(ch *ClientHello, t Transport, nCiphers, nExts int) [10]byte {
	var a [10]byte
	a[0] = byte(t)
	v := ja4Version(ch)
	a[1], a[2] = v[0], v[1]
	a[3] = 'i'
	if ch.HasExtension(ExtServerName) {
		a[3] = 'd'
	}
	put2(a[4:6], nCiphers)
	put2(a[6:8], nExts)
	a[8], a[9] = ja4ALPN(ch)
	return a
}

// appendJA4Raw appends a raw JA4 rendering, a_ciphers_exts[_sigs], and
// returns where the cipher list and the extension part lie.
func appendJA4Raw(b []byte, a [10]byte, ciphers, exts, sigs []uint16) (_ []byte, all, cs, es span) {
	all.from = len(b)
	b = append(b, a[:]...)
	b = append(b, '_')
	cs.from = len(b)
	b = appendHexList(b, ciphers)
	cs.to = len(b)
	b = append(b, '_')
	es.from = len(b)
	b = appendHexList(b, exts)
	b = appendSigs(b, sigs)
	es.to = len(b)
	all.to = len(b)
	return b, all, cs, es
}

// appendJA4Hashed appends a_hash(cs)_hash(es) from the raw lists at cs
// and es.
func appendJA4Hashed(b []byte, a [10]byte, cs, es span, noCiphers, noExts bool) ([]byte, span) {
	hc, he := hash12(b[cs.from:cs.to], noCiphers), hash12(b[es.from:es.to], noExts)
	from := len(b)
	b = append(b, a[:]...)
	b = append(b, '_')
	b = append(b, hc[:]...)
	b = append(b, '_')
	b = append(b, he[:]...)
	return b, span{from, len(b)}
}

// hash12 is the first 12 hex digits of SHA-256(b), or twelve zeros when
// the list it stands for is empty.
func hash12(b []byte, empty bool) (out [12]byte) {
	if empty {
		copy(out[:], "000000000000")
		return out
	}
	sum := sha256.Sum256(b)
	hex.Encode(out[:], sum[:6])
	return out
}

// hasPrints reports whether the hello has fingerprints: not when it was
// cut short. Every fingerprint covers the extensions, the last part of
// the hello, so a cut anywhere leaves one made of what happened to arrive
// (JA4 "t12i000000_000000000000_000000000000" for a hello cut in its
// random, JA4 version 12 for a TLS 1.3 client whose supported_versions
// was in the missing part). Wireshark, Zeek and Suricata fingerprint only
// whole hellos.
func (ch *ClientHello) hasPrints() bool { return !ch.Truncated }

// hasJA3S reports whether the hello has a JA3S: not an SSLv2 one, nor a
// truncated one (as hasPrints).
func (sh *ServerHello) hasJA3S() bool { return !sh.SSLv2 && !sh.Truncated }

// appendJA3S appends the server's JA3S string and its hash; nothing for
// an SSLv2 or a truncated ServerHello.
func (sh *ServerHello) appendJA3S(b []byte) (_ []byte, full, hash span) {
	if !sh.hasJA3S() {
		return b, span{len(b), len(b)}, span{len(b), len(b)}
	}
	full.from = len(b)
	b = appendU16(b, sh.Version)
	b = append(b, ',')
	b = appendU16(b, sh.CipherSuite)
	b = append(b, ',')
	first := true
	for _, e := range sh.Extensions {
		if IsGREASE(e.Type) {
			continue
		}
		if !first {
			b = append(b, '-')
		}
		first = false
		b = appendU16(b, e.Type)
	}
	full.to = len(b)
	b, hash = appendMD5Hex(b, full)
	return b, full, hash
}

// FlowPrints are the fingerprints a flow record shows.
type FlowPrints struct {
	JA3, JA3N JA3    // zero without a whole ClientHello, or for a malformed one (see JA3)
	JA4, JA4R string // empty without a whole ClientHello
	JA3S      JA3    // zero without a whole ServerHello, or for an SSLv2 one
}

// Prints renders the client's JA3, JA3N, JA4 and JA4_r and the server's
// JA3S, each equal to what the separate methods return. When the
// handshake was parsed with a CertCache, fingerprints of hellos seen
// before come from it. A flow's own fingerprints are Prints(h.Transport()).
func (h *Handshake) Prints(t Transport) FlowPrints {
	var p FlowPrints
	if t == h.Transport() && h.hasOwnPrints {
		if c := h.ownClient; c != nil {
			p.JA3, p.JA3N, p.JA4, p.JA4R = c.ja3, c.ja3n, c.ja4, c.ja4r
		}
		if h.ownServer != nil {
			p.JA3S = *h.ownServer
		}
		return p
	}
	if h.Client != nil {
		c := h.prints.client(h.Client, t)
		p.JA3, p.JA3N, p.JA4, p.JA4R = c.ja3, c.ja3n, c.ja4, c.ja4r
	}
	if h.Server != nil && h.Server.ServerHello != nil {
		p.JA3S = h.prints.server(h.Server.ServerHello)
	}
	return p
}

// lookUpOwnPrints finds (or adds) the handshake's fingerprints, of its
// own transport, in its cache, for Prints.
func (h *Handshake) lookUpOwnPrints() {
	if h.Client != nil {
		h.ownClient = h.prints.clientEntry(h.Client, h.Transport())
	}
	if h.Server != nil && h.Server.ServerHello != nil && h.Server.ServerHello.hasJA3S() {
		h.ownServer = h.prints.serverEntry(h.Server.ServerHello)
	}
	h.hasOwnPrints = true
}
