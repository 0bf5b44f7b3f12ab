package labset

import (
	"context"
	"fmt"
	"os"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/sensor"
)

// Flows makes n conversations of a kind and returns them as the flow
// table hands them out, through a capture file in a temporary directory:
// for tests that want real flows without keeping captures around.
func Flows(ctx context.Context, kind string, n int, seed uint64) ([]*flow.Flow, error) {
	dir, err := os.MkdirTemp("", "labset-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path, err := WriteSet(ctx, dir, kind, n, seed)
	if err != nil {
		return nil, err
	}
	var out []*flow.Flow
	table, err := flow.NewTable(flow.Config{}, func(f *flow.Flow) { out = append(out, f) })
	if err != nil {
		return nil, err
	}
	r := &sensor.FileReader{Decoder: sensor.NewDecoder(), Flows: table}
	if err := r.ReadFiles(ctx, []string{path}); err != nil {
		return nil, fmt.Errorf("labset %s: %w", kind, err)
	}
	table.Flush()
	return out, nil
}
