#!/usr/bin/env python3
"""Python pieces of the real-stack lab (see README.md).

Benign:    serve-https, client-https (urllib, or a raw ssl socket)
Labels:    labels (labels.tsv from the stacks' time windows), by-stack
           (detection per stack of each anomaly kind, for eval.sh)
Anomalies: serve-http (plain HTTP on the TLS port), serve-random and
           client-random (random bytes both ways), proxy (cuts or breaks
           the first TLS record of a real client on its way to a server,
           or sends a decoy of it the server drops).
"""
import argparse
import http.server
import os
import random
import signal
import socket
import struct
import socketserver
import ssl
import sys
import threading
import time
import urllib.request
import warnings

# TLS 1.0/1.1 are what the legacy anomaly is made of.
warnings.filterwarnings("ignore", category=DeprecationWarning)

LEGACY = "ALL:@SECLEVEL=0"
VERSIONS = {"1.0": ssl.TLSVersion.TLSv1, "1.1": ssl.TLSVersion.TLSv1_1,
            "1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}


def hostport(s):
    host, port = s.rsplit(":", 1)
    return host, int(port)


def log(*a):
    print("lab.py:", *a, file=sys.stderr, flush=True)


class Page(http.server.BaseHTTPRequestHandler):
    server_version = "PyLab/1.0"
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = ("<html><body><h1>%s</h1><p>%s</p>%s</body></html>\n" % (
            self.headers.get("Host", "?"), self.path, "<p>x</p>" * (len(self.path) % 5))).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def log_message(self, *a):
        pass


class Threaded(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    tls = None  # an SSLContext: the handshake runs in the connection's thread

    def finish_request(self, request, client_address):
        conn = request
        try:
            request.settimeout(10)
            if self.tls is not None:
                conn = self.tls.wrap_socket(request, server_side=True)
            self.RequestHandlerClass(conn, client_address, self)
        except (OSError, ssl.SSLError):
            pass  # broken hellos and clients that hang up are the point
        finally:
            try:
                conn.close()
            except OSError:
                pass


def serve(listen, tls):
    servers = []
    for a in listen:
        s = Threaded(hostport(a), Page)
        s.tls = tls
        servers.append(s)
        threading.Thread(target=s.serve_forever, daemon=True).start()
    log("serving on", ", ".join(listen))
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass


def server_context(a):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    if a.tls_min:
        ctx.set_ciphers(LEGACY)
        ctx.minimum_version = VERSIONS[a.tls_min]
    if a.tls_max:
        ctx.maximum_version = VERSIONS[a.tls_max]
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def client_context(a):
    ctx = ssl.create_default_context(cafile=a.ca)
    if a.insecure or a.no_sni:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if a.ciphers:
        ctx.set_ciphers(a.ciphers)
    if a.tls_min:
        ctx.minimum_version = VERSIONS[a.tls_min]
    if a.tls_max:
        ctx.maximum_version = VERSIONS[a.tls_max]
    return ctx


def raw_get(ctx, url, no_sni):
    """One GET over a bare ssl socket: for set-ups urllib cannot make (no SNI)."""
    rest = url.split("://", 1)[1]
    hp, _, path = rest.partition("/")
    host, port = hostport(hp) if ":" in hp else (hp, 443)
    with socket.create_connection((host, port), timeout=10) as s:
        with ctx.wrap_socket(s, server_hostname=None if no_sni else host) as t:
            t.sendall(("GET /%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: Python-raw\r\nConnection: close\r\n\r\n" % (path, host)).encode())
            while t.recv(65536):
                pass


def cmd_client_https(a):
    urls = [l.strip() for l in open(a.urls) if l.strip()]
    ctx = client_context(a)
    ok = failed = 0
    first = None
    for u in urls:
        try:
            if a.raw or a.no_sni:
                raw_get(ctx, u, a.no_sni)
            elif u.startswith("https:"):
                urllib.request.urlopen(u, context=ctx, timeout=10).read()
            else:
                urllib.request.urlopen(u, timeout=10).read()
            ok += 1
        except Exception as e:  # counted: anomaly runs fail on purpose
            failed += 1
            first = first or e
        if a.pause:
            time.sleep(a.pause)
    log("client-https: %d ok, %d failed%s" % (ok, failed, " (first: %r)" % first if first else ""))


def cmd_serve_https(a):
    serve(a.listen, server_context(a))


def cmd_serve_http(a):
    serve(a.listen, None)


def cmd_serve_random(a):
    """Answers whatever arrives with random bytes, a few rounds."""
    def handle(c):
        with c:
            c.settimeout(2)
            try:
                for _ in range(random.randint(1, 3)):
                    if not c.recv(4096):
                        return
                    c.sendall(os.urandom(random.randint(8, 1500)))
            except OSError:
                pass

    serve_forever(a.listen, handle, "random server on")


def cmd_client_random(a):
    r = random.Random(a.seed)
    ok = 0
    for i in range(a.n):
        target = hostport(r.choice(a.target))
        try:
            with socket.create_connection(target, timeout=3) as s:
                s.settimeout(1)
                for _ in range(r.randint(1, 3)):
                    s.sendall(os.urandom(r.randint(16, 900)))
                    try:
                        if not s.recv(4096):
                            break
                    except socket.timeout:
                        break
            ok += 1
        except OSError:
            pass
    log("client-random: %d of %d connections" % (ok, a.n))


def read_record(c):
    """The client's first TLS record, header and body (or what came)."""
    data = b""
    need = 5
    while len(data) < need:
        chunk = c.recv(65536)
        if not chunk:
            break
        data += chunk
        if len(data) >= 5:
            need = 5 + int.from_bytes(data[3:5], "big")
    return data


def extensions_offset(rec):
    """Offset of the extensions length in a ClientHello record, or None."""
    try:
        p = 5 + 4 + 2 + 32
        p += 1 + rec[p]
        p += 2 + int.from_bytes(rec[p:p + 2], "big")
        p += 1 + rec[p]
        return p if p + 2 <= len(rec) else None
    except IndexError:
        return None


def malform(rec, r):
    """Lengths that contradict each other, one way picked at random."""
    b = bytearray(rec)
    ext = extensions_offset(rec)
    way = r.choice(["handshake-length", "session-id-length", "extensions-length", "cipher-list-length"])
    if way == "handshake-length":
        b[6], b[7], b[8] = 0xFF, r.randrange(256), r.randrange(256)
    elif way == "session-id-length":
        b[43] = r.choice([33, 0x7F, 0xFF, r.randrange(256)])
    elif way == "extensions-length" and ext is not None:
        n = int.from_bytes(b[ext:ext + 2], "big")
        b[ext:ext + 2] = ((n + r.choice([-7, -3, 5, 200])) & 0xFFFF).to_bytes(2, "big")
    else:
        p = 5 + 4 + 2 + 32
        p += 1 + b[p]
        b[p:p + 2] = (int.from_bytes(b[p:p + 2], "big") | 0x8001).to_bytes(2, "big")
    return bytes(b), way


def server_name_span(rec):
    """(start, end) of the host name in a ClientHello record's SNI, or None."""
    p = extensions_offset(rec)
    if p is None:
        return None
    end = min(len(rec), p + 2 + int.from_bytes(rec[p:p + 2], "big"))
    p += 2
    while p + 4 <= end:
        typ, n = int.from_bytes(rec[p:p + 2], "big"), int.from_bytes(rec[p + 2:p + 4], "big")
        if typ == 0 and p + 9 <= end:
            return p + 9, min(end, p + 9 + int.from_bytes(rec[p + 7:p + 9], "big"))
        p += 4 + n
    return None


def decoy_of(rec, r):
    """The record as a decoy: the same hello naming another host (letters
    drawn at random, the name's length and dots kept), and another random."""
    b = bytearray(rec)
    span = server_name_span(rec)
    if span:
        for i in range(*span):
            if b[i] != ord("."):
                b[i] = ord(r.choice("abcdefghijklmnopqrstuvwxyz"))
    for i in range(11, min(43, len(b))):
        b[i] = r.randrange(256)
    return bytes(b)


def split_send(s, rec, r):
    """Sends the record whole but cut in TCP segments, one of three ways
    at random, as DPI-evasion tools do: its first 2 bytes, then the rest
    (zapret's split2, GoodbyeDPI's -f 2); up to the server name, then the
    rest (ByeDPI's --split at the SNI); or 35-byte chunks (SpoofDPI's
    chunk mode). TCP_NODELAY and a pause between sends keep each piece a
    segment of its own."""
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    way = r.choice(["split-2", "split-sni", "split-chunk"])
    span = server_name_span(rec)
    if way == "split-sni" and not span:
        way = "split-2"
    if way == "split-2":
        cuts = [2]
    elif way == "split-sni":
        cuts = [span[0]]
    else:
        cuts = list(range(35, len(rec), 35))
    last = 0
    for c in cuts + [len(rec)]:
        s.sendall(rec[last:c])
        last = c
        time.sleep(0.005)
    return way


# TCP repair mode (linux/tcp.h): a connected socket's sequence numbers.
TCP_REPAIR, TCP_REPAIR_QUEUE, TCP_QUEUE_SEQ = 19, 20, 21
TCP_RECV_QUEUE, TCP_SEND_QUEUE, TCP_REPAIR_OFF_NO_WP = 1, 2, -1


def next_seqs(s):
    """The socket's next sequence number to send and the next it expects
    (its acknowledgement number)."""
    s.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, 1)
    try:
        out = []
        for q in (TCP_SEND_QUEUE, TCP_RECV_QUEUE):
            s.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR_QUEUE, q)
            out.append(struct.unpack("I", s.getsockopt(socket.IPPROTO_TCP, TCP_QUEUE_SEQ, 4))[0])
        return out
    finally:
        s.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, TCP_REPAIR_OFF_NO_WP)


