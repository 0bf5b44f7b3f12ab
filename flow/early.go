package flow

import (
	"bytes"

	"github.com/tlsentry/tlsentry/flow/program"
	"github.com/tlsentry/tlsentry/flow/tlsrecord"
)

// Early verdicts. A flow is handed out as soon as its bytes decide what
// the detector will say, not when it ends or idles out:
//   - on a TLS port (Config.TLSPorts), a client whose first bytes cannot
//     start TLS, an SSLv2 hello or a header that may precede TLS there
//     (PROXY protocol v1 or v2, an HTTP CONNECT; OpenVPN's framing, which
//     carries TLS) will not speak TLS: it
//     is handed out once its first flight is over, that is when the
//     prefix is full, when the server answers, or after firstFlightQuiet
//     of silence (SSH, HTTP, random bytes held open);
//   - on a TLS port, a server that speaks before its client sent a byte,
//     in bytes that cannot start a TLS record, will not speak TLS either
//     (a greeting protocol, a stager's handler sending its payload): it is
//     handed out when the prefix is full or after firstFlightQuiet of
//     silence; a client that answers is judged by its own bytes instead,
//     as any client is;
//   - on any other port, a connection that opened with a program sent
//     raw (package program: a stager's payload, from its handler or to
//     a bind payload) is handed out when the prefix is full, whatever
//     follows (Meterpreter's TLS comes after its stage);
//   - a handshake whose framing is broken (hsCapture.broken) cannot be
//     read further, whatever comes.
//
// Only a connection whose client SYN was seen is judged by its first
// bytes: a capture that joined mid-stream does not see them.

// early is what a connection's first client bytes said.
type early uint8

const (
	earlyUnknown early = iota // not enough bytes yet
	earlyOpen                 // TLS, or may still become TLS, or not judged
	earlyNotTLS               // decided by its first bytes (not TLS on a TLS port; a program on another): handed out once the first flight is over
)

// probeLen is how many of the client's first bytes the judgement needs at
// most: the PROXY protocol v2 signature.
const probeLen = 12

// proxyV2 is the PROXY protocol v2 signature; proxyV1 and httpConnect the
// starts of the other headers that may precede TLS on a TLS port.
var (
	proxyV2     = []byte("\r\n\r\n\x00\r\nQUIT\n")
	proxyV1     = []byte("PROXY ")
	httpConnect = []byte("CONNECT ")
)

// judgeStart takes the client's next in-order bytes (data at stream
// offset off; gap: bytes before them are missing) while the connection's
// first bytes are unknown, and moves the connection to the notTLS list
// when they decide it.
func (c *conn) judgeStart(t *Table, d int, data []byte, gap bool, off int) {
	h := &c.halves[d]
	if gap || off != int(c.probeN) || !h.synSeen || c.byPort || !t.tlsPorts.has(c.portOf(1-d)) {
		c.early = earlyOpen
		return
	}
	c.probeMore(t, data, startsNoTLS)
}

// portOf is the port of half d's endpoint.
func (c *conn) portOf(d int) uint16 {
	if d == 0 {
		return c.key.Lo.Port
	}
	return c.key.Hi.Port
}

// probeMore adds data to the probe and acts on what judge says of it: a
// connection that will not speak TLS goes to the notTLS list.
func (c *conn) probeMore(t *Table, data []byte, judge func([]byte) early) {
	c.probeN += uint8(copy(c.probe[c.probeN:], data))
	switch judge(c.probe[:c.probeN]) {
	case earlyNotTLS:
		c.judgedNotTLS(t)
	case earlyOpen:
		c.early = earlyOpen
	}
}

// judgedNotTLS records that the connection's first bytes decided it.
func (c *conn) judgedNotTLS(t *Table) {
	c.early, c.judgedAt = earlyNotTLS, t.now
	t.moveTo(c, &t.notTLS)
}

// FTPActiveDataPort is where an FTP server opens an active-mode data
// connection from (RFC 959's default data port, L-1); one may carry a
// program as it is: a file.
const FTPActiveDataPort = 20

// judgeProgram looks, once the prefix is full, at a connection to a port
// other than the TLS ports (where the first bytes decide already) that
// was seen from its client's SYN: one whose first side's bytes are a
// program sent raw is decided. The detector's proto.program_first reads
// the same bytes with the same rule.
func (c *conn) judgeProgram(t *Table) {
	if c.early != earlyOpen || c.byPort || c.clientDir < 0 || c.prefixGap || len(c.runs) == 0 || c.runs[0].mixed {
		return
	}
	cd := int(c.clientDir)
	if !c.halves[cd].synSeen || t.tlsPorts.has(c.portOf(1-cd)) || c.portOf(cd) == FTPActiveDataPort {
		return
	}
	if program.Starts(c.prefix[:c.runs[0].n]) {
		c.judgedNotTLS(t)
	}
}

