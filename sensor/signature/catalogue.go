package signature

import (
	"strings"

	"github.com/tlsentry/tlsentry/detector/scoring"
)

// GID is the generator id of every tlsentry signature (Suricata's rules
// use 1 too); signature ids sit in 8100000-8100999, a range no public rule
// set uses.
const GID = 1

// Layers a finding comes from, beside those of detector/scoring.
const (
	LayerRhythm = scoring.LayerRhythm // the timing of a client's connections (beaconing)
)

// Signature is one kind of finding.
type Signature struct {
	ID       int
	Rev      int
	Name     string // the alert's signature text
	Category string // a Suricata classification description
	Layer    string // which layer of detection raises it
	// Prefixes are the check and feature ids (detector/scoring.Reason's
	// Feature) it covers: an id belongs to the signature whose prefix is
	// the longest that matches it.
	Prefixes []string
	// Severe is the evidence in bits from which the finding is of
	// severity 1; Notable, severity 2; below, 3. Lists and exploits are always 1.
	Severe, Notable float64
}

// Suricata classification descriptions (classification.config).
const (
	catNonStandard = "Detection of a Non-Standard Protocol or Event"
	catProtoDecode = "Generic Protocol Command Decode"
	catBadTraffic  = "Potentially Bad Traffic"
	catUnknown     = "Unknown Traffic"
	catTrojan      = "A Network Trojan was detected"
	catPolicy      = "Potential Corporate Privacy Violation"
	catLeak        = "Attempted Information Leak"
	catScan        = "Detection of a Network Scan"
	catAttack      = "Misc Attack"
)

