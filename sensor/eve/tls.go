package eve

import (
	"strings"

	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// TLSRecord is the eve.json "tls" object of a flow, with Suricata's names
// where it has them.
type TLSRecord struct {
	Version     string   `json:"version,omitempty"`
	SNI         string   `json:"sni,omitempty"`
	ClientALPNs []string `json:"client_alpns,omitempty"`
	ServerALPNs []string `json:"server_alpns,omitempty"`
	CipherSuite string   `json:"cipher_suite,omitempty"`
	JA3         *Hashed  `json:"ja3,omitempty"`
	JA3N        *Hashed  `json:"ja3n,omitempty"`
	JA3S        *Hashed  `json:"ja3s,omitempty"`
	JA4         string   `json:"ja4,omitempty"`
	JA4R        string   `json:"ja4_r,omitempty"`
	Subject     string   `json:"subject,omitempty"`
	IssuerDN    string   `json:"issuerdn,omitempty"`
	Serial      string   `json:"serial,omitempty"`
	NotBefore   string   `json:"notbefore,omitempty"`
	NotAfter    string   `json:"notafter,omitempty"`
	Fingerprint string   `json:"fingerprint,omitempty"` // SHA-1, as Suricata
	SHA256      string   `json:"fingerprint_sha256,omitempty"`
	SANs        []string `json:"sans,omitempty"`
	KeyType     string   `json:"key,omitempty"`
	ChainLen    int      `json:"chain_len,omitempty"`
	ChainCut    bool     `json:"chain_cut,omitempty"` // the chain went on past the bytes kept
	SelfSigned  *bool    `json:"self_signed,omitempty"`
	HRR         bool     `json:"hello_retry_request,omitempty"`
	Truncated   bool     `json:"truncated,omitempty"`
	ParseError  string   `json:"parse_error,omitempty"`
	Alert       string   `json:"alert,omitempty"`
	GREASE      bool     `json:"grease,omitempty"`
	Resumed     bool     `json:"session_resumed,omitempty"`
}

// Hashed is a fingerprint string and its hash.
type Hashed struct {
	Hash   string `json:"hash"`
	String string `json:"string"`
}

// x509Time is Suricata's certificate time layout.
const x509Time = "2006-01-02T15:04:05"

// tlsRecordMem is a TLSRecord with room for what its pointers point to:
// one allocation per flow instead of up to six, or none when a writer
// reuses it (Memory).
type tlsRecordMem struct {
	r               TLSRecord
	ja3, ja3n, ja3s Hashed
	serverALPN      [1]string
	selfSigned      bool
}

// NewTLSRecord builds the tls object; nil when the flow spoke no TLS.
func NewTLSRecord(h *tlsparse.Handshake) *TLSRecord {
	if !h.SpokeTLS() {
		return nil
	}
	m := &tlsRecordMem{}
	m.fill(h, nil)
	return &m.r
}

// fill builds the tls object of a TLS flow in m, which must be zero;
// times (may be nil) remembers certificates' validity strings.
func (m *tlsRecordMem) fill(h *tlsparse.Handshake, times *validityCache) {
	r := &m.r
	r.Version = h.VersionName()
	var errs []string
	prints := h.Prints(h.Transport())
	if ch := h.Client; ch != nil {
		r.SNI = ch.ServerName
		r.ClientALPNs = ch.ALPN
		r.Truncated = ch.Truncated
		r.GREASE = len(ch.GREASE) > 0
		if j := prints.JA3; j.Full != "" {
			m.ja3 = Hashed{Hash: j.Hash, String: j.Full}
			r.JA3 = &m.ja3
		}
		if j := prints.JA3N; j.Full != "" {
			m.ja3n = Hashed{Hash: j.Hash, String: j.Full}
			r.JA3N = &m.ja3n
		}
		r.JA4, r.JA4R = prints.JA4, prints.JA4R
	}
	if h.ClientErr != nil {
		errs = append(errs, "client: "+h.ClientErr.Error())
	}
	if sf := h.Server; sf != nil {
		r.Truncated = r.Truncated || sf.Truncated
		r.HRR = sf.HelloRetryRequest != nil
		if sf.Alert != nil {
			r.Alert = sf.Alert.String()
		}
		r.ChainCut = sf.ChainCut
		if sh := sf.ServerHello; sh != nil {
			if sh.ALPN != "" {
				m.serverALPN[0] = sh.ALPN
				r.ServerALPNs = m.serverALPN[:]
			}
			if sh.HasCipherSuite() { // not one cut before it: no TLS_NULL_WITH_NULL_NULL made up
				r.CipherSuite = tlsparse.CipherSuiteName(sh.CipherSuite)
			}
			if j := prints.JA3S; j.Full != "" {
				m.ja3s = Hashed{Hash: j.Hash, String: j.Full}
				r.JA3S = &m.ja3s
			}
			r.Resumed = h.Resumed()
		}
		if leaf := sf.Leaf; leaf != nil {
			r.Subject, r.IssuerDN, r.Serial = leaf.Subject, leaf.Issuer, leaf.Serial
			r.NotBefore, r.NotAfter = times.validity(leaf)
			r.Fingerprint = leaf.SHA1Fingerprint
			r.SHA256 = leaf.SHA256Fingerprint
			r.SANs = sans(leaf)
			r.KeyType = leaf.PublicKey
			r.ChainLen = len(sf.Chain)
			m.selfSigned = leaf.SelfSigned
			r.SelfSigned = &m.selfSigned
			if leaf.CertError != "" {
				errs = append(errs, "certificate: "+leaf.CertError)
			}
		}
	}
	if h.ServerErr != nil {
		errs = append(errs, "server: "+h.ServerErr.Error())
	}
	r.ParseError = strings.Join(errs, "; ")
}

// validityCache remembers the validity strings of the certificates a
// writer saw last: a sensor sees the same few server certificates over
// and over (the CertCache hands out one *Certificate for each). Bounded:
// it starts over when full.
type validityCache struct {
	byCert map[*tlsparse.Certificate][2]string
}

const validityCacheSize = 1024

// validity is the certificate's validity in Suricata's layout; c may be
// nil (no caching).
func (c *validityCache) validity(cert *tlsparse.Certificate) (notBefore, notAfter string) {
	if c == nil {
		return validity(cert)
	}
	if v, ok := c.byCert[cert]; ok {
		return v[0], v[1]
	}
	if c.byCert == nil || len(c.byCert) >= validityCacheSize {
		c.byCert = make(map[*tlsparse.Certificate][2]string, validityCacheSize)
	}
	notBefore, notAfter = validity(cert)
	c.byCert[cert] = [2]string{notBefore, notAfter}
	return notBefore, notAfter
}

// validity formats the certificate's validity in Suricata's layout, both
// times in one allocation.
func validity(c *tlsparse.Certificate) (notBefore, notAfter string) {
	var buf [2 * len(x509Time)]byte
	b := c.NotBefore.UTC().AppendFormat(buf[:0], x509Time)
	n := len(b)
	b = c.NotAfter.UTC().AppendFormat(b, x509Time)
	both := string(b)
	return both[:n], both[n:]
}

// sans lists the certificate's DNS names and IP addresses. The
// certificate is shared between flows (CertCache): its slice is never
// appended to.
func sans(c *tlsparse.Certificate) []string {
	if len(c.IPAddresses) == 0 {
		return c.DNSNames
	}
	out := make([]string, 0, len(c.DNSNames)+len(c.IPAddresses))
	out = append(out, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	return out
}
