package evidence

import (
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
	"time"

	"github.com/tlsentry/tlsentry/detector/transcript"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// Rate is how often a check fired on the calibration corpus.
type Rate struct {
	Fired   int `json:"fired"`
	Applied int `json:"applied"` // corpus flows the check could fire on
}

// Bits is the check's weight: -log2 of its smoothed firing rate,
// (fired + 1/2) / (applied + 1), so that a check that never fired on n
// flows weighs log2(2n+2) bits and one that fires on every flow nearly 0.
func (r Rate) Bits() float64 {
	return math.Log2(float64(r.Applied+1) / (float64(r.Fired) + 0.5))
}

// Dynamic check ids: one per protocol label or preamble kind.
const (
	prefixNotTLS   = "proto.not_tls."
	prefixPreamble = "proto.preamble."
)

// Table is a calibrated set of checks.
type Table struct {
	Corpus string          `json:"corpus"` // what the rates were counted on
	Flows  int             `json:"flows"`
	Rates  map[string]Rate `json:"rates"`
	// SpokeFlows and HelloFlows are how many corpus flows the dynamic
	// checks applied to (the client sent bytes to a TLS port; it sent a
	// ClientHello).
	SpokeFlows int        `json:"spoke_flows"`
	HelloFlows int        `json:"hello_flows"`
	Names      *NameModel `json:"-"`
	// KnownIssuers are the private authorities (hex DER names) a site's
	// training flows' chains led to: its own CAs (LearnIssuers).
	KnownIssuers []string `json:"known_issuers,omitempty"`
	// KnownFlights are the servers (names, or addresses and ports) whose
	// TLS 1.3 turns were too small for a public chain in a site's training:
	// its own (LearnFlights).
	KnownFlights []string `json:"known_small_flights,omitempty"`
	// KnownSelfMade are the self-signed and self-issued leaves (SHA-256
	// fingerprints) a site's training flows showed: its own servers'
	// (LearnSelfMade).
	KnownSelfMade []string `json:"known_self_made,omitempty"`
	// KnownBreaches are the breaches of TLS (violation checks' ids) a
	// site's training flows showed: they do not decide there
	// (LearnBreaches).
	KnownBreaches []string `json:"known_breaches,omitempty"`
	// KnownTLDs are the generic top-level domains benign captures used,
	// each with how many captures did (the corpus's, and a site's
	// training as one more: LearnTLDs); sni.rare_tld fires for the others.
	KnownTLDs map[string]int `json:"known_tlds,omitempty"`
	// Eras are the corpus's rates by when it was captured; a flow is
	// judged with its era's (none in tables made before eras).
	Eras []Era `json:"eras,omitempty"`

	// decisive is what a violation the corpus never showed weighs at
	// least (SetDecisive); 0: its rate alone.
	decisive float64
	// tldHolders, while Calibrate counts, are the captures that showed
	// each generic TLD: a corpus flow's TLD counts as known where another
	// capture showed it.
	tldHolders map[string]map[string]bool

	all       weights             // for a flow of no era
	eraW      []weights           // for a flow of era i
	known     map[string]struct{} // KnownIssuers, decoded
	knownFl   map[string]struct{} // KnownFlights
	knownSelf map[string]struct{} // KnownSelfMade
	knownBr   map[string]struct{} // KnownBreaches
	// tails are the ends of findings' texts (how often the corpus showed
	// the check), worded once per model: an alert flood words the same
	// few again and again.
	tails map[tailKey]string
}

// tailKey is what a finding's tail says: the check, its flows and the
// era they were counted in (-1: the whole corpus).
type tailKey struct {
	id      string
	applied int
	era     int
}

// group indexes, for taking one maximum per group without allocating.
var groups = [...]string{GroupProtocol, GroupPreamble, GroupFraming, GroupLegacy, GroupCipher, GroupSNI, GroupCertSelf, GroupCertName, GroupCertTime,
	GroupCertSubj, GroupFlight, GroupExploit}

func groupIndex(g string) int { return slices.Index(groups[:], g) }

// Calibrate counts each check over a benign corpus and builds the table,
// with the rates of the eras the boundaries eraSplits cut time into, if
// any. names may be nil (sni.generated then never fires).
func Calibrate(corpus string, in []*Input, names *NameModel, eraSplits ...time.Time) *Table {
	t := &Table{Corpus: corpus, Names: names, Eras: splitEras(eraSplits)}
	t.tldHolders = tldHolders(in)
	whole := Era{Rates: map[string]Rate{}}
	t.tally(in, &whole, t.Eras)
	t.KnownTLDs, t.tldHolders = tldCounts(t.tldHolders), nil
	t.Flows, t.SpokeFlows, t.HelloFlows, t.Rates = whole.Flows, whole.SpokeFlows, whole.HelloFlows, whole.Rates
	t.prepare()
	return t
}

// tally counts the flows in into whole and into their eras' counts in
// eras (the table's eras, or empty counts of the same eras), and sets the
// flows the dynamic checks applied to.
func (t *Table) tally(in []*Input, whole *Era, eras []Era) {
	for _, x := range in {
		t.count(whole, x)
		if e := eraOf(eras, x); e >= 0 {
			t.count(&eras[e], x)
		}
	}
	finishCount(whole)
	for e := range eras {
		finishCount(&eras[e])
	}
}

// count adds one corpus flow to c's counts.
func (t *Table) count(c *Era, x *Input) {
	c.Flows++
	judges := judgedOn(x)
	for i := range checks {
		ch := &checks[i]
		if judges&(1<<i) == 0 || !ch.applies(x) {
			continue
		}
		r := c.Rates[ch.id]
		r.Applied++
		if ch.counts != nil && ch.counts(x) || ch.counts == nil && t.fires(i, x) {
			r.Fired++
		}
		c.Rates[ch.id] = r
	}
	if tlsPort(x) {
		c.SpokeFlows++
		if l, ok := notTLS(x); ok {
			r := c.Rates[prefixNotTLS+l]
			r.Fired++
			c.Rates[prefixNotTLS+l] = r
		}
	}
	if tlsPort(x) && x.TLS.Client != nil {
		c.HelloFlows++
		if k, ok := preamble(x); ok {
			r := c.Rates[prefixPreamble+k]
			r.Fired++
			c.Rates[prefixPreamble+k] = r
		}
	}
}

// finishCount sets the flows the dynamic checks applied to.
func finishCount(c *Era) {
	for id, r := range c.Rates {
		switch {
		case strings.HasPrefix(id, prefixNotTLS):
			r.Applied = c.SpokeFlows
		case strings.HasPrefix(id, prefixPreamble):
			r.Applied = c.HelloFlows
		}
		c.Rates[id] = r
	}
}

// tail is the end of a finding's text for check id fired on one of
// applied corpus flows.
func (t *Table) tail(k tailKey) string {
	if s, ok := t.tails[k]; ok {
		return s
	}
	return t.wordTail(k) // a protocol label or preamble the corpus never had
}

func (t *Table) wordTail(k tailKey) string {
	rates, _, _ := t.counts(k.era)
	return fmt.Sprintf("; %d of %d flows of the benign corpus%s (%s)", rates[k.id].Fired, k.applied, eraLabel(t.Eras, k.era), t.Corpus)
}

func (t *Table) fires(i int, x *Input) bool {
	if c := &checks[i]; c.firesNames != nil {
		return t.Names != nil && c.firesNames(x, t.Names)
	} else if c.firesTable != nil {
		return c.firesTable(x, t)
	}
	return checks[i].fires(x)
}

// notTLS returns the protocol label of a client that did not speak TLS
// to a TLS port.
func notTLS(x *Input) (string, bool) {
	if !tlsPort(x) || x.TLS.Client != nil || x.TLS.ClientErr != nil || x.T.Client.NoHandshake() {
		return "", false
	}
	p := x.TLS.AppProto
	if x.TLS.Google != nil {
		p = tlsparse.GoogleQUIC
	}
	if p == tlsparse.SniffTLS || p == tlsparse.SniffEmpty || x.T.ClientBytes == 0 || servedOnPort(p, x.Flow.Server.Port) {
		return "", false
	}
	if p == tlsparse.SniffBinary {
		if x.Flow.Midstream {
			// Picked up after its start, a TLS connection's client bytes
			// begin anywhere: inside a record (its ciphertext, random or
			// not yet long enough to look it), or at a keep-alive probe's
			// one stale byte. Unnamed binary from there names nothing.
			return "", false
		}
		if x.Flow.ClientHoled && x.Flow.ClientIntact < tlsparse.SniffNeeds {
			// The capture kept too few first bytes to tell (a snap
			// length, a lost segment): Telegram's transport on 443 is
			// as unnamed as random bytes there.
			return "", false
		}
		if transcript.LooksRandom(x.Flow) {
			p = labelRandom
		}
	}
	return p, true
}

// servedOnPort reports whether a protocol's servers listen on a TLS port
// by design, so that speaking it there is no mismatch: Telegram's data
// centres serve MTProto on 443 (besides 80 and 5222) to pass where only
// web ports are open, and its clients reach them there; Google's servers
// served Google QUIC on UDP 443, where Chrome spoke it until 2020;
// WhatsApp's chat servers serve its own protocol on 443 besides 5222.
func servedOnPort(label string, port uint16) bool {
	switch label {
	case tlsparse.SniffMTProto, tlsparse.GoogleQUIC, tlsparse.SniffWhatsApp:
		return port == 443
	}
	return false
}

// labelRandom labels client bytes that look uniformly random from the
// first byte on (encrypted or obfuscated with no framing at all), told
// apart from binary protocols with structure.
const labelRandom = transcript.Random

// preamble returns the kind of bytes a client sent before its hello to
// a TLS port (other ports' protocols upgrade to TLS: STARTTLS, RDP,
// database protocols).
func preamble(x *Input) (string, bool) {
	if !tlsPort(x) {
		return "", false
	}
	switch k := x.T.Client.Preamble; k {
	case transcript.PreambleNone, transcript.PreambleNoTLS, transcript.PreambleUnseen:
		return "", false
	default:
		return k, true
	}
}

// Score is the flow's evidence in bits: the sum over groups of the
// strongest firing check of each. It does not allocate.
func (t *Table) Score(x *Input) float64 {
	bits, _ := t.ScoreFired(x)
	return bits
}

// Fired is the set of checks that fired on a flow (bit i: check i), which
// ExplainFired words without running them again.
type Fired uint64

// ScoreFired is Score that also says which checks fired.
func (t *Table) ScoreFired(x *Input) (float64, Fired) {
	return t.scoreFired(x, 0, false)
}

// ScoreCertFired is ScoreFired of a flow with a leaf whose certificate
// checks CertFired ran (cert: those that fired): they are not run again.
func (t *Table) ScoreCertFired(x *Input, cert Fired) (float64, Fired) {
	return t.scoreFired(x, cert&certMask, true)
}

// scoreFired is ScoreFired, taking the certificate checks' results from
// cert when certKnown. A group's strongest check is a maximum: the order
// the checks are taken in does not change the bits.
func (t *Table) scoreFired(x *Input, cert Fired, certKnown bool) (float64, Fired) {
	w := t.weightsAt(x)
	var best [len(groups)]float64
	var fired Fired
	judges := judgedOn(x)
	cert &= judges
	for i := range checks {
		if judges&(1<<i) == 0 {
			continue
		}
		if certKnown && certMask&(1<<i) != 0 {
			if cert&(1<<i) != 0 {
				fired |= 1 << i
				g := groupIndex(checks[i].group)
				b, _ := w.of(i, x)
				best[g] = max(best[g], b)
			}
			continue
		}
		if checks[i].applies(x) && t.fires(i, x) {
			fired |= 1 << i
			g := groupIndex(checks[i].group)
			b, _ := w.of(i, x)
			best[g] = max(best[g], b)
		}
	}
	if l, ok := notTLS(x); ok {
		best[0] = max(best[0], bitsOr(w.notTLS, l, w.unseenNT))
	}
	if k, ok := preamble(x); ok {
		best[1] = max(best[1], bitsOr(w.preamble, k, w.unseenPr))
	}
	total := 0.0
	for _, b := range best {
		total += b
	}
	return total, fired
}

func bitsOr(m map[string]float64, k string, unseen float64) float64 {
	if b, ok := m[k]; ok {
		return b
	}
	return unseen
}

// Finding is one check that fired, for an alert's reasons.
type Finding struct {
	ID, Group    string
	Field, Value string
	Text         string // in words, with how often the corpus showed it
	Bits         float64
	// Counted is false for a check outweighed by a stronger one of its
	// group (the same fact): it is listed, not added.
	Counted bool
}

// Explain lists the checks that fired, strongest first.
func (t *Table) Explain(x *Input) []Finding {
	_, fired := t.ScoreFired(x)
	return t.ExplainFired(x, fired)
}

// ExplainFired is Explain of a flow whose fired checks ScoreFired gave.
func (t *Table) ExplainFired(x *Input, fired Fired) []Finding {
	w := t.weightsAt(x)
	var out []Finding
	if n := bits.OnesCount64(uint64(fired)); n > 0 {
		out = make([]Finding, 0, n+2) // the checks, another protocol, a preamble
	}
	if l, ok := notTLS(x); ok {
		_, spoke, _ := t.counts(w.ntSrc)
		out = append(out, t.finding(tailKey{prefixNotTLS + l, spoke, w.ntSrc}, GroupProtocol, "app_proto", l,
			fmt.Sprintf("the client spoke %s (%s), not TLS, on port %s", protoName(l), spokenHead(x.T.Client.Head, l), port(x)), bitsOr(w.notTLS, l, w.unseenNT)))
	}
	if k, ok := preamble(x); ok {
		sd := &x.T.Client
		at := ""
		if sd.PreambleLen >= x.T.ClientBytes {
			at = "at least "
		}
		_, _, hello := t.counts(w.prSrc)
		out = append(out, t.finding(tailKey{prefixPreamble + k, hello, w.prSrc}, GroupPreamble, "tls.client.preamble", k,
			fmt.Sprintf("%s%s before the ClientHello: %s (%s)", at, transcript.ByteCount(sd.PreambleLen), preambleName(k), transcript.Printable(sd.Head)), bitsOr(w.preamble, k, w.unseenPr)))
	}
	for i := range checks {
		if fired&(1<<i) != 0 {
			out = append(out, t.describe(w, i, x))
		}
	}
	rank(out)
	return out
}

// check is check i's finding on x, when it fires.
func (t *Table) check(i int, x *Input) (Finding, bool) {
	if c := &checks[i]; judgedOn(x)&(1<<i) == 0 || !c.applies(x) || !t.fires(i, x) {
		return Finding{}, false
	}
	return t.describe(t.weightsAt(x), i, x), true
}

// describe words check i, which fired on x, with x's weights w.
func (t *Table) describe(w *weights, i int, x *Input) Finding {
	c := &checks[i]
	var field, value, text string
	switch {
	case c.describeNames != nil:
		field, value, text = c.describeNames(x, t.Names)
	case c.describeTable != nil:
		field, value, text = c.describeTable(x, t)
	default:
		field, value, text = c.describe(x)
	}
	bits, decides := w.of(i, x)
	f := t.finding(t.checkKey(w, i), c.group, field, value, text, bits)
	if decides {
		switch {
		case strings.HasPrefix(c.id, "tcp."):
			f.Text += decidesTailTCP
		case strings.HasPrefix(c.id, "ip."):
			f.Text += decidesTailIP
		default:
			f.Text += decidesTail
		}
	}
	return f
}

// decidesTail ends the finding of a violation that decides on its own;
// decidesTailTCP and decidesTailIP that of one of TCP's or IP's (which a
// flow of any protocol can commit).
const (
	decidesTail    = ": a breach of TLS that no benign flow showed, which alerts on its own"
	decidesTailTCP = ": a breach of TCP that no benign flow showed, which alerts on its own"
	decidesTailIP  = ": a breach of IP that no benign flow showed, which alerts on its own"
)

// SetDecisive makes a violation of TLS's grammar that the corpus never
// showed weigh at least bits: a model sets its threshold, so that such a
// flow alerts on this fact alone. The corpus's size bounds what a fact it
// never showed weighs by its rate (log2(2n+2): 10.1 bits for 567 hellos),
// which is below a threshold set where 1% of benign flows alert; but no
// TLS stack sends a hello that does not parse or records that stop being
// records, and Suricata's TLS decoder events alert on such flows without
// any threshold. A violation the corpus did show keeps its rate.
func (t *Table) SetDecisive(bits float64) {
	if bits == t.decisive || math.IsNaN(bits) || math.IsInf(bits, 0) || bits < 0 {
		return
	}
	t.decisive = bits
	t.weigh()
}

// rank sorts findings strongest first and counts the first of each group.
func rank(out []Finding) {
	slices.SortStableFunc(out, func(a, b Finding) int {
		if a.Bits != b.Bits {
			if a.Bits > b.Bits {
				return -1
			}
			return 1
		}
		return 0
	})
	seen := map[string]bool{}
	for i := range out {
		out[i].Counted = !seen[out[i].Group]
		seen[out[i].Group] = true
	}
}

func (t *Table) finding(k tailKey, group, field, value, text string, bits float64) Finding {
	return Finding{ID: k.id, Group: group, Field: field, Value: value, Bits: bits, Counted: true,
		Text: text + t.tail(k)}
}

// spokenHead words the first bytes a side spoke in a protocol other than
// TLS: the first line of a text protocol, eight bytes of a binary one.
func spokenHead(head []byte, label string) string {
	switch label {
	case tlsparse.SniffBinary, labelRandom, tlsparse.SniffExec, tlsparse.SniffMTProto, tlsparse.SniffOpenVPN, tlsparse.SniffWhatsApp, tlsparse.SniffDNS:
		return transcript.Printable(head[:min(len(head), 8)])
	}
	head = head[:min(len(head), transcript.HeadLen)]
	if i := slices.Index(head, '\n'); i >= 0 {
		head = head[:i+1]
	}
	return transcript.Printable(head)
}

func protoName(l string) string {
	switch l {
	case tlsparse.SniffSSH, tlsparse.SniffHTTP, tlsparse.SniffSMTP, tlsparse.SniffFTP, tlsparse.SniffIMAP, tlsparse.SniffSOCKS, tlsparse.SniffRDP, tlsparse.SniffSMB, tlsparse.SniffDNS:
		return strings.ToUpper(l)
	case tlsparse.SniffPOP3:
		return "POP3"
	case tlsparse.SniffBinary:
		return "unrecognised binary"
	case tlsparse.SniffMTProto:
		return "Telegram's MTProto (obfuscated transport)"
	case tlsparse.SniffWhatsApp:
		return "WhatsApp's chat protocol (its own framing, not TLS)"
	case tlsparse.SniffOpenVPN:
		return "OpenVPN's TCP framing with no TLS in clear (a VPN tunnel whose control channel is encrypted: tls-crypt)"
	case tlsparse.GoogleQUIC:
		return "Google QUIC Crypto (QUIC before TLS)"
	case tlsparse.SniffExec:
		return "a program (an executable file sent raw, as stagers send their payload)"
	case labelRandom:
		return "random-looking bytes (no framing at all)"
	case tlsparse.SniffText:
		return "plain text"
	case tlsparse.SniffBanner:
		return "a text protocol (reply-code banner)"
	}
	return l
}

func preambleName(k string) string {
	switch k {
	case transcript.PreambleConnect:
		return "an HTTP CONNECT exchange (proxy tunnel)"
	case transcript.PreambleProxy:
		return "a PROXY protocol header"
	case transcript.PreambleSTARTTLS:
		return "a STARTTLS exchange"
	case transcript.PreamblePgSQL:
		return "a PostgreSQL SSLRequest"
	case transcript.PreambleMySQL:
		return "a MySQL SSL request"
	case tlsparse.SniffHTTP:
		return "an HTTP request"
	case transcript.RecordsOnly:
		return "TLS records that are not a handshake"
	case transcript.PreambleOpenVPN:
		return "OpenVPN's TCP framing (a VPN tunnel: its control channel carries the handshake)"
	}
	return protoName(k)
}

type tableJSON struct {
	Table
	Names *nameJSON `json:"names,omitempty"`
}

// MarshalBinary encodes the table (JSON, keys sorted).
func (t *Table) MarshalBinary() ([]byte, error) {
	j := tableJSON{Table: *t}
	if t.Names != nil {
		n := t.Names.toJSON()
		j.Names = &n
	}
	return json.Marshal(j)
}

// UnmarshalBinary decodes and checks a table.
func (t *Table) UnmarshalBinary(data []byte) error {
	var j tableJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return fmt.Errorf("evidence table: %w", err)
	}
	q := j.Table
	if q.Flows <= 0 || q.SpokeFlows < 0 || q.HelloFlows < 0 || q.SpokeFlows > q.Flows || q.HelloFlows > q.Flows {
		return fmt.Errorf("evidence table: %d flows, %d that spoke, %d hellos", q.Flows, q.SpokeFlows, q.HelloFlows)
	}
	if len(q.Rates) > maxRates {
		return fmt.Errorf("evidence table: %d rates (at most %d)", len(q.Rates), maxRates)
	}
	for id, r := range q.Rates {
		if r.Fired < 0 || r.Applied < r.Fired || r.Applied > q.Flows {
			return fmt.Errorf("evidence table: check %s fired %d times in %d flows (of %d)", id, r.Fired, r.Applied, q.Flows)
		}
	}
	if err := checkEras(q.Eras, q.Flows); err != nil {
		return err
	}
	if j.Names != nil {
		m, err := j.Names.model()
		if err != nil {
			return err
		}
		q.Names = m
	}
	if _, err := knownSet(q.KnownIssuers); err != nil {
		return err
	}
	if _, err := knownFlightSet(q.KnownFlights); err != nil {
		return err
	}
	if _, err := knownSelfMadeSet(q.KnownSelfMade); err != nil {
		return err
	}
	if _, err := knownBreachSet(q.KnownBreaches); err != nil {
		return err
	}
	if err := checkKnownTLDs(q.KnownTLDs); err != nil {
		return err
	}
	*t = q
	t.prepare()
	return nil
}

// CheckIDs are the ids of the checks (those of the protocol a client
// spoke on a TLS port and of the bytes before its hello are these
// prefixes followed by the protocol's or the bytes' kind).
func CheckIDs() []string {
	ids := []string{prefixNotTLS, prefixPreamble}
	for _, c := range checks {
		ids = append(ids, c.id)
	}
	return ids
}
