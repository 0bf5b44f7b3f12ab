package features

import (
	"math"
	"strconv"

	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// Text renders a numeric feature's value as an analyst reads it.
func (d Def) Text(x float32) string {
	switch d.Format {
	case FormatFlag:
		if x != 0 {
			return "yes"
		}
		return "no"
	case FormatVersion:
		if x == 0 {
			return "none"
		}
		return tlsparse.VersionName(uint16(x))
	case FormatLog:
		return strconv.FormatFloat(math.Round(math.Exp2(float64(x))-1), 'f', 0, 64)
	}
	if x == float32(math.Trunc(float64(x))) {
		return strconv.FormatFloat(float64(x), 'f', 0, 32)
	}
	return strconv.FormatFloat(float64(x), 'f', 2, 32)
}

// CatText renders a categorical value, naming the code points of cipher
// suites, extensions, supported groups and signature algorithms where the
// registries (or mainstream stacks) name them: "0x11ec (X25519MLKEM768)".
func (d CatDef) CatText(c Cat, s string) string {
	var name func(uint16) string
	switch c {
	case CCipher, CServerCipher:
		name = cipherName
	case CExtension:
		name = tlsparse.ExtensionName
	case CGroup:
		name = tlsparse.GroupName
	case CSigAlg:
		name = tlsparse.SignatureSchemeName
	default:
		return s
	}
	if n, err := strconv.ParseUint(s, 0, 16); err == nil {
		if v := name(uint16(n)); v != "" {
			return s + " (" + v + ")"
		}
	}
	return s
}
