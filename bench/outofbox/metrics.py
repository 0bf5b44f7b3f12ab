#!/usr/bin/env python3
"""Out-of-the-box figures from eval.sh's outputs (see README.md).

Flows judged: TCP flows with payload to a well-known TLS port (what a TLS
sensor watches; the daemon's default is 443 alone). POP=any also judges
TLS on any other port. Each flow gets tlsentry's score (and alert)
and nDPI's risk score (ndpiReader's [Risk Score: N], 0 without a risk),
matched by 5-tuple. The beacon tracker's alerts (records of their own, naming a
client, a destination and the span of the periodic connections) are
joined to the pair's flows in that span for the "+beacon" columns: every layer of tlsentry as an
analyst gets it. ROC AUC is given plain (every flow counts once) and
file-weighted (every capture counts once: its flows share a weight of 1).

A second peer is the issue's hint: the plain sum of six flags read from
the flow record (see six_flags), no training, no lists.

QUIC=1 also judges QUIC flows (UDP) to TLS ports; nDPI's lines are
matched by protocol and 4-tuple.

Usage: metrics.py LABELS OUTDIR [LABELS2...]. Second labels files
(labels-c2.tsv) name the judged flows of each capture in a column
"flows": server address:port pairs, comma-separated, judged whatever
their port (a RAT's C2 on port 4782 is what a sensor watching that port
would see); "*" judges the capture's flows as the first file does. The
other flows of those captures (a sandbox's Windows background) are not
judged.

Sealed splits (SEALED): captures nobody had scored when they were
labelled, for one check of generalisation each. They stay out of every
other row and out of the benign set the others are measured against
(so that "all" and "held out" remain comparable with earlier figures)
and out of flows.tsv; their own rows, and their flows in flows.tsv, show
only with their switch (without it, only their counts):
- "fresh" (labels-c3.tsv, SHOW_FRESH=1): malicious captures, measured
  against the main benign set;
- "fresh4" (labels-c4.tsv, SHOW_FRESH4=1): malicious AND benign
  captures; its malicious flows are measured against its own benign
  flows only, and the benign alert rate is printed for them.
- "fresh5" (labels-c5.tsv, SHOW_FRESH5=1): the same, for a fifth set
  whose benign side is ordinary applications and devices (VPN clients,
  remote desktop, IoT, mail, databases, OS services).
- "fresh6" (labels-c6.tsv, SHOW_FRESH6=1): the same again, with
  captures spread over the years they were made (2016 to 2026), for
  how old clients (TLS 1.0 offered first) fare by capture date.
- "fresh7" (labels-c7.tsv, SHOW_FRESH7=1): the same again, a seventh
  set, mostly from repositories not used before (sandbox runs, student and lab
  captures, VPN and database clients).
- "fresh8" (labels-c8.tsv, SHOW_FRESH8=1): the same again, an eighth set
  from repositories not used before (an exploit, lateral movement and
  scanner probes on the malicious side; browsers, QUIC, RDP and test-tool
  TLS on the benign side).
- "fresh9" (labels-c9.tsv, SHOW_FRESH9=1): the same again, a ninth set
  from repositories not used before, gathered for its malicious side.
- "fresh10" (labels-c10.tsv, SHOW_FRESH10=1): the same again, a tenth
  set from repositories not used before (malware-traffic-analysis.net's
  exercises of 2016-2018; IoT devices' set-up, Windows services, browsing).
- "fresh11" (labels-c11.tsv, SHOW_FRESH11=1): the same again, an eleventh
  set from repositories not used before: small (Tor clients of 2019 and
  2025 and a stealer's sandbox run; desktops, browsers and a test client).
- "fresh12" (labels-c12.tsv, SHOW_FRESH12=1): the same again, a twelfth
  set (malware-traffic-analysis.net exercises of 2017, sandbox runs of
  Dridex and Emotet, C2 emulations; Android apps, IoT devices, browsers).
- "fresh13" (labels-c13.tsv, SHOW_FRESH13=1): the same again, a
  thirteenth set, labelled to check sni.rare_tld (2026-12-07) on
  captures it was not found on.
"""
import collections
import json
import os
import re
import sys
from datetime import datetime, timezone

