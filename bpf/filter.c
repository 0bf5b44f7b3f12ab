//go:build ignore

/* filter.c: the socket filter of tlsentry's live capture.
 *
 * Attached to an AF_PACKET socket, it sees each frame from its Ethernet
 * header on. It keeps (returns the frame's length for) TCP segments and UDP
 * datagrams to or from a watched port, and of those only what the flow
 * table can still use: every SYN, FIN and RST, the data segments that start
 * within the first budget bytes of their direction's stream, and the first
 * udp_packets datagrams of each direction of a UDP flow (a QUIC handshake's
 * Initial packets). Everything else returns 0 and stays in the kernel
 * (dropped from this socket only).
 *
 * The TCP budget is measured in sequence space, from the first sequence
 * number seen for each direction (the SYN's plus one, or the first
 * segment's when the capture picks a connection up mid-stream), so
 * retransmissions and reordered copies of early bytes still pass while bulk
 * data does not; so does data claiming to lie up to BEFORE_WINDOW before
 * the first byte, which no receiver takes (decoys the table reports). */

#include "filter.h"

#define ETH_HLEN 14

#define IPPROTO_HOPOPTS 0
#define IPPROTO_ROUTING 43
#define IPPROTO_FRAGMENT 44
#define IPPROTO_DSTOPTS 60
#define MAX_IPV6_EXT 4

/* How far before a direction's first byte data still passes (zapret's
 * badseq decoys sit 10,000 sequence numbers back by default). */
#define BEFORE_WINDOW (1u << 20)

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

/* Counters, one slot each in the per-CPU stats map; filter.go names them. */
enum stat {
	STAT_SEEN,
	STAT_PASSED,
	STAT_NOT_WATCHED, /* not IP, neither TCP nor UDP, or no watched port */
	STAT_FRAGMENT,    /* IPv4 fragments (the fanout group reassembles them first) */
	STAT_MALFORMED,   /* truncated or inconsistent headers */
	STAT_OVER_BUDGET, /* data (or a late pure ACK, or a datagram) past the flow's budget */
	STAT_COUNT,
};

/* parse_ip's verdict on an IPv6 fragment of TCP or UDP: it passes whole,
 * before any port or budget test (counted as passed). */
#define PASS_FRAGMENT STAT_COUNT

/* config is written by the loader; one entry. */
struct config {
	__u32 client_budget; /* bytes of the stream towards a watched port */
	__u32 server_budget; /* bytes of the stream from a watched port */
	__u32 udp_packets;   /* datagrams of each UDP flow, each way */
	__u32 pad;
	__u64 ports[1024];   /* bitmap of the watched ports */
};

/* flow_key names a connection the same way in both directions: lo is the
 * endpoint whose (address, port) compares lower. IPv4 addresses fill
 * addr[0]; the rest stays zero. */
struct flow_key {
	__u32 lo_addr[4];
	__u32 hi_addr[4];
	__u16 lo_port;
	__u16 hi_port;
	__u8 family; /* 4 or 6 */
	__u8 proto;  /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad[2];
};

/* flow_state holds, per direction (0 = sent by lo), the sequence number of
 * the direction's first stream byte; for a UDP flow, first_seq counts the
 * direction's datagrams instead. */
struct flow_state {
	__u32 first_seq[2];
	__u8 known[2];
	__u8 pad[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct config);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 131072); /* the loader sets the size */
	__type(key, struct flow_key);
	__type(value, struct flow_state);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STAT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* segment is what the parser extracts from one frame. */
struct segment {
	struct flow_key key;
	__u32 seq;
	__u32 ack;
	__u32 payload; /* payload length the IP (TCP) or UDP header announces */
	__u16 sport;
	__u16 dport;
	__u8 flags;
	__u8 src_is_lo;
};

static __always_inline void count(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &which);
	if (v)
		(*v)++;
}

static __always_inline int verdict_drop(__u32 why)
{
	count(why);
	return 0;
}

static __always_inline int verdict_pass(struct __sk_buff *skb)
{
	count(STAT_PASSED);
	return skb->len;
}

static __always_inline int port_watched(const struct config *cfg, __u16 port)
{
	return (cfg->ports[(port >> 6) & 1023] >> (port & 63)) & 1;
}

/* addr_cmp orders addresses by their words; any total order will do. */
static __always_inline int addr_cmp(const __u32 *a, const __u32 *b)
{
#pragma unroll
	for (int i = 0; i < 4; i++) {
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	}
	return 0;
}