// judgeServerFirst takes a server's next in-order bytes while its client
// has sent none, and moves the connection to the notTLS list when they
// cannot start TLS.
func (c *conn) judgeServerFirst(t *Table, d int, data []byte, gap bool, off int) {
	if c.clientDir < 0 {
		return
	}
	cl := &c.halves[c.clientDir]
	if cl.streamed > 0 || gap || off != int(c.probeN) {
		return // the client's own bytes decide, as before any server byte
	}
	if len(cl.pending) > 0 || cl.ackSeen && seqDiff(cl.acked, cl.next) > 0 || c.serverAnswered {
		// The client spoke first: its bytes wait behind a hole, or the
		// server acknowledged bytes of it the capture lost or has not
		// shown yet.
		c.early = earlyOpen
		return
	}
	if c.byPort || !cl.synSeen || !t.tlsPorts.has(c.portOf(d)) {
		c.early = earlyOpen // as the client's first bytes would find
		return
	}
	c.serverProbe = true
	c.probeMore(t, data, serverStartsNoTLS)
}

// clientSpeaks forgets what the server's first bytes said once the client
// sends its own: the client's bytes are judged as usual (an SSH client
// answering an SSH server's greeting is decided by its banner, as when
// it speaks first).
func (c *conn) clientSpeaks(t *Table) {
	if c.early == earlyNotTLS {
		t.moveTo(c, &t.speaking)
	}
	c.early, c.serverProbe, c.probeN, c.judgedAt = earlyUnknown, false, 0, 0
}

// serverStartsNoTLS judges a server's bytes sent before any of its
// client's: earlyOpen for a TLS record header (or any alert record: a
// server giving up on a silent client sends one, some stacks with version
// 0), earlyUnknown when too few bytes tell, earlyNotTLS otherwise.
func serverStartsNoTLS(b []byte) early {
	switch {
	case len(b) == 0:
		return earlyUnknown
	case b[0] == tlsrecord.Alert:
		return earlyOpen
	case tlsrecord.ValidHeader(b[:min(len(b), tlsrecord.HeaderLen)]):
		if len(b) < tlsrecord.HeaderLen {
			return earlyUnknown
		}
		return earlyOpen
	}
	return earlyNotTLS
}

// startsNoTLS judges a client's first bytes b on a TLS port: earlyNotTLS
// when no TLS record, SSLv2 hello or header that may precede TLS starts
// with them (nor OpenVPN's TCP framing, which carries TLS), earlyOpen when one does (or may: the bytes are all its
// start), earlyUnknown when more bytes are needed to tell.
func startsNoTLS(b []byte) early {
	if len(b) == 0 {
		return earlyUnknown
	}
	if tlsrecord.ValidHeader(b[:min(len(b), tlsrecord.HeaderLen)]) {
		if len(b) < tlsrecord.HeaderLen {
			return earlyUnknown
		}
		return earlyOpen // a record: the handshake capture judges the rest
	}
	if len(b) < tlsrecord.SSLv2ClientHelloMin {
		if tlsrecord.MaybeSSLv2(b, tlsrecord.SSLv2ClientHello) {
			return earlyUnknown
		}
	} else if tlsrecord.IsSSLv2ClientHello(b) {
		return earlyOpen
	}
	if len(b) < ovpnStartLen {
		return earlyUnknown
	}
	if looksOpenVPN(b[:ovpnStartLen], acceptClient) {
		return earlyOpen // OpenVPN over TCP: TLS inside its framing
	}
	undecided := false
	for _, p := range [...][]byte{proxyV2, proxyV1, httpConnect} {
		n := min(len(b), len(p))
		if bytes.Equal(b[:n], p[:n]) {
			if n == len(p) {
				return earlyOpen
			}
			undecided = true
		}
	}
	if undecided {
		return earlyUnknown
	}
	return earlyNotTLS
}

// reconsider moves a connection judged not TLS back among the speaking
// ones once TLS starts later in the client's stream (a banner or another
// preamble before its ClientHello): its handshake is then kept whole
// before the verdict, as any TLS client's is.
func (c *conn) reconsider(t *Table) {
	if c.early != earlyNotTLS || c.clientDir < 0 {
		return
	}
	if h := &c.halves[c.clientDir].hs; h.stage == hsCapturing || len(h.buf) > 0 {
		c.early = earlyOpen
		t.moveTo(c, &t.speaking)
	}
}

// decided reports whether the connection's bytes decide its verdict now
// (checked after every packet, so it only reads fields).
func (c *conn) decided() bool {
	if c.early == earlyNotTLS && (len(c.prefix) >= PrefixSize || c.answered) {
		return true
	}
	return c.halves[0].hs.broken || c.halves[1].hs.broken
}
