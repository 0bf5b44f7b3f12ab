package config

import (
	"os"
	"runtime"
	"time"

	"github.com/tlsentry/tlsentry/flow"
)

// Config is the sensor's whole configuration. The yaml tags are the key
// names; fields tagged reload:"hot" take effect on reload, the others only
// on restart (see Diff).
type Config struct {
	Sensor    Sensor    `yaml:"sensor"`
	Capture   Capture   `yaml:"capture"`
	Flow      Flow      `yaml:"flow"`
	Detector  Detector  `yaml:"detector"`
	Allowlist Allowlist `yaml:"allowlist"`
	Output    Output    `yaml:"output"`
	Metrics   Metrics   `yaml:"metrics"`

	// src locates keys in the file the config came from, so that errors
	// found after parsing still name a line. Nil for a Config built in code.
	src *source
}

// Sensor identifies this sensor in its alerts.
type Sensor struct {
	Name string `yaml:"name" reload:"hot"` // default: the host name
}

// Capture is where packets come from.
type Capture struct {
	Interfaces []string `yaml:"interfaces"`   // live capture needs at least one
	Ports      []int    `yaml:"ports"`        // watched TCP ports, 1-65535, no repeats
	Workers    int      `yaml:"workers"`      // capture sockets and flow tables, 1-64
	RingSizeMB int      `yaml:"ring_size_mb"` // AF_PACKET ring per worker
	// BlockSizeKB is the TPACKET_V3 block size, a power of two; the ring is
	// a whole number of blocks.
	BlockSizeKB  int           `yaml:"block_size_kb"`
	BlockTimeout time.Duration `yaml:"block_timeout"` // hand a block over when it is this old, full or not
	Promiscuous  bool          `yaml:"promiscuous"`
	// BPF attaches the eBPF socket filter; BPFMapEntries sizes its per-flow
	// LRU map and BPFBudgetBytes is how many payload bytes per direction
	// of a flow it passes before keeping the rest in the kernel.
	BPF            bool `yaml:"bpf"`
	BPFMapEntries  int  `yaml:"bpf_map_entries"`
	BPFBudgetBytes int  `yaml:"bpf_budget_bytes"`
}

// Flow bounds the flow tables: the fields of flow.Config.
type Flow struct {
	MaxFlows       int           `yaml:"max_flows"`
	IdleTimeout    time.Duration `yaml:"idle_timeout"`
	MaxAge         time.Duration `yaml:"max_age"`
	ClosedTimeout  time.Duration `yaml:"closed_timeout"`
	HandshakeLimit int           `yaml:"handshake_limit"`
	ScanLimit      int           `yaml:"scan_limit"`
	MaxPending     int           `yaml:"max_pending"`
}

// TableConfig is f as the flow package takes it. MaxFlows is the bound
// for all tables together, as flow.NewSharded divides it.
func (f Flow) TableConfig() flow.Config {
	return flow.Config{
		MaxFlows:       f.MaxFlows,
		IdleTimeout:    f.IdleTimeout,
		MaxAge:         f.MaxAge,
		ClosedTimeout:  f.ClosedTimeout,
		HandshakeLimit: f.HandshakeLimit,
		ScanLimit:      f.ScanLimit,
		MaxPending:     f.MaxPending,
	}
}

// Detector is the model and how flows reach it.
type Detector struct {
	Model string `yaml:"model"` // model file; empty: the embedded default
	// Threshold overrides the model's alert threshold; AlertRate instead
	// picks the threshold that flagged that share of the model's training
	// flows (see ResolveThreshold). Zero: unset. At most one is set.
	Threshold      float64       `yaml:"threshold" reload:"hot"`
	AlertRate      float64       `yaml:"alert_rate" reload:"hot"`
	BatchSize      int           `yaml:"batch_size"`      // flows scored together
	BatchTimeout   time.Duration `yaml:"batch_timeout"`   // most a flow waits for its batch to fill
	QueueSize      int           `yaml:"queue_size"`      // flows waiting to be scored; more are dropped and counted
	ScoringWorkers int           `yaml:"scoring_workers"` // scorers working in parallel
}

