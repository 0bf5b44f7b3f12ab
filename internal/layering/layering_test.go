package layering

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/tlsentry/tlsentry/"

// forbidden maps a package prefix (relative to the module) to the
// prefixes its packages must not depend on, directly or not.
var forbidden = map[string][]string{
	// The data's early stages know nothing of what comes after them.
	"flow":            {"sensor", "detector", "cmd"},
	"sensor/capture":  {"flow", "detector", "sensor/pipeline", "sensor/eve", "cmd"},
	"sensor/decode":   {"detector", "sensor/pipeline", "sensor/capture", "sensor/afpacket", "cmd"},
	"sensor/afpacket": {"detector", "sensor/pipeline", "sensor/eve", "cmd"},
	// The detector and the shared internals never reach back up to the
	// capture or the pipeline.
	"detector": {"sensor/capture", "sensor/afpacket", "sensor/pipeline", "sensor/evelog", "cmd"},
	"internal": {"sensor/capture", "sensor/afpacket", "sensor/pipeline", "cmd"},
	// Records, logs and verdicts are leaves the pipeline uses.
	"sensor/eve":     {"sensor/pipeline", "sensor/capture", "sensor/afpacket", "detector", "cmd"},
	"sensor/evelog":  {"sensor/pipeline", "detector", "cmd"},
	"sensor/verdict": {"sensor/pipeline", "sensor/capture", "sensor/afpacket", "detector", "cmd"},
	// The pipeline takes scorers through their interface, not the models.
	"sensor/pipeline": {"detector/cnn", "detector/vae", "detector/iforest", "detector/model", "cmd"},
	"sensor/config":   {"cmd"},
	"bpf":             {"sensor", "detector", "flow", "cmd"},
	// The scorer interface and its reasons are a leaf every layer may
	// use (see interfaces): it knows flows and handshakes only.
	"detector/scoring": {"detector", "sensor", "cmd"},
}

// interfaces are packages of types and interfaces only, which the rules
// above let through: sensor/verdict and the block lists name a reason's
// layer without reaching any model.
var interfaces = map[string]bool{"detector/scoring": true}

type pkg struct {
	ImportPath string
	Deps       []string
}

func TestLayers(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command to list the module's packages")
	}
	out, err := exec.Command("go", "list", "-json=ImportPath,Deps", module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	checked := 0
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		rel := strings.TrimPrefix(p.ImportPath, module)
		for layer, bans := range forbidden {
			if !under(rel, layer) {
				continue
			}
			checked++
			for _, dep := range p.Deps {
				d, ok := strings.CutPrefix(dep, module)
				if !ok || interfaces[d] {
					continue
				}
				for _, ban := range bans {
					if under(d, ban) && !under(d, layer) {
						t.Errorf("%s depends on %s (%s must not reach %s)", rel, d, layer, ban)
					}
				}
			}
		}
	}
	if checked < 20 {
		t.Errorf("only %d package checks ran: the listing looks wrong", checked)
	}
}

// under reports whether the package path p is prefix or inside it.
func under(p, prefix string) bool {
	return p == prefix || strings.HasPrefix(p, prefix+"/")
}
