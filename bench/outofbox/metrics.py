#!/usr/bin/env python3
"""Out-of-the-box figures from eval.sh's outputs (see README.md).

Flows judged: TCP flows with payload to a well-known TLS port (what a TLS
sensor watches; the daemon's default is 443 alone). POP=any also judges
TLS on any other port. Each flow gets tlsentry's score (and alert)
and nDPI's risk score (ndpiReader's [Risk Score: N], 0 without a risk),
matched by 5-tuple. ROC AUC is given plain (every flow counts once) and
file-weighted (every capture counts once: its flows share a weight of 1).
"""
import collections
import json
import os
import re
import sys

TLS_PORTS = {443, 8443, 465, 993, 995, 853, 636, 989, 990, 992, 994, 5061, 8883, 9443}
NDPI_FLOW = re.compile(r"^\s+\d+\s+TCP\s+\[?([0-9a-fA-F.:]+?)\]?:(\d+)\s+<?->\s+\[?([0-9a-fA-F.:]+?)\]?:(\d+)\s")
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
        a, pa, b, pb = m.group(1), int(m.group(2)), m.group(3), int(m.group(4))
        r = RISK.search(line)
        s = int(r.group(1)) if r else 0
        for k in ((a, pa, b, pb), (b, pb, a, pa)):
            out[k] = max(out.get(k, 0), s)
    return out


def main():
    labels_path, out = sys.argv[1], sys.argv[2]
    rows = []
    for line in open(labels_path):
        f = line.rstrip("\n").split("\t")
        if f[0] == "file" or f[1] == "excluded":
            continue
        name, label, fam, split = f[0], f[1], f[2], f[3]
        sp = os.path.join(out, "scores", name + ".json")
        if not os.path.exists(sp):
            continue
        nd = ndpi_scores(os.path.join(out, "ndpi", name + ".txt"))
        for l in open(sp):
            r = json.loads(l)
            # Two record layouts: "anomaly" at the top (before the sensor
            # split) or inside the "tlsentry" object (after it).
            a = r.get("anomaly") or r.get("tlsentry") or {}
            plen = r.get("prefix_len", a.get("prefix_len", 0))
            if r.get("proto") != "TCP" or plen == 0 or "score" not in a or r.get("event_type", "flow") != "flow":
                continue
            if r["dest_port"] not in TLS_PORTS and not (os.environ.get("POP") == "any" and r.get("app_proto") == "tls"):
                continue
            key = (r["src_ip"], r["src_port"], r["dest_ip"], r["dest_port"])
            rows.append(dict(file=name, label=label, family=fam, split=split, score=a["score"], alert=a["alert"],
                             threshold=a["threshold"], ndpi=nd.get(key, 0), matched=key in nd,
                             reasons=a.get("reasons", []), sni=(r.get("tls") or {}).get("sni", ""), port=r["dest_port"],
                             proto=r.get("app_proto", "")))
    by_file = collections.Counter(r["file"] for r in rows)
    for r in rows:
        r["w"] = 1.0 / by_file[r["file"]]
    benign = [r for r in rows if r["label"] == "benign"]
    thr = rows[0]["threshold"] if rows else float("nan")
    print(f"flows judged: {len(rows)} from {len(by_file)} captures; threshold {thr:.2f} bits")
    nb = len(benign)
    fb = len({r['file'] for r in benign})
    alerts = sum(r["alert"] for r in benign)
    falert = len({r["file"] for r in benign if r["alert"]})
    print(f"benign: {nb} flows in {fb} captures; alerts on {alerts} ({100*alerts/max(nb,1):.2f}%) in {falert} captures;"
          f" nDPI matched {sum(r['matched'] for r in benign)}")
    print(f"{'anomalies':34s} {'flows':>5s} {'files':>5s} | {'tlsentry AUC':>12s} {'file-wt':>7s} {'alerts':>7s} | {'nDPI AUC':>8s} {'file-wt':>7s}")
    sets = [("malicious, all", lambda r: r["label"] == "malicious"),
            ("malicious, used in tuning", lambda r: r["label"] == "malicious" and r["split"] == "tune"),
            ("malicious, held out of tuning", lambda r: r["label"] == "malicious" and r["split"] == "heldout")]
    fams = sorted({(r["label"], r["family"]) for r in rows if r["label"] in ("malicious", "evasion")})
    for lab, fam in fams:
        sets.append((f"  {lab} {fam}", lambda r, lab=lab, fam=fam: r["label"] == lab and r["family"] == fam))
    sets.append(("evasion tools, all", lambda r: r["label"] == "evasion"))
    show = os.environ.get("SHOW_HELDOUT") == "1"
    for name, sel in sets:
        pos = [r for r in rows if sel(r)]
        if not show and any(r["split"] == "heldout" for r in pos):
            print(f"{name:34s} {len(pos):5d} {len({r['file'] for r in pos}):5d} | (held out: SHOW_HELDOUT=1)")
            continue
        if not pos:
            continue
        t = auc([(r["score"], 1) for r in pos], [(r["score"], 1) for r in benign])
        tw = auc([(r["score"], r["w"]) for r in pos], [(r["score"], r["w"]) for r in benign])
        n = auc([(r["ndpi"], 1) for r in pos], [(r["ndpi"], 1) for r in benign])
        nw = auc([(r["ndpi"], r["w"]) for r in pos], [(r["ndpi"], r["w"]) for r in benign])
        al = sum(r["alert"] for r in pos)
        print(f"{name:34s} {len(pos):5d} {len({r['file'] for r in pos}):5d} | {t:12.3f} {tw:7.3f} {al:3d}/{len(pos):<3d} | {n:8.3f} {nw:7.3f}")
    with open(os.path.join(out, "flows.tsv"), "w") as f:
        f.write("file\tlabel\tfamily\tsplit\tport\tapp_proto\tsni\tscore\talert\tndpi_risk\tfirst_reason\n")
        for r in sorted(rows, key=lambda r: -r["score"]):
            f.write(f"{r['file']}\t{r['label']}\t{r['family']}\t{r['split']}\t{r['port']}\t{r['proto']}\t{r['sni']}\t{r['score']:.2f}\t{r['alert']}\t{r['ndpi']}\t{(r['reasons'] or [''])[0]}\n")


if __name__ == "__main__":
    main()
