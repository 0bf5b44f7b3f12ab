package sharedpcaps

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// QUICClientHelloCounts reads clienthello-counts.txt: per capture, the
// QUIC ClientHello messages Wireshark 4.0 dissects (the second column).
// Captures without any are left out.
func QUICClientHelloCounts(tb testing.TB) map[string]int {
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
		n, err := strconv.Atoi(fields[1])
		if err != nil {
			tb.Fatalf("clienthello counts: %v", fmt.Errorf("line %q: %w", sc.Text(), err))
		}
		if n > 0 {
			out[fields[2]] = n
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("clienthello counts: %v", err)
	}
	return out
}
