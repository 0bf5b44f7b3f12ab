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
	CServerEncMax             // largest encrypted record of the server's turn that answers the hello
	CPreamble                 // what came before the client's first handshake record
	CClientMsgs               // set: handshake messages the client sent in clear
	CServerMsgs               // set: handshake messages the server sent in clear
	CRecordTypes              // set: record content types each side sent ("client application_data")
	CServerDomain             // the SNI's last two labels: whom the client talks to
	CTransport                // "tcp", or "quic": what carried the TLS
	NumCats
)

// CatDef describes a categorical feature.
type CatDef struct {
	Name  string
	Label string
	Set   bool // holds several values per flow
	Group Group
}

var catDefs = [NumCats]CatDef{
	CAppProto:      {"app_proto", "protocol", false, GProtocol},
	CRecordVersion: {"client.record_version", "ClientHello record version", false, GClient},
	CClientVersion: {"client.version", "ClientHello version", false, GClient},
	CMaxVersion:    {"client.max_version", "highest TLS version offered", false, GClient},
	CServerVersion: {"server.version", "TLS version the server chose", false, GServer},
	CJA4:           {"tls.ja4", "JA4 fingerprint", false, GClient},
	CJA3N:          {"tls.ja3n", "JA3N fingerprint", false, GClient},
	CJA4Ciphers:    {"tls.ja4.ciphers", "cipher list (JA4 part b)", false, GClient},
	CJA4Exts:       {"tls.ja4.extensions", "extension list (JA4 part c)", false, GClient},
	CCipher:        {"client.cipher", "cipher suite offered", true, GClient},
	CExtension:     {"client.extension", "ClientHello extension", true, GClient},
	CGroup:         {"client.group", "supported group", true, GClient},
	CSigAlg:        {"client.sigalg", "signature algorithm", true, GClient},
	CALPN:          {"client.alpn", "ALPN protocol offered", true, GClient},
	CServerCipher:  {"server.cipher", "cipher suite the server chose", false, GServer},
	CServerALPN:    {"server.alpn", "ALPN protocol the server chose", false, GServer},
	CCertIssuer:    {"cert.issuer", "certificate issuer", false, GCert},
	CCertKey:       {"cert.key", "certificate key type", false, GCert},
	CServerEncMax:  {"server.encrypted_max", "length of the server's largest encrypted handshake record (TLS 1.3 certificates)", false, GCert},
	CPreamble:      {"client.preamble", "bytes before the ClientHello", false, GPreamble},
	CClientMsgs:    {"client.messages", "handshake message the client sent in clear", true, GProtocol},
	CServerMsgs:    {"server.messages", "handshake message the server sent in clear", true, GProtocol},
	CRecordTypes:   {"flow.record_types", "TLS record type sent", true, GProtocol},
	CServerDomain:  {"tls.sni_domain", "server domain (last two labels of the SNI)", false, GServer},
	CTransport:     {"transport", "transport", false, GProtocol},
}

// CatDefs returns the categorical features' descriptions.
func CatDefs() []CatDef { return catDefs[:] }
