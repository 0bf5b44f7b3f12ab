package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tlsentry/tlsentry/internal/buildinfo"
)

// newBuildInfo is tlsentry_build_info: always 1, with the module version,
// the VCS revision (as tlsentry version reports them: "unknown" when the
// build recorded none) and the Go version as labels.
func newBuildInfo() prometheus.Collector {
	b := buildinfo.Read()
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "tlsentry_build_info",
		Help:        "Build of the running sensor (always 1).",
		ConstLabels: prometheus.Labels{"version": b.Version, "revision": b.Revision, "goversion": b.GoVersion},
	})
	g.Set(1)
	return g
}
