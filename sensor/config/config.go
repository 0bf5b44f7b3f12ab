package config

import (
	"math"
	"os"
	"runtime"
	"time"

	"github.com/tlsentry/tlsentry/bpf"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/sensor/afpacket"
	"github.com/tlsentry/tlsentry/sensor/allowlist"
	"github.com/tlsentry/tlsentry/sensor/blocklist"
	"github.com/tlsentry/tlsentry/sensor/evelog"
	"github.com/tlsentry/tlsentry/sensor/fleet"
	"github.com/tlsentry/tlsentry/sensor/natsout"
	"github.com/tlsentry/tlsentry/sensor/pcapdump"
	"github.com/tlsentry/tlsentry/sensor/pipeline"
	"github.com/tlsentry/tlsentry/sensor/ratelimit"
)

// Config is the sensor's whole configuration. The yaml tags are the key
// names; fields tagged reload:"hot" take effect on reload, the others only
// on restart (see Diff).
type Config struct {
	Sensor    Sensor           `yaml:"sensor"`
	Capture   Capture          `yaml:"capture"`
	Flow      flow.Config      `yaml:"flow"`
	Detector  Detector         `yaml:"detector"`
	Allowlist allowlist.Config `yaml:"allowlist"`
	Blocklist blocklist.Config `yaml:"blocklist"`
	Alerts    ratelimit.Config `yaml:"alerts"`
	Beacon    Beacon           `yaml:"beacon"`
	Scan      Scan             `yaml:"scan"`
	Output    Output           `yaml:"output"`
	Metrics   Metrics          `yaml:"metrics"`
	Fleet     fleet.Config     `yaml:"fleet"`

	// src locates keys in the file the config came from, so that errors
	// found after parsing still name a line. Nil for a Config built in code.
	src *source
}

// Sensor identifies this sensor in its alerts.
type Sensor struct {
	Name string `yaml:"name" reload:"hot"` // default: the host name
}

// Capture is where packets come from. Its bounds are those of
// afpacket.Config (the sockets) and bpf.Config (the filter), which it
// converts to (AFPacket, Filter).
type Capture struct {
	Interfaces []string `yaml:"interfaces"`   // live capture needs at least one
	Ports      []int    `yaml:"ports"`        // watched TCP and UDP ports, 1-65535, no repeats
	Workers    int      `yaml:"workers"`      // capture sockets and flow tables per interface
	RingSizeMB int      `yaml:"ring_size_mb"` // AF_PACKET ring per worker
	// BlockSizeKB is the TPACKET_V3 block size, a power of two; the ring is
	// a whole number of blocks.
	BlockSizeKB  int           `yaml:"block_size_kb"`
	BlockTimeout time.Duration `yaml:"block_timeout"` // hand a block over when it is this old, full or not
	Promiscuous  bool          `yaml:"promiscuous"`
	// BPF attaches the eBPF socket filter; BPFMapEntries sizes its per-flow
	// LRU map, BPFBudgetBytes is how many payload bytes per direction of a
	// TCP flow it passes before keeping the rest in the kernel, and
	// BPFBudgetPackets how many datagrams per direction of a UDP flow.
	BPF              bool `yaml:"bpf"`
	BPFMapEntries    int  `yaml:"bpf_map_entries"`
	BPFBudgetBytes   int  `yaml:"bpf_budget_bytes"`
	BPFBudgetPackets int  `yaml:"bpf_budget_packets"`
}

// Detector is the model and how flows reach it; the batch and queue
// settings are a pipeline.Tuning (Tuning).
type Detector struct {
	Model string `yaml:"model"` // model file; empty: the embedded default
	// Threshold overrides the model's alert threshold; AlertRate instead
	// picks the threshold that flagged that share of the model's training
	// flows (see ResolveThreshold). Zero: unset. At most one is set.
	Threshold      float64       `yaml:"threshold" reload:"hot"`
	AlertRate      float64       `yaml:"alert_rate" reload:"hot"`
	BatchSize      int           `yaml:"batch_size"`      // flows scored together
	BatchTimeout   time.Duration `yaml:"batch_timeout"`   // most a flow waits for its batch to fill
	QueueSize      int           `yaml:"queue_size"`      // flows waiting to be scored; live, more are shed (by priority and source) and counted
	ScoringWorkers int           `yaml:"scoring_workers"` // scorers working in parallel; default: one per CPU
}

// Output is where alerts and the sensor's own log go; the rotation
// settings are an evelog.Rotation (Rotation).
type Output struct {
	AlertLog string `yaml:"alert_log" reload:"hot"` // JSON lines, one alert each
	FlowLog  string `yaml:"flow_log" reload:"hot"`  // every scored flow; empty: off
	Stdout   bool   `yaml:"stdout" reload:"hot"`    // also print alerts to stdout
	// TLSLog gets one tls record per TLS session (TCP and QUIC), alerting
	// or not, as Suricata's tls log; empty: off.
	TLSLog string `yaml:"tls_log" reload:"hot"`
	// RotateSizeMB and RotateAge start a new file when the current one is
	// this big or this old (0: never); MaxBackups rotated files are kept.
	RotateSizeMB  int           `yaml:"rotate_size_mb" reload:"hot"`
	RotateAge     time.Duration `yaml:"rotate_age" reload:"hot"`
	MaxBackups    int           `yaml:"max_backups" reload:"hot"`
	IncludePrefix bool          `yaml:"include_prefix" reload:"hot"` // put the flow's prefix (base64) in alerts
	// IncludeHandshake puts the raw handshake bytes in flow records (file
	// and NATS), so that a model can be trained on the records.
	IncludeHandshake bool `yaml:"include_handshake" reload:"hot"`
	// AlertPcapDir, when set, gets one pcap per alerting flow (its kept
	// packets), AlertPcapMaxMB at most in all, the oldest removed first.
	AlertPcapDir   string `yaml:"alert_pcap_dir" reload:"hot"`
	AlertPcapMaxMB int    `yaml:"alert_pcap_max_mb" reload:"hot"`
	LogLevel       string `yaml:"log_level" reload:"hot"` // debug, info, warn or error
	Log            string `yaml:"log" reload:"hot"`       // the daemon's own log; empty: stderr
	// NATS publishes the records to JetStream too (natsout.Config; off
	// without servers). Changing it takes a restart.
	NATS natsout.Config `yaml:"nats"`
}

