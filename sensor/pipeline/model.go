package pipeline

import (
	"cmp"
	"errors"
	"fmt"
	"math/bits"

	"go.uber.org/zap"

	"github.com/tlsentry/tlsentry/detector/scoring"
	"github.com/tlsentry/tlsentry/sensor/metrics"
	"github.com/tlsentry/tlsentry/sensor/verdict"
)

// Model is what a pipeline scores with: a factory of scorers (each
// worker makes its own) and the model's name, which every verdict
// carries (Batch.Model). Info describes it in the metrics
// (tlsentry_model_info); its Name defaults to Name.
type Model struct {
	Name      string
	NewScorer func() (scoring.Scorer, error)
	Info      metrics.ModelInfo
}

// judging is the model and policy in effect, swapped as one so that no
// batch is scored by one model and judged by a threshold meant for
// another. A new *Model pointer is a new model: workers make a new scorer
// when they see one.
type judging struct {
	model  *Model          // nil: no scoring
	policy *verdict.Policy // nil: scores only
}

// SetModel swaps in a new model and the policy that goes with it (its
// threshold is the new model's). It first makes one scorer, so that a
// model that cannot make one is refused and nothing changes. Each worker
// makes its own scorer from m before its next batch; batches already
// being scored finish with the old model.
func (p *Pipeline) SetModel(m Model, pol verdict.Policy) error {
	if m.NewScorer == nil {
		return errors.New("pipeline: a model without a scorer")
	}
	if err := pol.Validate(); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	if _, err := m.NewScorer(); err != nil {
		return fmt.Errorf("pipeline: model %s: %w", m.Name, err)
	}
	p.swapMu.Lock()
	defer p.swapMu.Unlock()
	j := &judging{model: &m, policy: &pol}
	p.judging.Store(j)
	p.publishModel(j)
	return nil
}

// SetPolicy replaces the policy; the next batches judged use it.
func (p *Pipeline) SetPolicy(pol verdict.Policy) error {
	if err := pol.Validate(); err != nil {
		return err
	}
	p.swapMu.Lock()
	defer p.swapMu.Unlock()
	cur := p.judging.Load()
	if cur.model == nil {
		return errors.New("pipeline: no scorer to judge with")
	}
	p.judging.Store(&judging{model: cur.model, policy: &pol})
	p.m.SetThreshold(pol.Threshold)
	return nil
}

// publishModel sets the model metrics to j's model and threshold (none
// without both).
func (p *Pipeline) publishModel(j *judging) {
	if j.model == nil || j.policy == nil {
		return
	}
	info := j.model.Info
	info.Name = cmp.Or(info.Name, j.model.Name)
	p.m.SetModel(info, j.policy.Threshold)
}

// Policy returns the policy in effect (the zero Policy when none).
func (p *Pipeline) Policy() verdict.Policy {
	if pol := p.judging.Load().policy; pol != nil {
		return *pol
	}
	return verdict.Policy{}
}

// ModelName returns the name of the model in effect ("" when none).
func (p *Pipeline) ModelName() string {
	if m := p.judging.Load().model; m != nil {
		return m.Name
	}
	return ""
}

// workerScorer is a worker's scorer and the judging it was made for.
type workerScorer struct {
	scorer scoring.Scorer
	cur    *judging
}

// refresh brings the worker up to the judging in effect: a new policy at
// once, a new model once the worker has made its scorer. A model that
// fails to make one here (SetModel made one, so this is unexpected) is
// logged, and the worker keeps its scorer and the policy that went with
// it.
func (p *Pipeline) refresh(w *workerScorer) {
	next := p.judging.Load()
	if next == w.cur {
		return
	}
	if next.model != w.cur.model {
		s, err := next.model.NewScorer()
		if err != nil {
			if n := p.scorerErrs.Add(1); bits.OnesCount64(n) == 1 {
				p.log.Error("a worker cannot make a scorer of the new model; it keeps the old one",
					zap.String("model", next.model.Name), zap.Error(err), zap.Uint64("failures", n))
			}
			return
		}
		w.scorer = s
	}
	w.cur = next
}
