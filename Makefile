# Project tasks. The README's two commands need none of these.
SHARED  ?= ../shared/pcaps
ALL      = $(sort $(wildcard $(SHARED)/*/*.pcap $(SHARED)/*/*.pcapng $(SHARED)/*/*.cap))
# The two bug-1450 captures are corrupt on purpose (a test of error handling).
CORRUPT  = %bug-1450-04_tls_DER-incomplete-header.pcap %bug-1450-05_tls_DER-incomplete-content.pcap
# Captures of plain SSH and HTTP: kept out of training, the stand-in
# anomalies (non-TLS flows) until crafted anomalies exist.
NONTLS   = $(filter $(SHARED)/ja4/ssh% $(SHARED)/ja4/http1% $(SHARED)/ja4/http-empty%,$(ALL))
# Circumvention and obfuscation tools (shadowsocks, vmess, psiphon): not
# benign traffic for the default model to learn (nor malicious).
EVASION  = $(filter $(SHARED)/ndpi/tls_heur__% $(SHARED)/ndpi/psiphon%,$(ALL))
CAPTURES = $(filter-out $(CORRUPT) $(NONTLS) $(EVASION),$(ALL))
# Application traffic: nDPI's captures of apps, browsers and VPN clients
# and the ja4 project's browser captures (nDPI's fabricated fuzzing seed
# and its crafted reproducer of a cipher-length overflow, tls_cipher_lens:
# one hello copied with edited lengths, left out). The evidence checks are calibrated on their flows and the
# threshold is set on them: the conformance suites (zeek, suricata-verify)
# are full of deliberate oddities (test servers' self-signed and expired
# certificates, SSLv2, fuzzed hellos), which teach the learned part what
# TLS stacks may send, not how often benign traffic shows it.
APPS     = $(filter $(SHARED)/ndpi/% $(SHARED)/ja4/%,$(filter-out $(SHARED)/ndpi/ossfuzz% $(SHARED)/ndpi/tls_cipher_lens.pcap,$(CAPTURES)))
# The held-out fifth (detector/dataset.HeldOut), listed by the tool itself.
HELDOUT  = $(shell go run ./cmd/tlsentry heldout $(CAPTURES) 2>/dev/null)

# Install paths: make install [PREFIX=/usr] [DESTDIR=/pkgroot]. The unit
# goes where the local administrator's units go unless UNITDIR says
# otherwise (a package would use $(PREFIX)/lib/systemd/system).
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
UNITDIR ?= /etc/systemd/system
CONFDIR ?= /etc/tlsentry
MANDIR  ?= $(PREFIX)/share/man
LOGROTATEDIR ?= /etc/logrotate.d

# What make build records in the binary (tlsentry version and the
# tlsentry_build_info metric): go build records no VCS information here
# (-buildvcs=false), so the linker stamps it. VERSION is the tag when HEAD
# has one (git describe), else a Go-style pseudo-version
# v0.0.0-TIME-HASH12; "+dirty" marks uncommitted changes. Outside a git
# checkout both stay empty and the binary says "unknown".
BUILDINFO = github.com/tlsentry/tlsentry/internal/buildinfo
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null)
MODIFIED ?= $(if $(REVISION),$(if $(shell git status --porcelain --untracked-files=no 2>/dev/null),true,false))
VERSION  ?= $(if $(REVISION),$(or $(shell git describe --tags 2>/dev/null),v0.0.0-$(shell TZ=UTC git log -1 --format=%cd --date=format-local:%Y%m%d%H%M%S)-$(shell git rev-parse --short=12 HEAD))$(if $(filter true,$(MODIFIED)),+dirty))
LDFLAGS  = -X $(BUILDINFO).version=$(VERSION) -X $(BUILDINFO).revision=$(REVISION) -X $(BUILDINFO).modified=$(MODIFIED)

.PHONY: model eval test sample build install ldflags

# Rebuild the embedded default model from the flows to TLS ports of the
# public captures, leaving the held-out fifth of the files out for
# evaluation; its evidence checks are calibrated on the application
# captures' flows, and its threshold lets 1% of them alert, each scored as
# new (without its own capture in the novelty profile); its novelty counts
# the values only one capture showed as what a new network brings. 100
# trees rank the benchmark's flows as 500 did, at a fifth of the cost.
# MODEL_FLAGS="-encoder detector/default.model" keeps the current CNN
# encoder (seconds instead of minutes, when only features changed).
# -mask=false: the embedded model scores by evidence and novelty alone
# (its CNN is for the models trained from it), and keeps its layout.
model:
	@test -d $(SHARED) || { echo "make model needs the public captures in $(SHARED)"; exit 1; }
	@# train skips a missing word list, which changes the server-name model.
	@test -r /usr/share/dict/words || { echo "make model needs /usr/share/dict/words, the English words the server-name check learns with (Debian: apt-get install wamerican)"; exit 1; }
	@mkdir -p bench/out
	go run ./cmd/tlsentry train -model hybrid -tls-ports -calibrate $(addprefix -corpus ,$(APPS)) -alert-rate 0.01 -trees 100 -mask=false -holdout -seed 1 $(addprefix -r ,$(CAPTURES)) -out detector/default.model -curve bench/out/default-model-curve.csv $(MODEL_FLAGS)
	@# docs/checks.md lists the new model's checks and weights.
	go run ./cmd/tlsentry model show -markdown > docs/checks.md.new && mv docs/checks.md.new docs/checks.md

# Evaluate the default model: the TLS flows of the held-out captures
# against the SSH/HTTP flows.
eval:
	go run ./cmd/tlsentry eval -tls-only $(addprefix -benign ,$(HELDOUT)) $(addprefix -anomalous ,$(NONTLS)) -plot bench/out/default-model-eval.png

test:
	go test -race ./...

# Regenerate testdata/sample.pcap.
sample:
	go run ./internal/capgen/mksample -o testdata/sample.pcap

# Build the binary into bin/.
build:
	go build -trimpath -ldflags '$(LDFLAGS)' -o bin/tlsentry ./cmd/tlsentry

# The linker flags build uses (for a build of one's own, and the tests).
ldflags:
	@echo '$(LDFLAGS)'

# Install the binary, the systemd unit (pointing at the installed binary),
# the manual page, the logrotate file and the configuration; an existing
# configuration is kept.
install: build
	install -D -m 0755 bin/tlsentry $(DESTDIR)$(BINDIR)/tlsentry
	install -D -m 0644 docs/tlsentry.1 $(DESTDIR)$(MANDIR)/man1/tlsentry.1
	install -D -m 0644 configs/logrotate $(DESTDIR)$(LOGROTATEDIR)/tlsentry
	install -d -m 0755 $(DESTDIR)$(UNITDIR)
	sed 's|/usr/local/bin/tlsentry|$(BINDIR)/tlsentry|g' systemd/tlsentry.service > $(DESTDIR)$(UNITDIR)/tlsentry.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/tlsentry.service
	@if [ -e $(DESTDIR)$(CONFDIR)/tlsentry.yaml ]; then \
		echo "keeping $(DESTDIR)$(CONFDIR)/tlsentry.yaml (the shipped one is configs/tlsentry.yaml)"; \
	else \
		install -D -m 0644 configs/tlsentry.yaml $(DESTDIR)$(CONFDIR)/tlsentry.yaml; \
	fi
	@echo "installed; then: edit $(CONFDIR)/tlsentry.yaml (capture.interfaces), tlsentry check-config $(CONFDIR)/tlsentry.yaml,"
	@echo "systemctl daemon-reload && systemctl enable --now tlsentry"
