package features

// Cat indexes a categorical feature: values compared with what training
// saw, never ordered. Some hold a set (every cipher suite offered).
type Cat uint8

const (
	CAppProto      Cat = iota // "tls", "ssh", "http", "binary"...
	CRecordVersion            // ClientHello record version
	CClientVersion            // ClientHello legacy version
	CMaxVersion               // highest version offered
	CServerVersion            // version the server chose
	CJA4                      // JA4 fingerprint
	CJA3N                     // JA3 with sorted extensions
	CJA4Ciphers               // JA4's cipher part (b)
	CJA4Exts                  // JA4's extension part (c)
	CCipher                   // set: cipher suites offered
	CExtension                // set: extension types sent
	CGroup                    // set: supported groups
	CSigAlg                   // set: signature algorithms
	CALPN                     // set: ALPN protocols offered
	CServerCipher             // cipher suite the server chose
	CServerALPN               // ALPN protocol the server chose
	CCertIssuer               // issuer of the certificate in clear
	CCertKey                  // public key type of that certificate
	CServerEncMax             // largest encrypted record of the server's first turn
	CTransport                // "tcp", or "quic": the transport the TLS came in
	NumCats
)

// CatDef describes a categorical feature.
type CatDef struct {
	Name  string
	Label string
	Set   bool // holds several values per flow
}

var catDefs = [NumCats]CatDef{
	CAppProto:      {"app_proto", "protocol", false},
	CRecordVersion: {"client.record_version", "ClientHello record version", false},
	CClientVersion: {"client.version", "ClientHello version", false},
	CMaxVersion:    {"client.max_version", "highest TLS version offered", false},
	CServerVersion: {"server.version", "TLS version the server chose", false},
	CJA4:           {"tls.ja4", "JA4 fingerprint", false},
	CJA3N:          {"tls.ja3n", "JA3N fingerprint", false},
	CJA4Ciphers:    {"tls.ja4.ciphers", "cipher list (JA4 part b)", false},
	CJA4Exts:       {"tls.ja4.extensions", "extension list (JA4 part c)", false},
	CCipher:        {"client.cipher", "cipher suite offered", true},
	CExtension:     {"client.extension", "ClientHello extension", true},
	CGroup:         {"client.group", "supported group", true},
	CSigAlg:        {"client.sigalg", "signature algorithm", true},
	CALPN:          {"client.alpn", "ALPN protocol offered", true},
	CServerCipher:  {"server.cipher", "cipher suite the server chose", false},
	CServerALPN:    {"server.alpn", "ALPN protocol the server chose", false},
	CCertIssuer:    {"cert.issuer", "certificate issuer", false},
	CCertKey:       {"cert.key", "certificate key type", false},
	CServerEncMax:  {"server.encrypted_max", "length of the server's largest encrypted handshake record (TLS 1.3 certificates)", false},
	CTransport:     {"transport", "transport", false},
}

// CatDefs returns the categorical features' descriptions.
func CatDefs() []CatDef { return catDefs[:] }
