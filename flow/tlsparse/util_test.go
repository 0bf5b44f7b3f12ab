package tlsparse

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/hex"
	"math/big"
)

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
