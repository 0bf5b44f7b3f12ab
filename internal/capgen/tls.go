package capgen

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"time"
)

// TLSOptions says what the peers do after a successful handshake.
type TLSOptions struct {
	ClientData []byte // written by the client once the handshake is done
	ServerData []byte // written by the server after it has read all of ClientData
}

// TLSConversation runs a real crypto/tls handshake between a client and a
// server in memory, then exchanges opts' data and closes both sides, and
// returns every write either side made, in order.
//
// The two sides take turns like coroutines: one runs until it waits for data
// that is not there yet, then the other runs. Every write therefore comes after
// the reads that caused it, and the order does not depend on the Go scheduler.
//
// If the handshake or exchange fails, the writes made so far (a ClientHello and
// an alert, say: useful as anomalies) are returned with the error.
func TLSConversation(ctx context.Context, clientCfg, serverCfg *tls.Config, opts TLSOptions) (Conversation, error) {
	if clientCfg == nil || serverCfg == nil {
		return nil, errors.New("capgen: TLSConversation needs both configs (see TLSConfigs)")
	}
	p := newTurnPipe()
	stop := context.AfterFunc(ctx, func() { p.abort(ctx.Err()) })
	defer stop()

	srvErr := make(chan error, 1)
	go func() {
		s := tls.Server(&pipeEnd{p: p, side: sideServer}, serverCfg)
		srvErr <- runPeer(ctx, s, nil, opts.ClientData, opts.ServerData)
	}()
	c := tls.Client(&pipeEnd{p: p, side: sideClient}, clientCfg)
	cerr := runPeer(ctx, c, opts.ClientData, opts.ServerData, nil)
	serr := <-srvErr

	conv := p.conversation()
	if err := errors.Join(peerErr("client", cerr), peerErr("server", serr)); err != nil {
		return conv, fmt.Errorf("capgen: tls conversation: %w", err)
	}
	return conv, nil
}

func peerErr(name string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", name, err)
}

// runPeer handshakes, writes before, reads len(want) bytes and checks them,
// writes after, and closes (which sends close_notify).
func runPeer(ctx context.Context, c *tls.Conn, before, want, after []byte) error {
	err := func() error {
		if err := c.HandshakeContext(ctx); err != nil {
			return err
		}
		if len(before) > 0 {
			if _, err := c.Write(before); err != nil {
				return err
			}
		}
		if len(want) > 0 {
			got := make([]byte, len(want))
			if _, err := io.ReadFull(c, got); err != nil {
				return err
			}
			if !slices.Equal(got, want) {
				return errors.New("peer received different application data")
			}
		}
		if len(after) > 0 {
			if _, err := c.Write(after); err != nil {
				return err
			}
		}
		return nil
	}()
	return errors.Join(err, ignoreClosed(c.Close()))
}

func ignoreClosed(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

const (
	sideClient = 0
	sideServer = 1
)

var errStalled = errors.New("capgen: both peers wait for data that will never come")

// turnPipe is an in-memory, unbounded, bidirectional byte pipe whose two ends
// take turns. Unbounded so a write never blocks (net.Pipe deadlocks when both
// TLS 1.3 peers write at once); turns so the recorded order is reproducible.
type turnPipe struct {
	mu      sync.Mutex
	cond    *sync.Cond
	turn    int       // the side allowed to act
	in      [2][]byte // bytes waiting to be read by each side
	closed  [2]bool   // each side has closed its end
	waiting [2]bool   // each side gave its turn away waiting for data
	err     error     // set by abort: everything fails
	log     Conversation
}

func newTurnPipe() *turnPipe {
	p := &turnPipe{turn: sideClient}
	p.cond = sync.NewCond(&p.mu)
	return p
}

func (p *turnPipe) abort(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		p.err = err
	}
	p.cond.Broadcast()
}

func (p *turnPipe) conversation() Conversation {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.log)
}

func (p *turnPipe) read(side int, b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		switch {
		case p.err != nil:
			return 0, p.err
		case p.closed[side]:
			return 0, net.ErrClosed
		case p.turn == side:
			p.waiting[side] = false
			if len(p.in[side]) > 0 {
				n := copy(b, p.in[side])
				p.in[side] = p.in[side][n:]
				return n, nil
			}
			other := 1 - side
			if p.closed[other] {
				return 0, io.EOF
			}
			if p.waiting[other] && len(p.in[other]) == 0 {
				p.err = errStalled
				p.cond.Broadcast()
				return 0, p.err
			}
			p.waiting[side] = true
			p.turn = other
			p.cond.Broadcast()
		}
		p.cond.Wait()
	}
}

func (p *turnPipe) write(side int, b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.turn != side && p.err == nil && !p.closed[side] {
		p.cond.Wait()
	}
	if p.err != nil {
		return 0, p.err
	}
	if p.closed[side] {
		return 0, net.ErrClosed
	}
	if len(b) == 0 {
		return 0, nil
	}
	// Bytes written after the peer closed are still on the wire (the peer
	// would answer with a RST), so they are logged but nobody reads them.
	p.log = append(p.log, Write{FromClient: side == sideClient, Data: slices.Clone(b)})
	if !p.closed[1-side] {
		p.in[1-side] = append(p.in[1-side], b...)
	}
	return len(b), nil
}

func (p *turnPipe) close(side int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed[side] {
		return net.ErrClosed
	}
	p.closed[side] = true
	p.turn = 1 - side
	p.cond.Broadcast()
	return nil
}

// pipeEnd is one side's net.Conn. Deadlines are accepted and ignored: nothing
// blocks for long, and the context aborts the whole pipe.
type pipeEnd struct {
	p    *turnPipe
	side int
}

