package transcript

import (
	"bytes"

	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// upgradePorts are the ports whose protocol switches to TLS after its
// own exchange, by the kind of preamble that exchange is: there the
// preamble is the protocol working as specified (RFC 3207 SMTP, RFC 2595
// POP3 and IMAP, RFC 4217 FTP, RFC 4642 NNTP, RFC 4511 LDAP, RFC 5804
// ManageSieve, RFC 6120 XMPP; RDP's X.224 negotiation on 3389;
// PostgreSQL's SSLRequest on 5432 and MySQL's SSL request packet on 3306;
// OpenVPN's framing on 1194, its IANA port, whose control channel carries
// TLS with the VPN's own CA and client certificates), not something
// before a TLS client's hello.
var upgradePorts = map[string][]uint16{
	PreambleSTARTTLS:  {21, 25, 110, 119, 143, 389, 587, 2525, 4190, 5222, 5269},
	tlsparse.SniffRDP: {3389},
	PreamblePgSQL:     {5432},
	PreambleMySQL:     {3306},
	PreambleOpenVPN:   {1194},
}

// pgsqlSSLRequest is PostgreSQL's SSLRequest message: length 8, then the
// request code 80877103 (PostgreSQL's protocol documentation, "SSL
// Session Encryption"). The server answers one byte, S, and TLS follows.
var pgsqlSSLRequest = []byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}

// isMySQLSSLRequest matches MySQL's SSL request packet, the client's
// answer to the server's greeting when it switches to TLS: a 32-byte
// payload (sequence 1) whose capability flags have CLIENT_SSL (0x800) set
// and end in 23 zero bytes (MySQL's client/server protocol,
// Protocol::SSLRequest).
func isMySQLSSLRequest(p []byte) bool {
	if len(p) != 36 || p[0] != 32 || p[1] != 0 || p[2] != 0 || p[3] != 1 || p[5]&0x08 == 0 {
		return false
	}
	for _, b := range p[13:] {
		if b != 0 {
			return false
		}
	}
	return true
}

// isMySQLGreeting matches a MySQL server's greeting that offers TLS, the
// whole of the server's bytes before its hello: one packet (sequence 0)
// of protocol version 10, its NUL-terminated version, a 4-byte thread
// id, 8 bytes of salt, a zero filler and capability flags with CLIENT_SSL
// (0x800) set (Protocol::HandshakeV10).
func isMySQLGreeting(p []byte) bool {
	if len(p) < 5 || p[3] != 0 || p[4] != 10 || 4+(int(p[0])|int(p[1])<<8|int(p[2])<<16) != len(p) {
		return false
	}
	end := bytes.IndexByte(p[5:], 0)
	if end < 0 {
		return false
	}
	caps := 5 + end + 1 + 4 + 8 + 1 // past the version's NUL, the thread id, the salt and the filler
	return caps+2 <= len(p) && p[caps-1] == 0 && p[caps+1]&0x08 != 0
}

// serverTells are the server preambles that tell their port's upgrade
// from the server's side, by the kind of client preamble they answer.
var serverTells = map[string]string{
	PreambleSTARTTLS:      PreambleSTARTTLS,  // a go-ahead, FTP's feature list
	tlsparse.SniffRDP:     tlsparse.SniffRDP, // X.224's connection confirm
	PreambleMySQLGreeting: PreambleMySQL,
}

// OwnPortUpgrade says whether a client preamble of this kind is how the
// protocol registered for the server's port starts TLS.
func OwnPortUpgrade(kind string, port uint16) bool {
	for _, p := range upgradePorts[kind] {
		if p == port {
			return true
		}
	}
	return false
}

// OwnUpgrade says whether the client switched to TLS through the protocol
// registered for the server's port: by the client's side of the exchange,
// or by the server's where that is the protocol's own answer (serverTells)
// and the port's protocol upgrades so, as when the capture lost the
// segment that carried the client's request, or put the server's bytes
// first (a tap merging the directions with clocks apart) so that the
// client's fell past the prefix.
func (t *Transcript) OwnUpgrade(port uint16) bool {
	if OwnPortUpgrade(t.Client.Preamble, port) {
		return true
	}
	kind, ok := serverTells[t.Server.Preamble]
	return ok && OwnPortUpgrade(kind, port)
}

// UpgradePort says whether the protocol registered for port switches to
// TLS after its own exchange (any kind of preamble).
func UpgradePort(port uint16) bool { return upgradeSet[port] }

var upgradeSet = func() map[uint16]bool {
	m := map[uint16]bool{}
	for _, ports := range upgradePorts {
		for _, p := range ports {
			m[p] = true
		}
	}
	return m
}()
