package tlsparse

// Extension is one hello extension: its type and its raw data (which
// aliases the hello's Raw bytes).
type Extension struct {
	Type uint16
	Data []byte
}

// Extension types this package looks into (IANA TLS ExtensionType values).
const (
	ExtServerName           uint16 = 0x0000
	ExtStatusRequest        uint16 = 0x0005
	ExtSupportedGroups      uint16 = 0x000a
	ExtECPointFormats       uint16 = 0x000b
	ExtSignatureAlgorithms  uint16 = 0x000d
	ExtALPN                 uint16 = 0x0010
	ExtPadding              uint16 = 0x0015
	ExtSessionTicket        uint16 = 0x0023
	ExtPreSharedKey         uint16 = 0x0029
	ExtEarlyData            uint16 = 0x002a
	ExtSupportedVersions    uint16 = 0x002b
	ExtPSKKeyExchangeModes  uint16 = 0x002d
	ExtKeyShare             uint16 = 0x0033
	ExtEncryptedClientHello uint16 = 0xfe0d
	ExtRenegotiationInfo    uint16 = 0xff01
)

// quic_transport_parameters: RFC 9001 section 8.2 (QUIC v1, v2 and draft
// 33 on), and the codepoint of earlier drafts, which Google's T05x and
// Facebook's mvfst kept. Only QUIC clients send them.
const (
	ExtQUICTransportParameters      uint16 = 0x0039
	ExtQUICTransportParametersDraft uint16 = 0xffa5
)

// hasExtension reports whether exts holds an extension of type t.
func hasExtension(exts []Extension, t uint16) bool {
	for _, e := range exts {
		if e.Type == t {
			return true
		}
	}
	return false
}