func (e *pipeEnd) Read(b []byte) (int, error)       { return e.p.read(e.side, b) }
func (e *pipeEnd) Write(b []byte) (int, error)      { return e.p.write(e.side, b) }
func (e *pipeEnd) Close() error                     { return e.p.close(e.side) }
func (e *pipeEnd) LocalAddr() net.Addr              { return pipeAddr(e.side) }
func (e *pipeEnd) RemoteAddr() net.Addr             { return pipeAddr(1 - e.side) }
func (e *pipeEnd) SetDeadline(time.Time) error      { return nil }
func (e *pipeEnd) SetReadDeadline(time.Time) error  { return nil }
func (e *pipeEnd) SetWriteDeadline(time.Time) error { return nil }

type pipeAddr int

func (pipeAddr) Network() string { return "capgen" }
func (a pipeAddr) String() string {
	if a == sideClient {
		return "client"
	}
	return "server"
}

// KeyType selects the server key algorithm of SelfSignedCert.
type KeyType int

const (
	ECDSAP256 KeyType = iota // the default
	RSA2048
)

// CertOptions describes a self-signed server certificate.
type CertOptions struct {
	Key        KeyType
	CommonName string
	DNSNames   []string
	IPs        []net.IP
	NotBefore  time.Time // zero: 2024-01-01 UTC, so certificates don't change with the clock
	NotAfter   time.Time // zero: NotBefore + 1 year
	Seed       uint64    // key and serial derive from it: same options, same certificate bytes
}

// SelfSignedCert makes a self-signed server certificate (with Leaf set). Its
// bytes depend only on opts: the key is derived from the seed and the
// signature is deterministic (RFC 6979 for ECDSA, PKCS #1 v1.5 for RSA).
func SelfSignedCert(opts CertOptions) (tls.Certificate, error) {
	var seed [32]byte
	binary.BigEndian.PutUint64(seed[:], opts.Seed)
	seed = sha256.Sum256(append(seed[:8], byte(opts.Key)))

	var signer crypto.Signer
	switch opts.Key {
	case ECDSAP256:
		k, err := deterministicECDSA(seed)
		if err != nil {
			return tls.Certificate{}, err
		}
		signer = k
	case RSA2048:
		k, err := deterministicRSA(seed, 2048)
		if err != nil {
			return tls.Certificate{}, err
		}
		signer = k
	default:
		return tls.Certificate{}, fmt.Errorf("capgen: unknown key type %d", opts.Key)
	}

	notBefore := opts.NotBefore
	if notBefore.IsZero() {
		notBefore = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	notAfter := opts.NotAfter
	if notAfter.IsZero() {
		notAfter = notBefore.AddDate(1, 0, 0)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          new(big.Int).SetBytes(seed[:16]),
		Subject:               pkix.Name{CommonName: opts.CommonName},
		DNSNames:              opts.DNSNames,
		IPAddresses:           opts.IPs,
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	// A nil rand asks for a deterministic signature; the serial is set, so
	// nothing else needs randomness.
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, signer.Public(), signer)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("capgen: create certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: signer, Leaf: leaf}, nil
}

func deterministicECDSA(seed [32]byte) (*ecdsa.PrivateKey, error) {
	for range 8 { // a hash is out of range with probability ~2^-32
		if k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), seed[:]); err == nil {
			return k, nil
		}
		seed = sha256.Sum256(seed[:])
	}
	return nil, errors.New("capgen: no valid P-256 scalar from seed")
}

// deterministicRSA builds an RSA key from seeded prime candidates, because
// rsa.GenerateKey ignores its reader since Go 1.26.
func deterministicRSA(seed [32]byte, bits int) (*rsa.PrivateKey, error) {
	r := rand.NewChaCha8(seed)
	one := big.NewInt(1)
	e := big.NewInt(65537)
	for range 100 {
		p, q := seededPrime(r, bits/2), seededPrime(r, bits/2)
		n := new(big.Int).Mul(p, q)
		if p.Cmp(q) == 0 || n.BitLen() != bits {
			continue
		}
		pm, qm := new(big.Int).Sub(p, one), new(big.Int).Sub(q, one)
		gcd := new(big.Int).GCD(nil, nil, pm, qm)
		lambda := new(big.Int).Div(new(big.Int).Mul(pm, qm), gcd)
		d := new(big.Int).ModInverse(e, lambda)
		if d == nil {
			continue
		}
		k := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: n, E: 65537}, D: d, Primes: []*big.Int{p, q}}
		k.Precompute()
		if err := k.Validate(); err != nil {
			continue
		}
		return k, nil
	}
	return nil, errors.New("capgen: could not derive an RSA key")
}

func seededPrime(r *rand.ChaCha8, bits int) *big.Int {
	b := make([]byte, bits/8)
	for {
		_, _ = r.Read(b)
		b[0] |= 0xc0 // two top bits: the product has exactly 2*bits bits
		b[len(b)-1] |= 1
		if p := new(big.Int).SetBytes(b); p.ProbablyPrime(20) {
			return p
		}
	}
}

// TLSConfigs returns a client and server config pair for cert: the server
// presents it, the client trusts it for serverName, and both use a clock
// inside the certificate's validity so old fixed dates keep working.
// Callers adjust versions, cipher suites or ALPN on the results.
func TLSConfigs(cert tls.Certificate, serverName string) (client, server *tls.Config) {
	roots := x509.NewCertPool()
	roots.AddCert(cert.Leaf)
	now := func() time.Time { return cert.Leaf.NotBefore.Add(time.Hour) }
	client = &tls.Config{ServerName: serverName, RootCAs: roots, Time: now}
	server = &tls.Config{Certificates: []tls.Certificate{cert}, Time: now}
	return client, server
}
