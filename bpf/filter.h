/* filter.h: the few kernel ABI definitions filter.c and fanout.c need, so that
 * regenerating needs only clang (no kernel or libbpf headers, no
 * per-architecture include paths). Values are the kernel's stable UAPI. */
#ifndef TLSENTRY_FILTER_H
#define TLSENTRY_FILTER_H

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;

/* The programs read only len and protocol; the verifier checks context
 * accesses by offset, and these are the first fields of the kernel's
 * struct __sk_buff, in its order. */
struct __sk_buff {
	__u32 len;
	__u32 pkt_type;
	__u32 mark;
	__u32 queue_mapping;
	__u32 protocol; /* the network header's EtherType, in network byte order */
};

enum {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_LRU_HASH = 9,
};

enum {
	BPF_ANY = 0,
	BPF_NOEXIST = 1,
};

/* BTF-defined maps, as libbpf and cilium/ebpf read them. */
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define SEC(name) __attribute__((section(name), used))
#define __always_inline inline __attribute__((always_inline))

/* Helpers by their fixed ids (include/uapi/linux/bpf.h). */
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value, __u64 flags) = (void *)2;
static long (*bpf_skb_load_bytes)(const void *skb, __u32 offset, void *to, __u32 len) = (void *)26;
static long (*bpf_skb_load_bytes_relative)(const void *skb, __u32 offset, void *to, __u32 len, __u32 start_header) = (void *)68;

/* bpf_skb_load_bytes_relative's start_header: from the network header. */
#define BPF_HDR_START_NET 1

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define bpf_ntohs(x) __builtin_bswap16(x)
#define bpf_ntohl(x) __builtin_bswap32(x)
#else
#define bpf_ntohs(x) (x)
#define bpf_ntohl(x) (x)
#endif


/* What both programs read of frames: EtherTypes, the VLAN tags they step
 * over, the transports they know. */
#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8
#define ETH_P_QINQ1 0x9100
#define MAX_VLAN_TAGS 2
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

/* barrier_var makes clang forget what it knows about var, so that it
 * keeps a value where it would otherwise fold a choice into addresses. */
#define barrier_var(var) asm volatile("" : "+r"(var))

#endif