// Allowlist names flows that are never alerted on. Entries keep the text
// of the file; package allowlist compiles them.
type Allowlist struct {
	// SNISuffixes match a server name and all names below it, by whole
	// labels, ignoring case and a trailing dot.
	SNISuffixes []string `yaml:"sni_suffixes" reload:"hot"`
	JA3         []string `yaml:"ja3" reload:"hot"`   // JA3 hashes, 32 hex digits
	JA4         []string `yaml:"ja4" reload:"hot"`   // JA4 fingerprints
	CIDRs       []string `yaml:"cidrs" reload:"hot"` // a flow with either end inside is allowed
}

// Output is where alerts and the sensor's own log go.
type Output struct {
	AlertLog string `yaml:"alert_log" reload:"hot"` // JSON lines, one alert each
	FlowLog  string `yaml:"flow_log" reload:"hot"`  // every scored flow; empty: off
	Stdout   bool   `yaml:"stdout" reload:"hot"`    // also print alerts to stdout
	// RotateSizeMB and RotateAge start a new file when the current one is
	// this big or this old (0: never); MaxBackups rotated files are kept.
	RotateSizeMB  int           `yaml:"rotate_size_mb" reload:"hot"`
	RotateAge     time.Duration `yaml:"rotate_age" reload:"hot"`
	MaxBackups    int           `yaml:"max_backups" reload:"hot"`
	IncludePrefix bool          `yaml:"include_prefix" reload:"hot"` // put the flow's prefix (base64) in alerts
	LogLevel      string        `yaml:"log_level" reload:"hot"`      // debug, info, warn or error
	Log           string        `yaml:"log" reload:"hot"`            // the daemon's own log; empty: stderr
}

// Metrics is the Prometheus endpoint.
type Metrics struct {
	Listen string `yaml:"listen"` // host:port; empty: no metrics endpoint
}

// Log levels Output.LogLevel accepts.
var LogLevels = []string{"debug", "info", "warn", "error"}

// MaxWorkers bounds Capture.Workers and Detector.ScoringWorkers.
const MaxWorkers = 64

// Default returns the configuration a file with no keys gives: the host
// name as sensor name, one capture worker per CPU (at most MaxWorkers),
// port 443, the flow table defaults of flow.DefaultConfig, and no
// interfaces (live capture needs them set).
func Default() *Config {
	name, err := os.Hostname()
	if err != nil || name == "" {
		name = "tlsentry"
	}
	ft := flow.DefaultConfig()
	return &Config{
		Sensor: Sensor{Name: name},
		Capture: Capture{
			Ports:          []int{443},
			Workers:        min(runtime.NumCPU(), MaxWorkers),
			RingSizeMB:     64,
			BlockSizeKB:    1024,
			BlockTimeout:   10 * time.Millisecond,
			Promiscuous:    true,
			BPF:            true,
			BPFMapEntries:  1 << 17,
			BPFBudgetBytes: 17408,
		},
		Flow: Flow{
			MaxFlows:       ft.MaxFlows,
			IdleTimeout:    ft.IdleTimeout,
			MaxAge:         ft.MaxAge,
			ClosedTimeout:  ft.ClosedTimeout,
			HandshakeLimit: ft.HandshakeLimit,
			ScanLimit:      ft.ScanLimit,
			MaxPending:     ft.MaxPending,
		},
		Detector: Detector{
			BatchSize:      256,
			BatchTimeout:   100 * time.Millisecond,
			QueueSize:      4096,
			ScoringWorkers: 1,
		},
		Output: Output{
			AlertLog:      "/var/log/tlsentry/alerts.json",
			RotateSizeMB:  100,
			MaxBackups:    10,
			IncludePrefix: true,
			LogLevel:      "info",
		},
		Metrics: Metrics{Listen: "127.0.0.1:9560"},
	}
}
