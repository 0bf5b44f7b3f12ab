package transcript

import "github.com/tlsentry/tlsentry/flow/tlsparse"

// upgradePorts are the ports whose protocol switches to TLS after its
// own exchange, by the kind of preamble that exchange is: there the
// preamble is the protocol working as specified (RFC 3207 SMTP, RFC 2595
// POP3 and IMAP, RFC 4217 FTP, RFC 4642 NNTP, RFC 4511 LDAP, RFC 5804
// ManageSieve, RFC 6120 XMPP; RDP's X.224 negotiation on 3389), not
// something before a TLS client's hello.
var upgradePorts = map[string][]uint16{
	PreambleSTARTTLS:  {21, 25, 110, 119, 143, 389, 587, 2525, 4190, 5222, 5269},
	tlsparse.SniffRDP: {3389},
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
