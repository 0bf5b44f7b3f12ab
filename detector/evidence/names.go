package evidence

import (
	"encoding/base64"
	"fmt"
	"math"
	"slices"
	"strings"
)

// NameModel tells machine-generated server names (DGA domains, Tor's
// random www.<base32>.com names) from names people chose: a character
// trigram model of benign names (server names seen in a benign corpus and
// English words) gives each label's surprise in bits per character; a
// name whose most surprising label is above Cutoff looks generated.
type NameModel struct {
	// Cost holds -log2 P(c | two previous) per trigram, in eighths of a
	// bit, capped at 255.
	Cost   []uint8
	Cutoff float64 // bits per character
	// heldOut gives each label the model learned (lower case) the costs
	// of the fold that did not learn it. FitNames sets it and a model
	// file never holds it: the calibration then counts the checks on
	// its own corpus's names as on names never seen, as the cutoff was
	// chosen. Counted with the model that learned them, they never fired
	// (0 of 536), and the checks weighed what a check that never fires on
	// new names weighs, though about 1 in 100 new benign names fires.
	heldOut map[string][]uint8
}

// costOf is the costs label is judged with.
func (m *NameModel) costOf(label string) []uint8 {
	if m.heldOut != nil {
		if c, ok := m.heldOut[strings.ToLower(label)]; ok {
			return c
		}
	}
	return m.Cost
}

// The alphabet: a-z, 0-9, '-', '_' for anything else, '^' the start and
// '$' the end of a label. The hyphen keeps its place in the tables, which
// model files hold, though eachTrigram no longer counts it.
const (
	alpha   = 40
	symHigh = 36 // '-'
	symElse = 37
	symBeg  = 38
	symEnd  = 39
	nGrams  = alpha * alpha * alpha
)

func sym(c byte) int {
	switch {
	case c >= 'a' && c <= 'z':
		return int(c - 'a')
	case c >= 'A' && c <= 'Z':
		return int(c - 'A')
	case c >= '0' && c <= '9':
		return 26 + int(c-'0')
	case c == '-':
		return symHigh
	}
	return symElse
}

// minLabel is the shortest label judged: shorter ones carry too few
// characters to tell.
const minLabel = 6

// counts accumulates trigram counts.
type counts [nGrams]uint32

func (n *counts) add(label string, w uint32) {
	eachTrigram(label, func(i int) { n[i] += w })
}

// eachTrigram calls f with the index of each trigram of label: each
// character after the two before it (start symbols at first), then the
// end symbol. A hyphen joins words people chose ("ssl-images-amazon",
// "s-msft"), so it ends the word before it and the next starts afresh:
// no trigram spans one, and it costs what ending that word costs. As a
// symbol of its own it was rare in the words and names learned, and one
// hyphen in a short name cost as much as random letters.
func eachTrigram(label string, f func(int)) {
	a, b := symBeg, symBeg
	for i := 0; i <= len(label); i++ {
		c := symEnd
		if i < len(label) && label[i] != '-' {
			c = sym(label[i])
		}
		f((a*alpha+b)*alpha + c)
		a, b = b, c
		if c == symEnd {
			a, b = symBeg, symBeg
		}
	}
}

// model turns the counts into costs with Witten-Bell interpolation: a
// context's own counts are mixed with the shorter context's estimate in
// proportion to how many distinct symbols the context was seen followed
// by, down to symbol frequencies (add-one), so that a trigram never seen
// costs what its symbols cost in shorter contexts: a random string's
// rare letters and digits cost more than a word's, and no weight is set
// by hand.
func (n *counts) model() []uint8 {
	var uni [alpha]float64
	var bi [alpha * alpha]float64
	for i, k := range n {
		bi[i%(alpha*alpha)] += float64(k)
		uni[i%alpha] += float64(k)
	}
	var p1 [alpha]float64
	total := 0.0
	for _, k := range uni {
		total += k
	}
	for c := range p1 {
		p1[c] = (uni[c] + 1) / (total + alpha)
	}
	var p2 [alpha * alpha]float64
	for b := range alpha {
		wittenBell(bi[b*alpha:(b+1)*alpha], p1[:], p2[b*alpha:(b+1)*alpha])
	}
	cost := make([]uint8, nGrams)
	row := make([]float64, alpha)
	p3 := make([]float64, alpha)
	for ctx := range alpha * alpha {
		for c := range alpha {
			row[c] = float64(n[ctx*alpha+c])
		}
		b := ctx % alpha
		wittenBell(row, p2[b*alpha:(b+1)*alpha], p3)
		for c, p := range p3 {
			cost[ctx*alpha+c] = uint8(min(255, math.Round(-math.Log2(p)*8)))
		}
	}
	return cost
}

// wittenBell writes into out a context's distribution: its counts mixed
// with lower, the shorter context's, with weight T / (N + T) for lower (N
// the context's count, T the distinct symbols that followed it); lower
// alone when the context was never seen.
func wittenBell(counts, lower, out []float64) {
	total, types := 0.0, 0.0
	for _, k := range counts {
		total += k
		if k > 0 {
			types++
		}
	}
	for c, k := range counts {
		if total == 0 {
			out[c] = lower[c]
			continue
		}
		out[c] = (k + types*lower[c]) / (total + types)
	}
}

