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
 */
#ifndef SECAUDIT_DECODE_H
#define SECAUDIT_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "anomaly.h"

#define DECODE_MAX_VLANS   4
#define DECODE_MAX_TUNNELS 4

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

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
	enum anomaly anomaly;    /* valid when DECODE_ANOMALY is returned */
};

enum decode_result {
	DECODE_TCP,      /* *out describes a TCP segment */
	DECODE_OTHER,    /* well-formed but not TCP over IP (ARP, UDP, ICMP...) */
	DECODE_ANOMALY,  /* malformed, fragment, unsupported: out->anomaly */
};

/* Decodes one captured packet of link type dlt (pcap's DLT_* value).
 * payload points into pkt, so it is valid while pkt is. */
enum decode_result decode_packet(int dlt, const uint8_t *pkt, size_t len,
				 struct decoded *out);

/* Decodes a packet that starts at its IP header (NFQUEUE hands these). */
enum decode_result decode_ip(const uint8_t *pkt, size_t len, struct decoded *out);

#endif
