package sharedpcaps

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// Dir returns the shared captures folder and whether it is there.
func Dir() (string, bool) {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "pcaps")
	_, err := os.Stat(filepath.Join(dir, "MANIFEST.md"))
	return dir, err == nil
}

// PcapDir returns the shared captures folder, or skips the test when it
// is absent (a clone without ../shared still passes).
func PcapDir(tb testing.TB) string {
	tb.Helper()
	dir, ok := Dir()
	if !ok {
		tb.Skipf("shared captures not found at %s: skipping tests on real captures", dir)
	}
	return dir
}

// Captures lists every capture file under the shared folder, as paths
// relative to it (e.g. "zeek/tls1.2.pcap").
func Captures(tb testing.TB) []string {
	dir := PcapDir(tb)
	var out []string
	for _, sub := range []string{"ja4", "ndpi", "suricata-verify", "zeek"} {
		ents, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			tb.Fatalf("read %s: %v", sub, err)
		}
		for _, e := range ents {
			n := e.Name()
			if strings.HasSuffix(n, ".pcap") || strings.HasSuffix(n, ".pcapng") || strings.HasSuffix(n, ".cap") {
				out = append(out, sub+"/"+n)
			}
		}
	}
	return out
}

// ClientHelloCounts reads clienthello-counts.txt: per capture, the TCP
// ClientHello messages Wireshark 4.0 dissects (the first column).
func ClientHelloCounts(tb testing.TB) map[string]int {
	tb.Helper()
	return helloCounts(tb, 0, true)
}

// QUICClientHelloCounts reads clienthello-counts.txt: per capture, the
// QUIC ClientHello messages Wireshark 4.0 dissects (the second column).
// Captures without any are left out.
func QUICClientHelloCounts(tb testing.TB) map[string]int {
	tb.Helper()
	return helloCounts(tb, 1, false)
}

// helloCounts reads one column of clienthello-counts.txt ("TCP QUIC
// capture" per line); zeros are kept when keepZero.
func helloCounts(tb testing.TB, column int, keepZero bool) map[string]int {
	tb.Helper()
	dir := PcapDir(tb)
	f, err := os.Open(filepath.Join(dir, "clienthello-counts.txt"))
	if err != nil {
		tb.Fatalf("clienthello counts: %v", err)
	}
	defer f.Close()
	out := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 3 {
			continue
		}
		n, err := strconv.Atoi(fields[column])
		if err != nil {
			tb.Fatalf("clienthello counts: %v", fmt.Errorf("line %q: %w", sc.Text(), err))
		}
		if n > 0 || keepZero {
			out[fields[2]] = n
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("clienthello counts: %v", err)
	}
	return out
}

// JA4Stream is one entry of a ja4-expected/*.json file: a stream the JA4
// reference tool saw, with its fingerprints (only those used here).
type JA4Stream struct {
	Stream  int    `json:"stream"`
	Src     string `json:"src"`
	Dst     string `json:"dst"`
	SrcPort string `json:"srcport"`
	DstPort string `json:"dstport"`
	Domain  string `json:"domain"`
	JA4     string `json:"JA4.1"`
	JA4R    string `json:"JA4_r.1"`
	JA4O    string `json:"JA4_o.1"`
	JA4RO   string `json:"JA4_ro.1"`
	JA4L    string `json:"JA4L-C"`
	JA4H    string `json:"JA4H"`
	JA4SSH  string `json:"JA4SSH.1"`
	JA4S    string `json:"JA4S"`
}

// JA4Expected reads the reference output for a ja4/ capture; ok is false
// when there is none.
func JA4Expected(tb testing.TB, capture string) (streams []JA4Stream, ok bool) {
	tb.Helper()
	dir := PcapDir(tb)
	data, err := os.ReadFile(filepath.Join(dir, "ja4-expected", filepath.Base(capture)+".json"))
	if err != nil {
		return nil, false
	}
	if err := json.Unmarshal(data, &streams); err != nil {
		tb.Fatalf("ja4-expected for %s: %v", capture, err)
	}
	return streams, true
}
