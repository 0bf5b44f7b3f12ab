//go:build linux

package afpacket

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/internal/netnstest"
	"golang.org/x/sys/unix"
)

func TestOpenLiveMissingInterface(t *testing.T) {
	const name = "tlsentry-nope0"
	_, err := Open(Config{Interface: name})
	if !errors.Is(err, ErrNoSuchInterface) || !strings.Contains(err.Error(), `"`+name+`"`) {
		t.Fatalf("Open on a missing interface: %v, want ErrNoSuchInterface naming %q", err, name)
	}
	if _, err := Open(Config{Interface: name, Workers: -3}); !errors.Is(err, ErrConfig) {
		t.Fatalf("Open with a bad config: %v, want ErrConfig", err)
	}
}

func TestOpenLiveInterfaceDown(t *testing.T) {
	ns := netnstest.New(t)
	ns.MustIP(t, "link", "add", "veth-down", "type", "veth", "peer", "name", "veth-down-p")
	err := ns.Do(func() error {
		_, err := Open(Config{Interface: "veth-down"})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "down") || !strings.Contains(err.Error(), "veth-down") {
		t.Fatalf("Open on a down interface: %v, want an error saying it is down", err)
	}
}

// TestOpenLiveWithoutCapNetRaw drops CAP_NET_RAW from the one thread that
// opens the capture (capabilities are per thread), inside a namespace.
func TestOpenLiveWithoutCapNetRaw(t *testing.T) {
	ns := netnstest.New(t)
	err := ns.Do(func() error {
		hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
		var data [2]unix.CapUserData
		if err := unix.Capget(&hdr, &data[0]); err != nil {
			return err
		}
		data[0].Effective &^= 1 << unix.CAP_NET_RAW
		if err := unix.Capset(&hdr, &data[0]); err != nil {
			return err
		}
		c, err := Open(Config{Interface: "lo", Workers: 1})
		if err == nil {
			c.Close()
		}
		return err
	})
	if !errors.Is(err, os.ErrPermission) || !strings.Contains(err.Error(), "CAP_NET_RAW") || !strings.Contains(err.Error(), `"lo"`) {
		t.Fatalf("Open without CAP_NET_RAW: %v, want a permission error naming CAP_NET_RAW and the interface", err)
	}
}
