package pipeline

import (
	"errors"
	"fmt"
	"runtime"
	"time"

	"go.uber.org/zap"

	"github.com/tlsentry/tlsentry/detector/beacon"
	"github.com/tlsentry/tlsentry/detector/scan"
	"github.com/tlsentry/tlsentry/detector/scoring"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/internal/bounds"
	"github.com/tlsentry/tlsentry/sensor/afpacket"
	"github.com/tlsentry/tlsentry/sensor/metrics"
	"github.com/tlsentry/tlsentry/sensor/ratelimit"
	"github.com/tlsentry/tlsentry/sensor/verdict"
)

// Tuning sizes the stages between the flow tables and the sink. The
// daemon's configuration (detector.batch_size ...) converts to it.
type Tuning struct {
	// BatchSize flows are scored together. A batch leaves its table when
	// full, or, on a live capture, at the first tick after its first flow
	// waited BatchTimeout.
	BatchSize    int
	BatchTimeout time.Duration
	// QueueSize bounds the flows waiting for a worker.
	QueueSize int
	// Workers parse, score, judge and encode batches in parallel, each
	// with its own scorer.
	Workers int
}

// Bounds of a Tuning.
const (
	MaxBatchSize    = 65536
	MinBatchTimeout = time.Millisecond
	MaxBatchTimeout = time.Minute
	MaxQueueSize    = 1 << 20
	MaxWorkers      = 64
)

// DefaultTuning is what the daemon runs with unless configured otherwise:
// a scorer per CPU (an idle one costs nothing; a flood needs them all).
func DefaultTuning() Tuning {
	return Tuning{BatchSize: 256, BatchTimeout: 100 * time.Millisecond, QueueSize: 4096,
		Workers: min(runtime.NumCPU(), MaxWorkers)}
}

// Validate reports every value out of its bounds (*bounds.Error each).
func (t Tuning) Validate() error {
	var errs []error
	bounds.Int(&errs, "BatchSize", t.BatchSize, 1, MaxBatchSize)
	bounds.Duration(&errs, "BatchTimeout", t.BatchTimeout, MinBatchTimeout, MaxBatchTimeout)
	bounds.Int(&errs, "QueueSize", t.QueueSize, 1, MaxQueueSize)
	bounds.Int(&errs, "Workers", t.Workers, 1, MaxWorkers)
	return errors.Join(errs...)
}

// MaxShards bounds Config.Shards: a flow table each (and a goroutine
// each, for capture files), one per capture worker at most.
const MaxShards = afpacket.MaxWorkers

// ValidateShards reports a shard count out of its bounds (a
// *bounds.Error for the field "Shards").
func ValidateShards(n int) error {
	var errs []error
	bounds.Int(&errs, "Shards", n, 1, MaxShards)
	return errors.Join(errs...)
}

// Config sets up a Pipeline.
type Config struct {
	// Shards is the number of flow tables: one per capture worker.
	Shards int
	// Ports are the watched ports, TCP and UDP: segments with neither
	// port in it are not tracked. Empty: every port.
	Ports []uint16
	// Table bounds the tables; its MaxFlows is for all of them together.
	Table flow.Config
	Tuning

	// DropWhenBehind sheds flows when the queue is full, so that a live
	// capture never waits for the workers: the flows of the lowest
	// priority first, and among those the oldest of the source holding
	// most of the queue (backlog). Shed flows are counted by reason and
	// logged unscored. Without it the tables wait for room: for capture
	// files, where waiting only slows the reading down. Once the source
	// has stopped, the pipeline always waits, so a shutdown handles every
	// flow.
	DropWhenBehind bool
	// Ordered commits batches to the sink in the order the tables handed
	// out their flows (with one table: the same output on every run). An
	// ordered pipeline never sheds.
	Ordered bool
	// EmptyFlows passes flows without payload to the sink (unscored);
	// otherwise they are only counted.
	EmptyFlows bool

	// ParseTLS parses each flow's handshake once, for the scorer, the
	// verdict and the sink.
	ParseTLS bool
	// CertCacheSize bounds the certificates remembered across flows;
	// 0: 4096.
	CertCacheSize int
	// ServerMemory bounds the servers whose certificate evidence is kept
	// for the sessions they resume later (detector/recall); 0: 4096.
	ServerMemory int
	// NewScorer, when set, gives each worker its own scorer; flows with
	// payload are scored. Model names the model in verdicts.
	NewScorer func() (scoring.Scorer, error)
	Model     string
	// ModelInfo describes the model in the metrics (tlsentry_model_info,
	// with the policy's threshold); its Name defaults to Model.
	ModelInfo metrics.ModelInfo
	// Policy, when set, judges every scored flow (see SetPolicy).
	Policy *verdict.Policy
	// Limiter, when set, holds back repeated alerts (its rules can be
	// swapped while the pipeline runs).
	Limiter *ratelimit.Limiter

	// Beacons, when set, is fed every flow the tables hand out (scored or
	// not, shed, allowlisted, without payload: all count), in commit
	// order; its findings that the allowlist lets through are alert
	// records of their own (Batch.Beacons), rate limited by Limiter. Flows
	// without payload then reach the sink as with EmptyFlows (unscored).
	Beacons *beacon.Tracker
	// Scans, when set with NewScorer, is given each scored flow's hello;
	// a hello of a scan takes a context fact (gather.go).
	Scans *scan.Tracker

	// Sink takes the flows.
	Sink Sink

	// Metrics; nil: counted in a registry of the pipeline's own.
	Metrics *metrics.Metrics
	// Log is the daemon's own log; nil: none.
	Log *zap.Logger
}

const defaultCertCacheSize = 4096

func (c *Config) check() error {
	c.Table = c.Table.WithDefaults()
	var errs []error
	if err := ValidateShards(c.Shards); err != nil {
		errs = append(errs, err)
	}
	if err := c.Tuning.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Table.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Ordered && c.DropWhenBehind {
		errs = append(errs, errors.New("an ordered pipeline cannot shed flows (DropWhenBehind)"))
	}
	if c.Sink == nil {
		errs = append(errs, errors.New("no sink"))
	}
	if c.Policy != nil && c.NewScorer == nil {
		errs = append(errs, errors.New("a policy without a scorer"))
	}
	if c.Policy != nil {
		if err := c.Policy.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	return nil
}