/* parse_ip fills s from the IP packet at off. It returns 0, the STAT_*
 * reason to drop the frame, or PASS_FRAGMENT. */
static __always_inline int parse_ip(struct __sk_buff *skb, __u32 off, __u16 proto,
				    struct segment *s, __u32 src[4], __u32 dst[4])
{
	__u32 l4, l4len;

	if (proto == ETH_P_IPV4) {
		__u8 ip[20];
		if (bpf_skb_load_bytes(skb, off, ip, sizeof(ip)) < 0)
			return STAT_MALFORMED;
		if ((ip[0] >> 4) != 4)
			return STAT_MALFORMED;
		__u32 ihl = (ip[0] & 0xf) * 4;
		__u32 total = ((__u32)ip[2] << 8) | ip[3];
		if (ihl < 20 || total < ihl || off + total > skb->len)
			return STAT_MALFORMED;
		if ((((__u32)ip[6] << 8) | ip[7]) & 0x3fff) /* more fragments, or an offset */
			return STAT_FRAGMENT;
		if (ip[9] != IPPROTO_TCP && ip[9] != IPPROTO_UDP)
			return STAT_NOT_WATCHED;
		s->key.proto = ip[9];
		__builtin_memcpy(&src[0], &ip[12], 4);
		__builtin_memcpy(&dst[0], &ip[16], 4);
		s->key.family = 4;
		l4 = off + ihl;
		l4len = total - ihl;
	} else {
		__u8 ip[40];
		if (bpf_skb_load_bytes(skb, off, ip, sizeof(ip)) < 0)
			return STAT_MALFORMED;
		if ((ip[0] >> 4) != 6)
			return STAT_MALFORMED;
		l4len = ((__u32)ip[4] << 8) | ip[5];
		if (off + 40 + l4len > skb->len)
			return STAT_MALFORMED;
		__builtin_memcpy(src, &ip[8], 16);
		__builtin_memcpy(dst, &ip[24], 16);
		s->key.family = 6;
		l4 = off + 40;
		__u8 next = ip[6];
		int found = 0;
#pragma unroll
		for (int i = 0; i < MAX_IPV6_EXT; i++) {
			if (next == IPPROTO_TCP || next == IPPROTO_UDP) {
				found = 1;
				break;
			}
			if (next == IPPROTO_FRAGMENT) {
				/* A fragment after the first has no ports: every TCP and
				 * UDP fragment passes, for the sensor to reassemble
				 * (the kernel does not, for IPv6) and judge whole. */
				__u8 frag_next;
				if (l4len < 8 || bpf_skb_load_bytes(skb, l4, &frag_next, 1) < 0)
					return STAT_MALFORMED;
				if (frag_next != IPPROTO_TCP && frag_next != IPPROTO_UDP)
					return STAT_NOT_WATCHED;
				return PASS_FRAGMENT;
			}
			if (next != IPPROTO_HOPOPTS && next != IPPROTO_ROUTING && next != IPPROTO_DSTOPTS)
				return STAT_NOT_WATCHED;
			__u8 ext[2];
			if (bpf_skb_load_bytes(skb, l4, ext, sizeof(ext)) < 0)
				return STAT_MALFORMED;
			__u32 extlen = ((__u32)ext[1] + 1) * 8;
			if (extlen > l4len)
				return STAT_MALFORMED;
			next = ext[0];
			l4 += extlen;
			l4len -= extlen;
		}
		if (!found && next != IPPROTO_TCP && next != IPPROTO_UDP)
			return STAT_MALFORMED; /* a longer extension chain than we follow */
		s->key.proto = next;
	}

	if (s->key.proto == IPPROTO_UDP) {
		__u8 udp[8];
		if (l4len < sizeof(udp) || bpf_skb_load_bytes(skb, l4, udp, sizeof(udp)) < 0)
			return STAT_MALFORMED;
		__u32 ulen = ((__u32)udp[4] << 8) | udp[5];
		if (ulen == 0) /* as the sensor reads it: the rest of the IP payload */
			ulen = l4len;
		if (ulen < sizeof(udp) || ulen > l4len)
			return STAT_MALFORMED;
		s->sport = ((__u16)udp[0] << 8) | udp[1];
		s->dport = ((__u16)udp[2] << 8) | udp[3];
		s->payload = ulen - sizeof(udp);
		return 0;
	}

