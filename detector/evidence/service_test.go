package evidence

import (
	"context"
	"net/netip"
	"slices"
	"testing"

	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/capgen"
	"github.com/tlsentry/tlsentry/internal/labset"
)

// TestOwnUpgradeNotJudgedByWebConventions: the same self-signed server,
// reached by TLS from the first byte on 443 and after IMAP's STARTTLS on
// 143, is a self-signed certificate on the web and an ordinary mail
// server's on IMAP; TLS from the first byte on 143 (no STARTTLS) is no
// upgrade and is judged as the web's.
func TestOwnUpgradeNotJudgedByWebConventions(t *testing.T) {
	tab := Calibrate("b", inputs(t, labset.Benign, 8), nil)
	convs, err := labset.Conversations(context.Background(), labset.SelfSigned, 1, 5)
	if err != nil {
		t.Fatal(err)
	}
	startTLS := capgen.Conversation{
		capgen.ServerWrite([]byte("* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n")),
		capgen.ClientWrite([]byte("a1 STARTTLS\r\n")),
		capgen.ServerWrite([]byte("a1 OK Begin TLS negotiation now\r\n")),
	}
	// MySQL's greeting (protocol 10, "8.0.36", CLIENT_SSL offered) and
	// RDP's connection confirm (TLS chosen): the servers' sides of their
	// upgrades, which tell them when the client's request is missing (lost,
	// or past the prefix where the capture put the server's bytes first).
	greeting := append([]byte{0, 0, 0, 0, 10}, "8.0.36\x00"...)
	greeting = append(greeting, 1, 0, 0, 0, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 0, 0xff, 0xff, 0xff, 0, 0, 0, 0)
	greeting[0] = byte(len(greeting) - 4)
	sslRequest := append([]byte{32, 0, 0, 1, 0x05, 0xae, 0xff, 0, 0, 0, 0, 1, 0xff}, make([]byte, 23)...)
	confirm := []byte{3, 0, 0, 19, 14, 0xd0, 0, 0, 0x12, 0x34, 0, 2, 0, 8, 0, 1, 0, 0, 0}
	mysql := capgen.Conversation{capgen.ServerWrite(greeting), capgen.ClientWrite(sslRequest)}
	for _, c := range []struct {
		name     string
		port     uint16
		preamble capgen.Conversation
		web      bool
	}{
		{"MySQL's upgrade on 3306", 3306, mysql, false},
		{"MySQL's upgrade on 3306, the client's request missing", 3306, mysql[:1], false},
		{"a MySQL greeting on 443", 443, mysql[:1], true},
		{"RDP's confirm on 3389, the client's request missing", 3389, capgen.Conversation{capgen.ServerWrite(confirm)}, false},
		{"TLS on 443", 443, nil, true},
		{"STARTTLS on 143", 143, startTLS, false},
		{"TLS from the first byte on 143", 143, nil, true},
		// The segment of the client's request lost: the server's side of
		// the exchange tells the upgrade.
		{"STARTTLS on 143, the client's request lost", 143, slices.Delete(slices.Clone(startTLS), 1, 2), false},
	} {
		conv := append(append(capgen.Conversation{}, c.preamble...), convs[0]...)
		flows, err := labset.FlowsWith(c.name, []capgen.Conversation{conv}, 5, func(s *capgen.FlowSpec) {
			s.Server = netip.AddrPortFrom(s.Server.Addr(), c.port)
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(flows) != 1 {
			t.Fatalf("%s: %d flows, want 1", c.name, len(flows))
		}
		x := input(flows[0])
		if x.TLS.Server == nil || x.TLS.Server.Leaf == nil {
			t.Fatalf("%s: no certificate parsed", c.name)
		}
		var ids []string
		for _, f := range tab.Explain(x) {
			ids = append(ids, f.ID)
		}
		_, fired := tab.ScoreFired(x)
		selfSigned := fired&(1<<slices.IndexFunc(checks, func(c check) bool { return c.id == "cert.self_signed" })) != 0
		if selfSigned != c.web {
			t.Errorf("%s: cert.self_signed fired %v, want %v (findings %v)", c.name, selfSigned, c.web, ids)
		}
		if !c.web && fired&webConventions != 0 {
			t.Errorf("%s: web conventions judged an upgrade: %v", c.name, ids)
		}
		// Without a transcript (how the pipeline asks whether a server's
		// certificate is worth remembering for its resumed sessions).
		bits, _ := tab.CertFired(&Input{Flow: x.Flow, TLS: tlsparse.FromFlow(x.Flow, nil)})
		if (bits > 0) != c.web {
			t.Errorf("%s: certificate bits %.2f without a transcript, want them only on the web", c.name, bits)
		}
	}
}
