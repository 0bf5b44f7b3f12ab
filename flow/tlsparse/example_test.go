package tlsparse

import (
	"errors"
	"fmt"
)

func ExampleParseClientHello() {
	// One direction of a TCP stream, starting at the first TLS record.
	stream := records(ContentHandshake, greaseHello(), 100) // hello split over two records
	ch, err := ParseClientHello(stream)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ch.ServerName, ch.ALPN, VersionName(ch.Version))
	fmt.Println(ch.JA3().Hash)
	fmt.Println(ch.JA4(TransportTCP).JA4)

	// A capture cut inside the hello still gives what came before the cut.
	ch, err = ParseClientHello(stream[:80])
	fmt.Println(errors.Is(err, ErrTruncated), ch.Truncated, len(ch.CipherSuites))
	// Output:
	// example.com [h2 http/1.1] TLS 1.2
	// 10da7888564a116ae56676610bc453d5
	// t13d0309h2_159d175d8039_b7dbbb63159c
	// true true 4
}

func ExampleSniff() {
	fmt.Println(Sniff([]byte("SSH-2.0-OpenSSH_9.6\r\n")))
	fmt.Println(Sniff([]byte("\x16\x03\x01\x02\x00\x01\x00\x01\xfc")))
	// Output:
	// ssh
	// tls
}