def inet_sum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xFFFF) + (t >> 16)
    return ~t & 0xFFFF


def raw_segment(s, seq, payload, ack=None, md5=False):
    """An IPv4 packet of a segment on s's connection at seq carrying
    payload, to send through a raw socket; without the ACK flag when ack is
    None (zapret's "datanoack" fooling: a TCP in ESTABLISHED drops data
    without ACK, RFC 9293 3.10.7.4), else with it; with a TCP MD5 signature
    option when md5 (zapret's "md5sig": a TCP without a key for the
    connection drops it). A monitor sees it either way."""
    (src, sport), (dst, dport) = s.getsockname()[:2], s.getpeername()[:2]
    flags = 0x08 if ack is None else 0x18
    opts = bytes([19, 18]) + bytes(16) + bytes([1, 1]) if md5 else b""  # a digest of zeros
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack or 0, (5 + len(opts) // 4) << 4, flags, 502, 0, 0) + opts
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(tcp) + len(payload))
    tcp = tcp[:16] + struct.pack("!H", inet_sum(pseudo + tcp + payload)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 0, 0x4000, 64, 6, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    return ip + tcp + payload, dst


def cmd_proxy(a):
    """Between a real client and a real server: the server's side of the
    proxy is the captured flow. truncate sends 30-80% of the first record,
    then closes (at once or after a pause); malformed sends the record with
    broken lengths and relays the rest both ways; decoy sends a decoy of
    the record (another host's name) the server's TCP drops, one of four
    ways at random: without the ACK flag before the real one, so after the
    real one's first half, before it at sequence numbers 10,000 in the
    past (its acknowledgement number 66,000 back: zapret's badseq), or
    before it with a TCP MD5 signature option (zapret's md5sig), then
    relays both ways; split sends the record whole in segments cut as
    DPI-evasion tools cut them (split_send), then relays both ways."""
    r = random.Random(a.seed)
    lock = threading.Lock()
    counts = {}

    def handle(c, target):
        with lock:
            cut = r.randint(30, 80)
            pause = r.choice([0, 0, 0.2, 1.0])
            rr = random.Random(r.random())
        with c:
            c.settimeout(5)
            try:
                rec = read_record(c)
                if len(rec) < 50:
                    return
                with socket.create_connection(target, timeout=5) as s:
                    if a.mode == "truncate":
                        s.sendall(rec[:len(rec) * cut // 100])
                        time.sleep(pause)
                        way = "cut"
                    else:
                        if a.mode == "decoy":
                            seq, ack = next_seqs(s)
                            fake = decoy_of(rec, rr)
                            way = rr.choice(["decoy-before", "decoy-after", "decoy-badseq", "decoy-md5sig"])
                            if way == "decoy-badseq":
                                pkt, dst = raw_segment(s, (seq - 10000) % 2**32, fake, (ack - 66000) % 2**32)
                            elif way == "decoy-md5sig":
                                pkt, dst = raw_segment(s, seq, fake, ack, md5=True)
                            else:
                                pkt, dst = raw_segment(s, seq, fake)
                            with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW) as raw:
                                if way == "decoy-after":
                                    # after the hello's first half and before its rest, as
                                    # zapret's fakedsplit surrounds its parts: the server
                                    # cannot answer (and the flow end) before the decoy
                                    s.sendall(rec[:len(rec) // 2])
                                    raw.sendto(pkt, (dst, 0))
                                    s.sendall(rec[len(rec) // 2:])
                                else:
                                    raw.sendto(pkt, (dst, 0))
                                    s.sendall(rec)
                        elif a.mode == "split":
                            way = split_send(s, rec, rr)
                        else:
                            bad, way = malform(rec, rr)
                            s.sendall(bad)
                        s.settimeout(3)
                        t = threading.Thread(target=relay_pair, args=(c, s), daemon=True)
                        t.start()
                        relay_pair(s, c)
                        t.join(3)
                with lock:
                    counts[way] = counts.get(way, 0) + 1
            except OSError:
                pass

    def accept(l, target):
        while True:
            c, _ = l.accept()
            threading.Thread(target=handle, args=(c, target), daemon=True).start()

    for m in a.map:
        listen, target = m.split("=")
        l = socket.create_server(hostport(listen), reuse_port=True)
        threading.Thread(target=accept, args=(l, hostport(target)), daemon=True).start()
    log("proxy (%s) on %s" % (a.mode, ", ".join(a.map)))
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    log("proxy (%s) made %s" % (a.mode, counts))


def cmd_proxy_connect(a):
    """An HTTP CONNECT proxy on a TLS port: reads the request, dials the
    target, answers 200 and relays both ways."""
    def handle(c):
        with c:
            c.settimeout(10)
            try:
                req = b""
                while b"\r\n\r\n" not in req and len(req) < 8192:
                    d = c.recv(4096)
                    if not d:
                        return
                    req += d
                line = req.split(b"\r\n", 1)[0].decode("latin-1").split()
                if len(line) < 2 or line[0] != "CONNECT":
                    c.sendall(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
                    return
                with socket.create_connection(hostport(line[1]), timeout=10) as s:
                    c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    rest = req.split(b"\r\n\r\n", 1)[1]
                    if rest:
                        s.sendall(rest)
                    t = threading.Thread(target=relay_pair, args=(c, s), daemon=True)
                    t.start()
                    relay_pair(s, c)
                    t.join(3)
            except OSError:
                pass

    serve_forever(a.listen, handle, "CONNECT proxy on")


def relay_pair(src, dst):
    try:
        while True:
            d = src.recv(65536)
            if not d:
                break
            dst.sendall(d)
    except OSError:
        pass
    finally:
        for x in (src, dst):
            try:
                x.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve_forever(addrs, handle, what):
    """Accepts on every address, each connection handled on its own
    thread, until the process is killed."""
    for a_ in addrs:
        l = socket.create_server(hostport(a_), reuse_port=True)
        threading.Thread(target=accept_loop, args=(l, handle), daemon=True).start()
    log(what, ", ".join(addrs))
    wait_forever()


def accept_loop(l, handle):
    while True:
        c, _ = l.accept()
        threading.Thread(target=handle, args=(c,), daemon=True).start()


def wait_forever():
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass


BANNER_MAGIC = b"\x7e\x11\x00"


def cmd_serve_banner(a):
    """A TLS server (python ssl) that first reads a client's binary
    banner (magic, length, id) and then runs TLS on the same socket, as an
    implant's listener would."""
    ctx = server_context(a)

    def handle(c):
        with c:
            c.settimeout(10)
            try:
                head = c.recv(4, socket.MSG_WAITALL)
                if len(head) < 4:
                    return
                c.recv(head[3], socket.MSG_WAITALL)
                with ctx.wrap_socket(c, server_side=True) as t:
                    t.recv(4096)
                    t.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            except (OSError, ssl.SSLError):
                pass

    serve_forever(a.listen, handle, "banner+TLS server on")


def cmd_client_banner(a):
    """Sends a binary banner, then a real TLS handshake (python ssl) on the
    same connection."""
    r = random.Random(a.seed)
    ctx = client_context(a)
    ok = 0
    for _ in range(a.n):
        target = hostport(r.choice(a.target))
        ident = bytes(r.randrange(256) for _ in range(r.randint(12, 40)))
        try:
            with socket.create_connection(target, timeout=5) as s:
                s.sendall(BANNER_MAGIC + bytes([len(ident)]) + ident)
                with ctx.wrap_socket(s, server_hostname=a.sni) as t:
                    t.sendall(b"GET /beacon HTTP/1.1\r\nHost: x\r\n\r\n")
                    t.recv(4096)
            ok += 1
        except (OSError, ssl.SSLError):
            pass
    log("client-banner: %d of %d connections" % (ok, a.n))


def fake_record(r, lo, hi):
    body = os.urandom(r.randint(lo, hi))
    return b"\x17\x03\x03" + len(body).to_bytes(2, "big") + body


def cmd_serve_faketls(a):
    """Answers TLS-framed application data records with more of them: no
    handshake at all (FakeTLS-style obfuscation)."""
    def handle(c):
        with c:
            c.settimeout(3)
            try:
                r = random.Random()
                for _ in range(r.randint(1, 3)):
                    if not c.recv(65536):
                        return
                    c.sendall(fake_record(r, 40, 1400))
            except OSError:
                pass

    serve_forever(a.listen, handle, "fake TLS server on")


def cmd_client_faketls(a):
    r = random.Random(a.seed)
    ok = 0
    for _ in range(a.n):
        target = hostport(r.choice(a.target))
        try:
            with socket.create_connection(target, timeout=3) as s:
                s.settimeout(1)
                for _ in range(r.randint(1, 3)):
                    s.sendall(fake_record(r, 60, 900))
                    try:
                        if not s.recv(65536):
                            break
                    except socket.timeout:
                        break
            ok += 1
        except OSError:
            pass
    log("client-faketls: %d of %d connections" % (ok, a.n))


def stop(*_):
    raise KeyboardInterrupt  # servers end their wait and report


def cmd_labels(a):
    """labels.tsv from attempts.tsv (set, stack, connections, window) and
    `tlsentry flows` JSON lines of each set (DIR/SET.json): a flow belongs
    to the stack whose window holds its first packet."""
    import collections
    import json
    windows = collections.defaultdict(list)
    order = []
    for line in open(a.attempts):
        st, stack, count, t0, t1 = line.rstrip("\n").split("\t")
        windows[st].append((float(t0), float(t1), stack, int(count)))
        order.append((st, stack, int(count)))
    rows = collections.defaultdict(lambda: {"flows": 0, "payload": 0, "hellos": 0, "ja4": collections.Counter()})
    totals = collections.defaultdict(lambda: {"flows": 0, "payload": 0, "hellos": 0, "ja4": collections.Counter()})
    for st in windows:
        for line in open(os.path.join(a.flows, st + ".json")):
            f = json.loads(line)
            t = flow_time(f)
            stack = next((w[2] for w in windows[st] if w[0] <= t < w[1]), "(outside every window)")
            for r in (rows[(st, stack)], totals[st]):
                r["flows"] += 1
                # prefix_len at the top, or in "tlsentry" (the later layout).
                r["payload"] += f.get("prefix_len", (f.get("tlsentry") or {}).get("prefix_len", 0)) > 0
                ja4 = (f.get("tls") or {}).get("ja4")
                if ja4:
                    r["hellos"] += 1
                    r["ja4"][ja4] += 1
    extra = [(st, stack, 0) for (st, stack) in rows if stack.startswith("(")]
    with open(a.out, "w") as out:
        out.write("file\tstack\tconnections\tflows\tpayload_flows\tclient_hellos\tja4_distinct\tja4 (flows)\n")
        for st, stack, count in order + extra:
            r = rows[(st, stack)]
            ja4 = ",".join("%s (%d)" % kv for kv in r["ja4"].most_common())
            out.write("%s.pcap\t%s\t%d\t%d\t%d\t%d\t%d\t%s\n" % (st, stack, count, r["flows"], r["payload"], r["hellos"], len(r["ja4"]), ja4))
    print("%-26s %6s %8s %7s %4s" % ("file", "flows", "payload", "hellos", "ja4"), file=sys.stderr)
    for st in dict.fromkeys(o[0] for o in order):
        r = totals[st]
        print("%-26s %6d %8d %7d %4d" % (st + ".pcap", r["flows"], r["payload"], r["hellos"], len(r["ja4"])), file=sys.stderr)


def flow_time(f):
    """A flow record's start: Suricata's eve layout keeps it in "flow",
    the older layout at the top."""
    import datetime
    start = f.get("start") or f["flow"]["start"]
    return datetime.datetime.strptime(start, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def cmd_by_stack(a):
    """Per stack of each anomaly kind: how many of its flows (with payload)
    score above the benign flows' 99th and 99.9th percentiles and above the
    model's threshold. DIR/MODEL/SET.json are `tlsentry score` records."""
    import json
    windows = {}
    for line in open(a.attempts):
        st, stack, _, t0, t1 = line.rstrip("\n").split("\t")
        windows.setdefault(st, []).append((float(t0), float(t1), stack))
    out = open(a.out, "w")
    out.write("model\tfile\tstack\tflows\tabove_benign_p99\tabove_benign_p999\talerts\tmedian_score\tbenign_p99\n")
    for model in sorted(os.listdir(a.scores)):
        d = os.path.join(a.scores, model)

        def load(st):
            rows = []
            for line in open(os.path.join(d, st + ".json")):
                f = json.loads(line)
                # "anomaly" at the top, or in "tlsentry" (the later layout).
                a = f.get("anomaly") or f.get("tlsentry") or {}
                if f.get("prefix_len", a.get("prefix_len", 0)) > 0 and "score" in a and f.get("event_type", "flow") == "flow":
                    rows.append((flow_time(f), a["score"], a["alert"]))
            return rows

        benign = sorted((r[1] for r in load("benign")), reverse=True)

        def above(frac):  # the score that frac of the benign flows exceed
            return benign[min(int(frac * len(benign)), len(benign) - 1)]

        p99, p999 = above(0.01), above(0.001)
        for st in windows:
            if st == "benign-train":
                continue  # benign.pcap's rows show which benign stacks make the false alerts
            groups = {}
            for t, score, alert in load(st):
                stack = next((w[2] for w in windows[st] if w[0] <= t < w[1]), "(outside)")
                groups.setdefault(stack, []).append((score, alert))
            for _, _, stack in windows[st]:
                g = groups.get(stack, [])
                scores = sorted(x[0] for x in g)
                med = scores[len(scores) // 2] if scores else float("nan")
                out.write("%s\t%s\t%s\t%d\t%d\t%d\t%d\t%.4g\t%.4g\n" % (
                    model, st, stack, len(g), sum(x[0] > p99 for x in g), sum(x[0] > p999 for x in g),
                    sum(x[1] for x in g), med, p99))
    out.close()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve-https")
    s.add_argument("--listen", action="append", required=True)
    s.add_argument("--cert", required=True)
    s.add_argument("--key", required=True)
    s.add_argument("--tls-min", choices=VERSIONS)
    s.add_argument("--tls-max", choices=VERSIONS)
    s.set_defaults(f=cmd_serve_https)
    s = sub.add_parser("serve-http")
    s.add_argument("--listen", action="append", required=True)
    s.set_defaults(f=cmd_serve_http)
    s = sub.add_parser("serve-random")
    s.add_argument("--listen", action="append", required=True)
    s.set_defaults(f=cmd_serve_random)
    s = sub.add_parser("client-https")
    s.add_argument("--urls", required=True, help="file of URLs, one a line")
    s.add_argument("--ca")
    s.add_argument("--insecure", action="store_true")
    s.add_argument("--no-sni", action="store_true")
    s.add_argument("--raw", action="store_true", help="a bare ssl socket instead of urllib")
    s.add_argument("--ciphers")
    s.add_argument("--tls-min", choices=VERSIONS)
    s.add_argument("--tls-max", choices=VERSIONS)
    s.add_argument("--pause", type=float, default=0)
    s.set_defaults(f=cmd_client_https)
    s = sub.add_parser("client-random")
    s.add_argument("--target", action="append", required=True)
    s.add_argument("-n", type=int, default=50)
    s.add_argument("--seed", type=int, default=1)
    s.set_defaults(f=cmd_client_random)
    s = sub.add_parser("proxy")
    s.add_argument("--map", action="append", required=True, help="LISTEN=TARGET, host:port each")
    s.add_argument("--mode", choices=["truncate", "malformed", "decoy", "split"], required=True)
    s.add_argument("--seed", type=int, default=1)
    s.set_defaults(f=cmd_proxy)
    s = sub.add_parser("proxy-connect")
    s.add_argument("--listen", action="append", required=True)
    s.set_defaults(f=cmd_proxy_connect)
    s = sub.add_parser("serve-banner")
    s.add_argument("--listen", action="append", required=True)
    s.add_argument("--cert", required=True)
    s.add_argument("--key", required=True)
    s.add_argument("--tls-min", choices=VERSIONS)
    s.add_argument("--tls-max", choices=VERSIONS)
    s.set_defaults(f=cmd_serve_banner)
    s = sub.add_parser("client-banner")
    s.add_argument("--target", action="append", required=True)
    s.add_argument("--sni")
    s.add_argument("--ca")
    s.add_argument("--insecure", action="store_true")
    s.add_argument("--no-sni", action="store_true")
    s.add_argument("--ciphers")
    s.add_argument("--tls-min", choices=VERSIONS)
    s.add_argument("--tls-max", choices=VERSIONS)
    s.add_argument("-n", type=int, default=20)
    s.add_argument("--seed", type=int, default=1)
    s.set_defaults(f=cmd_client_banner)
    s = sub.add_parser("serve-faketls")
    s.add_argument("--listen", action="append", required=True)
    s.set_defaults(f=cmd_serve_faketls)
    s = sub.add_parser("client-faketls")
    s.add_argument("--target", action="append", required=True)
    s.add_argument("-n", type=int, default=20)
    s.add_argument("--seed", type=int, default=1)
    s.set_defaults(f=cmd_client_faketls)
    s = sub.add_parser("labels")
    s.add_argument("--attempts", required=True)
    s.add_argument("--flows", required=True, help="folder of SET.json")
    s.add_argument("--out", required=True)
    s.set_defaults(f=cmd_labels)
    s = sub.add_parser("by-stack")
    s.add_argument("--attempts", required=True)
    s.add_argument("--scores", required=True, help="folder of MODEL/SET.json")
    s.add_argument("--out", required=True)
    s.set_defaults(f=cmd_by_stack)
    a = p.parse_args()
    signal.signal(signal.SIGTERM, stop)
    a.f(a)


if __name__ == "__main__":
    main()
