package tlsparse

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"
)

// recConn records what one side of a connection writes.
type recConn struct {
	net.Conn
	mu  sync.Mutex
	out bytes.Buffer
}

func (c *recConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.out.Write(p)
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *recConn) bytes() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.out.Bytes())
}

// handshake is a captured TLS handshake: the bytes each side wrote.
type handshake struct {
	client, server []byte
	state          tls.ConnectionState // the client's view
	clientErr      error
	serverErr      error
}

// pipeBuf is one direction of bufPipe: writes never block (a TLS 1.3
// HelloRetryRequest has both sides write at once, which deadlocks net.Pipe).
type pipeBuf struct {
	mu     sync.Mutex
	cond   *sync.Cond
	buf    bytes.Buffer
	closed bool
}

func newPipeBuf() *pipeBuf {
	p := &pipeBuf{}
	p.cond = sync.NewCond(&p.mu)
	return p
}

// pipeConn is one end of an in-memory connection with buffered writes.
type pipeConn struct {
	r, w *pipeBuf
}

func bufPipe() (net.Conn, net.Conn) {
	a, b := newPipeBuf(), newPipeBuf()
	return &pipeConn{r: a, w: b}, &pipeConn{r: b, w: a}
}

func (c *pipeConn) Read(p []byte) (int, error) {
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	for c.r.buf.Len() == 0 && !c.r.closed {
		c.r.cond.Wait()
	}
	if c.r.buf.Len() == 0 {
		return 0, io.EOF
	}
	return c.r.buf.Read(p)
}

func (c *pipeConn) Write(p []byte) (int, error) {
	c.w.mu.Lock()
	defer c.w.mu.Unlock()
	if c.w.closed {
		return 0, io.ErrClosedPipe
	}
	c.w.buf.Write(p)
	c.w.cond.Broadcast()
	return len(p), nil
}

func (c *pipeConn) Close() error {
	for _, p := range []*pipeBuf{c.r, c.w} {
		p.mu.Lock()
		p.closed = true
		p.cond.Broadcast()
		p.mu.Unlock()
	}
	return nil
}

func (c *pipeConn) LocalAddr() net.Addr              { return pipeAddr{} }
func (c *pipeConn) RemoteAddr() net.Addr             { return pipeAddr{} }
func (c *pipeConn) SetDeadline(time.Time) error      { return nil }
func (c *pipeConn) SetReadDeadline(time.Time) error  { return nil }
func (c *pipeConn) SetWriteDeadline(time.Time) error { return nil }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

// capture runs a crypto/tls handshake between clientCfg and serverCfg over
// an in-memory pipe and records both byte streams. A failed handshake is
// returned with its errors (the bytes written so far are still recorded).
func capture(t testing.TB, clientCfg, serverCfg *tls.Config) handshake {
	t.Helper()
	cc, sc := bufPipe()
	crec, srec := &recConn{Conn: cc}, &recConn{Conn: sc}
	client, server := tls.Client(crec, clientCfg), tls.Server(srec, serverCfg)
	var h handshake
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		h.serverErr = server.Handshake()
		if h.serverErr != nil {
			sc.Close()
			return
		}
		// Let the client read the TLS 1.3 session tickets.
		server.Write([]byte("x"))
	}()
	h.clientErr = client.Handshake()
	if h.clientErr == nil {
		h.state = client.ConnectionState()
		buf := make([]byte, 1)
		client.Read(buf)
	} else {
		cc.Close()
	}
	wg.Wait()
	cc.Close()
	sc.Close()
	h.client, h.server = crec.bytes(), srec.bytes()
	return h
}

// testCert is a generated certificate with its template and key.
type testCert struct {
	tmpl *x509.Certificate
	der  []byte
	key  crypto.Signer
	tls  tls.Certificate
}

var (
	keyOnce sync.Once
	rsaKey  *rsa.PrivateKey
	ecKey   *ecdsa.PrivateKey
	edKey   ed25519.PrivateKey
	caKey   *ecdsa.PrivateKey
)

func testKeys(t testing.TB) {
	keyOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			t.Fatal(err)
		}
		if ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			t.Fatal(err)
		}
		if _, edKey, err = ed25519.GenerateKey(rand.Reader); err != nil {
			t.Fatal(err)
		}
		if caKey, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader); err != nil {
			t.Fatal(err)
		}
	})
}

// makeCert signs a certificate for key: self-signed when parent is nil.
func makeCert(t testing.TB, key crypto.Signer, subject pkix.Name, serial *big.Int, dns []string, ips []net.IP, parent *testCert) *testCert {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      subject,
		NotBefore:    time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
		NotAfter:     time.Date(2034, 1, 2, 3, 4, 5, 0, time.UTC),
		DNSNames:     dns,
		IPAddresses:  ips,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	parentTmpl, signer := tmpl, key
	if parent != nil {
		parentTmpl, signer = parent.tmpl, parent.key
	} else {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parentTmpl, key.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	c := &testCert{tmpl: tmpl, der: der, key: key}
	c.tls = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	if parent != nil {
		c.tls.Certificate = append(c.tls.Certificate, parent.der)
	}
	return c
}
