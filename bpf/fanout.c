//go:build ignore

/* fanout.c: how the live capture spreads packets over its workers.
 *
 * Run by the kernel for each packet of a PACKET_FANOUT_EBPF group, it
 * returns a hash; the packet goes to socket hash % members. The hash is
 * symmetric (both directions of a connection reach the same worker) and
 * must put every packet a worker needs to rebuild a connection on that
 * worker, IP fragments included:
 *   - IPv4: addresses, protocol and, for TCP and UDP, ports. The group's
 *     defrag flag reassembles IPv4 fragments before this runs, so every
 *     packet has its ports.
 *   - IPv6: addresses only. The kernel does not reassemble IPv6 fragments
 *     here, and a fragment after the first has no ports: hashing on the
 *     address pair sends a fragmented handshake to the worker that holds
 *     the rest of its connection, which reassembles it (Suricata's eBPF
 *     load balancer hashes on the address pair for the same reason).
 * Headers are read from the network header on (load says how); up to two
 * VLAN tags left in the frame are stepped over. Anything else hashes to 0. */

#include "filter.h"

#define PACKET_OUTGOING 4

/* load reads len bytes at off from the network header. A packet the
 * host received starts there already, and may be held in pages beyond its
 * first bytes (a frame a packet socket sent over a veth keeps only its
 * link header in line), which bpf_skb_load_bytes reads; one the host
 * sends still starts at its link header, and its stack built the headers
 * in line, which bpf_skb_load_bytes_relative reads. */
static __always_inline long load(struct __sk_buff *skb, __u32 off, void *to, __u32 len)
{
	if (skb->pkt_type != PACKET_OUTGOING)
		return bpf_skb_load_bytes(skb, off, to, len);
	return bpf_skb_load_bytes_relative(skb, off, to, len, BPF_HDR_START_NET);
}

/* seed is written by the loader, so that which flows share a worker
 * cannot be chosen from outside. */
volatile const __u32 seed = 0;

static __always_inline __u32 rol(__u32 x, int r)
{
	return (x << r) | (x >> (32 - r));
}

/* mix folds k into h (a round of MurmurHash3). */
static __always_inline __u32 mix(__u32 h, __u32 k)
{
	k *= 0xcc9e2d51;
	k = rol(k, 15);
	k *= 0x1b873593;
	h ^= k;
	h = rol(h, 13);
	return h * 5 + 0xe6546b64;
}

/* mix_pair folds the two ends of a symmetric field into h, the lower
 * first, so that swapping them changes nothing. */
static __always_inline __u32 mix_pair(__u32 h, __u32 a, __u32 b)
{
	return a < b ? mix(mix(h, a), b) : mix(mix(h, b), a);
}

static __always_inline __u32 finish(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

static __always_inline __u32 word(const __u8 *b)
{
	return ((__u32)b[0] << 24) | ((__u32)b[1] << 16) | ((__u32)b[2] << 8) | b[3];
}

static __always_inline __u32 hash_ipv4(struct __sk_buff *skb, __u32 off)
{
	__u8 ip[20];
	if (load(skb, off, ip, sizeof(ip)) < 0)
		return 0;
	__u32 h = mix_pair(seed, word(&ip[12]), word(&ip[16]));
	h = mix(h, ip[9]);
	__u32 ihl = (ip[0] & 0xf) * 4;
	/* A fragment here is one the kernel did not reassemble (behind a VLAN
	 * tag left in the frame): only the first of a datagram's has ports. */
	int fragment = (((__u32)ip[6] << 8) | ip[7]) & 0x3fff;
	if ((ip[9] == IPPROTO_TCP || ip[9] == IPPROTO_UDP) && !fragment && ihl >= 20) {
		__u8 ports[4];
		if (load(skb, off + ihl, ports, sizeof(ports)) == 0)
			h = mix_pair(h, ((__u32)ports[0] << 8) | ports[1], ((__u32)ports[2] << 8) | ports[3]);
	}
	return finish(h);
}

static __always_inline __u32 hash_ipv6(struct __sk_buff *skb, __u32 off)
{
	__u8 ip[40];
	if (load(skb, off, ip, sizeof(ip)) < 0)
		return 0;
	__u32 h = seed;
#pragma unroll
	for (int i = 0; i < 4; i++)
		h = mix_pair(h, word(&ip[8 + 4 * i]), word(&ip[24 + 4 * i]));
	return finish(h);
}

SEC("socket")
int tlsentry_fanout(struct __sk_buff *skb)
{
	__u16 proto = bpf_ntohs((__u16)skb->protocol);
	__u32 off = 0;

#pragma unroll
	for (int i = 0; i < MAX_VLAN_TAGS; i++) {
		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD && proto != ETH_P_QINQ1)
			break;
		__u8 tag[4];
		if (load(skb, off, tag, sizeof(tag)) < 0)
			return 0;
		proto = ((__u16)tag[2] << 8) | tag[3];
		off += 4;
	}
	if (proto == ETH_P_IPV4)
		return hash_ipv4(skb, off);
	if (proto == ETH_P_IPV6)
		return hash_ipv6(skb, off);
	return 0;
}

char __license[] SEC("license") = "Dual BSD/GPL";
