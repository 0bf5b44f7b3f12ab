package labset

import (
	"context"
	"fmt"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/internal/capgen"
	"github.com/tlsentry/tlsentry/sensor/decode"
)

// Flows makes n conversations of a kind and returns them as a flow table
// hands them out: for tests that want real flows without a capture file.
// The generated Ethernet frames are decoded as a capture's would be.
func Flows(ctx context.Context, kind string, n int, seed uint64) ([]*flow.Flow, error) {
	convs, err := Conversations(ctx, kind, n, seed)
	if err != nil {
		return nil, err
	}
	return FlowsOf(kind, convs, seed)
}

// FlowsOf is Flows of conversations made elsewhere (name says what they
// are, in errors), carried as PacketsOf carries them.
func FlowsOf(name string, convs []capgen.Conversation, seed uint64) ([]*flow.Flow, error) {
	return FlowsWith(name, convs, seed, nil)
}

// FlowsWith is FlowsOf carried as PacketsWith carries them.
func FlowsWith(name string, convs []capgen.Conversation, seed uint64, tweak func(*capgen.FlowSpec)) ([]*flow.Flow, error) {
	pkts, err := PacketsWith(convs, seed, tweak)
	if err != nil {
		return nil, err
	}
	var out []*flow.Flow
	table, err := flow.NewTable(flow.DefaultConfig(), func(f *flow.Flow) { out = append(out, f) })
	if err != nil {
		return nil, err
	}
	dec := decode.NewDecoder()
	var seg flow.Segment
	for i, p := range pkts {
		if why := dec.Decode(decode.LinkEthernet, p.Data, &seg); why != decode.SkipNone {
			return nil, fmt.Errorf("labset %s: packet %d does not decode: %v", name, i+1, why)
		}
		seg.Time = p.Time.UnixNano()
		table.Process(&seg)
	}
	table.Flush()
	return out, nil
}
