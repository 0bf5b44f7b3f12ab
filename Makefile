# Project tasks. The README's two commands need none of these.
SHARED  ?= ../shared/pcaps
# The two bug-1450 captures are corrupt on purpose (a test of error handling).
CAPTURES = $(filter-out %bug-1450-04_tls_DER-incomplete-header.pcap %bug-1450-05_tls_DER-incomplete-content.pcap,\
           $(sort $(wildcard $(SHARED)/*/*.pcap $(SHARED)/*/*.pcapng $(SHARED)/*/*.cap)))

.PHONY: model test sample

# Rebuild the embedded default model from the public captures, leaving the
# held-out fifth of the files out for evaluation (detector/dataset).
model:
	@test -d $(SHARED) || { echo "make model needs the public captures in $(SHARED)"; exit 1; }
	go run ./cmd/tlsentry train -holdout -seed 1 -epochs 10 $(addprefix -r ,$(CAPTURES)) -out detector/default.model

test:
	go test -race ./...

# Regenerate testdata/sample.pcap.
sample:
	go run ./internal/capgen/mksample -o testdata/sample.pcap
