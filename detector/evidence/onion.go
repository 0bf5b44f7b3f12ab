package evidence

import (
	"fmt"
	"strings"
)

// A Tor onion service has no address on the Internet: Tor clients reach
// it inside Tor. A web gateway (Tor2web: onion.to, onion.ws, tor2web.org
// and their like) fetches it for clients without Tor, under a name that
// carries the service's address: ccjlwb22w6c22p2k.onion.to. Ransomware
// sends its victims' machines and browsers to its payment pages and its
// C2 that way; ordinary applications have no reason to. A name that
// ends in .onion itself never resolves on the Internet (RFC 7686): a
// client that sends it in clear leaks where it is going.
//
// The address is a label of base32 letters (a-z, 2-7): 16 of them for a
// version 2 service, 56 for version 3, whose last encodes the version
// byte 3 ("d"). Such labels also occur as a CDN's hash, so the label
// counts only where the next one says onion or tor2web.

// onionService returns the onion address a server name carries and the
// gateway it goes through ("" for a name that ends in .onion).
func onionService(name string) (addr, gateway string, ok bool) {
	name = strings.TrimSuffix(name, ".")
	for {
		label, rest, more := strings.Cut(name, ".")
		if !more {
			return "", "", false
		}
		if onionAddress(label) {
			next, _, _ := strings.Cut(rest, ".")
			next = strings.ToLower(next)
			switch {
			case strings.EqualFold(rest, "onion"):
				return strings.ToLower(label), "", true
			case strings.Contains(next, "onion") || strings.Contains(next, "tor2web"):
				return strings.ToLower(label), strings.ToLower(rest), true
			}
		}
		name = rest
	}
}

// onionAddress reports whether a label has an onion address's form.
func onionAddress(l string) bool {
	switch len(l) {
	case 16:
	case 56:
		if l[55] != 'd' && l[55] != 'D' {
			return false
		}
	default:
		return false
	}
	for i := 0; i < len(l); i++ {
		switch c := l[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '2' && c <= '7':
		default:
			return false
		}
	}
	return true
}

// describeOnion words sni.onion_gateway's finding.
func describeOnion(name string) string {
	addr, gw, _ := onionService(name)
	if gw == "" {
		return fmt.Sprintf("the server name %s is a Tor onion service's (%s.onion), which no Internet server has: the client sent it in clear to a server outside Tor", name, addr)
	}
	return fmt.Sprintf("the server name %s fetches Tor onion service %s.onion through the web gateway %s (Tor2web): a hidden service reached without Tor, as ransomware payment pages and C2 are", name, addr, gw)
}
