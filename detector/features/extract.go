package features

import (
	"math"
	"math/bits"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/tlsentry/tlsentry/detector/transcript"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// Values are one flow's features.
type Values struct {
	Vec  [Len]float32
	Cats [NumCats][]string
	// T is what each side sent in the clear (filled by Extract).
	T transcript.Transcript
	// ordered marks the set features already sorted without repeats
	// (filled once by setBuf.into), which Extract need not sort again.
	ordered uint64
	// coded marks the set features of 16-bit code points whose values
	// wait unnamed in codes (ExtractCoded): see Coded and Name.
	coded uint64
	codes [numCoded]setBuf
}

// The set features of 16-bit code points, named in hex ("0x1301"), and
// where codes keeps each.
const numCoded = 4

var codedAt = [NumCats]int8{CCipher: 1, CExtension: 2, CGroup: 3, CSigAlg: 4}

// Reset clears v for reuse, keeping its slices' memory.
func (v *Values) Reset() {
	v.Vec = [Len]float32{}
	for i := range v.Cats {
		v.Cats[i] = v.Cats[i][:0]
	}
	v.ordered = 0
	v.coded = 0
}

// Coded returns set feature c's values as the flow listed them (GREASE
// left out, the first maxSet, unsorted, repeats kept) while they wait
// unnamed (ExtractCoded); ok is false when c's values are in v.Cats.
// Scoring a flow whose values training all saw tests them as numbers and
// never makes their names.
func (v *Values) Coded(c Cat) (codes []uint16, ok bool) {
	if v.coded&(1<<c) == 0 {
		return nil, false
	}
	b := &v.codes[codedAt[c]-1]
	return b.x[:b.n], true
}

// Name puts set feature c's coded values into v.Cats, sorted without
// repeats as Extract leaves them; nothing when they are there already.
func (v *Values) Name(c Cat) {
	if v.coded&(1<<c) == 0 {
		return
	}
	v.coded &^= 1 << c
	v.codes[codedAt[c]-1].into(v, c)
}

// Names puts every coded set feature's values into v.Cats.
func (v *Values) Names() {
	for v.coded != 0 {
		v.Name(Cat(bits.TrailingZeros64(v.coded)))
	}
}

func (v *Values) set(i int, x float64) { v.Vec[i] = float32(x) }

func (v *Values) flag(i int, b bool) {
	if b {
		v.Vec[i] = 1
	}
}

// maxSet bounds a set feature's values per flow: a hostile hello may
// offer thousands of cipher suites.
const maxSet = 128

// Values.ordered has a bit per categorical feature.
const _ = uint(64 - NumCats)

func (v *Values) cat(c Cat, s string) {
	if len(v.Cats[c]) < maxSet {
		v.Cats[c] = append(v.Cats[c], s)
		v.ordered &^= 1 << c
	}
}

// Extract fills v from a flow and its parsed handshake (tlsparse.FromFlow).
func Extract(f *flow.Flow, h *tlsparse.Handshake, v *Values) {
	ExtractCoded(f, h, v)
	v.Names()
}

// ExtractCoded is Extract that leaves the set features of 16-bit code
// points (cipher suites, extensions, groups, signature algorithms)
// unnamed: see Coded, Name.
func ExtractCoded(f *flow.Flow, h *tlsparse.Handshake, v *Values) {
	v.Reset()
	transcript.Of(f, &v.T)
	proto := orNone(h.AppProto)
	switch {
	case proto == tlsparse.SniffBinary && !f.Midstream && transcript.LooksRandom(f):
		// Random from the first byte on; a connection picked up after its
		// start shows TLS ciphertext from inside a record so, and stays
		// "binary" (what its bytes show, not another protocol).
		proto = transcript.Random
	case proto == tlsparse.SniffTLS && v.T.Client.NoHandshake() && f.ClientSYN:
		// TLS's framing without its handshake, from a client seen from
		// its SYN, is another protocol that looks like TLS at a glance:
		// as new as SSH on the port, and counted as one.
		proto = transcript.RecordsOnly
	}
	v.cat(CAppProto, proto)
	v.flag(FTLS, h.SpokeTLS())
	transport(f, v)
	if ch := h.Client; ch != nil {
		client(ch, v)
		if !ch.SSLv2 {
			fingerprints(h.Prints(h.Transport()), v)
		}
	}
	v.flag(FClientError, h.ClientErr != nil && (h.Client == nil || !h.Client.Truncated))
	if sf := h.Server; sf != nil {
		server(f, sf, v)
		// Encrypted records stand for certificates only after a hello:
		// records with none (a capture that missed the start, data
		// framed as TLS) are what is left of a handshake, not its size.
		encrypted(f, v)
	}
	v.flag(FServerError, h.ServerErr != nil && (h.Server == nil || !h.Server.Truncated))
	shape(f, v)
	clear(f, h, v)
	v.sortSets()
}

// sortSets sorts the set features not sorted yet and drops their repeats.
func (v *Values) sortSets() {
	for m := setCats &^ v.ordered; m != 0; m &= m - 1 {
		if c := bits.TrailingZeros64(m); len(v.Cats[c]) > 1 {
			v.Cats[c] = sortedUnique(v.Cats[c])
		}
	}
}

// setCats has a bit for each set feature, for sortSets.
var setCats = func() (m uint64) {
	for c, d := range catDefs {
		if d.Set {
			m |= 1 << c
		}
	}
	return m
}()

func client(ch *tlsparse.ClientHello, v *Values) {
	v.flag(FClientHello, true)
	v.flag(FClientTruncated, ch.Truncated)
	v.flag(FClientSSLv2, ch.SSLv2)
	v.set(FRecordVersion, float64(ch.RecordVersion))
	v.set(FClientVersion, float64(ch.Version))
	if ch.RecordVersion != 0 { // QUIC carries hellos without records
		v.cat(CRecordVersion, tlsparse.VersionName(ch.RecordVersion))
	}
	v.cat(CClientVersion, tlsparse.VersionName(ch.Version))
	maxV := ch.Version
	versions := 0
	for _, sv := range ch.SupportedVersions {
		if !tlsparse.IsGREASE(sv) {
			versions++
			if sv>>8 == 3 && sv > maxV {
				maxV = sv
			}
		}
	}
	v.set(FMaxVersion, float64(maxV))
	v.cat(CMaxVersion, tlsparse.VersionName(maxV))
	v.set(FVersions, float64(versions))

	ciphers := 0
	set := v.codeBuf(CCipher)
	for _, c := range ch.CipherSuites {
		if tlsparse.IsGREASE(c) {
			continue
		}
		ciphers++
		v.Vec[FCipherHash+bucket(c, cipherBuckets)]++
		set.add(c)
		switch {
		case weakCiphers.has(c):
			v.Vec[FWeakCiphers]++
		case cbcCiphers.has(c):
			v.Vec[FCBCCiphers]++
		}
		if c>>8 == 0x13 && c&0xff <= 5 {
			v.Vec[FTLS13Ciphers]++
		}
	}
	v.set(FCiphers, float64(ciphers))
	exts := 0
	set = v.codeBuf(CExtension)
	for _, e := range ch.Extensions {
		if tlsparse.IsGREASE(e.Type) {
			continue
		}
		exts++
		v.Vec[FExtHash+bucket(e.Type, extBuckets)]++
		set.add(e.Type)
	}
	v.set(FExtensions, float64(exts))
	v.set(FGroups, float64(listInto(v, ch.SupportedGroups, FGroupHash, groupBuckets, CGroup)))
	v.set(FSigAlgs, float64(listInto(v, ch.SignatureAlgorithms, FSigHash, sigBuckets, CSigAlg)))
	shares := 0
	for _, g := range ch.KeyShareGroups {
		if !tlsparse.IsGREASE(g) {
			shares++
		}
	}
	v.set(FKeyShares, float64(shares))
	v.set(FSessionIDLen, float64(len(ch.SessionID)))
	v.set(FCompression, float64(len(ch.CompressionMethods)))
	v.flag(FGREASE, len(ch.GREASE) > 0)
	v.flag(FSessionTicket, ch.SessionTicket)
	v.flag(FPSK, ch.PreSharedKey)
	v.flag(FEarlyData, ch.EarlyData)
	v.set(FHelloLen, float64(len(ch.Raw)))
	v.set(FALPNs, float64(len(ch.ALPN)))
	for _, p := range ch.ALPN {
		v.cat(CALPN, p)
		v.flag(FALPNH2, p == "h2")
		v.flag(FALPNHTTP11, p == "http/1.1")
	}
	sni(ch.ServerName, v)
}

// fingerprints adds the client's JA4 (whole and its cipher and extension
// parts) and JA3N, as the handshake rendered them (from the parse's
// fingerprint cache when it had one).
func fingerprints(p tlsparse.FlowPrints, v *Values) {
	// A hello cut short has no prints (tlsparse makes none up): no value,
	// rather than one empty value all such hellos would share.
	if p.JA4 != "" {
		v.cat(CJA4, p.JA4)
	}
	if _, rest, ok := strings.Cut(p.JA4, "_"); ok {
		if b, c, ok := strings.Cut(rest, "_"); ok {
			v.cat(CJA4Ciphers, b)
			v.cat(CJA4Exts, c)
		}
	}
	if p.JA3N.Hash != "" {
		v.cat(CJA3N, p.JA3N.Hash)
	}
}

// listInto counts a list's non-GREASE values into hashed buckets and the
// categorical set; it returns how many there were.
func listInto(v *Values, list []uint16, first, buckets int, c Cat) int {
	n := 0
	set := v.codeBuf(c)
	for _, x := range list {
		if tlsparse.IsGREASE(x) {
			continue
		}
		n++
		v.Vec[first+bucket(x, buckets)]++
		set.add(x)
	}
	return n
}

// codeBuf is coded set feature c's buffer, emptied and marked coded.
func (v *Values) codeBuf(c Cat) *setBuf {
	v.coded |= 1 << c
	b := &v.codes[codedAt[c]-1]
	b.n = 0
	return b
}

// setBuf gathers a set feature's 16-bit values (the first maxSet, as cat
// keeps them) to sort them as numbers, which orders their hex names as
// sortedUnique would, at a fraction of the cost of sorting the strings.
type setBuf struct {
	x [maxSet]uint16
	n int
}

func (b *setBuf) add(x uint16) {
	if b.n < maxSet {
		b.x[b.n] = x
		b.n++
	}
}

// into sorts the values, drops repeats and adds their names to v; b is
// empty again.
func (b *setBuf) into(v *Values, c Cat) {
	xs := b.x[:b.n]
	slices.Sort(xs)
	empty := len(v.Cats[c]) == 0
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			v.cat(c, hex16(x))
		}
	}
	if empty {
		v.ordered |= 1 << c
	}
	b.n = 0
}

