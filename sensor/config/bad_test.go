package config

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadConfigs maps each bad file under testdata to its exact error, as
// blackbox_exporter's config tests do: the file, the line, the key path
// and what is wrong.
func TestBadConfigs(t *testing.T) {
	tests := []struct {
		file, want string
	}{
		{"alert-log-empty.yaml", "testdata/alert-log-empty.yaml:2: output.alert_log: must not be empty unless output.stdout is true (alerts must go somewhere)"},
		{"alert-rate-range.yaml", "testdata/alert-rate-range.yaml:2: detector.alert_rate: 0.51 is out of range (more than 0 and at most 0.5)"},
		{"beacon-bad.yaml", strings.Join([]string{
			`testdata/beacon-bad.yaml:2: beacon.key: "client" is not one of server, sni, ja4+server`,
			"testdata/beacon-bad.yaml:3: beacon.threshold: 1.5 is out of range (more than 0, at most 1)",
		}, "\n")},
		{"beacon-period.yaml", "testdata/beacon-period.yaml:4: beacon.min_period: 5m0s is outside 1ms-3m45s (the window over min connections)"},
		{"scan-bad.yaml", strings.Join([]string{
			"testdata/scan-bad.yaml:2: scan.min_stacks: 2 is out of range (3-64: more than the 2 refused stacks a benign pair shows)",
			"testdata/scan-bad.yaml:3: scan.window: 2h0m0s is out of range (1s-1h)",
			"testdata/scan-bad.yaml:4: scan.max_pairs: 8 is out of range (16-16777216)",
		}, "\n")},
		{"bad-bool.yaml", "testdata/bad-bool.yaml:2: capture.bpf: \"yes\" is not a boolean (true or false)"},
		{"bad-duration.yaml", "testdata/bad-duration.yaml:2: flow.idle_timeout: \"5x\" is not a duration (like 250ms, 90s, 5m or 2h)"},
		{"bad-float.yaml", "testdata/bad-float.yaml:2: detector.threshold: \"high\" is not a number"},
		{"bad-int.yaml", "testdata/bad-int.yaml:2: capture.workers: \"many\" is not an integer"},
		{"blocklist-dup.yaml", "testdata/blocklist-dup.yaml:4: blocklist.sni[1]: \"lists/names.txt\" is listed twice"},
		{"block-size.yaml", "testdata/block-size.yaml:2: capture.block_size_kb: 1000 KiB is not a power of two from the page size (4 KiB) to 64 MiB"},
		{"cidr-bad.yaml", "testdata/cidr-bad.yaml:4: allowlist.cidrs[1]: \"10.0.0.0/33\" is not an address or CIDR prefix (like 10.0.0.0/8 or 2001:db8::/32)"},
		{"cidr-hostbits.yaml", "testdata/cidr-hostbits.yaml:2: allowlist.cidrs[0]: \"192.168.1.7/16\" has bits set after the prefix length (did you mean 192.168.0.0/16, or 192.168.1.7 alone?)"},
		{"duration-no-unit.yaml", "testdata/duration-no-unit.yaml:2: flow.max_age: \"120\" is not a duration (like 250ms, 90s, 5m or 2h)"},
		{"float-int.yaml", "testdata/float-int.yaml:2: capture.ring_size_mb: \"64.5\" is not an integer"},
		{"flow-log-same.yaml", "testdata/flow-log-same.yaml:3: output.flow_log: \"/var/log/x.json\" is also output.alert_log"},
		{"tls-log-same.yaml", "testdata/tls-log-same.yaml:3: output.tls_log: \"/var/log/x.json\" is also where alerts or flows go"},
		{"interface-bad.yaml", "testdata/interface-bad.yaml:2: capture.interfaces[1]: \"eth0/1\" is not an interface name (1-15 characters, no '/', ':' or spaces)"},
		{"interface-dup.yaml", "testdata/interface-dup.yaml:2: capture.interfaces[2]: \"eth0\" is listed twice"},
		{"ja3-bad.yaml", "testdata/ja3-bad.yaml:4: allowlist.ja3[1]: \"e7d705a3286e19ea42f587b344ee686\" is not a JA3 hash (32 hex digits)"},
		{"ja4-bad.yaml", "testdata/ja4-bad.yaml:2: allowlist.ja4[0]: \"t13d1516h2_8daaf6152771\" is not a JA4 fingerprint (like t13d1516h2_8daaf6152771_b186095e22b6)"},
		{"key-not-scalar.yaml", "testdata/key-not-scalar.yaml:2: capture: a key must be a plain name, got a list"},
		{"listen-bad.yaml", "testdata/listen-bad.yaml:2: metrics.listen: \"localhost\" is not a listen address (host:port, like 127.0.0.1:9560 or :9560)"},
		{"listen-port.yaml", "testdata/listen-port.yaml:2: metrics.listen: \"127.0.0.1:99999\": port \"99999\" is not a number from 1 to 65535"},
		{"log-level.yaml", "testdata/log-level.yaml:2: output.log_level: \"verbose\" is not a log level (debug, info, warn or error)"},
		{"long-duration.yaml", "testdata/long-duration.yaml:2: flow.max_age: 48h is out of range (1s-24h)"},
		{"multiple.yaml", strings.Join([]string{
			"testdata/multiple.yaml:2: capture.ports[0]: 0 is not a port (1-65535)",
			"testdata/multiple.yaml:3: capture.workers: 0 is out of range (1-256)",
			`testdata/multiple.yaml:5: flow.idle_timeout: "soon" is not a duration (like 250ms, 90s, 5m or 2h)`,
			"testdata/multiple.yaml:7: detector.batch_size: 0 is out of range (1-65536)",
			"testdata/multiple.yaml:8: detector.bogus: unknown key",
		}, "\n")},
		{"name-empty.yaml", "testdata/name-empty.yaml:2: sensor.name: must not be empty (leave the key out for the host name)"},
		{"negative-duration.yaml", "testdata/negative-duration.yaml:2: flow.idle_timeout: -5s is out of range (1s-24h)"},
		{"null-int.yaml", "testdata/null-int.yaml:2: capture.workers: no value: give an integer, or leave the key out for the default"},
		{"port-dup.yaml", "testdata/port-dup.yaml:2: capture.ports[2]: 443 is listed twice"},
		{"port-range.yaml", "testdata/port-range.yaml:4: capture.ports[1]: 70000 is not a port (1-65535)"},
		{"ports-empty.yaml", "testdata/ports-empty.yaml:2: capture.ports: at least one port is needed"},
		{"ports-scalar.yaml", "testdata/ports-scalar.yaml:2: capture.ports: want a list such as [a, b], got \"443\""},
		{"quoted-int.yaml", "testdata/quoted-int.yaml:2: capture.ports[0]: \"443\" is not an integer"},
		{"repeated-key.yaml", "testdata/repeated-key.yaml:4: capture.ports: key repeated (first set at line 2)"},
		{"repeated-section.yaml", "testdata/repeated-section.yaml:3: flow: key repeated (first set at line 1)"},
		{"ring-blocks.yaml", "testdata/ring-blocks.yaml:2: capture.ring_size_mb: 1 is out of range (4-2048)"},
		{"root-list.yaml", "testdata/root-list.yaml:1: want a mapping of sections (sensor, capture, ...), got a list"},
		{"section-list.yaml", "testdata/section-list.yaml:2: capture: want a mapping of keys, got a list"},
		{"sni-bad.yaml", "testdata/sni-bad.yaml:4: allowlist.sni_suffixes[1]: \"exa mple.com\" is not a domain name (' ' is not allowed)"},
		{"sni-wildcard.yaml", "testdata/sni-wildcard.yaml:2: allowlist.sni_suffixes[0]: \"*.example.com\" is not a domain name (write example.com: it matches the name and every name below it)"},
		{"string-list.yaml", "testdata/string-list.yaml:2: sensor.name: want a string, got a list"},
		{"syntax.yaml", "testdata/syntax.yaml:2: invalid YAML: did not find expected ',' or ']'"},
		{"threshold-and-rate.yaml", "testdata/threshold-and-rate.yaml:3: detector.alert_rate: set detector.threshold or detector.alert_rate, not both"},
		{"threshold-nan.yaml", "testdata/threshold-nan.yaml:2: detector.threshold: NaN is out of range (more than 0, at most 1000; leave the key out for the model's)"},
		{"threshold-zero.yaml", "testdata/threshold-zero.yaml:2: detector.threshold: 0 is out of range (more than 0, at most 1000; leave the key out for the model's)"},
		{"two-docs.yaml", "testdata/two-docs.yaml:3: invalid YAML: a second YAML document: the configuration is one document"},
		{"unknown-far.yaml", "testdata/unknown-far.yaml:2: output.colour: unknown key"},
		{"unknown-nested.yaml", "testdata/unknown-nested.yaml:3: flow.idle_timout: unknown key (did you mean idle_timeout?)"},
		{"unknown-top.yaml", "testdata/unknown-top.yaml:2: captur: unknown key (did you mean capture?)"},
		{"workers-range.yaml", "testdata/workers-range.yaml:2: capture.workers: 300 is out of range (1-256)"},
		{"nats-server-bad.yaml", "testdata/nats-server-bad.yaml:3: output.nats.servers[1]: \"localhost:4222\" is not a server URL (like nats://127.0.0.1:4222)"},
		{"nats-records.yaml", "testdata/nats-records.yaml:4: output.nats.records[1]: \"alerts\" is not a record type (alert, flow)"},
		{"nats-spool-size.yaml", "testdata/nats-spool-size.yaml:4: output.nats.spool_size_mb: 0 is out of range (1-1048576)"},
		{"nats-prefix-stream.yaml", "testdata/nats-prefix-stream.yaml:4: output.nats.subject_prefix: \"site.a\": the stream's subjects [tlsentry.>] do not take site.a.*"},
		{"nats-unknown.yaml", "testdata/nats-unknown.yaml:3: output.nats.serverz: unknown key (did you mean servers?)"},
		{"fleet-watch-no-nats.yaml", "testdata/fleet-watch-no-nats.yaml:2: fleet.watch: needs output.nats.servers: the fleet's buckets are on the NATS servers"},
		{"fleet-name.yaml", "testdata/fleet-name.yaml:2: fleet.name: \"dmz.1\" is not a name (only letters, digits, '-' and '_')"},
		{"include-handshake.yaml", "testdata/include-handshake.yaml:3: output.include_handshake: needs output.include_prefix: training needs the prefix too"},
		// Values the config once passed and the owners (afpacket, evelog, bpf, flow) refused at run:
		{"block-timeout-long.yaml", "testdata/block-timeout-long.yaml:2: capture.block_timeout: 1s is out of range (1ms-50ms)"},
		{"ring-too-big.yaml", "testdata/ring-too-big.yaml:2: capture.ring_size_mb: 4096 is out of range (2-2048)"},
		{"bpf-budget-small.yaml", "testdata/bpf-budget-small.yaml:2: capture.bpf_budget_bytes: 8192 is less than the flow table keeps per direction (17408: the 1024-byte prefix plus flow.handshake_limit 16384); the filter would keep handshake bytes in the kernel"},
		{"rotate-no-backups.yaml", "testdata/rotate-no-backups.yaml:3: output.max_backups: must be at least 1 when files rotate (by size or by age)"},
		{"scan-limit-zero.yaml", "testdata/scan-limit-zero.yaml:2: flow.scan_limit: 0 is out of range (1-1048576)"},
		{"scoring-workers.yaml", "testdata/scoring-workers.yaml:2: detector.scoring_workers: 65 is out of range (1-64)"},
		{"verdict-timeout-long.yaml", "testdata/verdict-timeout-long.yaml:3: flow.verdict_timeout: 2m is out of range (1s-1m)"},
		{"tls-ports-bad.yaml", "testdata/tls-ports-bad.yaml:2: flow.tls_ports: port 0 is out of range (1-65535)\ntestdata/tls-ports-bad.yaml:2: flow.tls_ports: port 443 is given twice"},
	}
	covered := map[string]bool{}
	for _, tc := range tests {
		covered[tc.file] = true
		t.Run(tc.file, func(t *testing.T) {
			c, err := Load(filepath.Join("testdata", tc.file))
			if err == nil {
				t.Fatalf("loaded without error: %+v", c)
			}
			if c != nil {
				t.Errorf("Load returned a config with its error")
			}
			if err.Error() != tc.want {
				t.Errorf("error\n got: %s\nwant: %s", err, tc.want)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%T is not a *config.Error", err)
			}
			if e.File != filepath.Join("testdata", tc.file) {
				t.Errorf("Error.File = %q", e.File)
			}
		})
	}
	// Every file under testdata is in the table, so none is forgotten.
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !covered[filepath.Base(f)] {
			t.Errorf("%s has no expected error in the table", f)
		}
	}
}
