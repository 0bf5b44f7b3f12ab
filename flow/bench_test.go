package flow

import (
	"encoding/binary"
	"testing"
)

// BenchmarkTableTCPFlow is one TCP connection through a table: handshake,
// a 1200-byte request and a 2400-byte answer in two segments, a late ACK
// after it is handed out, and the close. The per-flow hot path.
func BenchmarkTableTCPFlow(b *testing.B) { benchTCPFlow(b, srvEP.Port) }

// BenchmarkTableTCPFlowOtherPort is BenchmarkTableTCPFlow to a port that
// is not a TLS port: the zeros are not judged, and the connection stays
// in the table to its close (on 443 they decide it at once and the rest of
// it goes to the memory of handed-out connections).
func BenchmarkTableTCPFlowOtherPort(b *testing.B) { benchTCPFlow(b, 8080) }

// benchTCPFlow runs BenchmarkTableTCPFlow's connection to server port
// srvPort, from a new client port each time.
func benchTCPFlow(b *testing.B, srvPort uint16) {
	tab, err := NewTable(Config{}, func(*Flow) {})
	if err != nil {
		b.Fatal(err)
	}
	req, resp := string(make([]byte, 1200)), string(make([]byte, 1200))
	segs := []Segment{
		seg(true, 0, 1000, syn, ""), seg(false, 1, 5000, synack, ""), seg(true, 2, 1001, ack, req),
		seg(false, 3, 5001, ack, resp), seg(false, 4, 6201, ack, resp), seg(true, 5, 2201, ack, ""),
		seg(true, 6, 2201, FlagFIN|ack, ""), seg(false, 7, 7401, FlagFIN|ack, ""), seg(true, 8, 2202, ack, ""),
	}
	b.ReportAllocs()
	for i := range b.N {
		port := uint16(1024 + i%60000)
		for j := range segs {
			s := segs[j]
			if s.Src == cliEP {
				s.Src.Port, s.Dst.Port = port, srvPort
			} else {
				s.Src.Port, s.Dst.Port = srvPort, port
			}
			s.Time += int64(i) * 1000
			tab.Process(&s)
		}
	}
}

// BenchmarkTableSYNFlood is a SYN from a new source each time into a full
// table (1000 flows): a lookup, an eviction and an open per packet.
func BenchmarkTableSYNFlood(b *testing.B) {
	tab, err := NewTable(Config{MaxFlows: 1000}, func(*Flow) {})
	if err != nil {
		b.Fatal(err)
	}
	s := seg(true, 0, 1000, syn, "")
	b.ReportAllocs()
	for i := range b.N {
		binary.BigEndian.PutUint32(s.Src.Addr[12:], uint32(i))
		s.Time = int64(i) * 1000
		tab.Process(&s)
	}
}
