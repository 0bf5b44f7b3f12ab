package evidence

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/tlsentry/tlsentry/detector/features"
	"github.com/tlsentry/tlsentry/detector/transcript"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// Input is one flow as the checks see it.
type Input struct {
	Flow *flow.Flow
	TLS  *tlsparse.Handshake
	T    *transcript.Transcript
	// Capture names the calibration corpus's capture the flow came from
	// (checks whose rate counts what other captures showed); empty
	// elsewhere.
	Capture string

	// The issuer the chain leads to, read once per flow (several checks
	// ask) or, for CertFindings, what a server showed before.
	issuer      []byte
	issuerState uint8 // issuerUnread, issuerFound, issuerNone
	dating      uint8 // datingUnread, datingDated, datingUndated (clock.go)
	// The server name's generic TLD, read once per flow (tld.go).
	tld      string
	tldState uint8 // tldUnread, tldFound, tldNone
}

// Groups: one fact each.
const (
	GroupProtocol = "protocol"      // what the client speaks (or a server that speaks first)
	GroupPreamble = "preamble"      // what precedes the handshake
	GroupFraming  = "framing"       // handshake well-formed, messages and records as TLS stacks send them
	GroupLegacy   = "legacy"        // an old client stack: its best version, the broken suites it offers
	GroupCipher   = "cipher"        // a broken cipher suite the server chose
	GroupSNI      = "sni"           // the server name
	GroupCertSelf = "cert.issuer"   // who signed the certificate
	GroupCertName = "cert.name"     // whether it names the server
	GroupCertTime = "cert.validity" // its validity
	GroupCertSubj = "cert.subject"  // whether its names are ones an organisation chose
	GroupFlight   = "flight"        // what the server's encrypted first turn shows of its certificates (TLS 1.3)
	GroupExploit  = "exploit"       // a known exploit of TLS stacks in the record headers
)

// A check is one protocol test. applies says whether the flow can show it
// at all (certificate checks need a certificate in clear); fires whether
// it does. Neither allocates. describe words a firing check.
type check struct {
	id, group string
	applies   func(*Input) bool
	fires     func(*Input) bool
	describe  func(*Input) (field, value, text string)
	// Checks that judge names with the table's name model (server names,
	// certificate names) have these instead of fires and describe.
	firesNames    func(*Input, *NameModel) bool
	describeNames func(*Input, *NameModel) (field, value, text string)
	// Checks that depend on what the table learned of a site have
	// firesTable instead of fires (and describeTable, where the words
	// need the table too).
	firesTable    func(*Input, *Table) bool
	describeTable func(*Input, *Table) (field, value, text string)
	// counts, when set, is what calibration counts instead of fires: the
	// fact wherever a corpus flow shows it, where fires leaves some
	// flows to another check that words it.
	counts func(*Input) bool
	// violation marks a breach of TLS's grammar (a hello that does not
	// parse or stops short, records that stop being records): what no
	// TLS stack sends, so one the corpus never showed decides a verdict
	// on its own (Table.SetDecisive), as Suricata's TLS decoder events
	// alert without a rule's threshold.
	violation bool
	// lost, when set, says a flow's capture missed the bytes a violation
	// was read from (else: lossy, any bytes missed), or the bytes were
	// never TLS's to break, where the violation weighs its rate rather
	// than deciding.
	lost func(*Input) bool
}

func hello(in *Input) bool { return in.TLS.Client != nil && !in.TLS.Client.SSLv2 }

// helloNotTLS: the capture of the client's handshake crossed missing
// bytes, or a QUIC flow's first message is no hello at all: Google's own
// QUIC (Q046, Q050) carries its CHLO, not TLS, in the same frames, which
// is another protocol, not a broken TLS one. A capture that missed the
// connection's start still read a hello it found whole (a crafted
// reproducer is one packet with no SYN).
func helloNotTLS(in *Input) bool {
	return in.Flow.ClientHandshakeGap || in.Flow.Transport == flow.TransportUDP && isNoHello(in.TLS.ClientErr)
}

// helloCutShort: the capture may have cut the client's hello, not the
// client: bytes missed, or the sensor handed the flow out before the
// connection ended or held still (its table full, the input's end, a new
// connection on the same addresses and ports).
func helloCutShort(in *Input) bool {
	switch in.Flow.EndReason {
	case flow.EndEvicted, flow.EndFlush, flow.EndReused:
		return true
	}
	return in.Flow.ClientHandshakeGap
}

