package evidence

import (
	"github.com/tlsentry/tlsentry/detector/transcript"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// Who speaks first, and as what: a TLS client opens with its hello and
// its server answers; a server that greets first, or a client that
// answers as the server, is something else.

// serverSpokeFirstApplies: a connection to a TLS port seen from the
// client's SYN (which may carry its first bytes: TCP Fast Open) in which
// the server sent bytes.
func serverSpokeFirstApplies(in *Input) bool {
	f := in.Flow
	return f.Transport != flow.TransportUDP && f.ClientSYN && in.T.ServerBytes > 0 && flow.IsDefaultTLSPort(f.Server.Port)
}

// serverSpokeFirst returns what a server on a TLS port said before its
// client sent a byte, when that was not TLS. A TLS server speaks only
// after the client's hello; a server that greets first is another
// protocol (SSH, SMTP...) or hands out a stage (a stager's handler sends
// the program its client then runs). A server's TLS before the client's
// (a hello the capture lost) does not count, nor does a first turn the
// capture did not see begin: where either side's first bytes were lost,
// the client may have spoken first and the server's turn may be the
// middle of its answer; nor does a turn that acknowledged client bytes
// the capture had not shown before it (flow.Flow.ServerAnswered).
func serverSpokeFirst(in *Input) (string, bool) {
	f := in.Flow
	if !serverSpokeFirstApplies(in) || len(f.PrefixRuns) == 0 || f.PrefixRuns[0].FromClient || f.PrefixRuns[0].Mixed || f.ServerAnswered ||
		f.ServerHoled && f.ServerIntact == 0 || f.ClientHoled && f.ClientIntact == 0 {
		return "", false
	}
	turn := firstTurn(f)
	l := tlsparse.Sniff(turn)
	if l == tlsparse.SniffTLS || l == tlsparse.SniffEmpty || alertRecord(turn) {
		return "", false
	}
	return l, true
}

// alertRecord matches a TLS alert record whatever its version field: a
// server that gives up on a client silent for seconds sends one, and some
// stacks write version 0 before any version was negotiated (an S3
// endpoint's 15 00 00 00 02 01 00 in the corpus).
func alertRecord(b []byte) bool {
	return len(b) >= 7 && b[0] == 21 && b[1] <= 3 && b[3] == 0 && b[4] == 2 && (b[5] == 1 || b[5] == 2)
}

// firstTurn is the prefix's first run of bytes from one side.
func firstTurn(f *flow.Flow) []byte {
	if len(f.PrefixRuns) == 0 {
		return nil
	}
	return f.Prefix[:min(f.PrefixRuns[0].Len, len(f.Prefix))]
}

// rolesKnown: a connection seen from its start (so which side opened it
// is known) in which either side sent a handshake record.
func rolesKnown(in *Input) bool {
	f := in.Flow
	return f.Transport != flow.TransportUDP && !f.Midstream && !f.ClientByPort && (in.T.Client.Has(transcript.TypeHandshake) || in.T.Server.Has(transcript.TypeHandshake))
}

// ftpActiveData reports whether the flow is an FTPS data connection in
// active mode: the FTP server opens it from port 20, and the FTP client,
// which accepted it, is still the TLS client (RFC 4217), so the side that
// connected answers with a ServerHello by design, not as a reverse tool.
func ftpActiveData(in *Input) bool {
	return in.Flow.Client.Port == flow.FTPActiveDataPort
}

// programFirstApplies: a TCP connection seen from the client's SYN in
// which a side sent bytes, on any port.
func programFirstApplies(in *Input) bool {
	f := in.Flow
	return f.Transport != flow.TransportUDP && f.ClientSYN && (in.T.ClientBytes > 0 || in.T.ServerBytes > 0)
}

// programFirst reports whether the connection opened with a program
// sent raw (tlsparse.SniffExec), and from which side. That is how a
// stager gets its payload, on whatever port its handler listens: a
// reverse stager's handler sends a 4-byte length and the DLL the moment
// it connects, a bind payload takes them from the side that connects,
// and the session (TLS or not) follows in the same connection. No
// protocol opens so: a download over HTTP starts with its request. An
// active FTP data connection (from port 20) may carry a file as it is.
// On a TLS port the client's protocol (notTLS) or the server that spoke
// first words it already, so the check fires on the other ports only;
// calibration counts it on every port (programOpened).
func programFirst(in *Input) (fromClient, ok bool) {
	if flow.IsDefaultTLSPort(in.Flow.Server.Port) {
		return false, false
	}
	return programOpened(in)
}

// programOpened reports whether the connection opened with a program
// sent raw, on any port, and from which side.
func programOpened(in *Input) (fromClient, ok bool) {
	f := in.Flow
	if !programFirstApplies(in) || ftpActiveData(in) || len(f.PrefixRuns) == 0 || f.PrefixRuns[0].Mixed {
		return false, false
	}
	if tlsparse.Sniff(firstTurn(f)) != tlsparse.SniffExec {
		return false, false
	}
	return f.PrefixRuns[0].FromClient, true
}
