package reallab

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"slices"
)

// A Profile is one way a Go program sets up its TLS client.
type Profile struct {
	Name string
	// Benign is false for the set-ups the lab uses to make anomalies.
	Benign bool
	// set adjusts the transport and its TLS config.
	set func(t *http.Transport, c *tls.Config)
}

func http1(t *http.Transport) {
	t.Protocols = new(http.Protocols)
	t.Protocols.SetHTTP1(true)
}

var profiles = []Profile{
	// net/http as shipped: ALPN h2 and http/1.1, TLS 1.3, hybrid key share.
	{Name: "default", Benign: true, set: func(*http.Transport, *tls.Config) {}},
	{Name: "tls12", Benign: true, set: func(t *http.Transport, c *tls.Config) {
		http1(t)
		c.MaxVersion = tls.VersionTLS12
	}},
	// HTTP/2 only: ALPN offers h2 alone.
	{Name: "h2", Benign: true, set: func(t *http.Transport, c *tls.Config) {
		t.Protocols = new(http.Protocols)
		t.Protocols.SetHTTP2(true)
	}},
	{Name: "curves", Benign: true, set: func(t *http.Transport, c *tls.Config) {
		http1(t)
		c.CurvePreferences = []tls.CurveID{tls.CurveP256, tls.CurveP384}
	}},
	// An old agent: TLS 1.0 with SHA-1 CBC suites.
	{Name: "tls10", set: func(t *http.Transport, c *tls.Config) {
		http1(t)
		c.MinVersion, c.MaxVersion = tls.VersionTLS10, tls.VersionTLS10
		c.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
			tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, tls.TLS_RSA_WITH_AES_128_CBC_SHA}
	}},
	// One odd suite, no verification; browsing by IP address sends no SNI.
	{Name: "odd-nosni", set: func(t *http.Transport, c *tls.Config) {
		http1(t)
		c.MaxVersion = tls.VersionTLS12
		c.CipherSuites = []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA}
		c.InsecureSkipVerify = true
	}},
	// The default set-up with verification off (for self-signed servers).
	{Name: "insecure", set: func(t *http.Transport, c *tls.Config) { c.InsecureSkipVerify = true }},
}

// Profiles lists the client set-ups, benign ones first.
func Profiles() []Profile { return slices.Clone(profiles) }

// Lookup finds a profile by name.
func Lookup(name string) (Profile, error) {
	for _, p := range profiles {
		if p.Name == name {
			return p, nil
		}
	}
	return Profile{}, fmt.Errorf("reallab: unknown client profile %q", name)
}