TLS_PORTS = {443, 8443, 465, 993, 995, 853, 636, 989, 990, 992, 994, 5061, 8883, 9443}
# Sealed splits: captures nobody had scored when they were labelled, for
# one check of generalisation each. split: (switch that shows them, row
# title, whether their malicious flows are measured against the split's
# own benign flows rather than the main benign set).
SEALED = {
    "fresh": ("SHOW_FRESH", "fresh (labels-c3)", False),
    "fresh4": ("SHOW_FRESH4", "fresh4 (labels-c4)", True),
    "fresh5": ("SHOW_FRESH5", "fresh5 (labels-c5)", True),
    "fresh6": ("SHOW_FRESH6", "fresh6 (labels-c6)", True),
    "fresh7": ("SHOW_FRESH7", "fresh7 (labels-c7)", True),
    "fresh8": ("SHOW_FRESH8", "fresh8 (labels-c8)", True),
    "fresh9": ("SHOW_FRESH9", "fresh9 (labels-c9)", True),
    "fresh10": ("SHOW_FRESH10", "fresh10 (labels-c10)", True),
    "fresh11": ("SHOW_FRESH11", "fresh11 (labels-c11)", True),
    "fresh12": ("SHOW_FRESH12", "fresh12 (labels-c12)", True),
    "fresh13": ("SHOW_FRESH13", "fresh13 (labels-c13)", True),
}
NDPI_FLOW = re.compile(r"^\s+\d+\s+(TCP|UDP)\s+\[?([0-9a-fA-F.:]+?)\]?:(\d+)\s+<?->\s+\[?([0-9a-fA-F.:]+?)\]?:(\d+)\s")
RISK = re.compile(r"\[Risk Score: (\d+)\]")


def auc(pos, neg):
    """Weighted ROC AUC: pos and neg are lists of (score, weight)."""
    items = [(s, w, 1) for s, w in pos] + [(s, w, 0) for s, w in neg]
    items.sort(key=lambda x: x[0])
    wp = sum(w for _, w in pos)
    wn = sum(w for _, w in neg)
    if wp == 0 or wn == 0:
        return float("nan")
    total, neg_below = 0.0, 0.0
    i = 0
    while i < len(items):
        j = i
        tp = tn = 0.0
        while j < len(items) and items[j][0] == items[i][0]:
            if items[j][2]:
                tp += items[j][1]
            else:
                tn += items[j][1]
            j += 1
        total += tp * (neg_below + tn / 2)
        neg_below += tn
        i = j
    return total / (wp * wn)


def ndpi_scores(path):
    out = {}
    if not os.path.exists(path):
        return out
    for line in open(path, errors="replace"):
        m = NDPI_FLOW.match(line)
        if not m:
            continue
        proto, a, pa, b, pb = m.group(1), m.group(2), int(m.group(3)), m.group(4), int(m.group(5))
        r = RISK.search(line)
        s = int(r.group(1)) if r else 0
        for k in ((proto, a, pa, b, pb), (proto, b, pb, a, pa)):
            out[k] = max(out.get(k, 0), s)
    return out


OLD_JA4 = {"11", "10", "s3", "s2", "00"}  # JA4's version field: TLS 1.1, 1.0, SSL 3, SSL 2, unknown