func sni(name string, v *Values) {
	if name == "" {
		return
	}
	isIP := MaybeIP(name)
	if isIP {
		_, err := netip.ParseAddr(name)
		isIP = err == nil
	}
	if !isIP {
		v.cat(CServerDomain, domain(name))
	}
	v.flag(FSNIPresent, true)
	v.set(FSNILen, float64(len(name)))
	v.set(FSNILabels, float64(strings.Count(name, ".")+1))
	digits, hyphens := 0, 0
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '-':
			hyphens++
		}
	}
	n := float64(len(name))
	v.set(FSNIDigits, float64(digits)/n)
	v.set(FSNIHyphens, float64(hyphens)/n)
	v.set(FSNIEntropy, byteEntropy(name))
	v.flag(FSNIIsIP, isIP)
}

// byteEntropy is the Shannon entropy of s's bytes in bits per byte, its
// terms added in increasing byte value (their order fixes its bits). A bit
// per byte value seen lets the sum skip the values s lacks rather than
// scan 256 counts.
func byteEntropy(s string) float64 {
	var counts [256]int32
	var seen [4]uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		counts[c]++
		seen[c>>6] |= 1 << (c & 63)
	}
	n := float64(len(s))
	var logs []float64 // the table's row for s's length, if it has one
	if len(s) < len(log2Shares) {
		logs = log2Shares[len(s)]
	}
	entropy := 0.0
	for w, m := range seen {
		for ; m != 0; m &= m - 1 {
			k := counts[w<<6|bits.TrailingZeros64(m)]
			p := float64(k) / n
			var l float64
			if logs != nil {
				l = logs[k]
			} else {
				l = math.Log2(p)
			}
			entropy -= p * l
		}
	}
	return entropy
}

