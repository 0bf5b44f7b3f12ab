package evidence

import (
	"testing"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/internal/labset"
)

// TestFTPActiveData: an FTPS data connection in active mode, opened by
// the FTP server from port 20 and answered with a ServerHello by that
// server, is not a tool that connects out and serves TLS; the same
// swapped handshake from any other port is.
func TestFTPActiveData(t *testing.T) {
	tab := Calibrate("b", inputs(t, labset.Benign, 8), nil)
	for _, c := range []struct {
		port  uint16
		fires bool
	}{{flow.FTPActiveDataPort, false}, {40022, true}} {
		for _, x := range inputs(t, labset.RolesSwapped, 2) {
			x.Flow.Client.Port = c.port
			fired := false
			for _, f := range tab.Explain(x) {
				fired = fired || f.ID == "hs.roles_swapped"
			}
			if fired != c.fires {
				t.Errorf("from port %d: roles swapped %v, want %v", c.port, fired, c.fires)
			}
		}
	}
}
