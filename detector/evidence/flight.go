package evidence

import (
	"fmt"
	"strconv"

	"github.com/tlsentry/tlsentry/detector/transcript"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// In TLS 1.3 the server's certificates travel encrypted, so none of the
// certificate checks can look at them; the size of the server's first
// encrypted turn still tells a chain of the public Web PKI from a lone
// certificate a tool or an operator made. A publicly trusted leaf carries
// its names, its CA's information access and policy extensions and two or
// more signed certificate timestamps, and comes with the certificate of
// the CA that issued it: well over a kilobyte each even with ECDSA keys,
// and still over minPublicFlight when the server compresses them (RFC
// 8879). Sliver's or Tor's certificates, a self-signed test server's,
// fit in a few hundred bytes. The turn also carries the server's
// signature: an RSA-2048 key's takes 264 bytes, so a lone self-signed
// RSA-2048 certificate as openssl req makes it (socat's, s_server's,
// most tutorials' C2) comes to 1,220-1,240 bytes in all, while the
// public corpus's smallest turn is 1,342 (and the next 1,978).
const minPublicFlight = 1300

// minJudgedFlight is the least a turn must hold to be judged when it is one
// record: a TLS 1.3 server that refuses the handshake sends one encrypted
// alert (19 bytes), which says nothing of its certificates.
const minJudgedFlight = 200

// fullTLS13 reports a full TLS 1.3 handshake over TCP, seen from the
// client's hello on, in records of the usual size: the server sent its
// certificates, encrypted. The check applies to all of them (its rate is
// counted over all of them) and fires on those that show a turn too
// small: a turn whose certificate the flow's bytes do not reach does not
// fire.
func fullTLS13(in *Input) bool {
	if in.Flow.Transport == flow.TransportUDP || in.TLS.Client == nil || in.TLS.Server == nil || in.TLS.Server.ServerHello == nil || !tls13(in) {
		return false
	}
	// The ServerHello's pre_shared_key extension says a resumption (or an
	// external key): no certificates. Read here, not from Resumed, which
	// needs the client's hello.
	sh := in.TLS.Server.ServerHello
	return !sh.HelloRetryRequest && !sh.HasExtension(tlsparse.ExtPreSharedKey) && !limitsRecords(in)
}

// smallFlight: the flow shows enough of the turn to weigh it (three
// records or more: the certificate is among the first three, after the
// encrypted extensions and perhaps a certificate request; or the whole
// turn) and it is smaller than any public chain.
func smallFlight(in *Input) bool {
	fl := flightOf(in)
	judged := fl.Records >= 3 || fl.Records == 2 && fl.Largest >= minCertRecord || fl.Whole && fl.Total >= minJudgedFlight
	return judged && fl.Total < minPublicFlight
}

// minCertRecord: of two records seen, a second this large is the
// certificate (encrypted extensions and certificate requests are a few
// dozen bytes), so the two are enough to weigh the chain.
const minCertRecord = 256

// limitsRecords reports a client that asked for small records
// (max_fragment_length, or a record_size_limit below the 16 KB default):
// the server's certificates then come in many small records, which the
// first few do not show whole.
func limitsRecords(in *Input) bool {
	for _, e := range in.TLS.Client.Extensions {
		switch e.Type {
		case extMaxFragmentLength:
			return true
		case extRecordSizeLimit:
			return len(e.Data) != 2 || int(e.Data[0])<<8|int(e.Data[1]) < 1<<14
		}
	}
	return false
}

// Extensions that bound record sizes (RFC 6066 section 4, RFC 8449).
const (
	extMaxFragmentLength = 1
	extRecordSizeLimit   = 28
)

// flightOf is the server's encrypted turn as the flow shows the most of it:
// in the prefix (which tells where the turn ends) or in the kept handshake
// bytes (which go on past the prefix when the client's hello filled it).
func flightOf(in *Input) transcript.Flight {
	p, k := transcript.ServerFlight(in.Flow), transcript.KeptFlight(in.Flow)
	if k.Records > p.Records && !p.Whole {
		return k
	}
	return p
}

func describeSmallFlight(in *Input) (field, value, text string) {
	fl := flightOf(in)
	whose := fmt.Sprintf("its first %d encrypted records took", fl.Records)
	if fl.Whole {
		whose = fmt.Sprintf("its encrypted turn took %d records,", fl.Records)
	}
	v := strconv.Itoa(fl.Total)
	return "tls.server.encrypted_bytes", v, fmt.Sprintf("the server's certificates are encrypted (TLS 1.3, a full handshake) and %s %s bytes: too few for a chain of the public Web PKI (a leaf and its CA's certificate, with the server's signature, take over %d bytes): the server's own certificate or a private CA's",
		whose, v, minPublicFlight)
}