	__u8 tcp[20];
	if (l4len < sizeof(tcp) || bpf_skb_load_bytes(skb, l4, tcp, sizeof(tcp)) < 0)
		return STAT_MALFORMED;
	__u32 doff = (tcp[12] >> 4) * 4;
	if (doff < 20 || doff > l4len)
		return STAT_MALFORMED;
	s->sport = ((__u16)tcp[0] << 8) | tcp[1];
	s->dport = ((__u16)tcp[2] << 8) | tcp[3];
	s->seq = ((__u32)tcp[4] << 24) | ((__u32)tcp[5] << 16) | ((__u32)tcp[6] << 8) | tcp[7];
	s->ack = ((__u32)tcp[8] << 24) | ((__u32)tcp[9] << 16) | ((__u32)tcp[10] << 8) | tcp[11];
	s->flags = tcp[13];
	s->payload = l4len - doff;
	return 0;
}

/* parse fills s from the frame; it returns 0, the STAT_* reason to drop,
 * or PASS_FRAGMENT. */
static __always_inline int parse(struct __sk_buff *skb, struct segment *s)
{
	__u8 eth[ETH_HLEN];
	if (bpf_skb_load_bytes(skb, 0, eth, sizeof(eth)) < 0)
		return STAT_MALFORMED;
	__u16 proto = ((__u16)eth[12] << 8) | eth[13];
	__u32 off = ETH_HLEN;

#pragma unroll
	for (int i = 0; i < MAX_VLAN_TAGS; i++) {
		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD && proto != ETH_P_QINQ1)
			break;
		__u8 tag[4];
		if (bpf_skb_load_bytes(skb, off, tag, sizeof(tag)) < 0)
			return STAT_MALFORMED;
		proto = ((__u16)tag[2] << 8) | tag[3];
		off += 4;
	}
	if (proto != ETH_P_IPV4 && proto != ETH_P_IPV6)
		return STAT_NOT_WATCHED;

	__u32 src[4] = {}, dst[4] = {};
	int why = parse_ip(skb, off, proto, s, src, dst);
	if (why)
		return why;

	int c = addr_cmp(src, dst);
	s->src_is_lo = c < 0 || (c == 0 && s->sport <= s->dport);
	if (s->src_is_lo) {
		__builtin_memcpy(s->key.lo_addr, src, 16);
		__builtin_memcpy(s->key.hi_addr, dst, 16);
		s->key.lo_port = s->sport;
		s->key.hi_port = s->dport;
	} else {
		__builtin_memcpy(s->key.lo_addr, dst, 16);
		__builtin_memcpy(s->key.hi_addr, src, 16);
		s->key.lo_port = s->dport;
		s->key.hi_port = s->sport;
	}
	return 0;
}

/* fresh_state starts an entry whose direction lo (1 when the segment's
 * source is the key's lo endpoint) begins at seq. Written without indexing
 * by direction: clang turns a variable index into a stack slot into an OR
 * on the frame pointer, which the verifier refuses. */
static __always_inline void fresh_state(struct flow_state *st, int lo, __u32 seq)
{
	st->first_seq[0] = lo ? seq : 0;
	st->first_seq[1] = lo ? 0 : seq;
	st->known[0] = lo ? 1 : 0;
	st->known[1] = lo ? 0 : 1;
}

/* track_udp applies the packet budget to a watched datagram: the first
 * udp_packets datagrams of each direction of a UDP flow pass, which hold a
 * QUIC handshake's Initial packets (Retry and Version Negotiation
 * included). It returns nonzero when the datagram passes. */
static __always_inline int track_udp(const struct config *cfg, struct segment *s)
{
	__u32 budget = cfg->udp_packets;
	struct flow_state *st = bpf_map_lookup_elem(&flows, &s->key);
	if (!st) {
		struct flow_state fresh;
		fresh_state(&fresh, s->src_is_lo, 1);
		bpf_map_update_elem(&flows, &s->key, &fresh, BPF_NOEXIST);
		return budget > 0;
	}
	/* Counted without indexing by direction, for the verifier (see
	 * fresh_state); concurrent CPUs may let a datagram or two more pass. */
	if (s->src_is_lo) {
		if (st->first_seq[0] >= budget)
			return 0;
		__sync_fetch_and_add(&st->first_seq[0], 1);
	} else {
		if (st->first_seq[1] >= budget)
			return 0;
		__sync_fetch_and_add(&st->first_seq[1], 1);
	}
	return 1;
}

/* track applies the budget to a watched segment; it returns nonzero when
 * the segment passes. */
