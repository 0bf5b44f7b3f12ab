package quic

import (
	"encoding/hex"
	"slices"
	"testing"
)

// datagram is one UDP payload of a flow and its direction.
type datagram struct {
	fromClient bool
	b          []byte
}

// readDatagrams reads testdata/NAME: "c HEX" and "s HEX" lines, a flow's
// UDP payloads in capture order.
func readDatagrams(tb testing.TB, name string) []datagram {
	tb.Helper()
	var out []datagram
	hexLines(tb, name, func(dir string, b []byte) { out = append(out, datagram{dir == "c", b}) })
	return out
}

// legacyConn feeds a flow's datagrams to a new Conn, as the flow table
// does: the first one only when LooksLikeQUIC opens the flow.
func legacyConn(t *testing.T, name string) *Conn {
	t.Helper()
	ds := readDatagrams(t, name)
	if !LooksLikeQUIC(ds[0].b) {
		t.Fatalf("%s: the client's first packet does not open a flow", name)
	}
	c := NewConn(0)
	for _, d := range ds {
		c.Datagram(d.b, d.fromClient)
	}
	return c
}

// TestLegacyGoogleQUIC: Google QUIC before Q050 sends its hellos in clear.
// The CHLOs are read out of the STREAM frames of the packets whose message
// hash checks (the encrypted ones are counted, not read), and give the
// server names and user agents Wireshark reads and the CYU fingerprints
// Suricata's verification suite expects.
func TestLegacyGoogleQUIC(t *testing.T) {
	for _, c := range []struct {
		file, version, sni, ua string
		cyu                    []string
	}{
		{"gquic-q046-suricata-quic-alerts.txt", "Q046", "clients1.google.com", "Chrome/79.0.3945.117 Linux x86_64", []string{
			// tests/quic-alerts/test.yaml, pcap_cnt 1 and 5
			"46,PAD-SNI-VER-CCS-UAID-TCID-PDMD-SMHL-ICSL-NONP-MIDS-SCLS-CSCT-COPT-IRTT-CFCW-SFCW",
			"46,PAD-SNI-STK-SNO-VER-CCS-NONC-AEAD-UAID-SCID-TCID-PDMD-SMHL-ICSL-NONP-PUBS-MIDS-SCLS-KEXS-XLCT-CSCT-COPT-CCRT-IRTT-CFCW-SFCW",
		}},
		{"gquic-q043-ndpi.txt", "Q043", "dns.google.com", "", nil},
		{"gquic-q039-ndpi.txt", "Q039", "s.youtube.com", "com.google.android.youtube Cronet/63.0.3223.7", nil},
	} {
		t.Run(c.version, func(t *testing.T) {
			conn := legacyConn(t, c.file)
			info := conn.Info()
			if info.Version.String() != c.version || info.DCIDLen != 8 || info.Err != nil {
				t.Errorf("version %s, DCID %d bytes, error %v", info.Version, info.DCIDLen, info.Err)
			}
			if info.Client.Decrypted == 0 || info.Client.Malformed+info.Server.Malformed+info.Client.ProtocolErrors+info.Server.ProtocolErrors > 0 {
				t.Errorf("client %+v, server %+v", info.Client, info.Server)
			}
			hellos, err := ParseGoogleHellos(conn.ClientCrypto())
			if err != nil {
				t.Fatal(err)
			}
			if h := hellos[0]; h.SNI != c.sni || h.UAID != c.ua {
				t.Errorf("SNI %q UAID %q, Wireshark %q %q", h.SNI, h.UAID, c.sni, c.ua)
			}
			var cyu []string
			for _, h := range hellos {
				c, ok := h.CYU(info.Version)
				if !ok {
					t.Fatalf("no CYU in %s", info.Version)
				}
				cyu = append(cyu, c.String)
			}
			if c.cyu != nil && !slices.Equal(cyu, c.cyu) {
				t.Errorf("CYU %q,\nSuricata %q", cyu, c.cyu)
			}
		})
	}
	// The server's REJ of the Q046 flow, in clear too.
	conn := legacyConn(t, "gquic-q046-suricata-quic-alerts.txt")
	if !IsGoogleHandshake(conn.ServerCrypto()) || string(conn.ServerCrypto()[:3]) != "REJ" {
		t.Errorf("server stream %q", conn.ServerCrypto()[:min(8, len(conn.ServerCrypto()))])
	}
	if info := conn.Info(); info.Client.OtherLong+info.Client.ShortHeader == 0 {
		t.Errorf("the client's encrypted packets not counted: %+v", info.Client)
	}
}

// TestLegacyGoogleQUICRefused: a packet whose message hash does not check
// opens no flow and gives no frames; neither does a server's packet, a
// version outside Q039-Q043 and Q046, or a cut one.
func TestLegacyGoogleQUICRefused(t *testing.T) {
	first := readDatagrams(t, "gquic-q043-ndpi.txt")[0].b
	bad := slices.Clone(first)
	bad[len(bad)-1] ^= 1 // one bit of the frames: the hash no longer checks
	if LooksLikeQUIC(bad) {
		t.Error("a packet whose hash does not check opens a flow")
	}
	c := NewConn(0)
	c.Datagram(bad, true)
	if info := c.Info(); info.Version != 0 || len(c.ClientCrypto()) > 0 {
		t.Errorf("%+v", info)
	}
	q044 := slices.Clone(first)
	copy(q044[9:], "Q044")
	if LooksLikeQUIC(q044) || LooksLikeQUIC(first[:40]) {
		t.Error("Q044, or a cut packet, opens a flow")
	}
	for _, d := range readDatagrams(t, "gquic-q046-suricata-quic-alerts.txt") {
		if !d.fromClient && LooksLikeQUIC(d.b) {
			t.Error("a server's packet opens a flow")
		}
	}
	for v, want := range map[Version]bool{VersionQ043: true, VersionQ046: true, 0x51303339: true, 0x51303434: false, VersionQ050: false, Version1: false} {
		if IsLegacyGoogle(v) != want {
			t.Errorf("IsLegacyGoogle(%s) = %v", v, !want)
		}
	}
}

// TestFNV128: the null encryption's hash, against FNV-1a 128's published
// values (the empty input is the offset basis).
func TestFNV128(t *testing.T) {
	for in, want := range map[string]string{
		"":  "6c62272e07bb014262b821756295c58d",
		"a": "d228cb696f1a8caf78912b704e4a8964",
	} {
		var h fnv128
		h.init()
		h.writeString(in)
		got := hex.EncodeToString([]byte{byte(h.hi >> 56), byte(h.hi >> 48), byte(h.hi >> 40), byte(h.hi >> 32), byte(h.hi >> 24), byte(h.hi >> 16), byte(h.hi >> 8), byte(h.hi),
			byte(h.lo >> 56), byte(h.lo >> 48), byte(h.lo >> 40), byte(h.lo >> 32), byte(h.lo >> 24), byte(h.lo >> 16), byte(h.lo >> 8), byte(h.lo)})
		if got != want {
			t.Errorf("FNV-1a 128 of %q = %s, want %s", in, got, want)
		}
	}
}
