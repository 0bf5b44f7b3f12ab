package evidence

import "strings"

// A site's own servers may well send small chains (an internal CA's ECDSA
// certificates, a device's self-made one): a table for a site's model knows
// the servers whose TLS 1.3 turns its training flows showed too small
// (Table.KnownFlights), and flight.small_chain does not fire for them, as
// cert.private_issuer does not for the site's own CAs. A server is its
// name (SNI) or, when the client named none, its address and port.

// MaxKnownFlights bounds the servers a table knows from a site's training.
const MaxKnownFlights = 1024

// flightServer names the server of x for KnownFlights.
func flightServer(x *Input) string {
	if x.TLS.Client != nil && x.TLS.Client.ServerName != "" {
		return strings.ToLower(x.TLS.Client.ServerName)
	}
	return x.Flow.Server.AddrPort().String()
}

// smallFlightAt reports what flight.small_chain judges, the table's known
// servers aside.
func smallFlightAt(x *Input) bool {
	return x.TLS != nil && x.Flow != nil && fullTLS13(x) && smallFlight(x)
}

func smallUnknownFlight(x *Input, t *Table) bool {
	if !smallFlight(x) {
		return false
	}
	if len(t.knownFl) == 0 {
		return true
	}
	_, known := t.knownFl[flightServer(x)]
	return !known
}

// LearnFlights returns a copy of t that also knows the servers whose TLS
// 1.3 turns in in were too small for a public chain: those t knew first,
// then the new ones by how many flows showed them (ties by name), at most
// MaxKnownFlights. t is not changed.
func (t *Table) LearnFlights(in []*Input) *Table {
	count := map[string]int{}
	for _, x := range in {
		if smallFlightAt(x) {
			count[flightServer(x)]++
		}
	}
	u := *t
	u.KnownFlights = withLearned(t.KnownFlights, count, MaxKnownFlights)
	u.prepare()
	return &u
}

// knownFlightSet checks and indexes the known servers.
func knownFlightSet(servers []string) (map[string]struct{}, error) {
	return knownStrings("small-flight server", servers, MaxKnownFlights, func(s string) bool { return s != "" && len(s) <= 255 })
}