// wholeHello: a hello read to its end, extensions and all.
func wholeHello(in *Input) bool {
	return hello(in) && in.TLS.ClientErr == nil && !in.TLS.Client.Truncated
}

// namedHello: a hello that names its server (SNI).
func namedHello(in *Input) bool { return hello(in) && in.TLS.Client.ServerName != "" }

func leaf(in *Input) *tlsparse.Certificate {
	if in.TLS.Server == nil {
		return nil
	}
	return in.TLS.Server.Leaf
}

func hasLeaf(in *Input) bool { return leaf(in) != nil }

// hasChain: the server sent certificates in clear.
func hasChain(in *Input) bool { return in.TLS.Server != nil && len(in.TLS.Server.Chain) > 0 }

func clientSpoke(in *Input) bool { return in.T.ClientBytes > 0 }

// tlsPort: the client spoke to a well-known TLS port (flow's list,
// flow.DefaultTLSPorts, the one the weights were calibrated with): a
// client that does not speak TLS to one of them is evidence; to another
// port it is only new to the network.
func tlsPort(in *Input) bool { return clientSpoke(in) && flow.IsDefaultTLSPort(in.Flow.Server.Port) }

func port(in *Input) string { return strconv.Itoa(int(in.Flow.Server.Port)) }

// maxOffered is the highest version the client offers.
func maxOffered(ch *tlsparse.ClientHello) uint16 {
	v := ch.Version
	for _, sv := range ch.SupportedVersions {
		if !tlsparse.IsGREASE(sv) && sv>>8 == 3 && sv > v {
			v = sv
		}
	}
	return v
}

// versionCheck fires on a client whose best version is v, and weighs
// how often benign clients' best was v or older: versions are ordered,
// and a best of TLS 1.1 says no more about an old stack than a best of
// TLS 1.0 does. Counted by its own value, 1.1 (rarer in every era, as
// few stacks stopped there) weighed more: a 2018 MySQL client capped at
// 1.1 weighed 10.1 bits where one capped at 1.0 weighed 2.6.
func versionCheck(id string, v uint16) check {
	return check{id: id, group: GroupLegacy,
		applies: func(in *Input) bool { return in.TLS.Client != nil },
		// An SSLv2-format hello names the highest version it offers in
		// its version field (SSL 2.0, or SSL 3.0 and TLS in a compatible
		// hello), as maxOffered reads it.
		fires:  func(in *Input) bool { return maxOffered(in.TLS.Client) == v },
		counts: func(in *Input) bool { return atBestOrOlder(maxOffered(in.TLS.Client), v) },
		describe: func(in *Input) (string, string, string) {
			name := tlsparse.VersionName(v)
			text := fmt.Sprintf("the client offered %s at best (highest version offered)", name)
			if v != tlsparse.VersionSSL20 {
				text += fmt.Sprintf("; a best of %s or older", name)
			}
			return "tls.client.max_version", name, text
		}}
}

// atBestOrOlder reports whether a client's best version m is SSL 2.0,
// SSL 3.0 or a TLS version no newer than v (not a value of no version).
func atBestOrOlder(m, v uint16) bool {
	return m <= v && (m == tlsparse.VersionSSL20 || m>>8 == 3)
}

// suiteCheck fires when the client offers (or, chosen, the server picks)
// a suite of a class.
func suiteCheck(id, class string, in func(uint16) bool, chosen bool) check {
	if chosen {
		return check{id: id, group: GroupCipher,
			applies: func(i *Input) bool {
				return i.TLS.Server != nil && i.TLS.Server.ServerHello != nil && i.TLS.Server.ServerHello.HasCipherSuite()
			},
			fires: func(i *Input) bool { return in(i.TLS.Server.ServerHello.CipherSuite) },
			describe: func(i *Input) (string, string, string) {
				c := i.TLS.Server.ServerHello.CipherSuite
				n := suiteName(c)
				return "tls.cipher_suite", n, "the server chose " + brokenClass(c) + " cipher suite: " + n
			}}
	}
	// SSL 2.0's own export specs count with the EXPORT suites.
	var inV2 func(uint32) bool
	if id == "cipher.export_offered" {
		inV2 = exportSpecV2
	}
	// Any hello: an SSLv2-format one offers SSL 3.0/TLS suites as specs,
	// which the parser maps to suites.
	return check{id: id, group: GroupLegacy, applies: func(i *Input) bool { return i.TLS.Client != nil },
		fires: func(i *Input) bool {
			for _, c := range i.TLS.Client.CipherSuites {
				if in(c) {
					return true
				}
			}
			if inV2 != nil {
				for _, s := range i.TLS.Client.CipherSpecsV2 {
					if inV2(s) {
						return true
					}
				}
			}
			return false
		},
		describe: func(i *Input) (string, string, string) {
			var buf [3]string
			names := buf[:0]
			for _, c := range i.TLS.Client.CipherSuites {
				if in(c) && len(names) < len(buf) {
					names = append(names, suiteName(c))
				}
			}
			if inV2 != nil {
				for _, s := range i.TLS.Client.CipherSpecsV2 {
					if inV2(s) && len(names) < len(buf) {
						names = append(names, specV2Name(s))
					}
				}
			}
			v := strings.Join(names, ", ")
			return "tls.client.cipher_suites", v, "the client offered " + class + " cipher suites: " + v
		}}
}

