package tlsparse

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// A minimal DER walker for the parts of a certificate that must be read
// byte-exact (the raw serial, names in certificate order) or even when
// crypto/x509 rejects the certificate.

// derElem is one DER element.
type derElem struct {
	tag     byte   // identifier octet (single-byte tags only)
	content []byte // content octets
}

// readDER reads one definite-length DER element from the start of b.
func readDER(b []byte) (e derElem, rest []byte, ok bool) {
	if len(b) < 2 || b[0]&0x1f == 0x1f {
		return derElem{}, nil, false
	}
	e.tag = b[0]
	n := int(b[1])
	b = b[2:]
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 3 || len(b) < k {
			return derElem{}, nil, false
		}
		n = 0
		for _, c := range b[:k] {
			n = n<<8 | int(c)
		}
		b = b[k:]
	}
	if n > len(b) {
		return derElem{}, nil, false
	}
	e.content = b[:n:n]
	return e, b[n:], true
}

const (
	tagInteger         = 0x02
	tagOID             = 0x06
	tagUTCTime         = 0x17
	tagGeneralizedTime = 0x18
	tagSequence        = 0x30
	tagSet             = 0x31
	tagVersion         = 0xa0 // [0] EXPLICIT in TBSCertificate
)

// tbsInfo holds the fields read from a TBSCertificate by readTBS.
type tbsInfo struct {
	serial    []byte // raw INTEGER content octets
	issuer    []byte // Name content octets (the RDNSequence)
	subject   []byte
	notBefore time.Time
	notAfter  time.Time
	spki      []byte // SubjectPublicKeyInfo content octets
}

// tbsSerial walks Certificate -> TBSCertificate past its version to the
// serial number: its content octets and the fields after it (signature
// algorithm, issuer, validity, subject, key...). The start of every walk
// into a certificate (readTBS, readNames, spkiOf).
func tbsSerial(der []byte) (serial, rest []byte, ok bool) {
	cert, _, ok := readDER(der)
	if !ok || cert.tag != tagSequence {
		return nil, nil, false
	}
	tbs, _, ok := readDER(cert.content)
	if !ok || tbs.tag != tagSequence {
		return nil, nil, false
	}
	e, b, ok := readDER(tbs.content)
	if ok && e.tag == tagVersion {
		e, b, ok = readDER(b)
	}
	if !ok || e.tag != tagInteger {
		return nil, nil, false
	}
	return e.content, b, true
}

// readTBS walks Certificate -> TBSCertificate and picks out serial, issuer,
// validity, subject and public key info. ok is false when the structure is
// broken before the subject.
func readTBS(der []byte) (t tbsInfo, ok bool) {
	serial, b, ok := tbsSerial(der)
	if !ok {
		return t, false
	}
	t.serial = serial
	var e derElem
	if _, b, ok = readDER(b); !ok { // signature AlgorithmIdentifier
		return t, false
	}
	if e, b, ok = readDER(b); !ok || e.tag != tagSequence {
		return t, false
	}
	t.issuer = e.content
	if e, b, ok = readDER(b); !ok || e.tag != tagSequence {
		return t, false
	}
	if nb, rest, ok := readDER(e.content); ok {
		t.notBefore = derTime(nb)
		if na, _, ok := readDER(rest); ok {
			t.notAfter = derTime(na)
		}
	}
	if e, b, ok = readDER(b); !ok || e.tag != tagSequence {
		return t, false
	}
	t.subject = e.content
	if e, _, ok = readDER(b); ok && e.tag == tagSequence {
		t.spki = e.content
	}
	return t, true
}

// derTime parses a UTCTime or GeneralizedTime of the forms certificates use
// (YYMMDDHHMMSSZ, YYYYMMDDHHMMSSZ). It returns the zero time otherwise.
func derTime(e derElem) time.Time {
	s := string(e.content)
	var layout string
	switch {
	case e.tag == tagUTCTime && len(s) == 13:
		layout = "060102150405Z0700"
	case e.tag == tagGeneralizedTime && len(s) == 15:
		layout = "20060102150405Z0700"
	default:
		return time.Time{}
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}
	}
	if e.tag == tagUTCTime && t.Year() >= 2050 { // RFC 5280 4.1.2.5.1
		t = t.AddDate(-100, 0, 0)
	}
	return t.UTC()
}

// nameAbbrev gives the short names Suricata prints for name attributes
// (x509-parser's abbreviations, then the oid-registry short names).
var nameAbbrev = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.6":                    "C",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "ST",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"0.9.2342.19200300.100.1.25": "DC",
	"1.2.840.113549.1.9.1":       "Email",
	"2.5.4.0":                    "objectClass",
	"2.5.4.1":                    "aliasedEntryName",
	"2.5.4.2":                    "knowledgeInformation",
	"2.5.4.4":                    "surname",
	"2.5.4.5":                    "serialNumber",
	"2.5.4.9":                    "streetAddress",
	"2.5.4.12":                   "title",
	"2.5.4.13":                   "description",
	"2.5.4.14":                   "searchGuide",
	"2.5.4.15":                   "businessCategory",
	"2.5.4.16":                   "postalAddress",
	"2.5.4.17":                   "postalCode",
	"2.5.4.41":                   "name",
	"2.5.4.42":                   "givenName",
	"2.5.4.43":                   "initials",
	"2.5.4.44":                   "generationQualifier",
	"2.5.4.45":                   "uniqueIdentifier",
	"2.5.4.46":                   "dnQualifier",
	"1.2.840.113549.1.9.2":       "unstructuredName",
	"1.3.6.1.4.1.311.60.2.1.1":   "msJurisdictionLocality",
	"1.3.6.1.4.1.311.60.2.1.2":   "msJurisdictionStateOrProvince",
	"1.3.6.1.4.1.311.60.2.1.3":   "msJurisdictionCountry",
}

