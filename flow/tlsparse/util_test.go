package tlsparse

import (
	"crypto/md5"
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
