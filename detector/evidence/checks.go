package evidence

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

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

	// The issuer the chain leads to, read once per flow (several checks
	// ask) or, for CertFindings, what a server showed before.
	issuer      []byte
	issuerState uint8 // issuerUnread, issuerFound, issuerNone
	dating      uint8 // datingUnread, datingDated, datingUndated (clock.go)
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
	// firesTable instead of fires.
	firesTable func(*Input, *Table) bool
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

func versionCheck(id string, v uint16) check {
	return check{id: id, group: GroupLegacy,
		applies: func(in *Input) bool { return in.TLS.Client != nil },
		// An SSLv2-format hello names the highest version it offers in
		// its version field (SSL 2.0, or SSL 3.0 and TLS in a compatible
		// hello), as maxOffered reads it.
		fires: func(in *Input) bool { return maxOffered(in.TLS.Client) == v },
		describe: func(in *Input) (string, string, string) {
			name := tlsparse.VersionName(v)
			return "tls.client.max_version", name, fmt.Sprintf("the client offered %s at best (highest version offered)", name)
		}}
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
var checks = []check{
	// A capture that missed the connection's start sees records without
	// a handshake for that reason alone, and one that missed the client's
	// SYN may have missed a hello it carried (TCP Fast Open): such flows
	// are not judged.
	{id: "proto.no_handshake", violation: true, group: GroupProtocol, applies: func(in *Input) bool { return clientSpoke(in) && in.Flow.ClientSYN },
		fires: func(in *Input) bool { return in.T.Client.NoHandshake() },
		describe: func(in *Input) (string, string, string) {
			v := recordTypes(&in.T.Client)
			return "tls.client.records", v, fmt.Sprintf("the client sent TLS records with no handshake at all (%s) on port %s", v, port(in))
		}},
	{id: "proto.server_first", group: GroupProtocol, applies: serverSpokeFirstApplies,
		fires: func(in *Input) bool { _, ok := serverSpokeFirst(in); return ok },
		describe: func(in *Input) (string, string, string) {
			l, _ := serverSpokeFirst(in)
			return "tls.server.preamble", l, fmt.Sprintf("the server spoke first, before its client sent a byte: %s (%s), on port %s, where a TLS server waits for the client's hello",
				protoName(l), spokenHead(firstTurn(in.Flow), l), port(in))
		}},
	{id: "proto.program_first", group: GroupProtocol, applies: programFirstApplies,
		fires:  func(in *Input) bool { _, ok := programFirst(in); return ok },
		counts: func(in *Input) bool { _, ok := programOpened(in); return ok },
		describe: func(in *Input) (string, string, string) {
			fromClient, _ := programFirst(in)
			side, field := "server", "tls.server.preamble"
			if fromClient {
				side, field = "client", "tls.client.preamble"
			}
			return field, tlsparse.SniffExec, fmt.Sprintf("the connection opened with a program from its %s, sent raw (%s), on port %s: how a stager receives its payload",
				side, spokenHead(firstTurn(in.Flow), tlsparse.SniffExec), port(in))
		}},
	// Stream bytes sent twice, different: a decoy the server never takes
	// (a short TTL, a bad checksum, an option it drops) to show a monitor
	// one hello and the server another. No TCP stack resends other bytes.
	// First of its group: the hello a decoy shorter than it leaves
	// broken (the real one's tail after the decoy's end) is its doing.
	{id: "tcp.overlap_different_data", violation: true, group: GroupFraming,
		applies: func(in *Input) bool { return in.Flow.Transport == flow.TransportTCP },
		fires:   func(in *Input) bool { return in.Flow.ClientConflict != nil || in.Flow.ServerConflict != nil },
		describe: func(in *Input) (string, string, string) {
			side, c := "client", in.Flow.ClientConflict
			if c == nil {
				side, c = "server", in.Flow.ServerConflict
			}
			// Hex both ways: one side's bytes read as text, the other's not,
			// would not compare at a glance.
			v := fmt.Sprintf("% x", c.Other[:min(len(c.Other), 8)])
			return "tcp." + side + ".overlap", v, fmt.Sprintf("the %s sent its stream's byte %d twice, different: first % x, then %s (%s that contradicted bytes already sent): "+
				"a decoy the other end never accepts (a short TTL, a bad checksum) shows a monitor one stream and the endpoint another; the sensor kept the first",
				side, c.Offset, c.Kept[:min(len(c.Kept), 8)], v, segments(c.Segments))
		}},
	// Data on a segment without ACK reaches no endpoint once the
	// connection is open (RFC 9293 3.10.7.4): the table left it out of the
	// stream; a decoy for monitors alone (zapret's datanoack).
	strayCheck("tcp.data_without_ack", "no_ack", false,
		func(f *flow.Flow) (*flow.Stray, *flow.Stray) { return f.ClientNoACK, f.ServerNoACK },
		func(side string, n *flow.Stray, v string) string {
			return fmt.Sprintf("the %s sent %d bytes in %s without the ACK flag, from its stream's byte %d (%s), which no TCP takes once a connection is open (RFC 9293): "+
				"a decoy for monitors alone, as DPI-evasion tools send theirs; left out of the flow", side, n.Bytes, segments(n.Segments), n.Offset, v)
		}),
	// Data before the stream's first byte (the sequence number after the
	// side's SYN) lies outside every receive window the connection had
	// (RFC 9293 3.10.7.4): the receiver drops it, and the table left it
	// out of the stream; a decoy for monitors alone (zapret's badseq,
	// GoodbyeDPI's --wrong-seq). Only a flow whose SYN was seen has a
	// known start.
	strayCheck("tcp.data_before_start", "before_start", true,
		func(f *flow.Flow) (*flow.Stray, *flow.Stray) { return f.ClientBeforeStart, f.ServerBeforeStart },
		func(side string, n *flow.Stray, v string) string {
			return fmt.Sprintf("the %s sent %d bytes in %s at its stream's byte %d (%s), before its first byte (the one after its SYN), where no receive window ever was (RFC 9293): "+
				"a decoy for monitors alone, as DPI-evasion tools send theirs with sequence numbers in the past; left out of the flow", side, n.Bytes, segments(n.Segments), n.Offset, v)
		}),
	// Data on a segment signed with a TCP MD5 (RFC 2385) or TCP-AO
	// (RFC 5925) option, its side's SYN unsigned: a connection signs from
	// its SYN on, and a TCP without a key drops signed segments (Linux's
	// TCPMD5Unexpected); the table left it out of the stream; a decoy for
	// monitors alone (zapret's md5sig, its default fooling for TLS).
	strayCheck("tcp.unexpected_signature", "signature", true,
		func(f *flow.Flow) (*flow.Stray, *flow.Stray) { return f.ClientSigned, f.ServerSigned },
		func(side string, n *flow.Stray, v string) string {
			return fmt.Sprintf("the %s sent %d bytes in %s with a TCP MD5 signature or TCP-AO option, from its stream's byte %d (%s), though its SYN had none: "+
				"a connection signs from its SYN on, and a TCP without a key for it drops them; a decoy for monitors alone, as DPI-evasion tools send theirs; left out of the flow", side, n.Bytes, segments(n.Segments), n.Offset, v)
		}),
	// Segments that came in IP fragments smaller than any link needs: no
	// sender's stack nor router on its path cuts a datagram so small, and
	// tools that slip a handshake past monitors that do not reassemble do
	// (fragroute, nmap -f; Snort's tiny fragments). The capture
	// reassembled them; the flow is as the host read it. TCP or QUIC
	// (which forbids IP fragmentation at any size).
	{id: "ip.tiny_fragments", violation: true, group: GroupFraming,
		applies: func(in *Input) bool { return true },
		fires:   func(in *Input) bool { return in.Flow.ClientTinyFragments != nil || in.Flow.ServerTinyFragments != nil },
		describe: func(in *Input) (string, string, string) {
			side, f := "client", in.Flow.ClientTinyFragments
			if f == nil {
				side, f = "server", in.Flow.ServerTinyFragments
			}
			v := strconv.Itoa(f.Smallest)
			return "ip." + side + ".tiny_fragments", v, fmt.Sprintf("%s of the %s came in IP fragments as small as %s bytes, where no link needs a fragment under 576 (IPv4: the datagram every host takes) or 1280 (IPv6: the minimum MTU): "+
				"how tools cut a handshake to slip past monitors that do not reassemble; the sensor reassembled them", segments(f.Segments), side, v)
		}},
	{id: "hs.client_malformed", violation: true, lost: helloNotTLS, group: GroupFraming, applies: func(in *Input) bool { return in.TLS.Client != nil || in.TLS.ClientErr != nil },
		fires: func(in *Input) bool {
			return in.TLS.ClientErr != nil && (in.TLS.Client == nil || !in.TLS.Client.Truncated)
		},
		describe: func(in *Input) (string, string, string) {
			return "tls.client.parse_error", in.TLS.ClientErr.Error(), "malformed ClientHello: " + parseErrorWords(in.TLS.ClientErr)
		}},
	{id: "hs.client_truncated", violation: true, lost: helloCutShort, group: GroupFraming, applies: func(in *Input) bool { return in.TLS.Client != nil },
		fires: func(in *Input) bool { return in.TLS.Client.Truncated && !in.Flow.ClientHandshakeGap },
		describe: func(in *Input) (string, string, string) {
			v := strconv.Itoa(len(in.TLS.Client.Raw))
			return "tls.client.hello_len", v, fmt.Sprintf("the ClientHello stops after %s bytes, though the capture missed nothing", v)
		}},
	{id: "hs.server_malformed", violation: true, lost: func(in *Input) bool { return in.Flow.ServerHandshakeGap }, group: GroupFraming, applies: func(in *Input) bool { return in.TLS.Server != nil || in.TLS.ServerErr != nil },
		fires: func(in *Input) bool {
			return in.TLS.ServerErr != nil && (in.TLS.Server == nil || !in.TLS.Server.Truncated) && !isNoHello(in.TLS.ServerErr)
		},
		describe: func(in *Input) (string, string, string) {
			return "tls.server.parse_error", in.TLS.ServerErr.Error(), "malformed server handshake: " + parseErrorWords(in.TLS.ServerErr)
		}},
	{id: "hs.client_certificate", group: GroupFraming, applies: hello,
		fires: func(in *Input) bool { return in.T.Client.SentCertificate() },
		describe: func(in *Input) (string, string, string) {
			return "tls.client.messages", "Certificate", "the client sent a certificate in clear (TLS client authentication)"
		}},
	{id: "hs.roles_swapped", group: GroupFraming, applies: rolesKnown,
		fires: func(in *Input) bool {
			return !ftpActiveData(in) && (in.T.Client.Sent(transcript.MsgServerHello) || in.T.Server.Sent(transcript.MsgClientHello))
		},
		describe: func(in *Input) (string, string, string) {
			if in.T.Client.Sent(transcript.MsgServerHello) {
				return "tls.client.messages", "ServerHello", "the roles are swapped: the client, which opened the connection, answered as a TLS server (it sent a ServerHello), as a tool does that connects out and then serves TLS"
			}
			return "tls.server.messages", "ClientHello", "the roles are swapped: the server sent a ClientHello, as a tool does that accepts a connection and then acts as the TLS client"
		}},
	// SSL 2.0's format too: its challenge has lengths of its own.
	{id: "hs.client_inconsistent", group: GroupFraming, applies: func(in *Input) bool { return in.TLS.Client != nil && !in.TLS.Client.Truncated },
		fires:    func(in *Input) bool { what, _ := inconsistentHello(in.TLS.Client); return what != flawNone },
		describe: describeInconsistentHello},
	{id: "hs.client_random_suites", group: GroupFraming, applies: hello, fires: randomSuites, describe: describeRandomSuites},
	{id: "hs.weak_random", group: GroupFraming, applies: func(in *Input) bool { return hello(in) || in.TLS.Server != nil && in.TLS.Server.ServerHello != nil },
		fires: func(in *Input) bool {
			return hello(in) && weakRandom(in.TLS.Client.Random) || in.TLS.Server != nil && in.TLS.Server.ServerHello != nil && weakRandom(in.TLS.Server.ServerHello.Random)
		},
		describe: func(in *Input) (string, string, string) {
			field, r := "tls.client.random", []byte(nil)
			if hello(in) && weakRandom(in.TLS.Client.Random) {
				r = in.TLS.Client.Random
			} else {
				field, r = "tls.server.random", in.TLS.Server.ServerHello.Random
			}
			v := hex.EncodeToString(r)
			return field, v, "the hello's random is not random (" + v + "): a hard-coded or replayed hello, not a TLS library's"
		}},
	{id: "hs.hello_fragmented", group: GroupFraming, applies: wholeHelloInRecords, fires: helloFragmented,
		describe: func(in *Input) (string, string, string) {
			v := strconv.Itoa(len(in.TLS.Client.Raw))
			return "tls.client.records", recordTypes(&in.T.Client), "the " + v + "-byte ClientHello came cut over several TLS records though one holds it (libraries send it whole; tools that slip past inspection of the first record cut it)"
		}},
	{id: "hs.server_unoffered", group: GroupFraming, applies: answersThisHello,
		fires:    func(in *Input) bool { what, _ := unoffered(in); return what != unofferedNone },
		describe: describeUnoffered},
	{id: "hs.certificate_request", group: GroupFraming, applies: func(in *Input) bool { return in.TLS.Server != nil },
		fires: func(in *Input) bool {
			return in.T.Server.Sent(transcript.MsgCertificateRequest) || serverSent(in, transcript.MsgCertificateRequest)
		},
		describe: func(in *Input) (string, string, string) {
			return "tls.server.messages", "CertificateRequest", "the server asked the client for a certificate (CertificateRequest)"
		}},
	{id: "hs.data_before_handshake", violation: true, group: GroupFraming, applies: hello,
		fires: func(in *Input) bool {
			_, c := in.T.Client.DataBeforeHandshake(tls13(in))
			_, s := in.T.Server.DataBeforeHandshake(tls13(in))
			return c || s
		},
		describe: func(in *Input) (string, string, string) {
			side, sd := "client", &in.T.Client
			typ, ok := sd.DataBeforeHandshake(tls13(in))
			if !ok {
				side, sd = "server", &in.T.Server
				typ, _ = sd.DataBeforeHandshake(tls13(in))
			}
			name := transcript.TypeName(typ)
			return "tls." + side + ".records", recordTypes(sd), fmt.Sprintf("the %s sent %s before the handshake was done (%s)", side, name, recordTypes(sd))
		}},
	{id: "hs.unknown_content_type", violation: true, group: GroupFraming, applies: func(in *Input) bool { return len(in.T.Client.Records)+len(in.T.Server.Records) > 0 },
		fires: func(in *Input) bool {
			_, c := in.T.Client.UnknownType()
			_, s := in.T.Server.UnknownType()
			return c || s
		},
		describe: func(in *Input) (string, string, string) {
			side := "client"
			typ, ok := in.T.Client.UnknownType()
			if !ok {
				side = "server"
				typ, _ = in.T.Server.UnknownType()
			}
			v := strconv.Itoa(int(typ))
			return "tls." + side + ".record_type", v, fmt.Sprintf("the %s sent a record of content type %s, which TLS does not define", side, v)
		}},
	// Records that stop where the capture missed bytes (a snap length
	// cut the packets, the sensor dropped some) say nothing of the peer.
	{id: "hs.framing_broke", violation: true, group: GroupFraming, applies: func(in *Input) bool {
		return len(in.T.Client.Records)+len(in.T.Server.Records) > 0 && !in.Flow.PrefixGap
	},
		fires: func(in *Input) bool { return in.T.Client.FramingBroke || in.T.Server.FramingBroke },
		describe: func(in *Input) (string, string, string) {
			side, sd := "client", &in.T.Client
			if !sd.FramingBroke {
				side, sd = "server", &in.T.Server
			}
			v := transcript.Printable(sd.BrokeHead[:min(len(sd.BrokeHead), 5)])
			return "tls." + side + ".records", v, fmt.Sprintf("the %s's bytes stop being TLS records at its byte %d (%s): not a TLS record header", side, sd.BrokeAt, v)
		}},
	versionCheck("version.sslv2", tlsparse.VersionSSL20),
	versionCheck("version.sslv3", tlsparse.VersionSSL30),
	versionCheck("version.tls10", tlsparse.VersionTLS10),
	// RFC 8996 deprecated TLS 1.1 with 1.0, and browsers dropped both in
	// 2020; a client whose best is 1.1 is as old a stack, weighed by its
	// own rate (rarer than 1.0 in every era).
	versionCheck("version.tls11", tlsparse.VersionTLS11),
	suiteCheck("cipher.export_offered", "EXPORT-grade", exportSuite, false),
	suiteCheck("cipher.null_offered", "NULL (no encryption)", nullSuite, false),
	suiteCheck("cipher.anon_offered", "anonymous (unauthenticated)", anonSuite, false),
	suiteCheck("cipher.broken_chosen", "EXPORT, NULL or anonymous", brokenSuite, true),
	// A hello that sends its server name encrypted (ESNI, ECH) names it;
	// one whose extensions were not read whole (it does not parse, or
	// stops short) may name it where the reading stopped: unknown, not
	// missing.
	{id: "sni.missing", group: GroupSNI, applies: wholeHello,
		fires: func(in *Input) bool { return in.TLS.Client.ServerName == "" && !encryptedName(in.TLS.Client) },
		describe: func(in *Input) (string, string, string) {
			return "tls.sni", "none", "the ClientHello names no server (no SNI)"
		}},
	{id: "sni.ip_literal", group: GroupSNI, applies: hello,
		fires: func(in *Input) bool { return isIP(in.TLS.Client.ServerName) },
		describe: func(in *Input) (string, string, string) {
			s := in.TLS.Client.ServerName
			return "tls.sni", s, fmt.Sprintf("the server name is an IP address (%s), which SNI does not allow", s)
		}},
	{id: "sni.invalid", group: GroupSNI, applies: namedHello,
		fires: func(in *Input) bool {
			flaw, _ := hostNameFlaw(in.TLS.Client.ServerName)
			return flaw != nameOK && !isIP(in.TLS.Client.ServerName)
		},
		describe: func(in *Input) (string, string, string) {
			s := in.TLS.Client.ServerName
			return "tls.sni", s, describeHostName(s)
		}},
	{id: "sni.generated", group: GroupSNI, applies: namedHello,
		firesNames: func(in *Input, m *NameModel) bool { return m.Generated(in.TLS.Client.ServerName) },
		describeNames: func(in *Input, m *NameModel) (string, string, string) {
			name := in.TLS.Client.ServerName
			bits, label := m.Score(name)
			return "tls.sni", name, fmt.Sprintf("the server name %s looks machine-generated: its label %q costs %.1f bits a character against benign names (at most %.1f for 99%% of them)", name, label, bits, m.Cutoff)
		}},
	{id: "sni.onion_gateway", group: GroupSNI, applies: namedHello,
		fires: func(in *Input) bool { _, _, ok := onionService(in.TLS.Client.ServerName); return ok },
		describe: func(in *Input) (string, string, string) {
			s := in.TLS.Client.ServerName
			return "tls.sni", s, describeOnion(s)
		}},
	{id: "cert.self_signed", group: GroupCertSelf, applies: hasLeaf,
		firesTable: func(in *Input, t *Table) bool { return leaf(in).SelfSigned && !t.knowsSelfMade(in) },
		describe: func(in *Input) (string, string, string) {
			c := leaf(in)
			return "tls.self_signed", c.Subject, fmt.Sprintf("self-signed certificate: subject = issuer = %q, signed by its own key", c.Subject)
		}},
	{id: "cert.self_issued", group: GroupCertSelf, applies: hasLeaf,
		firesTable: func(in *Input, t *Table) bool {
			return leaf(in).SelfIssued && !leaf(in).SelfSigned && !t.knowsSelfMade(in)
		},
		describe: func(in *Input) (string, string, string) {
			c := leaf(in)
			return "tls.issuerdn", c.Issuer, fmt.Sprintf("self-issued certificate: issuer = subject = %q", c.Issuer)
		}},
	{id: "cert.private_issuer", group: GroupCertSelf, applies: func(in *Input) bool {
		_, ok := chainIssuer(in)
		return ok && hasLeaf(in)
	},
		firesTable: privateIssuer, describe: describePrivateIssuer},
	// An IP-literal server name is its own fact (sni.ip_literal).
	{id: "cert.name_mismatch", group: GroupCertName, applies: func(in *Input) bool {
		return hasLeaf(in) && namedHello(in) && !isIP(in.TLS.Client.ServerName)
	},
		fires: func(in *Input) bool { return !covers(leaf(in), in.TLS.Client.ServerName) },
		describe: func(in *Input) (string, string, string) {
			c := leaf(in)
			names := certNames(c)
			if names == "CN=" {
				return "tls.sans", "", "the certificate names no host (no subjectAltName, no subject CN), so it cannot cover the server name " + in.TLS.Client.ServerName
			}
			return "tls.sans", names, fmt.Sprintf("the certificate's names (%s) do not cover the server name %s", names, in.TLS.Client.ServerName)
		}},
	{id: "cert.placeholder_name", group: GroupCertSubj, applies: hasLeaf,
		fires: func(in *Input) bool { _, _, _, ok := placeholder(leaf(in)); return ok },
		describe: func(in *Input) (string, string, string) {
			field, v, why, _ := placeholder(leaf(in))
			whose := "subject"
			if field == "tls.issuerdn" {
				whose = "issuer"
			}
			return field, v, fmt.Sprintf("the certificate's %s says %s: %s, which no public CA certifies", whose, v, why)
		}},
	{id: "cert.generated_name", group: GroupCertSubj, applies: func(in *Input) bool { return hasLeaf(in) && hasJudgedCertName(leaf(in)) },
		firesNames: func(in *Input, m *NameModel) bool {
			_, _, _, _, ok := certGenerated(leaf(in), m, sniLabel(in))
			return ok
		},
		describeNames: func(in *Input, m *NameModel) (string, string, string) {
			field, name, label, bits, _ := certGenerated(leaf(in), m, sniLabel(in))
			whose := "subject"
			if field == "tls.issuerdn" {
				whose = "issuer"
			}
			return field, "CN=" + name, fmt.Sprintf("the certificate's %s CN=%s looks machine-generated: its label %q costs %.1f bits a character against benign server names (at most %.1f for 99%% of them)", whose, name, label, bits, m.Cutoff)
		}},
	{id: "cert.expired", group: GroupCertTime, applies: datedLeaf,
		fires: func(in *Input) bool { return in.Flow.Start.After(leaf(in).NotAfter) },
		describe: func(in *Input) (string, string, string) {
			c := leaf(in)
			v := c.NotAfter.UTC().Format(time.DateOnly)
			return "tls.notafter", v, "the certificate expired on " + v + ", " + days(in.Flow.Start.Sub(c.NotAfter)) + " before the flow"
		}},
	{id: "cert.not_yet_valid", group: GroupCertTime, applies: datedLeaf,
		fires: func(in *Input) bool { return in.Flow.Start.Before(leaf(in).NotBefore) },
		describe: func(in *Input) (string, string, string) {
			c := leaf(in)
			v := c.NotBefore.UTC().Format(time.DateOnly)
			return "tls.notbefore", v, "the certificate is valid only from " + v + ", " + days(c.NotBefore.Sub(in.Flow.Start)) + " after the flow"
		}},
	{id: "cert.validity_short", group: GroupCertTime, applies: validityRead,
		fires: func(in *Input) bool { return validity(leaf(in)) < shortValidity },
		describe: func(in *Input) (string, string, string) {
			v := days(validity(leaf(in)))
			return "tls.validity", v, "the certificate is valid for " + v + " only (shorter than " + days(shortValidity) + ")"
		}},
	{id: "cert.validity_long", group: GroupCertTime, applies: validityRead,
		fires: func(in *Input) bool { return validity(leaf(in)) > longValidity },
		describe: func(in *Input) (string, string, string) {
			v := days(validity(leaf(in)))
			return "tls.validity", v, "the certificate is valid for " + v + " (public CAs issue at most 398 days; before 2020, 825)"
		}},
	// A public CA's certificate in its first week: a server set up for
	// the occasion (a campaign's new domain, a C2 server) shows one;
	// servers that serve for months mostly show older ones. Judged only
	// where the chain leads to a root of the public Web PKI: a private CA
	// (an organisation's own, whose automation may renew every week, or a
	// tool's) and self-made leaves have their own facts; nor on a leaf
	// that lives under four weeks, always young (a service mesh's of
	// hours, the public CAs' 6-day ones).
	{id: "cert.fresh", group: GroupCertTime, applies: func(in *Input) bool {
		return datedLeaf(in) && !selfMade(in) && validity(leaf(in)) >= 4*freshCertificate && publicChain(in)
	},
		fires: func(in *Input) bool {
			age := in.Flow.Start.Sub(leaf(in).NotBefore)
			return age >= 0 && age < freshCertificate
		},
		describe: func(in *Input) (string, string, string) {
			c := leaf(in)
			v := c.NotBefore.UTC().Format(time.DateOnly)
			return "tls.notbefore", v, "the certificate became valid on " + v + ", " + days(in.Flow.Start.Sub(c.NotBefore)) +
				" before the flow: a public CA's certificate in its first week, as a server set up for the occasion shows"
		}},
	heartbleedCheck, ccsInjectionCheck, curveBallCheck,
	{id: "flight.small_chain", group: GroupFlight, applies: fullTLS13, firesTable: smallUnknownFlight, describe: describeSmallFlight},
}

// Validity bounds: CA/Browser Forum Baseline Requirements allowed at most
// 825 days before 2020-09 and 398 days since; the shortest certificates
// public CAs issue last 6 days. A certificate is fresh in its first week.
const (
	longValidity     = 825 * 24 * time.Hour
	shortValidity    = 2 * 24 * time.Hour
	freshCertificate = 7 * 24 * time.Hour
)

func validity(c *tlsparse.Certificate) time.Duration { return c.NotAfter.Sub(c.NotBefore) }

// days words a duration in whole days, or hours under two days (as
// fmt's %.0f would: the durations are finite). An alert words one or two
// per flow, so they are built without fmt.
func days(d time.Duration) string {
	if d < 48*time.Hour {
		return strconv.FormatFloat(d.Hours(), 'f', 0, 64) + " hours"
	}
	return strconv.FormatFloat(d.Hours()/24, 'f', 0, 64) + " days"
}

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

// covers reports whether a certificate names host: a SAN (DNS or IP), or
// the subject CN when there is no SAN, with RFC 6125 wildcards (one
// left-most label).
func covers(c *tlsparse.Certificate, host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if len(c.DNSNames) == 0 && len(c.IPAddresses) == 0 {
		return matchName(commonName(c.Subject), host)
	}
	for _, n := range c.DNSNames {
		if matchName(n, host) {
			return true
		}
	}
	if a, err := netip.ParseAddr(host); err == nil {
		for _, ip := range c.IPAddresses {
			if ip == a {
				return true
			}
		}
	}
	return false
}

func matchName(pattern, host string) bool {
	pattern = strings.ToLower(strings.TrimSuffix(pattern, "."))
	if pattern == host {
		return true
	}
	if rest, ok := strings.CutPrefix(pattern, "*."); ok {
		if i := strings.IndexByte(host, '.'); i > 0 && host[i+1:] == rest {
			return true
		}
	}
	return false
}

// commonName picks CN=... out of a subject as tlsparse renders it.
func commonName(subject string) string {
	for rest := subject; rest != ""; {
		var part string
		part, rest = nextRDN(rest)
		if v, ok := strings.CutPrefix(part, "CN="); ok {
			return v
		}
	}
	return ""
}

// parseErrorWords is a parse error as a reason says it: without the
// parser's package name, which the record's parse_error field keeps.
func parseErrorWords(err error) string { return strings.TrimPrefix(err.Error(), "tlsparse: ") }

// certNames lists a certificate's host names for a reason: its
// subjectAltNames (at most four), else its subject CN.
func certNames(c *tlsparse.Certificate) string {
	names := append([]string(nil), c.DNSNames...)
	for _, a := range c.IPAddresses {
		names = append(names, a.String())
	}
	if len(names) == 0 {
		return "CN=" + commonName(c.Subject)
	}
	if len(names) > 4 {
		names = append(names[:4], fmt.Sprintf("and %d more", len(names)-4))
	}
	return strings.Join(names, ", ")
}

// recordTypes words a side's records: "application_data x3, handshake".
func recordTypes(sd *transcript.Side) string {
	var b strings.Builder
	for i := 0; i < len(sd.Records); {
		j := i
		for j < len(sd.Records) && sd.Records[j].Type == sd.Records[i].Type {
			j++
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(transcript.TypeName(sd.Records[i].Type))
		if j-i > 1 {
			fmt.Fprintf(&b, " x%d", j-i)
		}
		i = j
	}
	return b.String()
}
