package evidence

import (
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/tlsentry/tlsentry/detector/transcript"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// connectionChecks read the connection: what the client speaks, the TCP
// stream's decoys, and the handshake's framing, messages and records.
var connectionChecks = []check{
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
			return fmt.Sprintf("the %s sent %s in %s without the ACK flag, from its stream's byte %d (%s), which no TCP takes once a connection is open (RFC 9293): "+
				"a decoy for monitors alone, as DPI-evasion tools send theirs; left out of the flow", side, transcript.ByteCount(n.Bytes), segments(n.Segments), n.Offset, v)
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
			return fmt.Sprintf("the %s sent %s in %s at its stream's byte %d (%s), before its first byte (the one after its SYN), where no receive window ever was (RFC 9293): "+
				"a decoy for monitors alone, as DPI-evasion tools send theirs with sequence numbers in the past; left out of the flow", side, transcript.ByteCount(n.Bytes), segments(n.Segments), n.Offset, v)
		}),
	// Data on a segment signed with a TCP MD5 (RFC 2385) or TCP-AO
	// (RFC 5925) option, its side's SYN unsigned: a connection signs from
	// its SYN on, and a TCP without a key drops signed segments (Linux's
	// TCPMD5Unexpected); the table left it out of the stream; a decoy for
	// monitors alone (zapret's md5sig, its default fooling for TLS).
	strayCheck("tcp.unexpected_signature", "signature", true,
		func(f *flow.Flow) (*flow.Stray, *flow.Stray) { return f.ClientSigned, f.ServerSigned },
		func(side string, n *flow.Stray, v string) string {
			return fmt.Sprintf("the %s sent %s in %s with a TCP MD5 signature or TCP-AO option, from its stream's byte %d (%s), though its SYN had none: "+
				"a connection signs from its SYN on, and a TCP without a key for it drops them; a decoy for monitors alone, as DPI-evasion tools send theirs; left out of the flow", side, transcript.ByteCount(n.Bytes), segments(n.Segments), n.Offset, v)
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
	// The same evasion one layer down: the hello's record whole, its TCP
	// segments cut before a full one (flow.HelloSegments).
	{id: "tcp.hello_split", group: GroupFraming, applies: func(in *Input) bool {
		return in.Flow.Transport == flow.TransportTCP && in.Flow.ClientSYN && !in.Flow.PrefixGap && hello(in)
	},
		fires: helloSplit,
		describe: func(in *Input) (string, string, string) {
			s := in.Flow.ClientHelloSegments
			v := fmt.Sprintf("%d segments, first %d, largest %d", s.Segments, s.First, s.Largest)
			return "tcp.client.hello_segments", v, fmt.Sprintf("the client's %d-byte ClientHello record came in %d TCP segments, the first of only %d bytes (the largest %d), where every path carries at least %d: "+
				"a TCP sender with the whole record in hand fills its first segment; DPI-evasion tools (GoodbyeDPI, zapret, ByeDPI, SpoofDPI) cut it after a few bytes, around the server name or in small chunks",
				s.Record, s.Segments, s.First, s.Largest, minSegment)
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
	// A new handshake inside a TLS 1.2 (or older) session. TLS 1.3
	// removed renegotiation and browsers do not start one; floods of it
	// (thc-ssl-dos, CVE-2011-1473) and exploits that ride it
	// (CVE-2016-6304's) do. Not a breach: a server may ask for one.
	{id: "hs.renegotiation", group: GroupFraming, applies: renegotiationSeen,
		fires: func(in *Input) bool { n, _ := in.T.Client.HandshakesAfterCCS(); return n > handshakeEnd(in) },
		describe: func(in *Input) (string, string, string) {
			n, _ := in.T.Client.HandshakesAfterCCS()
			v := in.T.Client.AfterCCS()
			sh := in.TLS.Server.ServerHello
			ends := "its encrypted Finished"
			if k := handshakeEnd(in); k > 1 {
				ends = fmt.Sprintf("%d: its encrypted Finished and, as negotiated, its NPN or Channel ID message", k)
			}
			return "tls.client.records", v, fmt.Sprintf("the client sent %d handshake records after its change_cipher_spec (%s), where a %s handshake ends with %s: a second handshake inside the session, a renegotiation (TLS 1.3 removed it, browsers do not start one, renegotiation floods and CVE-2016-6304's exploit do)",
				n, v, tlsparse.VersionName(sh.SelectedVersion), ends)
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
}

// renegotiationSeen reports a TLS 1.2 (or older) session whose client's
// change_cipher_spec the flow shows: its records after it can be counted.
func renegotiationSeen(in *Input) bool {
	if in.TLS.Server == nil || in.Flow.PrefixGap {
		return false
	}
	sh := in.TLS.Server.ServerHello
	if sh == nil || sh.SSLv2 || sh.HelloRetryRequest || sh.SelectedVersion < tlsparse.VersionSSL30 || sh.SelectedVersion > tlsparse.VersionTLS12 {
		return false
	}
	_, ccs := in.T.Client.HandshakesAfterCCS()
	return ccs
}

// Extensions after which a TLS 1.2 client sends one more encrypted
// handshake message before its Finished.
const (
	extNextProtoNeg = 13172 // NPN: its NextProtocol message
	extChannelIDOld = 30031 // Channel ID: its EncryptedExtensions message
	extChannelID    = 30032
)

// handshakeEnd is how many handshake records a TLS 1.2 client sends after
// its change_cipher_spec in one handshake: its Finished, and one more for
// NPN or Channel ID when its server's hello accepted them.
func handshakeEnd(in *Input) int {
	sh := in.TLS.Server.ServerHello
	n := 1
	if sh.HasExtension(extNextProtoNeg) {
		n++
	}
	if sh.HasExtension(extChannelIDOld) || sh.HasExtension(extChannelID) {
		n++
	}
	return n
}

// minSegment is less than the payload of a full segment on any path: no
// stack lowers its path MTU under 552 bytes (Linux; 576 elsewhere), which
// leaves at least 480 after the IP and TCP headers and options. A sender
// that has the whole hello fills its first segment, so a first segment
// shorter than that and than the record was cut by choice.
const minSegment = 480

// helloSplit reports a hello record whose first TCP segment the sender
// cut short.
func helloSplit(in *Input) bool {
	s := in.Flow.ClientHelloSegments
	return s != nil && s.First < minSegment
}
