package evidence

import (
	"bytes"
	_ "embed"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"

	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// webpkiRootsTSV names the root authorities of the public Web PKI, past
// and present: Mozilla's root store as four sources published it from
// 2014 to 2026 (webpkigen/fetch.sh regenerates it). A chain a server
// sends leads to one of them unless a private authority issued it (an
// organisation's own CA, a tool's generated one, a C2 framework's).
//
//go:embed webpki_roots.tsv
var webpkiRootsTSV string

// webpkiRoots is the table as a set of the roots' subject names (the
// Name's DER content octets).
var webpkiRoots = sync.OnceValue(func() map[string]struct{} {
	out := map[string]struct{}{}
	for line := range strings.SplitSeq(webpkiRootsTSV, "\n") {
		h, _, _ := strings.Cut(line, "\t")
		if name, err := hex.DecodeString(h); err == nil && len(name) > 0 {
			out[string(name)] = struct{}{}
		}
	}
	return out
})

// publicRoot says whether name (DER content octets) is a Web PKI root's.
func publicRoot(name []byte) bool {
	_, ok := webpkiRoots()[string(name)]
	return ok
}

// Input.issuerState values.
const (
	issuerUnread uint8 = iota
	issuerFound
	issuerNone
)

// chainIssuer is the issuer the flow's certificate chain leads to: what a
// resumed session recalls, else the last certificate's issuer, read from
// its DER once per flow.
func chainIssuer(in *Input) ([]byte, bool) {
	switch in.issuerState {
	case issuerFound:
		return in.issuer, true
	case issuerNone:
		return nil, false
	}
	in.issuerState = issuerNone
	if in.TLS != nil && in.TLS.Server != nil {
		if name, ok := in.TLS.Server.ChainIssuer(); ok {
			in.issuer, in.issuerState = name, issuerFound
		}
	}
	return chainIssuer(in)
}

// publicChain reports a chain that leads to a root of the public Web PKI.
func publicChain(in *Input) bool {
	name, ok := chainIssuer(in)
	return ok && publicRoot(name)
}

// privateIssuer fires on a CA-issued leaf (not self-issued: that is its
// own check) whose chain leads to an authority outside the public Web PKI
// that t does not know from the site's training.
func privateIssuer(in *Input, t *Table) bool {
	name, ok := privateIssuerOf(in)
	if !ok {
		return false
	}
	_, known := t.known[string(name)]
	return !known
}

// describePrivateIssuer says where the chain led, and concludes a private
// CA only when the chain went past the leaf's own issuer: a chain that
// stops there (the leaf sent alone) may as well be a public CA's, its
// intermediate left out by a misconfigured server, which the issuer's
// name tells. A resumed session recalls the issuer, and reads the same:
// its recalled leaf is kept without its DER (recall's summary), so the
// leaf's own issuer is then its rendered name.
func describePrivateIssuer(in *Input) (field, value, text string) {
	name, _ := chainIssuer(in)
	issuer := tlsparse.NameString(name)
	const webPKI = "the public Web PKI (Mozilla's store 2014-2026, Microsoft's and Apple's own roots)"
	quoted := strconv.Quote(issuer)
	if issuer == "" {
		quoted = "(an empty name)"
	}
	if leafIssued(leaf(in), name) {
		return "tls.chain_issuer", issuer, "the certificate's issuer " + quoted + " is not a root of " + webPKI + ", and the server sent no certificate of it: a private CA, or a public CA whose intermediate certificate the server left out"
	}
	return "tls.chain_issuer", issuer, "the certificate chain leads to " + quoted + ", an authority that is not a root of " + webPKI + ": a private CA issued the certificate"
}

// leafIssued reports whether name (DER content octets) is the leaf's own
// issuer: byte for byte where the leaf has its DER, else as rendered.
func leafIssued(c *tlsparse.Certificate, name []byte) bool {
	if len(c.Raw) == 0 {
		return c.Issuer != "" && c.Issuer == tlsparse.NameString(name)
	}
	leafIssuer, _, ok := tlsparse.NameDER(c.Raw)
	return ok && bytes.Equal(leafIssuer, name)
}
