package evidence

import (
	"github.com/tlsentry/tlsentry/detector/transcript"
)

// webConventions has the bits of the checks whose rates say what web
// clients and servers do rather than what TLS allows: certificates a
// public CA would issue (issuer, names, validity, subject, a TLS 1.3
// flight big enough for a public chain), server names as browsers send
// them, servers that do not ask clients for certificates and clients
// that do not offer one. The corpus they are counted on is web traffic
// (TLS from the first byte, to web servers).
//
// They do not judge a service whose own protocol switches to TLS on its
// registered port (STARTTLS on mail, news, LDAP and XMPP, FTP's AUTH TLS,
// RDP's negotiation, the PostgreSQL and MySQL SSL requests;
// transcript.OwnPortUpgrade): those servers make their own certificate
// by default (Windows' Remote Desktop a self-signed one per host, MySQL
// 5.7 its own CA, Debian's mail, FTP and database packages the host's
// "snakeoil" certificate), are reached by address or an internal name,
// and ask for client certificates as a matter of course, so the web's
// rates would make every ordinary session to them an alert. The checks
// on what any TLS stack sends (grammar, old versions, broken suites,
// exploits) judge them as they judge any flow. It is the exchange before
// TLS that tells such a service, not the port: TLS from the first byte on
// a mail port is judged as the web's, as implants use those ports too
// (Qakbot's C2 servers answered TLS with self-signed certificates on 995
// and 2222 as on 443).
var webConventions = func() (m Fired) {
	for i, c := range checks {
		switch c.group {
		case GroupSNI, GroupCertSelf, GroupCertName, GroupCertTime, GroupCertSubj, GroupFlight:
			m |= 1 << i
		}
		switch c.id {
		case "hs.certificate_request", "hs.client_certificate":
			m |= 1 << i
		}
	}
	return m
}()

// judgedOn has the bits of the checks that judge flow x: all but the web's
// conventions where x's client switched to TLS through its port's own
// protocol.
func judgedOn(x *Input) Fired {
	if ownUpgrade(x) {
		return ^webConventions
	}
	return ^Fired(0)
}

// ownUpgrade reports whether x's client switched to TLS through the
// protocol registered for the server's port (Transcript.OwnUpgrade). A
// flow without a transcript
// (certificate checks alone need none) is described here: only on the
// few ports whose protocols upgrade, so that other flows pay nothing.
func ownUpgrade(x *Input) bool {
	port := x.Flow.Server.Port
	if !transcript.UpgradePort(port) {
		return false
	}
	t := x.T
	if t == nil {
		t = new(transcript.Transcript)
		transcript.Of(x.Flow, t)
	}
	return t.OwnUpgrade(port)
}
