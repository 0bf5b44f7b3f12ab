#!/usr/bin/env python3
"""What holds the main set's file-weighted ROC AUC (model alone) where it is.

Usage: bounds.py OUTDIR/flows.tsv (written by metrics.py over eval.sh's
outputs, without the sealed sets' switches).

Prints, for the main set's malicious captures against its benign flows:
- the figure itself;
- the figure without the benign flows that alert (what those alerts cost);
- the bound that ordinary TLS to bad hosts sets: every malicious capture
  ranked first except those whose flows show nothing in their own bytes
  (ORDINARY), which keep their scores (the C2 simulation's flows that
  its rhythm made alert rank first too), for all malicious captures and
  for those held out of tuning;
- each of the ORDINARY captures' own figure.
"""
import collections
import csv
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from metrics import auc  # noqa: E402

# Captures of malware whose flows are ordinary TLS to a bad host: a
# malicious-SHA-1 certificate's test, a malware mix to ordinary-looking
# sites, mercury's sample on a Let's Encrypt certificate, and the C2
# simulation, whose first connections come before its rhythm shows.
ORDINARY = {
    "tls_malicious_sha1.pcapng",
    "malware.pcap",
    "mercury-malware_tls.pcap",
    "slips-test-cc-capture-1.pcap",
    "slips-test-cc-capture-2.pcap",
}


def weighted(rows, score=lambda r: float(r["score"])):
    per_file = collections.Counter(r["file"] for r in rows)
    return [(score(r), 1.0 / per_file[r["file"]]) for r in rows]


def ranked_first(r):
    if r["file"] not in ORDINARY or r["alert"] == "True":
        return float("inf")
    return float(r["score"])


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    mal = [r for r in rows if r["label"] == "malicious" and r["split"] in ("tune", "heldout")]
    ben = [r for r in rows if r["label"] == "benign" and r["split"] == ""]
    held = [r for r in mal if r["split"] == "heldout"]
    quiet = [r for r in ben if r["alert"] != "True"]
    print(f"malicious, all: {auc(weighted(mal), weighted(ben)):.3f}")
    print(f"without the {len(ben) - len(quiet)} benign alerts: {auc(weighted(mal), weighted(quiet)):.3f}")
    print(f"bound of ordinary TLS to bad hosts: all {auc(weighted(mal, ranked_first), weighted(ben)):.3f},"
          f" held out {auc(weighted(held, ranked_first), weighted(ben)):.3f}")
    for name in sorted(ORDINARY):
        own = [r for r in mal if r["file"] == name]
        if own:
            print(f"  {name}: {auc(weighted(own), weighted(ben)):.3f}")


if __name__ == "__main__":
    main()
