package sensor

import (
	"crypto/tls"
	"fmt"
	"strings"

	"github.com/tlsentry/tlsentry/flow"
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

// ParseHandshake parses what the flow kept of its TLS handshake; certs
// (may be nil) caches certificate parsing across flows.
func ParseHandshake(f *flow.Flow, certs *tlsparse.CertCache) *tlsparse.Handshake {
	return tlsparse.FromFlow(f, certs)
}

// NewTLSRecord builds the tls object; nil when the flow is not TLS.
func NewTLSRecord(h *tlsparse.Handshake) *TLSRecord {
	if h.AppProto != tlsparse.SniffTLS {
		return nil
	}
	r := &TLSRecord{Version: tlsparse.VersionName(h.Version())}
	var errs []string
	if ch := h.Client; ch != nil {
		r.SNI = ch.ServerName
		r.ClientALPNs = ch.ALPN
		r.Truncated = ch.Truncated
		r.GREASE = len(ch.GREASE) > 0
		j3, j3n := ch.JA3Pair()
		if j3.Full != "" {
			r.JA3 = &Hashed{Hash: j3.Hash, String: j3.Full}
		}
		if j3n.Full != "" {
			r.JA3N = &Hashed{Hash: j3n.Hash, String: j3n.Full}
		}
		ja4 := ch.JA4Basic(tlsparse.TransportTCP)
		r.JA4, r.JA4R = ja4.JA4, ja4.JA4R
	}
	if h.ClientErr != nil {
		errs = append(errs, "client: "+h.ClientErr.Error())
	}
	if sf := h.Server; sf != nil {
		r.Truncated = r.Truncated || sf.Truncated
		r.HRR = sf.HelloRetryRequest != nil
		if sf.Alert != nil {
			r.Alert = alertString(sf.Alert)
		}
		if sh := sf.ServerHello; sh != nil {
			if sh.ALPN != "" {
				r.ServerALPNs = []string{sh.ALPN}
			}
			if !sh.SSLv2 {
				r.CipherSuite = cipherName(sh.CipherSuite)
			}
			if j := sh.JA3S(); j.Full != "" {
				r.JA3S = &Hashed{Hash: j.Hash, String: j.Full}
			}
			r.Resumed = resumed(h.Client, sh, sf)
		}
		if leaf := sf.Leaf; leaf != nil {
			r.Subject, r.IssuerDN, r.Serial = leaf.Subject, leaf.Issuer, leaf.Serial
			r.NotBefore, r.NotAfter = leaf.NotBefore.UTC().Format(x509Time), leaf.NotAfter.UTC().Format(x509Time)
			r.Fingerprint = leaf.SHA1Fingerprint
			r.SHA256 = leaf.SHA256Fingerprint
			r.SANs = leaf.DNSNames
			for _, ip := range leaf.IPAddresses {
				r.SANs = append(r.SANs, ip.String())
			}
			r.KeyType = leaf.PublicKey
			r.ChainLen = len(sf.Chain)
			self := leaf.SelfSigned
			r.SelfSigned = &self
			if leaf.CertError != "" {
				errs = append(errs, "certificate: "+leaf.CertError)
			}
		}
	}
	if h.ServerErr != nil {
		errs = append(errs, "server: "+h.ServerErr.Error())
	}
	r.ParseError = strings.Join(errs, "; ")
	return r
}

// resumed: the server echoed the client's non-empty session id (TLS 1.2
// and older) and went straight to ChangeCipherSpec without a certificate.
func resumed(ch *tlsparse.ClientHello, sh *tlsparse.ServerHello, sf *tlsparse.ServerFlight) bool {
	return ch != nil && len(ch.SessionID) > 0 && string(ch.SessionID) == string(sh.SessionID) &&
		sh.SelectedVersion <= tlsparse.VersionTLS12 && len(sf.Chain) == 0
}

// cipherNames maps the suites crypto/tls knows to their IANA names
// (tls.CipherSuiteName searches a list on every call).
var cipherNames = func() map[uint16]string {
	m := map[uint16]string{}
	for _, list := range [][]*tls.CipherSuite{tls.CipherSuites(), tls.InsecureCipherSuites()} {
		for _, c := range list {
			m[c.ID] = c.Name
		}
	}
	return m
}()

func cipherName(id uint16) string {
	if n, ok := cipherNames[id]; ok {
		return n
	}
	return fmt.Sprintf("0x%04X", id)
}

// alertString names a cleartext alert: "fatal: handshake failure".
func alertString(a *tlsparse.Alert) string {
	level := "warning"
	if a.Level == 2 {
		level = "fatal"
	}
	return level + ": " + strings.TrimPrefix(tls.AlertError(a.Description).Error(), "tls: ")
}
