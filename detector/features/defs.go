package features

// Schema names the feature layout; a model trained on one refuses another,
// except an older layout this one extends (Layout).
const Schema = "handshake-features-v4-quic"

// Sizes of a feature layout: the numeric vector and the categorical
// features. A layout that extends another appends to both, so a model of
// the older one reads the first part of this build's values.
type Sizes struct{ Len, Cats int }

// Layout returns the sizes of schema's layout when this build's features
// start with it: this build's own, or the one before the transport
// features were appended, whose models (the embedded default among them)
// still load and score TCP flows as before.
func Layout(schema string) (Sizes, bool) {
	switch schema {
	case Schema:
		return Sizes{Len, int(NumCats)}, true
	case "handshake-features-v4":
		return Sizes{FQUIC, int(CTransport)}, true
	}
	return Sizes{}, false
}

// Format says how a numeric feature's value reads in words.
type Format uint8

const (
	FormatNumber  Format = iota // a plain number
	FormatFlag                  // 0 or 1: "no" / "yes"
	FormatVersion               // a TLS version code: "TLS 1.2"
	FormatBucket                // a hashed-list bucket count
	FormatLog                   // log2(1+x) of a byte count; shown as the count
)

// Group says which fact a feature describes. Novelty counts each group
// once (its strongest member), so that one new client library, which
// shows in its JA4, its JA3N, its cipher list and its extension list at
// once, counts as one fact.
type Group uint8

const (
	GClient   Group = iota // the client's TLS stack
	GServer                // the server's TLS stack
	GCert                  // the server's certificate
	GProtocol              // protocol and framing: TLS or not, records, messages
	GPreamble              // what came before the handshake
	GFlow                  // sizes and turns (forest only; no novelty)
	NumGroups
)

var groupNames = [NumGroups]string{"client stack", "server stack", "certificate", "protocol and framing", "bytes before the handshake", "flow shape"}

func (g Group) String() string {
	if g < NumGroups {
		return groupNames[g]
	}
	return "?"
}

// Def describes one numeric feature.
type Def struct {
	Name  string // stable identifier, e.g. "client.ciphers"
	Label string // in words, e.g. "number of cipher suites offered"
	Format
	// Range marks features whose values outside the training range are
	// novel on their own (structural values: flags, counts, versions).
	// Flags that an evidence check states (truncated or malformed hello,
	// no SNI, self-signed, bytes before the hello...) are left to the
	// evidence, so that one fact is not counted in two layers.
	Range bool
	Group Group
}

// Numeric feature indexes. The hashed lists take several slots each.
const (
	FTLS = iota
	FClientHello
	FClientTruncated
	FClientError
	FClientSSLv2
	FRecordVersion
	FClientVersion
	FMaxVersion
	FCiphers
	FExtensions
	FGroups
	FSigAlgs
	FALPNs
	FVersions
	FKeyShares
	FSessionIDLen
	FCompression
	FGREASE
	FSessionTicket
	FPSK
	FEarlyData
	FWeakCiphers
	FCBCCiphers
	FTLS13Ciphers
	FHelloLen
	FSNIPresent
	FSNILen
	FSNILabels
	FSNIDigits
	FSNIHyphens
	FSNIEntropy
	FSNIIsIP
	FALPNH2
	FALPNHTTP11
	FServerHello
	FServerVersion
	FServerExtensions
	FServerHRR
	FServerAlert
	FServerError
	FServerEncRecords
	FServerEncMax
	FCertPresent
	FCertSelfSigned
	FCertSelfIssued
	FCertValidityDays
	FCertChain
	FCertSANs
	FCertExpired
	FBytesToServer
	FBytesToClient
	FPrefixLen
	FTurns
	FGap
	FMidstream
	FClientFirst
	FFirstRunLen
	FSecondRunLen
	FPreambleLen
	FClientCert
	FCertRequest
	FDataEarly
	FUnknownType
	FNoHandshake
	FFramingBroke
	FClientRecords
	FCipherHash // first of cipherBuckets slots
)

// Sizes of the hashed lists.
const (
	cipherBuckets = 16
	extBuckets    = 16
	groupBuckets  = 8
	sigBuckets    = 8

	FExtHash   = FCipherHash + cipherBuckets
	FGroupHash = FExtHash + extBuckets
	FSigHash   = FGroupHash + groupBuckets
)