// nameAbbrevDER is nameAbbrev keyed by the DER content octets of the OID,
// so that a lookup needs no allocation.
var nameAbbrevDER = func() map[string]string {
	m := make(map[string]string, len(nameAbbrev))
	for dotted, abbrev := range nameAbbrev {
		m[string(oidDER(dotted))] = abbrev
	}
	return m
}()

// oidDER encodes a dotted OID (well-formed, from the tables above) as DER
// content octets.
func oidDER(dotted string) []byte {
	var arcs []uint64
	for _, p := range strings.Split(dotted, ".") {
		v, _ := strconv.ParseUint(p, 10, 64)
		arcs = append(arcs, v)
	}
	arcs = append([]uint64{arcs[0]*40 + arcs[1]}, arcs[2:]...)
	var out []byte
	for _, a := range arcs {
		var tmp [10]byte
		i := len(tmp) - 1
		tmp[i] = byte(a & 0x7f)
		for a >>= 7; a > 0; a >>= 7 {
			i--
			tmp[i] = byte(a&0x7f) | 0x80
		}
		out = append(out, tmp[i:]...)
	}
	return out
}

// invalidName is what Suricata prints when a name cannot be rendered.
const invalidName = "<X509Error: Invalid X.509 name>"

// nameString renders the content of an X.509 Name (an RDNSequence) the way
// Suricata's eve.json does (x509-parser's Display): RDNs in certificate
// order joined by ", ", the attributes of a multi-valued RDN joined by
// " + ", each as ABBREV=value. String values are printed as they are
// (BMPString decoded from UTF-16); other value types as uppercase hex of
// their content; unknown attribute types as OID(dotted.form).
func nameString(rdns []byte) string {
	var sb strings.Builder
	for len(rdns) > 0 {
		set, rest, ok := readDER(rdns)
		if !ok || set.tag != tagSet {
			return invalidName
		}
		rdns = rest
		if sb.Len() > 0 {
			sb.WriteString(", ")
		}
		first := true
		for atvs := set.content; len(atvs) > 0; {
			atv, rest, ok := readDER(atvs)
			if !ok || atv.tag != tagSequence {
				return invalidName
			}
			atvs = rest
			typ, rest, ok := readDER(atv.content)
			if !ok || typ.tag != tagOID {
				return invalidName
			}
			val, _, ok := readDER(rest)
			if !ok {
				return invalidName
			}
			if !first {
				sb.WriteString(" + ")
			}
			first = false
			if abbrev, ok := nameAbbrevDER[string(typ.content)]; ok {
				sb.WriteString(abbrev)
			} else {
				oid, ok := oidString(typ.content)
				if !ok {
					return invalidName
				}
				sb.WriteString("OID(" + oid + ")")
			}
			sb.WriteByte('=')
			if !writeAttrValue(&sb, val) {
				return invalidName
			}
		}
	}
	return sb.String()
}

// writeAttrValue writes an attribute value; false when a string value is
// not valid in its encoding.
func writeAttrValue(sb *strings.Builder, v derElem) bool {
	switch v.tag {
	case 0x0c, 0x12, 0x13, 0x14, 0x15, 0x16, 0x19, 0x1a, 0x1b, 0x07:
		// UTF8String, NumericString, PrintableString, T61String,
		// VideotexString, IA5String, GraphicString, VisibleString,
		// GeneralString, ObjectDescriptor: bytes taken as UTF-8.
		if !utf8.Valid(v.content) {
			return false
		}
		sb.Write(v.content)
	case 0x1e: // BMPString
		if len(v.content)%2 != 0 {
			return false
		}
		u := make([]uint16, len(v.content)/2)
		for i := range u {
			u[i] = uint16(v.content[2*i])<<8 | uint16(v.content[2*i+1])
		}
		sb.WriteString(string(utf16.Decode(u)))
	default:
		const hexUpper = "0123456789ABCDEF"
		for _, c := range v.content {
			sb.WriteByte(hexUpper[c>>4])
			sb.WriteByte(hexUpper[c&0xf])
		}
	}
	return true
}

// oidString renders DER OID content octets in dotted form.
func oidString(b []byte) (string, bool) {
	if len(b) == 0 || b[len(b)-1]&0x80 != 0 {
		return "", false
	}
	var out []byte
	var v uint64
	first := true
	for _, c := range b {
		if v > 1<<56 {
			return "", false
		}
		v = v<<7 | uint64(c&0x7f)
		if c&0x80 != 0 {
			continue
		}
		if first {
			first = false
			switch {
			case v < 40:
				out = append(out, '0', '.')
			case v < 80:
				out = append(out, '1', '.')
				v -= 40
			default:
				out = append(out, '2', '.')
				v -= 80
			}
			out = strconv.AppendUint(out, v, 10)
		} else {
			out = append(out, '.')
			out = strconv.AppendUint(out, v, 10)
		}
		v = 0
	}
	return string(out), true
}

// colonHex formats b as hex bytes joined by ':' ("00:AB:..." when upper).
func colonHex(b []byte, upper bool) string {
	if len(b) == 0 {
		return ""
	}
	digits := hexDigits
	if upper {
		digits = "0123456789ABCDEF"
	}
	out := make([]byte, 0, 3*len(b)-1)
	for i, c := range b {
		if i > 0 {
			out = append(out, ':')
		}
		out = append(out, digits[c>>4], digits[c&0xf])
	}
	return string(out)
}
