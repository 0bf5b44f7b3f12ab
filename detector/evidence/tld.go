package evidence

import (
	"fmt"
	"maps"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/net/publicsuffix"
)

// Public application traffic names servers under a handful of generic
// top-level domains (.com, .net, .org); the cheap new ones that
// registrars sell by the million (.xyz, .top, .win, .gdn) and gateways
// such as onion.link serve malware's C2 and landing pages far more than
// the applications of a network. sni.rare_tld says that a server name
// ends in a generic TLD no benign capture the model knows used, weighed
// by how often a corpus flow's generic TLD was one no other capture of
// the corpus used (counted capture by capture, as novelty is).
//
// Country codes (two letters) are left out: they say where a server or
// its users are, and a new one is no rarer than a new server (in the
// public corpus, 14 of 32 flows under a country code had one no other
// capture used). So are the names of internal servers (corp.lab,
// .local, .internal), under TLDs the root zone does not delegate: no
// public corpus can know a site's own.

// MaxKnownTLDs bounds the generic TLDs a table knows: there are about
// 1,500 in all.
const MaxKnownTLDs = 2048

// genericTLD returns the generic top-level domain a server name ends in
// (lower case), or false for a country code, an IP address, a name of
// one label, or a TLD the root zone does not delegate (ICANN's part of
// the Public Suffix List): a site's internal names (corp.lab, .local,
// .internal, .home.arpa), which no public corpus can know and no
// public server has.
func genericTLD(name string) (string, bool) {
	name = strings.TrimSuffix(name, ".")
	i := strings.LastIndexByte(name, '.')
	if i < 0 || isIP(name) {
		return "", false
	}
	tld := strings.ToLower(name[i+1:])
	if len(tld) < 3 || !validTLD(tld) || tld == "arpa" { // .arpa: infrastructure, and home.arpa a home's own (RFC 8375)
		return "", false
	}
	if !delegated(tld) {
		return "", false
	}
	return tld, true
}

// delegated reports whether the root zone delegates tld, remembering the
// answers for up to maxDelegatedMemo TLDs: publicsuffix allocates on
// every call, and every flow that names its server asks. The memo is
// copied on write, so that the sensor's workers read it without a lock.
func delegated(tld string) bool {
	if d, ok := (*delegatedMemo.Load())[tld]; ok {
		return d
	}
	_, d := publicsuffix.PublicSuffix(tld)
	delegatedMu.Lock()
	defer delegatedMu.Unlock()
	if old := *delegatedMemo.Load(); len(old) < maxDelegatedMemo {
		m := maps.Clone(old)
		m[strings.Clone(tld)] = d
		delegatedMemo.Store(&m)
	}
	return d
}

// maxDelegatedMemo bounds the memo: the root zone has about 1,500 TLDs,
// and hostile names may bring any number of others.
const maxDelegatedMemo = 2048

var (
	delegatedMemo = func() *atomic.Pointer[map[string]bool] {
		p := new(atomic.Pointer[map[string]bool])
		p.Store(&map[string]bool{})
		return p
	}()
	delegatedMu sync.Mutex
)

// validTLD: a DNS label of letters, digits and hyphens, not all digits.
func validTLD(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	letter := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z':
			letter = true
		case c >= '0' && c <= '9', c == '-':
		default:
			return false
		}
	}
	return letter
}

func genericNamedHello(in *Input) bool {
	if !namedHello(in) {
		return false
	}
	_, ok := in.serverTLD()
	return ok
}

// serverTLD is genericTLD of the hello's server name, read once per flow
// (the check's applies and fires both ask).
func (in *Input) serverTLD() (string, bool) {
	if in.tldState == tldUnread {
		in.tld = ""
		in.tldState = tldNone
		if tld, ok := genericTLD(in.TLS.Client.ServerName); ok {
			in.tld, in.tldState = tld, tldFound
		}
	}
	return in.tld, in.tldState == tldFound
}

const (
	tldUnread uint8 = iota
	tldFound
	tldNone
)

// rareTLD is sni.rare_tld: the name's generic TLD is one the table does
// not know. Calibration counts a corpus flow's TLD as known where
// another capture showed it (tldHolders); a table that knows none (made
// before the check) never fires it.
func rareTLD(in *Input, t *Table) bool {
	tld, ok := in.serverTLD()
	if !ok {
		return false
	}
	if t.tldHolders != nil {
		own := captureOf(in)
		for c := range t.tldHolders[tld] {
			if c != own {
				return false
			}
		}
		return true
	}
	return len(t.KnownTLDs) > 0 && t.KnownTLDs[tld] == 0
}

