package evidence

import (
	"fmt"

	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// helloChecks read the client's offer: its best version, the broken
// suites it offers (or the server chose), and the server name.
var helloChecks = []check{
	versionCheck("version.sslv2", tlsparse.VersionSSL20),
	versionCheck("version.sslv3", tlsparse.VersionSSL30),
	versionCheck("version.tls10", tlsparse.VersionTLS10),
	// RFC 8996 deprecated TLS 1.1 with 1.0, and browsers dropped both in
	// 2020; a client whose best is 1.1 is as old a stack, weighed by its
	// own rate (rarer than 1.0 in every era).
	versionCheck("version.tls11", tlsparse.VersionTLS11),
	suiteCheck("cipher.export_offered", "EXPORT-grade", exportSuite, false),
	suiteCheck("cipher.null_offered", "NULL (no encryption)", nullSuite, false),
	suiteCheck("cipher.anon_offered", "anonymous (unauthenticated)", anonSuite, false),
	suiteCheck("cipher.broken_chosen", "EXPORT, NULL or anonymous", brokenSuite, true),
	// A hello that sends its server name encrypted (ESNI, ECH) names it;
	// one whose extensions were not read whole (it does not parse, or
	// stops short) may name it where the reading stopped: unknown, not
	// missing.
	{id: "sni.missing", group: GroupSNI, applies: wholeHello,
		fires: func(in *Input) bool { return in.TLS.Client.ServerName == "" && !encryptedName(in.TLS.Client) },
		describe: func(in *Input) (string, string, string) {
			return "tls.sni", "none", "the ClientHello names no server (no SNI)"
		}},
	{id: "sni.ip_literal", group: GroupSNI, applies: hello,
		fires: func(in *Input) bool { return isIP(in.TLS.Client.ServerName) },
		describe: func(in *Input) (string, string, string) {
			s := in.TLS.Client.ServerName
			return "tls.sni", s, fmt.Sprintf("the server name is an IP address (%s), which SNI does not allow", s)
		}},
	{id: "sni.invalid", group: GroupSNI, applies: namedHello,
		fires: func(in *Input) bool {
			flaw, _ := hostNameFlaw(in.TLS.Client.ServerName)
			return flaw != nameOK && !isIP(in.TLS.Client.ServerName)
		},
		describe: func(in *Input) (string, string, string) {
			s := in.TLS.Client.ServerName
			return "tls.sni", s, describeHostName(s)
		}},
	{id: "sni.generated", group: GroupSNI, applies: namedHello,
		firesNames: func(in *Input, m *NameModel) bool { return m.Generated(in.TLS.Client.ServerName) },
		describeNames: func(in *Input, m *NameModel) (string, string, string) {
			name := in.TLS.Client.ServerName
			bits, label := m.Score(name)
			return "tls.sni", name, fmt.Sprintf("the server name %s looks machine-generated: its label %q costs %.1f bits a character against benign names (at most %.1f for 99%% of them)", name, label, bits, m.Cutoff)
		}},
	{id: "sni.onion_gateway", group: GroupSNI, applies: namedHello,
		fires: func(in *Input) bool { _, _, ok := onionService(in.TLS.Client.ServerName); return ok },
		describe: func(in *Input) (string, string, string) {
			s := in.TLS.Client.ServerName
			return "tls.sni", s, describeOnion(s)
		}},
	{id: "sni.rare_tld", group: GroupSNI, applies: genericNamedHello, firesTable: rareTLD, describeTable: describeRareTLD},
}