// log2Shares[n][k] is math.Log2(float64(k)/float64(n)), the logarithm
// byteEntropy takes for a byte value seen k times in n bytes, made once
// for names shorter than 64 bytes (most server names): the same values,
// so the same bits, without a logarithm per distinct byte of every name.
var log2Shares = func() (t [64][]float64) {
	for n := 1; n < len(t); n++ {
		t[n] = make([]float64, n+1)
		for k := 1; k <= n; k++ {
			t[n][k] = math.Log2(float64(k) / float64(n))
		}
	}
	return t
}()

func server(f *flow.Flow, sf *tlsparse.ServerFlight, v *Values) {
	v.flag(FServerAlert, sf.Alert != nil)
	v.flag(FServerHRR, sf.HelloRetryRequest != nil)
	if sh := sf.ServerHello; sh != nil {
		v.flag(FServerHello, true)
		v.set(FServerVersion, float64(sh.SelectedVersion))
		v.cat(CServerVersion, tlsparse.VersionName(sh.SelectedVersion))
		v.set(FServerExtensions, float64(len(sh.Extensions)))
		if sh.HasCipherSuite() { // a hello cut before its suite names none
			v.cat(CServerCipher, hex16(sh.CipherSuite))
		}
		if sh.ALPN != "" {
			v.cat(CServerALPN, sh.ALPN)
		}
	}
	if c := sf.Leaf; c != nil {
		v.flag(FCertPresent, true)
		v.flag(FCertSelfSigned, c.SelfSigned)
		v.flag(FCertSelfIssued, c.SelfIssued)
		v.set(FCertValidityDays, c.NotAfter.Sub(c.NotBefore).Hours()/24)
		v.set(FCertChain, float64(len(sf.Chain)))
		v.set(FCertSANs, float64(len(c.DNSNames)+len(c.IPAddresses)))
		v.flag(FCertExpired, f.Start.Before(c.NotBefore) || f.Start.After(c.NotAfter))
		v.cat(CCertIssuer, orNone(c.Issuer))
		v.cat(CCertKey, orNone(c.PublicKey))
	}
}

