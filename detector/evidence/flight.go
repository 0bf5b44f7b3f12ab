package evidence

import (
	"fmt"
	"strconv"

	"github.com/tlsentry/tlsentry/detector/transcript"
	"github.com/tlsentry/tlsentry/flow"
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
// fit in a few hundred bytes.
const minPublicFlight = 1200

// minJudgedFlight is the least a turn must hold to be judged when it is one
// record: a TLS 1.3 server that refuses the handshake sends one encrypted
// alert (19 bytes), which says nothing of its certificates.
const minJudgedFlight = 200

// fullTLS13 reports a full TLS 1.3 handshake over TCP: the server sent its
// certificates, encrypted. The check applies to all of them (its rate is
// counted over all of them) and fires on those whose prefix shows a turn
// too small: a turn the prefix cuts before its certificate does not fire.
func fullTLS13(in *Input) bool {
	return in.Flow.Transport != flow.TransportUDP && in.TLS.Server != nil && in.TLS.Server.ServerHello != nil && tls13(in) &&
		!in.TLS.Server.ServerHello.HelloRetryRequest && !in.TLS.Resumed()
}

// smallFlight: the prefix shows enough of the turn to weigh it (three
// records or more: the certificate is among the first three, after the
// encrypted extensions and perhaps a certificate request; or the whole
// turn) and it is smaller than any public chain.
func smallFlight(in *Input) bool {
	fl := transcript.ServerFlight(in.Flow)
	judged := fl.Records >= 3 || fl.Whole && fl.Total >= minJudgedFlight
	return judged && fl.Total < minPublicFlight
}

func describeSmallFlight(in *Input) (field, value, text string) {
	fl := transcript.ServerFlight(in.Flow)
	whose := fmt.Sprintf("its first %d encrypted records took", fl.Records)
	if fl.Whole {
		whose = fmt.Sprintf("its encrypted turn took %d records,", fl.Records)
	}
	v := strconv.Itoa(fl.Total)
	return "tls.server.encrypted_bytes", v, fmt.Sprintf("the server's certificates are encrypted (TLS 1.3, a full handshake) and %s %s bytes: too few for a chain of the public Web PKI (a leaf and its CA's certificate take over %d bytes): the server's own certificate or a private CA's",
		whose, v, minPublicFlight)
}