// labelBits is a label's surprise in bits per character (its end included).
func labelBits(cost []uint8, label string) float64 {
	sum := 0
	eachTrigram(label, func(i int) { sum += int(cost[i]) })
	return float64(sum) / 8 / float64(len(label)+1)
}

// judged yields the label of a name that is judged, if any: the label
// its owner registered, left of the top-level domain (or of a two-level
// public suffix such as co.uk or com.au: a label of at most three
// characters under a two-letter country code), when it has at least
// minLabel characters. People choose that label (a brand, words); labels
// below it are often made by machines for benign reasons (CDN and cloud
// host names, hashes, customer ids), while a domain-generation algorithm,
// or Tor's www.<random>.com, has to randomise the registered one. It does
// not allocate (the trigram model folds case itself).
func judged(name string, yield func(string)) {
	name = strings.TrimSuffix(name, ".")
	last := strings.LastIndexByte(name, '.')
	if last < 0 {
		return
	}
	tld, rest := name[last+1:], name[:last]
	l := rest[strings.LastIndexByte(rest, '.')+1:]
	if len(tld) == 2 && len(l) <= 3 && len(l) < len(rest) {
		rest = rest[:len(rest)-len(l)-1]
		l = rest[strings.LastIndexByte(rest, '.')+1:]
	}
	if len(l) >= minLabel && !strings.EqualFold(l, "www") && !isALabel(l) {
		yield(l)
	}
}

// isALabel reports an internationalised label in its ASCII form
// (punycode, RFC 5890: "xn--" then the encoded Unicode): its letters
// encode characters of another script (окрф is xn--j1ahhq), not the words
// of names the model learned, so every one of them would read as
// generated.
func isALabel(l string) bool { return len(l) > 4 && strings.EqualFold(l[:4], "xn--") }

// Score is a name's generated-ness: the bits per character of its most
// surprising judged label, and that label ("" and 0 when none is judged).
func (m *NameModel) Score(name string) (float64, string) {
	if m == nil || len(m.Cost) != nGrams {
		return 0, ""
	}
	best, label := 0.0, ""
	judged(name, func(l string) {
		if b := labelBits(m.costOf(l), l); b > best {
			best, label = b, l
		}
	})
	return best, label
}

// Generated reports whether a name looks machine-generated.
func (m *NameModel) Generated(name string) bool {
	b, _ := m.Score(name)
	return m != nil && b > m.Cutoff
}

// nameQuantile is the share of benign names the cutoff lets through: the
// check then fires on about 1% of benign names, and its weight comes from
// how often it fired on the corpus like any other check's.
const nameQuantile = 0.99

// FitNames builds a name model from benign server names and words. The
// cutoff is the nameQuantile of the benign names' scores, each scored by
// a model that did not learn it (two folds, every copy of a label in the
// same one: a label many names share, learned from one of them, would
// not be new to the other), so that it holds for names the model has not
// seen.
func FitNames(names, words []string) (*NameModel, error) {
	names = slices.Clone(names)
	slices.Sort(names)
	names = slices.Compact(names)
	var labels []string
	for _, n := range names {
		judged(n, func(l string) { labels = append(labels, strings.ToLower(l)) })
	}
	distinct := slices.Clone(labels)
	slices.Sort(distinct)
	distinct = slices.Compact(distinct)
	foldOf := make(map[string]int, len(distinct))
	for i, l := range distinct {
		foldOf[l] = i % 2
	}
	if len(labels) < 10 {
		return nil, fmt.Errorf("evidence: %d server name labels of at least %d characters: too few to learn names from", len(labels), minLabel)
	}
	var base counts
	for _, w := range words {
		if len(w) >= 3 {
			base.add(w, 1)
		}
	}
	// Every name learned with the weight of several words: names are few
	// and closer to what is judged.
	const nameWeight = 4
	var scores []float64
	heldOut := make(map[string][]uint8, len(distinct))
	for fold := range 2 {
		c := base
		for _, l := range labels {
			if foldOf[l] != fold {
				c.add(l, nameWeight)
			}
		}
		cost := c.model()
		for _, l := range labels {
			if foldOf[l] == fold {
				scores = append(scores, labelBits(cost, l))
				heldOut[l] = cost
			}
		}
	}
	slices.Sort(scores)
	all := base
	for _, l := range labels {
		all.add(l, nameWeight)
	}
	return &NameModel{Cost: all.model(), Cutoff: scores[min(len(scores)-1, int(nameQuantile*float64(len(scores))))], heldOut: heldOut}, nil
}

type nameJSON struct {
	Cutoff float64 `json:"cutoff"`
	Cost   string  `json:"cost"` // base64
}

func (m *NameModel) toJSON() nameJSON {
	return nameJSON{Cutoff: m.Cutoff, Cost: base64.StdEncoding.EncodeToString(m.Cost)}
}

func (j nameJSON) model() (*NameModel, error) {
	cost, err := base64.StdEncoding.DecodeString(j.Cost)
	if err != nil || len(cost) != nGrams || math.IsNaN(j.Cutoff) || j.Cutoff < 0 || j.Cutoff > 32 {
		return nil, fmt.Errorf("evidence: name model: %d trigram costs (want %d), cutoff %v", len(cost), nGrams, j.Cutoff)
	}
	return &NameModel{Cost: cost, Cutoff: j.Cutoff}, nil
}
