package pipeline

import (
	"sync"
	"time"

	"go.uber.org/zap"
)

// shedHealthEvery is the least time between two health lines about
// shedding: a flood sheds thousands of flows a second, the daemon's log
// says so once in a while, with the counts.
const shedHealthEvery = 10 * time.Second

// shedHealth writes the rate-limited health line of a shedding pipeline:
// how many flows were shed since the last line, by reason.
type shedHealth struct {
	log      *zap.Logger
	capacity int // the backlog's, for the line

	mu      sync.Mutex
	last    time.Time // of the last line; zero: none yet
	pending map[string]uint64
	total   uint64
	// Shed flows whose flow log record the full shed log dropped, since
	// the last line and in all.
	recordsDropped, recordsDroppedTotal uint64
	now                                 func() time.Time // tests
}

func newShedHealth(log *zap.Logger, capacity int) *shedHealth {
	return &shedHealth{log: log, capacity: capacity, pending: map[string]uint64{}, now: time.Now}
}

// note counts one flow shed, and writes the line if the last one is old
// enough (the first shed flow is told at once).
func (h *shedHealth) note(why string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pending[why]++
	h.total++
	if now := h.now(); h.last.IsZero() || now.Sub(h.last) >= shedHealthEvery {
		h.writeLocked(now)
	}
}

// recordDropped counts a shed flow whose record the full shed log
// dropped (told with the next line).
func (h *shedHealth) recordDropped() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recordsDropped++
	h.recordsDroppedTotal++
}

// flush writes what was shed since the last line, if anything (at the end
// of a run).
func (h *shedHealth) flush() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.pending) > 0 {
		h.writeLocked(h.now())
	}
}

func (h *shedHealth) writeLocked(now time.Time) {
	fields := []zap.Field{zap.Int("queue_size", h.capacity), zap.Uint64("shed_total", h.total)}
	if !h.last.IsZero() {
		fields = append(fields, zap.Duration("since_last", now.Sub(h.last)))
	}
	for why, n := range h.pending {
		fields = append(fields, zap.Uint64("shed_"+why, n))
	}
	if h.recordsDroppedTotal > 0 {
		fields = append(fields, zap.Uint64("records_dropped", h.recordsDropped), zap.Uint64("records_dropped_total", h.recordsDroppedTotal))
	}
	h.log.Warn("scoring falls behind: flows shed unscored (the flow log marks them; raise detector.scoring_workers or detector.queue_size)", fields...)
	clear(h.pending)
	h.recordsDropped = 0
	h.last = now
}
