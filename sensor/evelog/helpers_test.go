package evelog

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// body is a record with an id, so tests can count every line.
func body(id int) []byte {
	return fmt.Appendf(nil, `{"id":%d,"src_ip":"10.0.0.1","pad":%q}`, id, strings.Repeat("x", 100))
}

// readIDs reads every line of the files, checks that each is a JSON
// object with the header, and counts the ids it holds.
func readIDs(t *testing.T, files ...string) map[int]int {
	t.Helper()
	ids := map[int]int{}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var rec struct {
				Timestamp string `json:"timestamp"`
				EventType string `json:"event_type"`
				Sensor    string `json:"host"`
				ID        *int   `json:"id"`
			}
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				t.Fatalf("%s: line %q: %v", name, sc.Bytes(), err)
			}
			if rec.Timestamp == "" || rec.EventType == "" || rec.ID == nil {
				t.Fatalf("%s: line without header or id: %s", name, sc.Bytes())
			}
			ids[*rec.ID]++
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	return ids
}

// logFiles lists path and its numbered backups, oldest first.
func logFiles(t *testing.T, path string) []string {
	t.Helper()
	matches, err := filepath.Glob(path + ".*")
	if err != nil {
		t.Fatal(err)
	}
	num := func(s string) int {
		n, err := strconv.Atoi(strings.TrimPrefix(s, path+"."))
		if err != nil {
			return -1
		}
		return n
	}
	matches = slices.DeleteFunc(matches, func(s string) bool { return num(s) < 0 })
	sort.Slice(matches, func(i, j int) bool { return num(matches[i]) > num(matches[j]) })
	if _, err := os.Stat(path); err == nil {
		matches = append(matches, path)
	}
	return matches
}

// checkOnce checks that ids 0..n-1 each appear exactly once.
func checkOnce(t *testing.T, ids map[int]int, n int) {
	t.Helper()
	if len(ids) != n {
		t.Errorf("%d distinct ids, want %d", len(ids), n)
	}
	for id, c := range ids {
		if c != 1 || id < 0 || id >= n {
			t.Errorf("id %d seen %d times", id, c)
		}
	}
}

// fakeClock is a wall clock the test moves.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
