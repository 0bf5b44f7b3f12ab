package features

// Schema names the feature layout; a model trained on one refuses another,
// except an older layout this one extends (Layout).
const Schema = "handshake-features-v2-quic"

// Sizes of a feature layout: the numeric vector and the categorical
// features. A layout that extends another appends to both, so a model of
// the older one reads the first part of this build's values.
type Sizes struct{ Len, Cats int }

// Layout returns the sizes of schema's layout when this build's features
// start with it (this build's own, or an older one it appends to).
func Layout(schema string) (Sizes, bool) {
	switch schema {
	case Schema:
		return Sizes{Len, int(NumCats)}, true
	case "handshake-features-v2": // before the transport features
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

// Def describes one numeric feature.
type Def struct {
	Name  string // stable identifier, e.g. "client.ciphers"
	Label string // in words, e.g. "number of cipher suites offered"
	Format
	// Range marks features whose values outside the training range are
	// novel on their own (structural values: flags, counts, versions).
	Range bool
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
// handshake-features-v2, so that models of it still load: see Layout).
const (
	FQUIC            = FSigHash + sigBuckets + iota // TLS inside QUIC (UDP)
	FQUICUndecrypted                                // looked like QUIC, no Initial opened
	// Len is the length of the numeric vector.
	Len
)

var defs = [Len]Def{
	FTLS:              {"tls", "speaks TLS", FormatFlag, true},
	FClientHello:      {"client.hello", "ClientHello parsed", FormatFlag, true},
	FClientTruncated:  {"client.truncated", "ClientHello cut short", FormatFlag, true},
	FClientError:      {"client.error", "ClientHello malformed", FormatFlag, true},
	FClientSSLv2:      {"client.sslv2", "SSLv2-format ClientHello", FormatFlag, true},
	FRecordVersion:    {"client.record_version", "ClientHello record version", FormatVersion, false},
	FClientVersion:    {"client.version", "ClientHello version", FormatVersion, false},
	FMaxVersion:       {"client.max_version", "highest TLS version offered", FormatVersion, false},
	FCiphers:          {"client.ciphers", "number of cipher suites offered", FormatNumber, true},
	FExtensions:       {"client.extensions", "number of ClientHello extensions", FormatNumber, true},
	FGroups:           {"client.groups", "number of supported groups", FormatNumber, true},
	FSigAlgs:          {"client.sigalgs", "number of signature algorithms", FormatNumber, true},
	FALPNs:            {"client.alpns", "number of ALPN protocols offered", FormatNumber, true},
	FVersions:         {"client.versions", "number of supported_versions", FormatNumber, true},
	FKeyShares:        {"client.key_shares", "number of key shares", FormatNumber, true},
	FSessionIDLen:     {"client.session_id_len", "session id length", FormatNumber, true},
	FCompression:      {"client.compression", "number of compression methods", FormatNumber, true},
	FGREASE:           {"client.grease", "GREASE values present", FormatFlag, true},
	FSessionTicket:    {"client.session_ticket", "session ticket extension present", FormatFlag, false},
	FPSK:              {"client.psk", "pre-shared key offered (resumption)", FormatFlag, false},
	FEarlyData:        {"client.early_data", "0-RTT early data offered", FormatFlag, true},
	FWeakCiphers:      {"client.weak_ciphers", "weak cipher suites offered (RC4, 3DES, NULL, EXPORT, anon)", FormatNumber, true},
	FCBCCiphers:       {"client.cbc_ciphers", "CBC cipher suites offered", FormatNumber, false},
	FTLS13Ciphers:     {"client.tls13_ciphers", "TLS 1.3 cipher suites offered", FormatNumber, true},
	FHelloLen:         {"client.hello_len", "ClientHello length", FormatNumber, false},
	FSNIPresent:       {"sni.present", "server name (SNI) sent", FormatFlag, true},
	FSNILen:           {"sni.len", "server name length", FormatNumber, false},
	FSNILabels:        {"sni.labels", "labels in the server name", FormatNumber, false},
	FSNIDigits:        {"sni.digits", "share of digits in the server name", FormatNumber, false},
	FSNIHyphens:       {"sni.hyphens", "share of hyphens in the server name", FormatNumber, false},
	FSNIEntropy:       {"sni.entropy", "character entropy of the server name (bits)", FormatNumber, false},
	FSNIIsIP:          {"sni.is_ip", "server name is an IP address", FormatFlag, true},
	FALPNH2:           {"alpn.h2", "offers h2", FormatFlag, false},
	FALPNHTTP11:       {"alpn.http11", "offers http/1.1", FormatFlag, false},
	FServerHello:      {"server.hello", "ServerHello seen", FormatFlag, false},
	FServerVersion:    {"server.version", "version the server chose", FormatVersion, false},
	FServerExtensions: {"server.extensions", "number of ServerHello extensions", FormatNumber, false},
	FServerHRR:        {"server.hrr", "HelloRetryRequest", FormatFlag, false},
	FServerAlert:      {"server.alert", "server answered with an alert", FormatFlag, true},
	FServerError:      {"server.error", "server handshake malformed", FormatFlag, true},
	FServerEncRecords: {"server.encrypted_records", "encrypted records in the server's first turn", FormatNumber, false},
	FServerEncMax:     {"server.encrypted_max", "largest encrypted record in the server's first turn (TLS 1.3: usually its certificates)", FormatNumber, false},
	FCertPresent:      {"cert.present", "certificate in clear", FormatFlag, false},
	FCertSelfSigned:   {"cert.self_signed", "self-signed certificate", FormatFlag, true},
	FCertSelfIssued:   {"cert.self_issued", "self-issued certificate", FormatFlag, true},
	FCertValidityDays: {"cert.validity_days", "certificate validity (days)", FormatNumber, false},
	FCertChain:        {"cert.chain", "certificate chain length", FormatNumber, false},
	FCertSANs:         {"cert.sans", "names in the certificate", FormatNumber, false},
	FCertExpired:      {"cert.expired", "certificate outside its validity", FormatFlag, true},
	FBytesToServer:    {"flow.bytes_to_server", "bytes client to server", FormatLog, false},
	FBytesToClient:    {"flow.bytes_to_client", "bytes server to client", FormatLog, false},
	FPrefixLen:        {"flow.prefix_len", "payload bytes captured", FormatNumber, false},
	FTurns:            {"flow.turns", "turns in the first bytes", FormatNumber, false},
	FGap:              {"flow.gap", "bytes missing in the capture", FormatFlag, false},
	FMidstream:        {"flow.midstream", "connection start not seen", FormatFlag, false},
	FClientFirst:      {"flow.client_first", "client spoke first", FormatFlag, true},
	FFirstRunLen:      {"flow.first_run", "length of the first turn", FormatNumber, false},
	FSecondRunLen:     {"flow.second_run", "length of the second turn", FormatNumber, false},
	FQUIC:             {"flow.quic", "carried by QUIC (UDP)", FormatFlag, false},
	FQUICUndecrypted:  {"quic.undecrypted", "looks like QUIC but no Initial packet opened with the Initial keys", FormatFlag, true},
}

func init() {
	for i := range cipherBuckets {
		defs[FCipherHash+i] = Def{Name: bucketName("client.cipher_bucket", i), Label: "cipher suites in hash bucket", Format: FormatBucket}
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
