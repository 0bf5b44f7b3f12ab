package tlsparse

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/hex"
	"math/big"
	"math/rand/v2"
	"testing"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withByte is a copy of b with byte i set to v.
func withByte(b []byte, i int, v byte) []byte {
	c := append([]byte(nil), b...)
	c[i] = v
	return c
}

// sniffCases are streams by name, each with the label Sniff must give it.
type sniffCases map[string]struct {
	b    []byte
	want string
}

func (cs sniffCases) check(t *testing.T) {
	t.Helper()
	for name, c := range cs {
		if got := Sniff(c.b); got != c.want {
			t.Errorf("%s: Sniff = %q, want %q", name, got, c.want)
		}
	}
}

// neverRandom fails when looks takes any of 200,000 draws of random bytes
// (what Sniff looks at of them) for the protocol it names.
func neverRandom(t *testing.T, seed uint64, protocol string, looks func([]byte) bool) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, seed+1))
	b := make([]byte, 600)
	for i := 0; i < 200000; i++ {
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		if looks(b[:sniffWindow]) {
			t.Fatalf("random bytes %x... taken for %s", b[:16], protocol)
		}
	}
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func pkixName(cn string) pkix.Name { return pkix.Name{CommonName: cn} }

func bigInt(v int64) *big.Int { return big.NewInt(v) }

// helloRetryRandom is SHA-256("HelloRetryRequest") (RFC 8446 4.1.3),
// computed here rather than copied, to check the parser's constant.
var helloRetryRandom = func() []byte {
	sum := sha256.Sum256([]byte("HelloRetryRequest"))
	return sum[:]
}()
