# Project tasks. The README's two commands need none of these.
SHARED  ?= ../shared/pcaps
ALL      = $(sort $(wildcard $(SHARED)/*/*.pcap $(SHARED)/*/*.pcapng $(SHARED)/*/*.cap))
# The two bug-1450 captures are corrupt on purpose (a test of error handling).
CORRUPT  = %bug-1450-04_tls_DER-incomplete-header.pcap %bug-1450-05_tls_DER-incomplete-content.pcap
# Captures of plain SSH and HTTP: kept out of training, the stand-in
# anomalies (non-TLS flows) until crafted anomalies exist.
NONTLS   = $(filter $(SHARED)/ja4/ssh% $(SHARED)/ja4/http1% $(SHARED)/ja4/http-empty%,$(ALL))
CAPTURES = $(filter-out $(CORRUPT) $(NONTLS),$(ALL))
# The held-out fifth (detector/dataset.HeldOut), listed by the tool itself.
HELDOUT  = $(shell go run ./cmd/tlsentry heldout $(CAPTURES) 2>/dev/null)

.PHONY: model eval test sample

# Rebuild the embedded default model from the TLS flows of the public
# captures, leaving the held-out fifth of the files out for evaluation.
model:
	@test -d $(SHARED) || { echo "make model needs the public captures in $(SHARED)"; exit 1; }
	go run ./cmd/tlsentry train -model hybrid -tls-only -holdout -seed 1 -epochs 10 $(addprefix -r ,$(CAPTURES)) -out detector/default.model

# Evaluate the default model: the TLS flows of the held-out captures
# against the SSH/HTTP flows.
eval:
	go run ./cmd/tlsentry eval -tls-only $(addprefix -benign ,$(HELDOUT)) $(addprefix -anomalous ,$(NONTLS)) -plot bench/out/default-model-eval.png

test:
	go test -race ./...

# Regenerate testdata/sample.pcap.
sample:
	go run ./internal/capgen/mksample -o testdata/sample.pcap
