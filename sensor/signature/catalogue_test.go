package signature

import (
	"flag"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/detector/evidence"
	"github.com/tlsentry/tlsentry/detector/exploit"
	"github.com/tlsentry/tlsentry/detector/scoring"
)

var update = flag.Bool("update", false, "rewrite docs/signatures.md from the catalogue")

const docPath = "../../docs/signatures.md"

// TestDocsListTheCatalogue: docs/signatures.md is the catalogue, as the
// code has it (go test ./sensor/signature -update rewrites it).
func TestDocsListTheCatalogue(t *testing.T) {
	var b strings.Builder
	b.WriteString("# tlsentry alert signatures\n\n")
	b.WriteString("Every tlsentry alert record carries Suricata's `alert` object: `action` (always `allowed`: the sensor is passive),\n")
	b.WriteString("`gid` 1, `signature_id`, `rev`, `signature`, `category` (a Suricata classification) and `severity` (1 high, 2 medium,\n")
	b.WriteString("3 low), and `metadata.layer` and `metadata.check` (the detector's layer and check ids behind the finding).\n")
	b.WriteString("An alerting flow gives one alert record per signature its reasons belong to (at most 4), strongest first:\n")
	b.WriteString("the strongest always, the others when of severity 1 or 2 on their own.\n")
	b.WriteString("Severity comes from the finding's evidence in bits: at or above the first figure, 1; above the second, 2;\n")
	b.WriteString("below, 3. Block-list hits and known exploits (`detector/exploit`), which alert whatever the flow's score, are\n")
	b.WriteString("always 1 and come first. The periodic-connections signature's figures are the beacon tracker's\n")
	b.WriteString("score (0 to 1, `detector/beacon`) instead of bits: one alert per client and destination whose connections keep\n")
	b.WriteString("a rhythm; a flow of such a pair alerts under it too when its rhythm is what alerted (its other findings of\n")
	b.WriteString("severity 3 alone), else the rhythm supports its strongest finding. The learned signatures compare a flow with the model's baseline: the public corpus for\n")
	b.WriteString("the embedded default, the network's own flows for a model trained on it (both after `train -update` of the\n")
	b.WriteString("default); each reason names which. Generated from `sensor/signature` (its test keeps this file equal).\n\n")
	b.WriteString("| signature_id | signature | category | layer | checks (id prefixes) | severity 1 / 2 from (bits) |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	for _, s := range Catalogue() {
		layer, sev := s.Layer, fmt.Sprintf("%g / %g", s.Severe, s.Notable)
		if layer == "" {
			layer = "any (a reason no other signature covers)"
		}
		if s.Layer == scoring.LayerLists || s.Layer == scoring.LayerExploit {
			sev = "always 1"
		}
		var prefixes []string
		for _, p := range s.Prefixes {
			if p == "" {
				p = "(any)"
			}
			prefixes = append(prefixes, "`"+p+"`")
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s |\n", s.ID, s.Name, s.Category, layer, strings.Join(prefixes, ", "), sev)
	}
	if *update {
		if err := os.WriteFile(docPath, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != b.String() {
		t.Errorf("%s differs from the catalogue: go test ./sensor/signature -update", docPath)
	}
}

func TestCatalogueIDsAndOf(t *testing.T) {
	seen := map[int]bool{}
	for _, s := range Catalogue() {
		if seen[s.ID] || s.ID < 8100000 || s.ID > 8100999 || s.Rev < 1 || s.Name == "" || s.Category == "" {
			t.Errorf("signature %+v: ids unique in 8100000-8100999, rev, name and category set", s)
		}
		seen[s.ID] = true
	}
	for _, tc := range []struct {
		layer, feature string
		want           int
	}{
		{scoring.LayerEvidence, "proto.not_tls.ssh", 8100001},
		{scoring.LayerEvidence, "proto.preamble.connect", 8100002},
		{scoring.LayerEvidence, "proto.no_handshake", 8100003},
		{scoring.LayerEvidence, "version.tls10", 8100004},
		{scoring.LayerLearned, "client.preamble", 8100025},
		{scoring.LayerLearned, "tls.sni_domain", 8100026},
		{scoring.LayerLearned, "server.cipher", 8100022},
		{scoring.LayerEvidence, "cert.self_signed", 8100007},
		{scoring.LayerEvidence, "cert.name_mismatch", 8100008},
		{scoring.LayerEvidence, "cert.expired", 8100009},
		{scoring.LayerEvidence, "cert.validity_long", 8100009},
		{scoring.LayerEvidence, "cert.fresh", 8100009},
		{scoring.LayerEvidence, "cert.private_issuer", 8100010},
		{scoring.LayerEvidence, "cert.placeholder_name", 8100011},
		{scoring.LayerEvidence, "flight.small_chain", 8100012},
		{scoring.LayerEvidence, "proto.program_first", 8100013},
		{scoring.LayerEvidence, "proto.server_first", 8100001},
		{scoring.LayerEvidence, "sni.generated", 8100006},
		{scoring.LayerEvidence, "sni.onion_gateway", 8100006},
		{scoring.LayerEvidence, "sni.rare_tld", 8100006},
		{scoring.LayerEvidence, "no.such.check", 8100099},
		{scoring.LayerLearned, "tls.ja4", 8100021},
		{scoring.LayerLearned, "prefix.bytes", 8100024},
		{scoring.LayerLearned, "something.new", 8100020},
		{scoring.LayerLists, "list.ja3", 8100030},
		{LayerRhythm, "beacon.periodic", 8100040},
		{"", "anything", 8100099},
	} {
		if got := Of(scoring.Reason{Layer: tc.layer, Feature: tc.feature}).ID; got != tc.want {
			t.Errorf("%s %s: signature %d, want %d", tc.layer, tc.feature, got, tc.want)
		}
	}
}

// Every evidence check has a signature of its own kind: none falls to the
// catch-all, and certificate checks are not told as another fact. The
// exploit checks are the exception: an alert leaves them out, the exploit
// layer's findings state them under its own signatures (TestExploitSignatures).
func TestEveryCheckHasItsSignature(t *testing.T) {
	for _, id := range evidence.CheckIDs() {
		r := scoring.Reason{Layer: scoring.LayerEvidence, Feature: id}
		if exploit.Restates(r) {
			continue
		}
		s := Of(r)
		if s.ID == fallback.ID {
			t.Errorf("check %s: no signature but the catch-all", id)
		}
		if !slices.ContainsFunc(s.Prefixes, func(p string) bool { return strings.HasPrefix(id, p) && len(p) > len("cert.") }) && strings.HasPrefix(id, "cert.") {
			t.Errorf("check %s: signature %d %q matches it only as a certificate check", id, s.ID, s.Name)
		}
	}
}

// groupReasons are an alerting flow's reasons of every layer but rhythm.
var groupReasons = []scoring.Reason{
	{Layer: scoring.LayerEvidence, Feature: "sni.missing", Weight: 3, Text: "no SNI"},
	{Layer: scoring.LayerEvidence, Feature: "cert.self_signed", Weight: 11, Text: "self-signed"},
	{Layer: scoring.LayerEvidence, Feature: "cert.self_issued", Weight: 2, Text: "self-issued"},
	{Layer: scoring.LayerLists, Feature: "list.ja3", Weight: 0, Text: "JA3 on the list"},
	{Layer: scoring.LayerLearned, Feature: "tls.ja4", Weight: 5, Text: "new JA4"},
	{Layer: scoring.LayerLearned, Feature: "prefix.bytes", Weight: 1, Text: "bytes"},
}

func TestGroup(t *testing.T) {
	reasons := groupReasons
	got := Group(reasons)
	if len(got) != 2 {
		t.Fatalf("%d findings, want the block-list hit and the self-signed certificate (the weak ones stay reasons)", len(got))
	}
	if got[0].ID != 8100030 || got[0].Severity != 1 {
		t.Errorf("a block-list hit goes first, severity 1: %+v", got[0])
	}
	if got[1].ID != 8100007 || got[1].Bits != 13 || got[1].Severity != 1 || got[1].Text() != "self-signed" ||
		strings.Join(got[1].Checks(), ",") != "cert.self_signed,cert.self_issued" {
		t.Errorf("the self-signed finding: %+v", got[1])
	}
	// Weak findings alone: the strongest is still one.
	if g := Group(reasons[4:]); len(g) != 1 || g[0].ID != 8100021 || g[0].Severity != 3 {
		t.Errorf("weak reasons only: %+v", g)
	}
	many := []scoring.Reason{
		{Layer: scoring.LayerEvidence, Feature: "proto.not_tls.ssh", Weight: 20},
		{Layer: scoring.LayerEvidence, Feature: "sni.missing", Weight: 12},
		{Layer: scoring.LayerEvidence, Feature: "cert.self_signed", Weight: 12},
		{Layer: scoring.LayerEvidence, Feature: "cert.expired", Weight: 12},
		{Layer: scoring.LayerEvidence, Feature: "cipher.null_offered", Weight: 12},
	}
	if g := Group(many); len(g) != MaxFindings {
		t.Errorf("%d strong findings kept, want %d", len(g), MaxFindings)
	}
	if g := Group(nil); len(g) != 1 || g[0].ID != 8100099 {
		t.Errorf("no reasons: %+v", g)
	}
}

// TestGroupRhythmSupports: a flow's rhythm reason (its pair is a
// beacon) supports its strongest finding, when that is notable alone,
// rather than being an alert of the beacon signature beside the
// tracker's own; alone or beside weak findings, it is one.
func TestGroupRhythmSupports(t *testing.T) {
	rhythm := scoring.Reason{Layer: scoring.LayerRhythm, Feature: "beacon.periodic", Weight: 10.7, Text: "rhythm"}
	got := Group([]scoring.Reason{rhythm, {Layer: scoring.LayerEvidence, Feature: "cert.self_signed", Weight: 8.6, Text: "self-signed"}})
	if len(got) != 1 || got[0].ID != 8100007 || got[0].Text() != "self-signed" || math.Abs(got[0].Bits-19.3) > 1e-9 ||
		strings.Join(got[0].Checks(), ",") != "cert.self_signed,beacon.periodic" {
		t.Errorf("rhythm with a self-signed certificate: %+v", got)
	}
	if g := Group([]scoring.Reason{rhythm}); len(g) != 1 || g[0].ID != BeaconID {
		t.Errorf("rhythm alone: %+v", g)
	}
	// Beside a weak finding (a new client stack capped at 2.5 bits) the
	// rhythm is what alerted: the alert is the beacon's, not "a new
	// client stack".
	weak := scoring.Reason{Layer: scoring.LayerLearned, Feature: "tls.ja4.ciphers", Weight: 2.5, Text: "new cipher list"}
	if g := Group([]scoring.Reason{rhythm, weak}); len(g) != 1 || g[0].ID != BeaconID || g[0].Text() != "rhythm" || math.Abs(g[0].Bits-10.7) > 1e-9 {
		t.Errorf("rhythm with a weak finding: %+v", g)
	}
}

// TestBeaconSeverity: the beacon signature's severity follows the
// tracker's score: 1 from 0.9, 2 from 0.75, 3 below (down to the
// default threshold, 0.6).
func TestBeaconSeverity(t *testing.T) {
	b := Beacon()
	if b.ID != BeaconID || b.Layer != LayerRhythm {
		t.Fatalf("Beacon() = %+v", b)
	}
	for _, c := range []struct {
		score float64
		want  int
	}{{1, 1}, {0.9, 1}, {0.89, 2}, {0.75, 2}, {0.74, 3}, {0.6, 3}} {
		if got := b.Severity(c.score); got != c.want {
			t.Errorf("score %v: severity %d, want %d", c.score, got, c.want)
		}
	}
}
