package main

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/termsafe"
)

// learned summarises the traffic a model was trained on, so that an
// operator sees what "normal" now means: protocols, TLS versions, client
// stacks (JA4) and servers.
type learned struct {
	flows    int
	protos   map[string]int
	versions map[string]int
	ja4      map[string]int
	sni      map[string]int
}

func summarise(flows []*flow.Flow) *learned {
	l := &learned{protos: map[string]int{}, versions: map[string]int{}, ja4: map[string]int{}, sni: map[string]int{}}
	certs := tlsparse.NewCertCache(4096)
	for _, f := range flows {
		l.flows++
		h := tlsparse.FromFlow(f, certs)
		l.protos[termsafe.Value(h.AppProto)]++
		if !h.SpokeTLS() {
			continue
		}
		l.versions[termsafe.Value(h.VersionName())]++
		if ch := h.Client; ch != nil && !ch.SSLv2 {
			if ja4 := h.Prints(h.Transport()).JA4; ja4 != "" { // a hello cut short has none: no stack to count
				l.ja4[termsafe.Value(ja4)]++
			}
			if ch.ServerName != "" {
				l.sni[termsafe.Value(ch.ServerName)]++
			}
		}
	}
	return l
}

func (l *learned) print(w io.Writer) {
	fmt.Fprintf(w, "learned from %d flows:\n", l.flows)
	fmt.Fprintf(w, "  protocols: %s\n", shares(l.protos, l.flows, 0))
	fmt.Fprintf(w, "  TLS versions: %s\n", shares(l.versions, l.flows, 0))
	fmt.Fprintf(w, "  client stacks: %d distinct JA4, %d seen only once; most common: %s\n",
		len(l.ja4), once(l.ja4), shares(l.ja4, l.flows, 5))
	fmt.Fprintf(w, "  servers: %d distinct SNI; most common: %s\n", len(l.sni), shares(l.sni, l.flows, 5))
}

// shares lists counts as "key 12 (34%)", most common first; top 0 lists all.
func shares(m map[string]int, total, top int) string {
	keys := slices.SortedFunc(maps.Keys(m), func(a, b string) int {
		return cmp.Or(cmp.Compare(m[b], m[a]), cmp.Compare(a, b))
	})
	if top > 0 && len(keys) > top {
		keys = keys[:top]
	}
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d (%.0f%%)", k, m[k], 100*float64(m[k])/float64(max(total, 1)))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// keepTLS returns the flows in which either side spoke TLS.
func keepTLS(flows []*flow.Flow) []*flow.Flow {
	var out []*flow.Flow
	for _, f := range flows {
		if tlsparse.FromFlow(f, nil).SpokeTLS() {
			out = append(out, f)
		}
	}
	return out
}

func once(m map[string]int) int {
	n := 0
	for _, c := range m {
		if c == 1 {
			n++
		}
	}
	return n
}
