#!/usr/bin/env python3
"""Writes labels.tsv: every capture of nDPI's tests/cfgs/default/pcap (the
mirror's commit of 2024-10-21) with a label for the out-of-the-box
evaluation (see README.md):

  malicious   labelled malware, C2 or Tor traffic; column "split" says
              whether it was used while tuning (tune) or kept out of all
              tuning (heldout)
  evasion     circumvention and obfuscation tools: reported on their own
  benign      application traffic
  excluded    not for this evaluation: the default model's training data
              (../shared/pcaps/ndpi), fuzzing seeds, fabricated or broken
              traces, attacks and scans over plain HTTP

Usage: labels.py FILE_LIST SHARED_NDPI_DIR > labels.tsv
"""
import os
import re
import sys

MALICIOUS = {
    # family, split
    "tor.pcap": ("tor", "tune"),
    "tls_malicious_sha1.pcapng": ("malicious-cert", "tune"),
    "emotet.pcap": ("emotet", "heldout"),
    "trickbot.pcap": ("trickbot", "heldout"),
    "malware.pcap": ("malware-mix", "heldout"),
    "mining.pcapng": ("cryptominer", "heldout"),
    "log4j-webapp-exploit.pcap": ("log4j-exploit", "heldout"),
}
EVASION = re.compile(r"^(psiphon3|ultrasurf|tls_heur__.*|openvpn_obfuscated|obfs.*|.*shadowsocks.*|.*vmess.*)\.")
EXCLUDED = [
    (re.compile(r"^ossfuzz_|fake_traces"), "fuzzing seed or fabricated trace"),
    (re.compile(r"^(malformed|bad|badpackets|Webattack|sql_injection|xss|shell|synscan|tcp_scan|custom_risk_mask)"), "attack, scan or broken trace"),
]

# Benign captures with a flow to a TLS port that the default model alerted
# on, each looked at by hand (issue 12's review): kept as application
# traffic, with why, or moved to excluded as a test-suite artefact rather
# than traffic of an application. README.md lists the moves.
REVIEWED = {
    "haproxy.pcap": ("excluded", "fabricated: one packet from 1.1.1.1 to 2.2.2.2, a PROXY header for 11.111.11.111 and SNI aaaaaaaaaaaaaaaa.xx, made for nDPI's HAProxy dissector test"),
    "tls_invalid_reads.pcap": ("excluded", "regression trace of nDPI's invalid-reads fixes: a ClientHello whose extensions stop short, timestamps 9 years apart"),
    "tls_unidirectional.pcap": ("excluded", "hand-made probe: a client typed a line ending (CRLF) into port 443 of its gateway and closed, for nDPI's unidirectional-flow test; no application"),
    "telegram_videocall.pcapng": ("benign", "application traffic; reviewed: Telegram's obfuscated transport, random bytes on 443 from the first byte: real, and the issue wants random bytes on 443 alerted"),
    "false_positives.pcapng": ("benign", "application traffic; reviewed: plain HTTP (a websocket GET) on 443: real, and the issue wants non-TLS on 443 alerted"),
    "openvpn.pcap": ("benign", "application traffic; reviewed: an OpenVPN client's TLS over TCP 443 whose records stop being TLS framing: real, should not alert"),
    "anydesk.pcapng": ("benign", "application traffic; reviewed: AnyDesk's server asks the client for a certificate (mutual TLS): real, should not alert"),
    "ja3_lots_of_cipher_suites_2_anon.pcap": ("benign", "application traffic; reviewed: a mobile client inside GTP offering anonymous suites to a server with a self-signed certificate: real, should not alert"),
}


def main():
    names = [l.strip() for l in open(sys.argv[1]) if l.strip()]
    shared = set(os.listdir(sys.argv[2])) if os.path.isdir(sys.argv[2]) else set()
    print("file\tlabel\tfamily\tsplit\twhy")
    for n in sorted(names):
        if n in REVIEWED and n not in shared:
            lab, why = REVIEWED[n]
            fam = n.split('.')[0] if lab == "benign" else ""
            print(f"{n}\t{lab}\t{fam}\t\t{why}")
        elif n in shared:
            print(f"{n}\texcluded\t\t\tin the default model's training data (shared/pcaps/ndpi)")
        elif n in MALICIOUS:
            fam, split = MALICIOUS[n]
            print(f"{n}\tmalicious\t{fam}\t{split}\tnamed malware/C2/Tor capture")
        elif EVASION.match(n):
            print(f"{n}\tevasion\t{n.split('.')[0]}\t\tcircumvention or obfuscation tool")
        else:
            why = next((w for r, w in EXCLUDED if r.search(n)), None)
            if why:
                print(f"{n}\texcluded\t\t\t{why}")
            else:
                print(f"{n}\tbenign\t{n.split('.')[0]}\t\tapplication traffic")


if __name__ == "__main__":
    main()