// AFPacket is the capture on iface as package afpacket takes it.
func (c Capture) AFPacket(iface string) afpacket.Config {
	return afpacket.Config{
		Interface:    iface,
		Workers:      c.Workers,
		RingBytes:    c.RingSizeMB << 20,
		BlockSize:    c.BlockSizeKB << 10,
		BlockTimeout: c.BlockTimeout,
		Promiscuous:  c.Promiscuous,
		TickInterval: afpacket.DefaultTickInterval,
	}
}

// PortList is the watched ports as 16-bit numbers (validated: 1-65535).
func (c Capture) PortList() []uint16 {
	out := make([]uint16, len(c.Ports))
	for i, p := range c.Ports {
		out[i] = uint16(p)
	}
	return out
}

// Filter is the eBPF filter's configuration.
func (c Capture) Filter() bpf.Config {
	return bpf.Config{
		Ports:        c.PortList(),
		MapEntries:   clampUint32(c.BPFMapEntries),
		ClientBudget: clampUint32(c.BPFBudgetBytes),
		ServerBudget: clampUint32(c.BPFBudgetBytes),
		UDPPackets:   clampUint32(c.BPFBudgetPackets),
	}
}

// clampUint32 keeps an int inside uint32 (its bounds are checked after).
func clampUint32(v int) uint32 { return uint32(min(max(v, 0), math.MaxUint32)) }

// Tuning is the pipeline's batch, queue and worker settings.
func (d Detector) Tuning() pipeline.Tuning {
	return pipeline.Tuning{BatchSize: d.BatchSize, BatchTimeout: d.BatchTimeout, QueueSize: d.QueueSize, Workers: d.ScoringWorkers}
}

// Pcaps is where alerts' pcaps go (Dir empty: nowhere).
func (o Output) Pcaps() pcapdump.Config {
	return pcapdump.Config{Dir: o.AlertPcapDir, MaxBytes: int64(o.AlertPcapMaxMB) << 20}
}

// Rotation is the alert and flow logs' rotation.
func (o Output) Rotation() evelog.Rotation {
	return evelog.Rotation{MaxBytes: int64(o.RotateSizeMB) << 20, MaxAge: o.RotateAge, MaxBackups: o.MaxBackups}
}

// Metrics is the Prometheus endpoint.
type Metrics struct {
	Listen string `yaml:"listen"` // host:port; empty: no metrics endpoint
}

// Log levels Output.LogLevel accepts.
var LogLevels = []string{"debug", "info", "warn", "error"}

// DefaultPorts are the ports watched when capture.ports is not set: the
// usual TLS ports (HTTPS and its alternate, SMTPS, IMAPS, POP3S, LDAPS and
// DNS over TLS), as a sensor on a span port should watch them.
func DefaultPorts() []int { return []int{443, 8443, 465, 993, 995, 636, 853} }

// Default returns the configuration a file with no keys gives: the host
// name as sensor name, one capture worker per CPU (at most MaxWorkers),
// DefaultPorts, the flow table defaults of flow.DefaultConfig, and no
// interfaces (live capture needs them set).
func Default() *Config {
	name, err := os.Hostname()
	if err != nil || name == "" {
		name = "tlsentry"
	}
	ac := afpacket.DefaultConfig("")
	bc := bpf.DefaultConfig()
	tuning := pipeline.DefaultTuning()
	return &Config{
		Sensor: Sensor{Name: name},
		Capture: Capture{
			Ports:            DefaultPorts(),
			Workers:          min(runtime.NumCPU(), afpacket.MaxWorkers),
			RingSizeMB:       ac.RingBytes >> 20,
			BlockSizeKB:      ac.BlockSize >> 10,
			BlockTimeout:     ac.BlockTimeout,
			Promiscuous:      ac.Promiscuous,
			BPF:              true,
			BPFMapEntries:    int(bc.MapEntries),
			BPFBudgetBytes:   int(bc.ClientBudget),
			BPFBudgetPackets: int(bc.UDPPackets),
		},
		Flow: flow.DefaultConfig(),
		Detector: Detector{
			BatchSize:      tuning.BatchSize,
			BatchTimeout:   tuning.BatchTimeout,
			QueueSize:      tuning.QueueSize,
			ScoringWorkers: tuning.Workers,
		},
		Alerts: ratelimit.DefaultConfig(),
		Beacon: DefaultBeacon(),
		Scan:   DefaultScan(),
		Output: Output{
			AlertLog:       "/var/log/tlsentry/alerts.json",
			RotateSizeMB:   100,
			MaxBackups:     10,
			IncludePrefix:  true,
			AlertPcapMaxMB: 1024,
			LogLevel:       "info",
			NATS:           natsout.DefaultConfig(),
		},
		Metrics: Metrics{Listen: "127.0.0.1:9560"},
		Fleet:   fleet.DefaultConfig(),
	}
}