// The transport features, after the hashed lists (appended to the layout
// handshake-features-v4, so that its models still load: see Layout).
const (
	FQUIC            = FSigHash + sigBuckets + iota // TLS inside QUIC (UDP)
	FQUICUndecrypted                                // looked like QUIC, no Initial opened
	// Len is the length of the numeric vector.
	Len
)

var defs = [Len]Def{
	FTLS:              {"tls", "speaks TLS", FormatFlag, false, GProtocol},
	FClientHello:      {"client.hello", "ClientHello parsed", FormatFlag, true, GProtocol},
	FClientTruncated:  {"client.truncated", "ClientHello cut short", FormatFlag, false, GProtocol},
	FClientError:      {"client.error", "ClientHello malformed", FormatFlag, false, GProtocol},
	FClientSSLv2:      {"client.sslv2", "SSLv2-format ClientHello", FormatFlag, true, GProtocol},
	FRecordVersion:    {"client.record_version", "ClientHello record version", FormatVersion, false, GClient},
	FClientVersion:    {"client.version", "ClientHello version", FormatVersion, false, GClient},
	FMaxVersion:       {"client.max_version", "highest TLS version offered", FormatVersion, false, GClient},
	FCiphers:          {"client.ciphers", "number of cipher suites offered", FormatNumber, true, GClient},
	FExtensions:       {"client.extensions", "number of ClientHello extensions", FormatNumber, true, GClient},
	FGroups:           {"client.groups", "number of supported groups", FormatNumber, true, GClient},
	FSigAlgs:          {"client.sigalgs", "number of signature algorithms", FormatNumber, true, GClient},
	FALPNs:            {"client.alpns", "number of ALPN protocols offered", FormatNumber, true, GClient},
	FVersions:         {"client.versions", "number of supported_versions", FormatNumber, true, GClient},
	FKeyShares:        {"client.key_shares", "number of key shares", FormatNumber, true, GClient},
	FSessionIDLen:     {"client.session_id_len", "session id length", FormatNumber, true, GClient},
	FCompression:      {"client.compression", "number of compression methods", FormatNumber, true, GClient},
	FGREASE:           {"client.grease", "GREASE values present", FormatFlag, true, GClient},
	FSessionTicket:    {"client.session_ticket", "session ticket extension present", FormatFlag, false, GClient},
	FPSK:              {"client.psk", "pre-shared key offered (resumption)", FormatFlag, false, GClient},
	FEarlyData:        {"client.early_data", "0-RTT early data offered", FormatFlag, true, GClient},
	FWeakCiphers:      {"client.weak_ciphers", "weak cipher suites offered (RC4, 3DES, NULL, EXPORT, anon)", FormatNumber, true, GClient},
	FCBCCiphers:       {"client.cbc_ciphers", "CBC cipher suites offered", FormatNumber, false, GClient},
	FTLS13Ciphers:     {"client.tls13_ciphers", "TLS 1.3 cipher suites offered", FormatNumber, true, GClient},
	FHelloLen:         {"client.hello_len", "ClientHello length", FormatNumber, false, GClient},
	FSNIPresent:       {"sni.present", "server name (SNI) sent", FormatFlag, false, GClient},
	FSNILen:           {"sni.len", "server name length", FormatNumber, false, GClient},
	FSNILabels:        {"sni.labels", "labels in the server name", FormatNumber, false, GClient},
	FSNIDigits:        {"sni.digits", "share of digits in the server name", FormatNumber, false, GClient},
	FSNIHyphens:       {"sni.hyphens", "share of hyphens in the server name", FormatNumber, false, GClient},
	FSNIEntropy:       {"sni.entropy", "character entropy of the server name (bits)", FormatNumber, false, GClient},
	FSNIIsIP:          {"sni.is_ip", "server name is an IP address", FormatFlag, false, GClient},
	FALPNH2:           {"alpn.h2", "offers h2", FormatFlag, false, GClient},
	FALPNHTTP11:       {"alpn.http11", "offers http/1.1", FormatFlag, false, GClient},
	FServerHello:      {"server.hello", "ServerHello seen", FormatFlag, false, GProtocol},
	FServerVersion:    {"server.version", "version the server chose", FormatVersion, false, GServer},
	FServerExtensions: {"server.extensions", "number of ServerHello extensions", FormatNumber, false, GServer},
	FServerHRR:        {"server.hrr", "HelloRetryRequest", FormatFlag, false, GServer},
	FServerAlert:      {"server.alert", "server answered with an alert", FormatFlag, true, GProtocol},
	FServerError:      {"server.error", "server handshake malformed", FormatFlag, true, GProtocol},
	FServerEncRecords: {"server.encrypted_records", "encrypted records in the server's turn that answers the hello", FormatNumber, false, GCert},
	FServerEncMax:     {"server.encrypted_max", "largest encrypted record in the server's turn that answers the hello (TLS 1.3: usually its certificates)", FormatNumber, false, GCert},
	FCertPresent:      {"cert.present", "certificate in clear", FormatFlag, false, GCert},
	FCertSelfSigned:   {"cert.self_signed", "self-signed certificate", FormatFlag, false, GCert},
	FCertSelfIssued:   {"cert.self_issued", "self-issued certificate", FormatFlag, false, GCert},
	FCertValidityDays: {"cert.validity_days", "certificate validity (days)", FormatNumber, false, GCert},
	FCertChain:        {"cert.chain", "certificate chain length", FormatNumber, false, GCert},
	FCertSANs:         {"cert.sans", "names in the certificate", FormatNumber, false, GCert},
	FCertExpired:      {"cert.expired", "certificate outside its validity", FormatFlag, false, GCert},
	FBytesToServer:    {"flow.bytes_to_server", "bytes client to server", FormatLog, false, GFlow},
	FBytesToClient:    {"flow.bytes_to_client", "bytes server to client", FormatLog, false, GFlow},
	FPrefixLen:        {"flow.prefix_len", "payload bytes captured", FormatNumber, false, GFlow},
	FTurns:            {"flow.turns", "turns in the first bytes", FormatNumber, false, GFlow},
	FGap:              {"flow.gap", "bytes missing in the capture", FormatFlag, false, GFlow},
	FMidstream:        {"flow.midstream", "connection start not seen", FormatFlag, false, GFlow},
	FClientFirst:      {"flow.client_first", "client spoke first", FormatFlag, true, GProtocol},
	FFirstRunLen:      {"flow.first_run", "length of the first turn", FormatNumber, false, GFlow},
	FSecondRunLen:     {"flow.second_run", "length of the second turn", FormatNumber, false, GFlow},
	FPreambleLen:      {"client.preamble_len", "bytes the client sent before its ClientHello", FormatLog, false, GPreamble},
	FClientCert:       {"client.certificate", "client sent a certificate in clear", FormatFlag, false, GProtocol},
	FCertRequest:      {"server.certificate_request", "server asked for a client certificate", FormatFlag, false, GProtocol},
	FDataEarly:        {"flow.data_before_handshake", "application data or heartbeat before the handshake was done", FormatFlag, false, GProtocol},
	FUnknownType:      {"flow.unknown_record_type", "record of a content type TLS does not define", FormatFlag, false, GProtocol},
	FNoHandshake:      {"client.no_handshake", "client sent TLS records but no handshake, seen from its SYN", FormatFlag, false, GProtocol},
	FFramingBroke:     {"flow.framing_broke", "bytes stop being TLS records inside the prefix", FormatFlag, false, GProtocol},
	FClientRecords:    {"client.records", "TLS records the client sent in the prefix", FormatNumber, false, GFlow},
	FQUIC:             {"flow.quic", "carried by QUIC (UDP)", FormatFlag, false, GProtocol},
	FQUICUndecrypted:  {"quic.undecrypted", "looks like QUIC but no Initial packet opened with the Initial keys", FormatFlag, true, GProtocol},
}

func init() {
	for i := range cipherBuckets {
		defs[FCipherHash+i] = Def{Name: bucketName("client.cipher_bucket", i), Label: "cipher suites in hash bucket", Format: FormatBucket, Group: GClient}
	}
	for i := range extBuckets {
		defs[FExtHash+i] = Def{Name: bucketName("client.ext_bucket", i), Label: "extensions in hash bucket", Format: FormatBucket}
	}
	for i := range groupBuckets {
		defs[FGroupHash+i] = Def{Name: bucketName("client.group_bucket", i), Label: "groups in hash bucket", Format: FormatBucket}
	}
	for i := range sigBuckets {
		defs[FSigHash+i] = Def{Name: bucketName("client.sigalg_bucket", i), Label: "signature algorithms in hash bucket", Format: FormatBucket}
	}
}

func bucketName(prefix string, i int) string {
	return prefix + "." + string(rune('0'+i/10)) + string(rune('0'+i%10))
}

// Defs returns the numeric features' descriptions, indexed like a vector.
func Defs() []Def { return defs[:] }