// transport says what carried the flow: TCP, or QUIC, whose Initial
// packets may not have opened (a flow that only looks like QUIC).
func transport(f *flow.Flow, v *Values) {
	if f.Transport != flow.TransportUDP {
		v.cat(CTransport, "tcp")
		return
	}
	v.cat(CTransport, "quic")
	v.flag(FQUIC, true)
	v.flag(FQUICUndecrypted, f.QUIC != nil && f.QUIC.Undecrypted)
}

// shape describes the flow's first bytes and size.
func shape(f *flow.Flow, v *Values) {
	v.set(FBytesToServer, math.Log2(1+float64(f.BytesToServer)))
	v.set(FBytesToClient, math.Log2(1+float64(f.BytesToClient)))
	v.set(FPrefixLen, float64(len(f.Prefix)))
	v.set(FTurns, float64(len(f.PrefixRuns)))
	v.flag(FGap, f.PrefixGap)
	v.flag(FMidstream, f.Midstream)
	if len(f.PrefixRuns) > 0 {
		v.flag(FClientFirst, f.PrefixRuns[0].FromClient)
		v.set(FFirstRunLen, float64(f.PrefixRuns[0].Len))
	}
	if len(f.PrefixRuns) > 1 {
		v.set(FSecondRunLen, float64(f.PrefixRuns[1].Len))
	}
}

// encrypted describes the encrypted records (TLS application data) at the
// start of the server's turn that answers the hello, in the prefix
// (transcript.ServerFlight). In TLS 1.3 they carry
// the certificates, so their lengths are all a sensor sees of the
// server's identity: a new certificate shows as a new length.
func encrypted(f *flow.Flow, v *Values) {
	fl := transcript.ServerFlight(f)
	if fl.Records == 0 {
		return
	}
	v.set(FServerEncRecords, float64(fl.Records))
	v.set(FServerEncMax, float64(fl.Largest))
	v.cat(CServerEncMax, strconv.Itoa(fl.Largest))
}

// bucket hashes a 16-bit value into one of n (a power of two) buckets.
func bucket(x uint16, n int) int {
	return int((uint32(x) * 0x9E3779B1) >> 16 % uint32(n))
}

// hex16 is "0x" and four hex digits, from a table made once: the set
// features name every cipher suite, extension, group and signature
// algorithm of every flow, and formatting them was most of the
// extraction's allocations.
func hex16(x uint16) string { return hexNames[x] }

var hexNames, hexAll = func() (*[1 << 16]string, string) {
	const digits = "0123456789abcdef"
	all := make([]byte, 6<<16)
	for i := range 1 << 16 {
		b := all[6*i : 6*i+6]
		b[0], b[1] = '0', 'x'
		for j := range 4 {
			b[2+j] = digits[i>>(12-4*j)&15]
		}
	}
	s := string(all)
	var t [1 << 16]string
	for i := range t {
		t[i] = s[6*i : 6*i+6]
	}
	return &t, s
}()