var catalogue = []Signature{
	{ID: 8100001, Rev: 1, Name: "TLSENTRY not TLS on a TLS port", Category: catNonStandard, Layer: scoring.LayerEvidence,
		Prefixes: []string{"proto."}, Severe: 8, Notable: 4},
	{ID: 8100002, Rev: 1, Name: "TLSENTRY bytes before the TLS handshake", Category: catNonStandard, Layer: scoring.LayerEvidence,
		Prefixes: []string{"proto.preamble", "preamble."}, Severe: 10, Notable: 5},
	{ID: 8100003, Rev: 1, Name: "TLSENTRY malformed or unusual TLS handshake", Category: catProtoDecode, Layer: scoring.LayerEvidence,
		Prefixes: []string{"hs.", "proto.no_handshake"}, Severe: 10, Notable: 5},
	{ID: 8100004, Rev: 1, Name: "TLSENTRY obsolete TLS client stack", Category: catPolicy, Layer: scoring.LayerEvidence,
		Prefixes: []string{"legacy.", "version."}, Severe: 12, Notable: 6},
	{ID: 8100005, Rev: 1, Name: "TLSENTRY broken cipher suite offered or chosen", Category: catPolicy, Layer: scoring.LayerEvidence,
		Prefixes: []string{"cipher."}, Severe: 12, Notable: 6},
	{ID: 8100006, Rev: 4, Name: "TLSENTRY missing, literal, malformed, generated-looking, onion-gateway or rare-TLD server name", Category: catBadTraffic, Layer: scoring.LayerEvidence,
		Prefixes: []string{"sni."}, Severe: 10, Notable: 5},
	{ID: 8100007, Rev: 1, Name: "TLSENTRY self-signed or self-issued certificate", Category: catBadTraffic, Layer: scoring.LayerEvidence,
		Prefixes: []string{"cert.self"}, Severe: 10, Notable: 5},
	{ID: 8100008, Rev: 1, Name: "TLSENTRY certificate does not name the server", Category: catBadTraffic, Layer: scoring.LayerEvidence,
		Prefixes: []string{"cert.name"}, Severe: 10, Notable: 5},
	{ID: 8100009, Rev: 3, Name: "TLSENTRY certificate validity out of the ordinary", Category: catBadTraffic, Layer: scoring.LayerEvidence,
		Prefixes: []string{"cert.expired", "cert.not_yet_valid", "cert.validity", "cert.fresh"}, Severe: 10, Notable: 5},
	{ID: 8100010, Rev: 1, Name: "TLSENTRY certificate issued by a private CA", Category: catBadTraffic, Layer: scoring.LayerEvidence,
		Prefixes: []string{"cert.private_issuer"}, Severe: 10, Notable: 5},
	{ID: 8100011, Rev: 1, Name: "TLSENTRY certificate with placeholder or generated-looking names", Category: catBadTraffic, Layer: scoring.LayerEvidence,
		Prefixes: []string{"cert.placeholder_name", "cert.generated_name"}, Severe: 10, Notable: 5},
	{ID: 8100012, Rev: 1, Name: "TLSENTRY TLS 1.3 certificates too small for a public chain", Category: catBadTraffic, Layer: scoring.LayerEvidence,
		Prefixes: []string{"flight."}, Severe: 10, Notable: 5},
	{ID: 8100013, Rev: 1, Name: "TLSENTRY program sent raw as a connection's first bytes (stager payload)", Category: catTrojan, Layer: scoring.LayerEvidence,
		Prefixes: []string{"proto.program_first"}, Severe: 10, Notable: 5},
	{ID: 8100014, Rev: 2, Name: "TLSENTRY TCP decoy: segments no endpoint takes or that contradict bytes already sent", Category: catProtoDecode, Layer: scoring.LayerEvidence,
		Prefixes: []string{"tcp."}, Severe: 10, Notable: 5},
	{ID: 8100015, Rev: 1, Name: "TLSENTRY IP fragments smaller than any link needs (fragmentation evasion)", Category: catProtoDecode, Layer: scoring.LayerEvidence,
		Prefixes: []string{"ip."}, Severe: 10, Notable: 5},
	{ID: 8100020, Rev: 2, Name: "TLSENTRY flow unlike the baseline", Category: catUnknown, Layer: scoring.LayerLearned,
		Prefixes: []string{""}, Severe: 16, Notable: 8},
	{ID: 8100021, Rev: 2, Name: "TLSENTRY client TLS stack never seen in the baseline", Category: catUnknown, Layer: scoring.LayerLearned,
		Prefixes: []string{"client.", "tls.ja3", "tls.ja4"}, Severe: 16, Notable: 8},
	{ID: 8100022, Rev: 2, Name: "TLSENTRY server TLS stack never seen in the baseline", Category: catUnknown, Layer: scoring.LayerLearned,
		Prefixes: []string{"server."}, Severe: 16, Notable: 8},
	{ID: 8100023, Rev: 2, Name: "TLSENTRY certificate never seen in the baseline", Category: catUnknown, Layer: scoring.LayerLearned,
		Prefixes: []string{"cert."}, Severe: 16, Notable: 8},
	{ID: 8100024, Rev: 2, Name: "TLSENTRY first bytes unlike the baseline's flows", Category: catUnknown, Layer: scoring.LayerLearned,
		Prefixes: []string{"prefix"}, Severe: 16, Notable: 8},
	{ID: 8100025, Rev: 2, Name: "TLSENTRY protocol or framing never seen in the baseline", Category: catNonStandard, Layer: scoring.LayerLearned,
		Prefixes: []string{"app_proto", "client.preamble", "client.messages", "server.messages", "client.record_version",
			"flow.record_types", "flow.framing_broke", "flow.unknown_record_type", "flow.data_before_handshake"}, Severe: 12, Notable: 6},
	{ID: 8100026, Rev: 2, Name: "TLSENTRY server name never seen in the baseline", Category: catUnknown, Layer: scoring.LayerLearned,
		Prefixes: []string{"sni.", "tls.sni_domain"}, Severe: 16, Notable: 8},
	{ID: 8100030, Rev: 1, Name: "TLSENTRY client fingerprint on a block list", Category: catTrojan, Layer: scoring.LayerLists,
		Prefixes: []string{"list.ja3", "list.ja4"}},
	{ID: 8100031, Rev: 1, Name: "TLSENTRY certificate on a block list", Category: catTrojan, Layer: scoring.LayerLists,
		Prefixes: []string{"list.cert"}},
	{ID: 8100032, Rev: 1, Name: "TLSENTRY server name on a block list", Category: catTrojan, Layer: scoring.LayerLists,
		Prefixes: []string{"list.sni"}},
	beacon,
	{ID: 8100041, Rev: 1, Name: "TLSENTRY TLS scan: many client stacks to one server", Category: catScan, Layer: scoring.LayerScan,
		Prefixes: []string{"scan."}, Severe: 10, Notable: 5},
	{ID: 8100050, Rev: 1, Name: "TLSENTRY TLS heartbeat exploit (Heartbleed, CVE-2014-0160)", Category: catLeak, Layer: scoring.LayerExploit,
		Prefixes: []string{"exploit.heartbleed."}},
	{ID: 8100051, Rev: 1, Name: "TLSENTRY TLS ChangeCipherSpec injection (CVE-2014-0224)", Category: catLeak, Layer: scoring.LayerExploit,
		Prefixes: []string{"exploit.ccs_injection."}},
	{ID: 8100052, Rev: 1, Name: "TLSENTRY certificate with an explicit elliptic curve (CurveBall, CVE-2020-0601)", Category: catAttack, Layer: scoring.LayerExploit,
		Prefixes: []string{"exploit.curveball."}},
	{ID: 8100099, Rev: 1, Name: "TLSENTRY anomalous TLS flow", Category: catUnknown, Layer: "",
		Prefixes: []string{""}, Severe: 16, Notable: 8},
}