def when(s):
    """An eve timestamp or a certificate time (naive: UTC)."""
    s = s.replace("+0000", "+00:00")
    t = datetime.fromisoformat(s)
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def six_flags(r):
    """The issue's hint: six facts the record already states, each 0 or 1.
    The ClientHello facts count only for flows that have one (tls.ja3):
    a capture that starts mid-stream, or a server that speaks first,
    shows no hello, which says nothing about its SNI or ALPN. Not TLS
    counts only for a connection seen from its start."""
    a = r.get("tlsentry") or r.get("anomaly") or {}
    t = r.get("tls") or {}
    hello = "ja3" in t
    start = (r.get("flow") or {}).get("start")
    flags = {
        "not_tls": not a.get("midstream") and r.get("app_proto") not in ("tls", None, "")
                   and r["dest_port"] in TLS_PORTS and (r.get("flow") or {}).get("bytes_toserver", 0) > 0,
        "no_sni": hello and not t.get("sni"),
        "self_signed": bool(t.get("self_signed")),
        "old_version": hello and t.get("ja4", "t13")[1:3] in OLD_JA4,
        "no_alpn": hello and not t.get("client_alpns"),
        "expired": bool(t.get("notafter") and start and when(t["notafter"]) < when(start)),
    }
    return flags


def read_labels(path):
    """Rows of a labels file as dicts keyed by its header."""
    rows = []
    head = None
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        if head is None:
            head = f
            continue
        rows.append(dict(zip(head, f + [""] * (len(head) - len(f)))))
    return rows


def rec_at(pos, neg, rate=0.01):
    """Recall at the lowest threshold that alerts on at most rate of neg
    (a flow alerts when its score is above the threshold)."""
    ns = sorted((s for s in neg), reverse=True)
    k = int(rate * len(ns))
    thr = ns[k] if k < len(ns) else float("-inf")
    return sum(s > thr for s in pos) / max(len(pos), 1)


