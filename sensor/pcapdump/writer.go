package pcapdump

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/internal/bounds"
)

// Config is where the files go and how much room they may take: the
// output section's alert_pcap_dir and alert_pcap_max_mb.
type Config struct {
	Dir      string
	MaxBytes int64
}

// Bounds of a Config.
const (
	MinBytes = 1 << 20
	MaxBytes = 1 << 40
)

// Validate reports every value out of its bounds (a *bounds.Error each).
func (c Config) Validate() error {
	var errs []error
	if c.Dir == "" {
		bounds.Add(&errs, "Dir", "no folder given")
	}
	bounds.Int64(&errs, "MaxBytes", c.MaxBytes, MinBytes, MaxBytes)
	return errors.Join(errs...)
}

// Writer writes one pcap per alerting flow into a bounded folder. It is
// safe for concurrent use.
type Writer struct {
	cfg   Config
	mu    sync.Mutex
	files []entry // oldest first
	total int64
	seq   uint64 // files written: names never repeat
}

type entry struct {
	name string
	size int64
}

const suffix = ".pcap"

// Open makes the folder if needed and takes the pcap files already in it
// into account (oldest first by modification time).
func Open(cfg Config) (*Writer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("pcapdump: %w", err)
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("pcapdump: %w", err)
	}
	ents, err := os.ReadDir(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("pcapdump: %w", err)
	}
	w := &Writer{cfg: cfg}
	type found struct {
		entry
		mod int64
	}
	var old []found
	for _, e := range ents {
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), suffix) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		old = append(old, found{entry{e.Name(), info.Size()}, info.ModTime().UnixNano()})
	}
	slices.SortFunc(old, func(a, b found) int { return int(a.mod - b.mod) })
	for _, o := range old {
		w.files = append(w.files, o.entry)
		w.total += o.size
	}
	w.mu.Lock()
	err = w.makeRoom(0)
	w.mu.Unlock()
	return w, err
}

// Write writes the flow's packets to a new file in the folder, after
// making room for it, and returns its path (named by the flow's last
// packet time and id: tlsentry-20261101T120000.006000-FLOWID-N.pcap).
func (w *Writer) Write(f *flow.Flow) (string, error) {
	pkts, err := packets(f)
	if err != nil {
		return "", fmt.Errorf("pcapdump: flow %d: %w", f.ID, err)
	}
	var b bytes.Buffer
	pw := pcapgo.NewWriterNanos(&b)
	if err := pw.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		return "", fmt.Errorf("pcapdump: %w", err)
	}
	for _, p := range pkts {
		ci := gopacket.CaptureInfo{Timestamp: p.t, CaptureLength: len(p.data), Length: len(p.data)}
		if err := pw.WritePacket(ci, p.data); err != nil {
			return "", fmt.Errorf("pcapdump: %w", err)
		}
	}
	size := int64(b.Len())
	if size > w.cfg.MaxBytes {
		return "", fmt.Errorf("pcapdump: flow %d: %d bytes, more than the folder's bound", f.ID, size)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seq++
	name := fmt.Sprintf("tlsentry-%s-%d-%d%s", f.End.UTC().Format("20060102T150405.000000"), f.ID, w.seq, suffix)
	if err := w.makeRoom(size); err != nil {
		return "", err
	}
	path := filepath.Join(w.cfg.Dir, name)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b.Bytes(), 0o640); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("pcapdump: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("pcapdump: %w", err)
	}
	w.files = append(w.files, entry{name, size})
	w.total += size
	return path, nil
}

// makeRoom removes the oldest files until size more bytes fit.
func (w *Writer) makeRoom(size int64) error {
	for w.total+size > w.cfg.MaxBytes && len(w.files) > 0 {
		old := w.files[0]
		if err := os.Remove(filepath.Join(w.cfg.Dir, old.name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("pcapdump: making room: %w", err)
		}
		w.files = w.files[1:]
		w.total -= old.size
	}
	return nil
}

// Stats is what the folder holds now.
func (w *Writer) Stats() (files int, bytes int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.files), w.total
}

// SetMaxBytes changes the bound (a reload), making room at once.
func (w *Writer) SetMaxBytes(n int64) error {
	if n < MinBytes || n > MaxBytes {
		return fmt.Errorf("pcapdump: bound %d out of range", n)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cfg.MaxBytes = n
	return w.makeRoom(0)
}
