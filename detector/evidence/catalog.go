package evidence

// CheckInfo describes one check for people: what `tlsentry model show`
// and docs/checks.md list beside its calibration.
type CheckInfo struct {
	ID    string // the check's stable id; a dynamic one ends in ".*"
	Group string // the fact it states: a group adds only its strongest check
	What  string // what makes it fire, in one sentence
	// Breach: it reads a breach of TLS's, TCP's or IP's grammar, which
	// decides a verdict on its own where the corpus never showed it.
	Breach bool
}

// Ids of the dynamic checks as the catalogue lists them: one check per
// protocol label or preamble kind, weighed alike.
const (
	AnyNotTLS   = prefixNotTLS + "*"
	AnyPreamble = prefixPreamble + "*"
)

// checkWhat says what makes each check fire. A test holds it to the
// checks: every check has a sentence, and no sentence is left over.
var checkWhat = map[string]string{
	AnyNotTLS:   "The client spoke another protocol (ssh, http, random-looking bytes, binary, a program sent raw...) to a TLS port; one check per protocol, `*` being its label.",
	AnyPreamble: "Bytes came before the ClientHello on a TLS port (an HTTP CONNECT or request, a PROXY header, STARTTLS, OpenVPN's framing, binary...); one check per kind, `*` being the kind.",

	"proto.no_handshake":         "A client seen from its SYN sent TLS records that never carry a handshake (FakeTLS-style framing).",
	"proto.server_first":         "The server sent non-TLS bytes on a TLS port before its client sent one: a greeting protocol or a stager's handler; no TLS server speaks first.",
	"proto.program_first":        "The connection, on any port, opened with a program sent raw (a Windows PE or an ELF at byte 0 or after a 4-byte length), as stagers receive their payload.",
	"tcp.overlap_different_data": "A side sent the same stream bytes twice with different data, as DPI-evasion tools send a decoy hello the server never takes.",
	"tcp.data_without_ack":       "A side sent data on segments without the ACK flag, which no TCP takes once a connection is open (RFC 9293): a decoy for monitors.",
	"tcp.data_before_start":      "A side sent data at sequence numbers before its stream's first byte, outside any receive window: a decoy for monitors.",
	"tcp.unexpected_signature":   "A side sent data signed with a TCP MD5 or TCP-AO option its SYN lacked, which a TCP without a key drops: a decoy for monitors.",
	"ip.tiny_fragments":          "A side's packets came in IP fragments smaller than any link needs (under 576 bytes for IPv4, 1280 for IPv6), as fragmentation-evasion tools cut them.",
	"hs.client_malformed":        "The ClientHello does not parse: a length or field no TLS stack writes.",
	"hs.client_truncated":        "The ClientHello stops short in a connection that ended or held still with it so.",
	"hs.server_malformed":        "The server's handshake flight does not parse.",
	"hs.client_certificate":      "The client sent a non-empty certificate in clear (TLS client authentication up to TLS 1.2).",
	"hs.roles_swapped":           "The side that opened the connection answered as the TLS server (it sent the ServerHello).",
	"hs.client_inconsistent":     "The ClientHello contradicts itself as libraries do not as shipped: TLS 1.3 offered with no TLS 1.3 suite, a key share for a group it does not list, an extension twice, an SSLv2 challenge of a length out of bounds.",
	"hs.client_random_suites":    "Most of the offered cipher suites (at least 4) are values the IANA registry does not assign: random numbers, as tools that dress other traffic as TLS send.",
	"hs.weak_random":             "A hello's random holds a run no generator writes (8 equal bytes, or 12 zeros).",
	"hs.hello_fragmented":        "The ClientHello was cut over several TLS records though one holds it (DPI evasion).",
	"tcp.hello_split":            "A ClientHello record came whole in several TCP segments, the first under 480 bytes, as DPI-evasion tools cut it (TCP allows it: not a breach).",
	"hs.server_unoffered":        "The server chose a suite, version or ALPN protocol, or answered an extension, that its client never offered: a canned hello.",
	"hs.certificate_request":     "The server asked the client for a certificate, in clear.",
	"hs.renegotiation":           "A TLS 1.2 (or older) session started a second handshake before its first application data, as renegotiation floods and exploits do.",
	"hs.data_before_handshake":   "Application data or a heartbeat came before the handshake was done.",
	"hs.unknown_content_type":    "A TLS record of a content type no version of TLS defines.",
	"hs.framing_broke":           "A side's bytes stopped being TLS records, where no bytes were missed.",

	"version.sslv2":         "The client offered SSL 2.0 at best; weighed by how often benign clients' best was that old.",
	"version.sslv3":         "The client offered SSL 3.0 at best; weighed by how often benign clients' best was that old or older.",
	"version.tls10":         "The client offered TLS 1.0 at best; weighed by how often benign clients' best was that old or older.",
	"version.tls11":         "The client offered TLS 1.1 at best (RFC 8996 deprecated it with 1.0); weighed by how often benign clients' best was that old or older.",
	"cipher.export_offered": "The client offered an EXPORT-grade cipher suite (or SSL 2.0 export spec).",
	"cipher.null_offered":   "The client offered a NULL (no encryption) cipher suite.",
	"cipher.anon_offered":   "The client offered an anonymous (unauthenticated) cipher suite.",
	"cipher.broken_chosen":  "The server chose an EXPORT, NULL or anonymous cipher suite.",
	"sni.missing":           "A ClientHello read whole names no server (no SNI, nor an encrypted one).",
	"sni.ip_literal":        "The server name is an IP address.",
	"sni.invalid":           "The server name is no host name: a byte no host name holds, an empty or over-long label (`${jndi:...}`, quotes, slashes).",
	"sni.generated":         "The server name looks machine-generated, by character trigrams learned from benign names and an English word list.",
	"sni.rare_tld":          "The server name ends in a generic top-level domain (three letters or more: .xyz, .top) no benign capture the model knows used; country codes and internal names (.local, .lan) aside.",
	"sni.onion_gateway":     "The server name is a Tor onion service's address on a web gateway (Tor2web), or ends in `.onion`.",

	"cert.self_signed":      "The leaf certificate is signed by its own key (a site's model knows its own servers').",
	"cert.self_issued":      "The leaf certificate names itself as its issuer (issuer = subject), though not signed by its own key (a site's model knows its own servers' self-made certificates, as for self-signed ones).",
	"cert.private_issuer":   "The chain the server sent leads to an authority that is not a root of the public Web PKI (a site's model knows its own CAs).",
	"cert.name_mismatch":    "The certificate's names do not cover the server name the client asked for.",
	"cert.placeholder_name": "The certificate names a placeholder: a name reserved for examples (RFC 2606, RFC 6761) or OpenSSL's template defaults (Some-State, Internet Widgits Pty Ltd...).",
	"cert.generated_name":   "The certificate's names look machine-generated.",
	"cert.expired":          "The certificate had expired at the flow's time.",
	"cert.not_yet_valid":    "The certificate was not yet valid at the flow's time.",
	"cert.validity_short":   "The certificate is valid for less than 2 days.",
	"cert.validity_long":    "The certificate is valid for more than 825 days.",
	"cert.fresh":            "A public CA's leaf in its first week at the flow's time, as a server set up for the occasion shows.",

	"exploit.heartbleed":    "The records show Heartbleed (CVE-2014-0160): a heartbeat request that overflows, is answered with more than it sent, or comes before any application data.",
	"exploit.ccs_injection": "The records show CCS injection (CVE-2014-0224): the client's ChangeCipherSpec before its key exchange.",
	"exploit.curveball":     "The server's chain holds a certificate whose elliptic-curve key spells its curve out: CurveBall (CVE-2020-0601).",
	"flight.small_chain":    "In a TLS 1.3 full handshake, the server's encrypted first turn is too small to hold a chain of the public Web PKI: a tool's or an operator's own certificate (a site's model knows its own servers).",
}

// Catalog lists every check as a person reads it: the dynamic ones
// first, then the fixed ones in the order reasons list them.
func Catalog() []CheckInfo {
	out := dynamicInfos()
	for _, c := range checks {
		out = append(out, c.info())
	}
	return out
}

// dynamicInfos are the dynamic checks' entries.
func dynamicInfos() []CheckInfo {
	return []CheckInfo{
		{ID: AnyNotTLS, Group: GroupProtocol, What: checkWhat[AnyNotTLS]},
		{ID: AnyPreamble, Group: GroupPreamble, What: checkWhat[AnyPreamble]},
	}
}

func (c check) info() CheckInfo {
	return CheckInfo{ID: c.id, Group: c.group, What: checkWhat[c.id], Breach: c.violation}
}