def main():
    labels_path, out = sys.argv[1], sys.argv[2]
    rows = []
    entries = read_labels(labels_path)
    for extra in sys.argv[3:]:
        entries += read_labels(extra)
    for e in entries:
        if e["label"] == "excluded":
            continue
        name, label, fam, split = e["file"], e["label"], e["family"], e["split"]
        servers = None if e.get("flows", "*") in ("", "*") else set(e["flows"].split(","))
        sp = os.path.join(out, "scores", name + ".json")
        if not os.path.exists(sp):
            continue
        nd = ndpi_scores(os.path.join(out, "ndpi", name + ".txt"))
        recs = [json.loads(l) for l in open(sp)]
        # Other layers' alerts (the beacon tracker's periodic connections)
        # come as alert records of their own: a flow they name alerted too.
        # A beacon alert names a pair (client, destination: address:port
        # or server name) and the span of its periodic connections
        # (first_seen..last_seen, count); it lists a sample of their
        # flow_ids. Every connection of the pair in that span alerted.
        beacons = []
        for r in recs:
            b = (r.get("tlsentry") or {}).get("beacon")
            if r.get("event_type") == "alert" and b:
                beacons.append((b["client"], b["destination"], when(b["first_seen"]), when(b["last_seen"])))

        def beaconed(r):
            dest = {f"{r['dest_ip']}:{r['dest_port']}", (r.get("tls") or {}).get("sni", "")}
            t = when((r.get("flow") or {}).get("start", r["timestamp"]))
            return any(c == r["src_ip"] and d in dest and lo <= t <= hi for c, d, lo, hi in beacons)
        for r in recs:
            # Two record layouts: "anomaly" at the top (before the sensor
            # split) or inside the "tlsentry" object (after it).
            a = r.get("anomaly") or r.get("tlsentry") or {}
            plen = r.get("prefix_len", a.get("prefix_len", 0))
            quic = os.environ.get("QUIC") == "1" and r.get("proto") == "UDP" and r.get("app_proto") == "quic"
            if (r.get("proto") != "TCP" and not quic) or plen == 0 or "score" not in a or r.get("event_type", "flow") != "flow":
                continue
            if servers is not None:
                if f"{r['dest_ip']}:{r['dest_port']}" not in servers:
                    continue
            elif r["dest_port"] not in TLS_PORTS and not (os.environ.get("POP") == "any" and r.get("app_proto") == "tls"):
                continue
            flags = six_flags(r)
            key = (r["proto"], r["src_ip"], r["src_port"], r["dest_ip"], r["dest_port"])
            rows.append(dict(file=name, label=label, family=fam, split=split, score=a["score"], alert=a["alert"],
                             threshold=a["threshold"], ndpi=nd.get(key, 0), matched=key in nd,
                             reasons=a.get("reasons", []), sni=(r.get("tls") or {}).get("sni", ""), port=r["dest_port"],
                             proto=r.get("app_proto", ""), six=sum(flags.values()),
                             flags=",".join(k for k, v in flags.items() if v), beacon=beaconed(r)))
    by_file = collections.Counter(r["file"] for r in rows)
    for r in rows:
        r["w"] = 1.0 / by_file[r["file"]]
        # Every layer: flows that alerted (the model's or the beacon
        # tracker's) rank first, then by the model's score.
        r["any"] = (r["alert"] or r["beacon"], r["score"])
    # Sealed splits (see SEALED) stay out of every other row and of the
    # benign set the others are measured against.
    def sealed(r):
        return r["split"] in SEALED
    shown = {split for split, (switch, _, _) in SEALED.items() if os.environ.get(switch) == "1"}
    benign = [r for r in rows if r["label"] == "benign" and not sealed(r)]
    thr = rows[0]["threshold"] if rows else float("nan")
    ns = [r for r in rows if sealed(r)]
    extra = ", ".join(f"{len([r for r in ns if r['split'] == s])} {s} from {len({r['file'] for r in ns if r['split'] == s})}"
                      for s in SEALED)
    print(f"flows judged: {len(rows) - len(ns)} from {len(by_file) - len({r['file'] for r in ns})} captures"
          f" (and {extra}); threshold {thr:.2f} bits")
    nb = len(benign)
    fb = len({r['file'] for r in benign})
    alerts = sum(r["alert"] for r in benign)
    falert = len({r["file"] for r in benign if r["alert"]})
    print(f"benign: {nb} flows in {fb} captures; alerts on {alerts} ({100*alerts/max(nb,1):.2f}%) in {falert} captures;"
          f" nDPI matched {sum(r['matched'] for r in benign)}")
    any_b = sum(r["any"][0] for r in benign)
    print(f"benign flows alerted by any layer (the model, the beacon tracker): {any_b} ({100*any_b/max(nb,1):.2f}%)")
    six_b = sum(r["six"] >= 2 for r in benign)
    nd_b = sum(r["ndpi"] >= 100 for r in benign)
    print(f"peers on the same benign flows: six-flag sum >= 2 on {six_b} ({100*six_b/max(nb,1):.2f}%),"
          f" nDPI risk >= 100 on {nd_b} ({100*nd_b/max(nb,1):.2f}%)")
    print("ROC AUC plain / file-weighted; alerts at the default threshold; r@1%: recall where at most 1% of benign flows score above")
    print(f"{'anomalies':32s} {'flows':>5s} {'files':>5s} | {'tlsentry':>13s} {'alerts':>7s} {'r@1%':>5s} | {'nDPI risk':>13s} {'r@1%':>5s} | {'six-flag sum':>13s} {'r@1%':>5s} | {'+beacon':>13s} {'alerts':>7s}")
    # (name, selector, split it belongs to or None, benign flows it is measured against)
    sets = [("malicious, all", lambda r: r["label"] == "malicious" and not sealed(r), None, benign),
            ("malicious, used in tuning", lambda r: r["label"] == "malicious" and r["split"] == "tune", None, benign),
            ("malicious, held out of tuning", lambda r: r["label"] == "malicious" and r["split"] == "heldout", None, benign)]
    fams = sorted({(r["label"], r["split"], r["family"]) for r in rows if r["label"] in ("malicious", "evasion") and not sealed(r)})
    for lab, split, fam in fams:
        sets.append((f"  {lab} {split + ' ' if split else ''}{fam}",
                     lambda r, lab=lab, fam=fam: r["label"] == lab and r["family"] == fam and not sealed(r), None, benign))
    sets.append(("evasion tools, all", lambda r: r["label"] == "evasion" and not sealed(r), None, benign))
    for split, (switch, title, own_benign) in SEALED.items():
        ref = [r for r in rows if r["label"] == "benign" and r["split"] == split] if own_benign else benign
        sets.append((f"malicious, {title}", lambda r, split=split: r["label"] == "malicious" and r["split"] == split, split, ref))
        if split in shown:
            for lab, fam in sorted({(r["label"], r["family"]) for r in rows if r["split"] == split and r["label"] != "benign"}):
                name = f"  {split} {fam}" if lab == "malicious" else f"  {lab} {split} {fam}"
                sets.append((name, lambda r, lab=lab, fam=fam, split=split: r["label"] == lab and r["family"] == fam and r["split"] == split,
                             split, ref))
    show = os.environ.get("SHOW_HELDOUT") == "1"
    for name, sel, split, ref in sets:
        pos = [r for r in rows if sel(r)]
        if split is not None and split not in shown:
            print(f"{name:32s} {len(pos):5d} {len({r['file'] for r in pos}):5d} | ({split}: {SEALED[split][0]}=1)")
            continue
        if not show and any(r["split"] == "heldout" for r in pos):
            print(f"{name:32s} {len(pos):5d} {len({r['file'] for r in pos}):5d} | (held out: SHOW_HELDOUT=1)")
            continue
        if not pos:
            continue
        cols = []
        for key in ("score", "ndpi", "six", "any"):
            a = auc([(r[key], 1) for r in pos], [(r[key], 1) for r in ref])
            aw = auc([(r[key], r["w"]) for r in pos], [(r[key], r["w"]) for r in ref])
            rc = rec_at([r[key] for r in pos], [r[key] for r in ref])
            cols.append((a, aw, rc))
        al = sum(r["alert"] for r in pos)
        (t, tw, tr), (n, nw, nr), (x, xw, xr), (y, yw, _) = cols
        ay = sum(r["any"][0] for r in pos)
        print(f"{name:32s} {len(pos):5d} {len({r['file'] for r in pos}):5d} | {t:6.3f} {tw:6.3f} {al:3d}/{len(pos):<3d} {tr:5.2f} |"
              f" {n:6.3f} {nw:6.3f} {nr:5.2f} | {x:6.3f} {xw:6.3f} {xr:5.2f} | {y:6.3f} {yw:6.3f} {ay:3d}/{len(pos):<3d}")
    for split, (switch, title, own_benign) in SEALED.items():
        if not own_benign:
            continue
        ref = [r for r in rows if r["label"] == "benign" and r["split"] == split]
        head = f"benign, {title}: {len(ref)} flows in {len({r['file'] for r in ref})} captures"
        if split not in shown:
            print(f"{head} ({split}: {switch}=1)")
            continue
        al = sum(r["alert"] for r in ref)
        ay = sum(r["any"][0] for r in ref)
        print(f"{head}; alerts on {al} ({100*al/max(len(ref),1):.2f}%) in {len({r['file'] for r in ref if r['alert']})} captures,"
              f" any layer {ay}; six-flag sum >= 2 on {sum(r['six'] >= 2 for r in ref)},"
              f" nDPI risk >= 100 on {sum(r['ndpi'] >= 100 for r in ref)}")
    with open(os.path.join(out, "flows.tsv"), "w") as f:
        f.write("file\tlabel\tfamily\tsplit\tport\tapp_proto\tsni\tscore\talert\tndpi_risk\tsix\tflags\tfirst_reason\n")
        for r in sorted(rows, key=lambda r: -r["score"]):
            if sealed(r) and r["split"] not in shown:
                continue
            f.write(f"{r['file']}\t{r['label']}\t{r['family']}\t{r['split']}\t{r['port']}\t{r['proto']}\t{r['sni']}\t{r['score']:.2f}\t{r['alert']}\t{r['ndpi']}\t{r['six']}\t{r['flags']}\t{(r['reasons'] or [''])[0]}\n")

if __name__ == "__main__":
    main()