// BeaconID is the signature of the beacon tracker's findings: a client's
// connections to one destination keep a rhythm.
const BeaconID = 8100040

// Beacon is the signature of a beacon finding; its Severity takes the
// tracker's score (0 to 1).
func Beacon() Signature { return beacon }

// beacon's figures are the beacon tracker's score (0 to 1), not bits.
var beacon = Signature{ID: BeaconID, Rev: 1, Name: "TLSENTRY periodic connections (beaconing)", Category: catTrojan, Layer: LayerRhythm,
	Prefixes: []string{"beacon."}, Severe: 0.9, Notable: 0.75}

// Catalogue returns every signature, in id order.
func Catalogue() []Signature { return append([]Signature(nil), catalogue...) }

// fallbackAt is the place of the signature of a reason no other
// signature covers, the catalogue's last; fallback is that signature.
var (
	fallbackAt = len(catalogue) - 1
	fallback   = catalogue[fallbackAt]
)

// Of is the signature a reason belongs to: among the signatures of its
// layer, the one with the longest prefix of its feature id.
func Of(r scoring.Reason) Signature { return catalogue[place(r)] }

// place is Of's place in the catalogue (fallbackAt when none covers the
// reason): the signatures are looked at in place, not copied (an alert's
// reasons each look through the catalogue).
func place(r scoring.Reason) int {
	best, bestLen := fallbackAt, -1
	for i := range catalogue {
		s := &catalogue[i]
		if s.Layer != r.Layer || s.Layer == "" {
			continue
		}
		for _, p := range s.Prefixes {
			if len(p) > bestLen && strings.HasPrefix(r.Feature, p) {
				best, bestLen = i, len(p)
			}
		}
	}
	return best
}

// Severity is how severe a finding of s is with bits of evidence: 1 high,
// 2 medium, 3 low, as Suricata's alert severity.
func (s Signature) Severity(bits float64) int {
	switch {
	case s.Layer == scoring.LayerLists, s.Layer == scoring.LayerExploit, bits >= s.Severe:
		return 1
	case bits >= s.Notable:
		return 2
	}
	return 3
}
