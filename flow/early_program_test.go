package flow

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/tlsentry/tlsentry/internal/exeimage"
)

// stageWrites are a stager handler's writes: a 4-byte length, then a
// 2100-byte PE in 700-byte pieces.
func stageWrites() []string {
	pe := bytes.Repeat([]byte{0x90}, 2100)
	exeimage.WritePE(pe, exeimage.PEHeaderAt)
	w := []string{string(binary.LittleEndian.AppendUint32(nil, uint32(len(pe))))}
	for len(pe) > 0 {
		n := min(700, len(pe))
		w, pe = append(w, string(pe[:n])), pe[n:]
	}
	return w
}

// TestProgramOnOtherPortDecided: on a port that is not a TLS port (443
// here, with only 8443 listed), a connection that opens with a program
// sent raw is decided at the packet that fills the prefix, whichever side
// sent it; other bytes, and a program on an active FTP data connection,
// wait as before.
func TestProgramOnOtherPortDecided(t *testing.T) {
	cfg := Config{TLSPorts: []int{8443}}
	for _, fromClient := range []bool{false, true} {
		tab, out := earlyTable(t, cfg)
		openSide(tab, fromClient, stageWrites()...)
		// The length at 3 ms, then 700 bytes a packet: the prefix fills at 5 ms.
		if len(*out) != 1 || (*out)[0].EndReason != EndDecided || !(*out)[0].Decided.Equal(at(5).UTC()) {
			t.Fatalf("from the client %v: got %v, want one flow decided at the packet that filled the prefix", fromClient, *out)
		}
		if r := (*out)[0].PrefixRuns; len(r) != 1 || r[0].FromClient != fromClient {
			t.Errorf("from the client %v: runs %+v", fromClient, r)
		}
	}

	tab, out := earlyTable(t, cfg)
	openSide(tab, true, string(bytes.Repeat([]byte{0x17, 0x42}, 700)))
	tab.Advance(at(3000))
	if len(*out) != 0 {
		t.Fatalf("other bytes were decided: %v", *out)
	}

	tab, out = earlyTable(t, cfg)
	segs := []Segment{seg(false, 0, 1000, syn, ""), seg(true, 1, 5000, synack, ""), seg(false, 2, 1001, ack, "")}
	seq := uint32(1001)
	for i, p := range stageWrites() {
		segs = append(segs, seg(false, 3+i, seq, ack, p))
		seq += uint32(len(p))
	}
	for i := range segs { // the FTP server opens the data connection from port 20
		if segs[i].Src == srvEP {
			segs[i].Src.Port = 20
		} else {
			segs[i].Dst.Port = 20
		}
		tab.Process(&segs[i])
	}
	tab.Advance(at(3000))
	if len(*out) != 0 {
		t.Fatalf("an active FTP data connection was decided: %v", *out)
	}
}