// HexValue returns the 16-bit value x when s is hex16(x), a name Extract
// took from its table (its place in the table says which, without
// reading the digits); ok is false for any other string, even one that
// reads the same. Novelty scoring tests several dozen such names per
// flow against the values training saw.
func HexValue(s string) (x uint16, ok bool) {
	off := uintptr(unsafe.Pointer(unsafe.StringData(s))) - uintptr(unsafe.Pointer(unsafe.StringData(hexAll)))
	if len(s) != 6 || off >= uintptr(len(hexAll)) || off%6 != 0 {
		return 0, false
	}
	return uint16(off / 6), true
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// sortedUnique sorts a set feature and drops repeats, so that a value is
// counted once per flow.
func sortedUnique(s []string) []string {
	if !slices.IsSorted(s) {
		slices.Sort(s)
	}
	return slices.Compact(s)
}

// clear describes what each side sent in the clear around the handshake
// (package transcript).
func clear(f *flow.Flow, h *tlsparse.Handshake, v *Values) {
	c, s := &v.T.Client, &v.T.Server
	// STARTTLS to a mail port, RDP's negotiation to 3389: the port's own
	// protocol starting TLS as specified is its framing, not a preamble,
	// and is no news on any network.
	if !v.T.OwnUpgrade(f.Server.Port) {
		if c.Preamble != transcript.PreambleUnseen {
			v.cat(CPreamble, c.Preamble)
		}
		v.set(FPreambleLen, math.Log2(1+float64(c.PreambleLen)))
	}
	v.flag(FClientCert, c.SentCertificate())
	certReq := s.Sent(transcript.MsgCertificateRequest)
	if h.Server != nil {
		for _, m := range h.Server.MessageTypes {
			certReq = certReq || m == transcript.MsgCertificateRequest
			v.cat(CServerMsgs, transcript.MsgName(m))
		}
	}
	v.flag(FCertRequest, certReq)
	tls13 := transcript.TLS13(h.Version())
	_, ce := c.DataBeforeHandshake(tls13)
	_, se := s.DataBeforeHandshake(tls13)
	v.flag(FDataEarly, ce || se)
	_, cu := c.UnknownType()
	_, su := s.UnknownType()
	v.flag(FUnknownType, cu || su)
	// A capture that missed the connection's start shows records with no
	// handshake for that reason alone (as the evidence check knows): only
	// a client seen from its SYN can show it never shook hands. The
	// training flows that showed it were all picked up midstream, which
	// made the fact look ordinary.
	v.flag(FNoHandshake, c.NoHandshake() && f.ClientSYN)
	v.flag(FFramingBroke, c.FramingBroke || s.FramingBroke)
	v.set(FClientRecords, float64(len(c.Records)))
	for _, r := range c.Records {
		for _, m := range r.Messages {
			v.cat(CClientMsgs, transcript.MsgName(m))
		}
		v.cat(CRecordTypes, recordTypeNames[0][max(19, min(int(r.Type), 25))-19])
	}
	// The client's messages in clear past the prefix too: where its
	// second flight (a certificate, the key exchange) falls, inside the
	// prefix or past it, is the server's doing (how many bytes its own
	// flight took, all of them or what the capture kept), not the
	// client's.
	for _, r := range c.Later {
		for _, m := range r.Messages {
			v.cat(CClientMsgs, transcript.MsgName(m))
		}
	}
	if h.Client != nil && c.HelloCut(len(h.Client.Raw)) {
		v.cat(CClientMsgs, transcript.HelloCutName) // framing no library writes, as a message of its own
	}
	for _, m := range s.Records {
		for _, t := range m.Messages {
			v.cat(CServerMsgs, transcript.MsgName(t))
		}
		v.cat(CRecordTypes, recordTypeNames[1][max(19, min(int(m.Type), 25))-19])
	}
	// Past the prefix, only heartbeats: the other types there are every
	// TLS 1.2 flow's, seen or not as far as a capture follows it, while a
	// heartbeat is a fact wherever it comes (Heartbleed's request and
	// answer come after the handshake).
	for side, sd := range [2]*transcript.Side{c, s} {
		for _, r := range sd.Later {
			if r.Type == transcript.TypeHeartbeat {
				v.cat(CRecordTypes, recordTypeNames[side][transcript.TypeHeartbeat-19])
			}
		}
	}
}

// recordTypeNames are the CRecordTypes values per side, by content type
// 19 (and below), 20..24, 25 (and above).
var recordTypeNames = [2][7]string{
	{"client content type below 20", "client change_cipher_spec", "client alert", "client handshake", "client application_data", "client heartbeat", "client content type above 24"},
	{"server content type below 20", "server change_cipher_spec", "server alert", "server handshake", "server application_data", "server heartbeat", "server content type above 24"},
}

// domain is a server name's last two labels ("example.com" of
// "www.example.com"), a substring of name.
func domain(name string) string {
	name = strings.TrimSuffix(name, ".")
	i := strings.LastIndexByte(name, '.')
	if i <= 0 {
		return name
	}
	if j := strings.LastIndexByte(name[:i], '.'); j >= 0 {
		return name[j+1:]
	}
	return name
}

// MaybeIP reports whether s has only the characters of an IP address
// literal, so that hostnames skip netip.ParseAddr (whose error for them
// allocates).
func MaybeIP(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}