// tldHolders are the captures that showed each generic TLD (a flow of no
// capture is one of its own).
func tldHolders(in []*Input) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, x := range in {
		if tld, ok := helloTLD(x); ok {
			if out[tld] == nil {
				out[tld] = map[string]bool{}
			}
			out[tld][captureOf(x)] = true
		}
	}
	return out
}

// tldsOf are the generic TLDs the flows of in used.
func tldsOf(in []*Input) map[string]bool {
	out := map[string]bool{}
	for _, x := range in {
		if tld, ok := helloTLD(x); ok {
			out[tld] = true
		}
	}
	return out
}

// helloTLD is the generic TLD of x's hello, if it has one.
func helloTLD(x *Input) (string, bool) {
	if x.TLS == nil || x.TLS.Client == nil {
		return "", false
	}
	return x.serverTLD()
}

// captureOf names x's capture for tldHolders: a flow of no capture is
// one of its own.
func captureOf(x *Input) string {
	if x.Capture != "" {
		return x.Capture
	}
	return fmt.Sprintf("\x00flow %p", x)
}

// tldCounts are the holders' counts, the TLDs held most kept where there
// are more than MaxKnownTLDs.
func tldCounts(holders map[string]map[string]bool) map[string]int {
	out := make(map[string]int, len(holders))
	for tld, h := range holders {
		out[tld] = len(h)
	}
	return boundTLDs(out)
}

func boundTLDs(m map[string]int) map[string]int {
	if len(m) <= MaxKnownTLDs {
		return m
	}
	for _, k := range mostFirst(m)[MaxKnownTLDs:] {
		delete(m, k)
	}
	return m
}

// LearnTLDs returns a copy of t that also knows the generic TLDs of the
// server names in in, the site counting as one more capture for each.
// t is not changed.
func (t *Table) LearnTLDs(in []*Input) *Table {
	seen := tldsOf(in)
	u := *t
	u.KnownTLDs = maps.Clone(t.KnownTLDs)
	if u.KnownTLDs == nil {
		u.KnownTLDs = map[string]int{}
	}
	for tld := range seen {
		u.KnownTLDs[tld]++
	}
	u.KnownTLDs = boundTLDs(u.KnownTLDs)
	u.prepare()
	return &u
}

// WithoutCapture is Without for one capture's flows (in) that also
// forgets the generic TLDs only that capture showed: the table as a
// network that never sent them would have it.
func (t *Table) WithoutCapture(in []*Input) *Table {
	u := t.Without(in)
	if len(t.KnownTLDs) == 0 {
		return u
	}
	u.KnownTLDs = maps.Clone(t.KnownTLDs)
	for tld := range tldsOf(in) {
		if n := u.KnownTLDs[tld]; n > 1 {
			u.KnownTLDs[tld] = n - 1
		} else {
			delete(u.KnownTLDs, tld)
		}
	}
	u.prepare()
	return u
}

// KnownTLDsByUse are the known generic TLDs, those most captures used
// first (ties by name).
func (t *Table) KnownTLDsByUse() []string { return mostFirst(t.KnownTLDs) }

// checkKnownTLDs validates a decoded table's known TLDs.
func checkKnownTLDs(m map[string]int) error {
	if len(m) > MaxKnownTLDs {
		return fmt.Errorf("evidence table: %d known top-level domains, at most %d", len(m), MaxKnownTLDs)
	}
	for tld, n := range m {
		if !validTLD(tld) || n < 1 {
			return fmt.Errorf("evidence table: known top-level domain %.40q held by %d captures", tld, n)
		}
	}
	return nil
}

// describeRareTLD words sni.rare_tld: the TLD and the ones the table
// knows best.
func describeRareTLD(in *Input, t *Table) (string, string, string) {
	name := in.TLS.Client.ServerName
	tld, _ := in.serverTLD()
	known := t.KnownTLDsByUse()
	shown := strings.Join(known[:min(len(known), 5)], ", .")
	if len(known) > 5 {
		shown += ", ..."
	}
	return "tls.sni", name, fmt.Sprintf("the server name %s ends in .%s, a generic top-level domain no benign capture the model knows used (it knows %d: .%s)",
		name, tld, len(known), shown)
}
