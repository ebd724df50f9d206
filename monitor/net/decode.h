/*
 * decode: link, network and transport headers of one packet (pure).
 *
 * Link types (pcap DLT_*): EN10MB, LINUX_SLL, LINUX_SLL2, RAW / IPV4 / IPV6,
 * NULL and LOOP. 802.1Q / 802.1ad (QinQ) VLAN tags; IPv4 with options;
 * IPv6 with extension headers; the tunnels GRE (incl. transparent Ethernet
 * bridging), ERSPAN types II and III, VXLAN (UDP 4789) and Geneve (UDP 6081),
 * decoded down to the innermost TCP packet. IP fragments are not reassembled:
 * they yield DECODE_ANOMALY (ipv4/ipv6 .frag_not_reassembled) and are never
 * parsed as TCP.
 *
 * Also decoded: IP-in-IP (IPv4/IPv6 in IPv4/IPv6), MPLS label stacks,
 * PPPoE session frames, PPTP's enhanced GRE carrying PPP, ERSPAN type I.
 *
 * Accepted link type values: DLT_NULL (0) and DLT_LOOP (108), the address
 * family in either byte order (AF_INET 2; AF_INET6 24, 28 or 30 as the BSDs
 * number it); DLT_EN10MB (1); raw IP as DLT_RAW (12, or 14 on OpenBSD) and
 * LINKTYPE_RAW (101), the IP version taken from the packet; DLT_IPV4 (228);
 * DLT_IPV6 (229); DLT_LINUX_SLL (113); DLT_LINUX_SLL2 (276).
 *
 * The decoder allocates nothing, keeps no state and never reads outside
 * [pkt, pkt + len). The IP length, not the capture length, bounds each
 * packet (Ethernet padding is ignored); a capture shorter than its IP
 * length is an anomaly (ipv4/ipv6 .trunc_pkt).
 */
#ifndef SECAUDIT_DECODE_H
#define SECAUDIT_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/anomaly.h"

#define DECODE_MAX_VLANS   4   /* VLAN tags over all layers */
#define DECODE_MAX_TUNNELS 4   /* encapsulations removed */
#define DECODE_MAX_MPLS    8   /* labels in one stack (more: tunnel.too_many_layers) */

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

/*
 * What decode_packet() found. Every field is written on every call: what a
 * layer that was not reached would have set is zero (family 0 means no IP
 * header was reached; src/dst are then unspecified). With tunnels the IP and
 * port fields describe the innermost packet reached.
 *
 * On DECODE_TCP all fields are set. On DECODE_OTHER over UDP, sport, dport
 * and payload describe the UDP datagram (seq, ack, flags, window are zero).
 * On DECODE_ANOMALY, anomaly says why and the fields tell how far decoding
 * got (e.g. the addresses of a fragment); otherwise anomaly is ANOM_COUNT.
 * A packet whose IP version disagrees with its link type or EtherType, or an
 * unknown Geneve/ERSPAN version, is DECODE_OTHER: a receiver drops it.
 * Limit: an IPv4 total length of 0 (TSO on the capturing host) is
 * ipv4.iplen_smaller_than_hlen, not guessed from the capture length.
 */
struct decoded {
	uint8_t family;          /* 4 or 6 */
	uint8_t proto;           /* IP protocol of the innermost packet */
	uint8_t src[16];         /* IPv4 uses the first 4 bytes, rest zero */
	uint8_t dst[16];
	uint16_t sport, dport;
	uint32_t seq, ack;       /* TCP, host order */
	uint8_t tcp_flags;
	uint16_t window;
	const uint8_t *payload;  /* points into the packet buffer */
	size_t payload_len;      /* bounded by the IP length, not the capture */
	uint8_t n_vlans;
	uint16_t vlan[DECODE_MAX_VLANS];
	uint8_t tunnels;         /* encapsulation layers removed */
	uint8_t pkt_src;         /* enum pkt_src: the innermost encapsulation */
	enum anomaly anomaly;    /* valid when DECODE_ANOMALY is returned */
	/* What a receiver checks before it takes a segment in (evasion
	 * resistance, engine.c): the innermost IP header (l3, up to the end of
	 * the IP length), its TTL / hop limit, the TCP or UDP header with its
	 * payload (l4), and the TCP options (read by decode_tcp_options() when
	 * wanted: most packets never need them). Set on DECODE_TCP and on
	 * DECODE_OTHER over UDP; l3/l4 NULL otherwise. */
	const uint8_t *l3;
	size_t l3_len;
	const uint8_t *l4;
	size_t l4_len;
	uint8_t ttl;
	const uint8_t *tcp_opt;  /* the TCP options' bytes (tcp_opt_len) */
	uint8_t tcp_opt_len;
};

#define DECODE_OPT_SIG    0x01  /* TCP MD5 signature (kind 19, RFC 2385) or TCP-AO (29, RFC 5925) */
#define DECODE_OPT_WSCALE 0x02  /* window scale (kind 3, RFC 7323) */
#define DECODE_OPT_BAD    0x04  /* an option's length runs past the header */

/* Which decoder handed the engine the packet, as Suricata's EVE `pkt_src`
 * names it: the wire, or the innermost encapsulation that was removed.
 * PKT_SRC_FLOW_END is no packet: an event written when a flow ends
 * (timeout, end of capture) without one. */
enum pkt_src {
	PKT_SRC_WIRE = 0,
	PKT_SRC_GRE,             /* GRE, ERSPAN, PPTP */
	PKT_SRC_IPV4,            /* IP in IPv4 */
	PKT_SRC_IPV6,            /* IP in IPv6 */
	PKT_SRC_VXLAN,
	PKT_SRC_GENEVE,
	PKT_SRC_FLOW_END,
};
/* "wire/pcap", "gre tunnel", ..., "stream (flow timeout)". */
const char *decode_pkt_src_name(enum pkt_src s);

enum decode_result {
	DECODE_TCP,      /* *out describes a TCP segment */
	DECODE_OTHER,    /* well-formed but not TCP over IP (ARP, UDP, ICMP...) */
	DECODE_ANOMALY,  /* malformed, fragment, unsupported: out->anomaly */
};

/* Decodes one captured packet of link type dlt (pcap's DLT_* value).
 * An unknown dlt yields DECODE_ANOMALY with ANOM_DEC_LINK_UNSUPPORTED.
 * payload points into pkt, so it is valid while pkt is. */
enum decode_result decode_packet(int dlt, const uint8_t *pkt, size_t len,
				 struct decoded *out);

/* The options of d's TCP header that a receiver acts on before it accepts
 * a segment (RFC 9293 section 3.2): DECODE_OPT_* bits, and the window
 * scale shift in *wscale (0 without one). */
uint8_t decode_tcp_options(const struct decoded *d, uint8_t *wscale);

/* Decodes a packet that starts at its IP header (NFQUEUE hands these). */
enum decode_result decode_ip(const uint8_t *pkt, size_t len, struct decoded *out);

#endif