// segments words a count of TCP segments.
func segments(n int) string {
	if n == 1 {
		return "a segment"
	}
	return strconv.Itoa(n) + " segments"
}

// strayCheck is the check of one kind of stray data (flow.Stray: bytes
// a side sent that no endpoint takes, left out of the flow), a breach of
// TCP in the framing group: of picks the client's and server's record,
// field names the kind in tcp.SIDE.FIELD, fromSYN limits it to flows seen
// from their SYN (the kinds a mid-stream capture cannot tell), and words
// describes it from the side, its record and its first bytes in hex.
func strayCheck(id, field string, fromSYN bool, of func(*flow.Flow) (client, server *flow.Stray), words func(side string, n *flow.Stray, v string) string) check {
	return check{id: id, violation: true, group: GroupFraming,
		applies: func(in *Input) bool { return in.Flow.Transport == flow.TransportTCP && !(fromSYN && in.Flow.Midstream) },
		fires: func(in *Input) bool {
			c, s := of(in.Flow)
			return c != nil || s != nil
		},
		describe: func(in *Input) (string, string, string) {
			c, s := of(in.Flow)
			side, n := "client", c
			if n == nil {
				side, n = "server", s
			}
			v := fmt.Sprintf("% x", n.Data[:min(len(n.Data), 8)])
			return "tcp." + side + "." + field, v, words(side, n, v)
		}}
}

// checks is every fixed check, in the order reasons list them within a
// group. proto.not_tls.* and proto.preamble.* are made per label.
var checks = slices.Concat(connectionChecks, helloChecks, certificateChecks, []check{
	heartbleedCheck, ccsInjectionCheck, curveBallCheck,
	{id: "flight.small_chain", group: GroupFlight, applies: fullTLS13, firesTable: smallUnknownFlight, describe: describeSmallFlight},
})

func tls13(in *Input) bool { return transcript.TLS13(in.TLS.Version()) }

func serverSent(in *Input, typ uint8) bool {
	if in.TLS.Server == nil {
		return false
	}
	for _, m := range in.TLS.Server.MessageTypes {
		if m == typ {
			return true
		}
	}
	return false
}

// extESNIDraft is the encrypted_server_name extension of the ESNI
// drafts (draft-ietf-tls-esni-01 to -06), which Firefox and Cloudflare
// deployed before ECH; such a hello sends no server_name.
const extESNIDraft uint16 = 0xffce

// encryptedName reports whether a ClientHello carries its server name
// encrypted (ESNI or ECH) rather than leaving it out.
func encryptedName(ch *tlsparse.ClientHello) bool {
	for _, e := range ch.Extensions {
		if e.Type == extESNIDraft || e.Type == tlsparse.ExtEncryptedClientHello {
			return true
		}
	}
	return false
}

func isNoHello(err error) bool { return err != nil && strings.Contains(err.Error(), "no hello") }

func isIP(s string) bool {
	if !features.MaybeIP(s) {
		return false
	}
	_, err := netip.ParseAddr(s)
	return err == nil
}

// parseErrorWords is a parse error as a reason says it: without the
// parser's package name, which the record's parse_error field keeps.
func parseErrorWords(err error) string { return strings.TrimPrefix(err.Error(), "tlsparse: ") }

// recordTypes words a side's records: "application_data x3, handshake".
func recordTypes(sd *transcript.Side) string { return transcript.TypeRuns(sd.Records) }