static __always_inline int track(const struct config *cfg, struct segment *s)
{
	if (s->key.proto == IPPROTO_UDP)
		return track_udp(cfg, s);
	int lo = s->src_is_lo;
	/* The stream towards a watched port is the client's. */
	/* Both budgets are read first and the choice is made on the values: a
	 * choice between the two fields' addresses would be pointer arithmetic
	 * that differs by path, which the verifier refuses to programs loaded
	 * without CAP_PERFMON (the service has only CAP_BPF). */
	__u32 client_budget = cfg->client_budget, server_budget = cfg->server_budget;
	barrier_var(client_budget);
	barrier_var(server_budget);
	__u32 budget = port_watched(cfg, s->dport) ? client_budget : server_budget;
	__u32 peer_budget = port_watched(cfg, s->sport) ? client_budget : server_budget;
	struct flow_state fresh;

	if (s->flags & TCP_SYN) {
		__u32 first = s->seq + 1;
		struct flow_state *st = bpf_map_lookup_elem(&flows, &s->key);
		if (st && !(s->flags & TCP_ACK)) {
			/* A SYN without ACK opens a connection: forget an earlier one
			 * on the same addresses and ports, unless this SYN repeats
			 * the one that opened the entry. */
			int again = lo ? st->known[0] && st->first_seq[0] == first
				       : st->known[1] && st->first_seq[1] == first;
			if (!again)
				st = 0;
		}
		if (!st) {
			fresh_state(&fresh, lo, first);
			bpf_map_update_elem(&flows, &s->key, &fresh, BPF_ANY);
		} else if (lo) {
			st->first_seq[0] = first;
			st->known[0] = 1;
		} else {
			st->first_seq[1] = first;
			st->known[1] = 1;
		}
		return 1;
	}
	/* FIN and RST end flows in the table: they always pass. The entry is
	 * left to the LRU, so that late segments of a closed connection stay
	 * over budget; the next SYN on the same ports resets it. */
	if (s->flags & (TCP_FIN | TCP_RST))
		return 1;

	struct flow_state *st = bpf_map_lookup_elem(&flows, &s->key);
	if (!st) {
		/* Picked up mid-stream: this segment starts the direction. */
		fresh_state(&fresh, lo, s->seq);
		bpf_map_update_elem(&flows, &s->key, &fresh, BPF_NOEXIST);
		return 1;
	}
	__u32 own_first, peer_first;
	int peer_known;
	if (lo) {
		if (!st->known[0]) {
			st->first_seq[0] = s->seq;
			st->known[0] = 1;
		}
		own_first = st->first_seq[0];
		peer_first = st->first_seq[1];
		peer_known = st->known[1];
	} else {
		if (!st->known[1]) {
			st->first_seq[1] = s->seq;
			st->known[1] = 1;
		}
		own_first = st->first_seq[1];
		peer_first = st->first_seq[0];
		peer_known = st->known[0];
	}
	/* Data before the direction's first byte (a DPI-evasion decoy with
	 * sequence numbers in the past, which no receiver takes) passes for
	 * the flow table to report, within BEFORE_WINDOW: the offset of a
	 * long stream's bytes near the 4 GiB wrap never reads as such. */
	if (s->payload > 0)
		return s->seq - own_first < budget || own_first - s->seq <= BEFORE_WINDOW;

	/* A pure ACK passes while it acknowledges bytes within the peer's
	 * budget (the handshake's last ACK, ACKs of the hellos); once the
	 * peer's stream is past its budget, its ACKs are as useless to the
	 * flow table as the data they acknowledge. */
	if (!(s->flags & TCP_ACK) || !peer_known)
		return 1;
	return s->ack - peer_first <= peer_budget;
}

SEC("socket")
int tlsentry_filter(struct __sk_buff *skb)
{
	count(STAT_SEEN);

	struct segment s = {};
	int why = parse(skb, &s);
	if (why == PASS_FRAGMENT)
		return verdict_pass(skb);
	if (why)
		return verdict_drop(why);

	__u32 zero = 0;
	const struct config *cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg)
		return verdict_drop(STAT_NOT_WATCHED);
	if (!port_watched(cfg, s.sport) && !port_watched(cfg, s.dport))
		return verdict_drop(STAT_NOT_WATCHED);
	if (!track(cfg, &s))
		return verdict_drop(STAT_OVER_BUDGET);
	return verdict_pass(skb);
}

char __license[] SEC("license") = "Dual BSD/GPL";
