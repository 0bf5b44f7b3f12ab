package evidence

import (
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/internal/labset"
)

// clientFirstFlow is a connection seen from the client's SYN in which the
// client sent its turn first and the server then answered.
func clientFirstFlow(port uint16, client, server []byte) *flow.Flow {
	f := &flow.Flow{Server: flow.Endpoint{Port: port}, Prefix: append(append([]byte(nil), client...), server...), ClientSYN: true}
	f.PrefixRuns = []flow.PrefixRun{{FromClient: true, Len: len(client)}}
	if len(server) > 0 {
		f.PrefixRuns = append(f.PrefixRuns, flow.PrefixRun{Len: len(server)})
	}
	return f
}

// TestProgramFirst: a connection that opens with a program sent raw (a
// 4-byte length, then a Windows PE or an ELF) fires
// proto.program_first on any port but the TLS ports, whichever side sent
// it (a reverse stager's handler, or the attacker feeding a bind
// payload), and whatever follows (Meterpreter's TLS after its stage).
// Calibration counts it on TLS ports too, where the protocol checks word
// it.
func TestProgramFirst(t *testing.T) {
	benign := inputs(t, labset.Benign, 24)
	tab := Calibrate("labset benign", benign, nil)
	stagerFlow := inputs(t, labset.StagerPayload, 1)[0].Flow
	stage := stagerFlow.Prefix[:stagerFlow.PrefixRuns[0].Len]
	hello := inputs(t, labset.Benign, 1)[0].Flow
	ftpData := clientFirstFlow(21000, stage, nil)
	ftpData.Client.Port = flow.FTPActiveDataPort
	cases := []struct {
		name       string
		f          *flow.Flow
		fires      bool
		fromClient bool
	}{
		{"a reverse stager's handler on 4444", serverFirstFlow(4444, stage, nil), true, false},
		{"the stage, then the client's TLS hello (Meterpreter's TLS transport)", serverFirstFlow(4444, stage, hello.ClientHandshake), true, false},
		{"a bind payload fed by the side that connects", clientFirstFlow(4444, stage, nil), true, true},
		{"a TLS port: the protocol checks say it", serverFirstFlow(443, stage, nil), false, false},
		{"an active FTP data connection from port 20", ftpData, false, false},
		{"a program downloaded over HTTP", clientFirstFlow(8080, []byte("GET /setup.exe HTTP/1.1\r\nHost: example.org\r\n\r\n"),
			append([]byte("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n"), stage...)), false, false},
		{"the client's SYN missed", withoutClientSYN(serverFirstFlow(4444, stage, nil)), false, false},
		{"an ordinary TLS connection", hello, false, false},
	}
	for _, tc := range cases {
		in := input(tc.f)
		fromClient, ok := programFirst(in)
		if ok != tc.fires || fromClient != tc.fromClient {
			t.Errorf("%s: fired %v (from the client %v), want %v (%v)", tc.name, ok, fromClient, tc.fires, tc.fromClient)
		}
		f, found := fired(tab, in, "proto.program_first")
		if found != tc.fires {
			t.Errorf("%s: finding %v, want %v", tc.name, found, tc.fires)
		}
		if !found {
			continue
		}
		side := "server"
		if tc.fromClient {
			side = "client"
		}
		if f.Value != "executable" || f.Group != GroupProtocol || f.Bits < 4 ||
			!strings.HasPrefix(f.Text, "the connection opened with a program from its "+side+", sent raw (") ||
			!strings.Contains(f.Text, "on port 4444: how a stager receives its payload; 0 of 24 flows of the benign corpus (labset benign)") {
			t.Errorf("%s: %+v", tc.name, f)
		}
	}

	// A corpus flow that opened so on a TLS port counts toward the rate,
	// though its finding is the server's that spoke first.
	withStage := append(append([]*Input(nil), benign...), input(serverFirstFlow(443, stage, nil)))
	if r := Calibrate("with a stage", withStage, nil).Rates["proto.program_first"]; r.Fired != 1 || r.Applied != 25 {
		t.Errorf("rate %+v, want 1 of 25", r)
	}
	if r := tab.Rates["proto.program_first"]; r.Fired != 0 || r.Applied != 24 {
		t.Errorf("rate %+v, want 0 of 24", r)
	}
}
