/*
 * decode: one packet, link layer to TCP, as a loop over layers.
 *
 * Each layer parser consumes its header from d->c, narrows d->c to what the
 * header says its payload is (checking cur_left() first, then remaking the
 * cursor with cur_make(): cheaper than cur_sub() plus a struct copy, which
 * stalls store forwarding), and returns the next layer to decode, or one
 * of the three final states. The loop (not recursion) bounds the work: every
 * step consumes at least one byte, and tunnels, VLAN tags and MPLS labels
 * are counted against their limits.
 */
#include "net/decode.h"

#include <pcap/dlt.h>
#include <string.h>

#include "cursor.h"

/* Link type values that are raw IP whatever the platform's DLT_RAW is. */
#define LINKTYPE_RAW      101
#define DLT_RAW_COMMON    12
#define DLT_RAW_OPENBSD   14

/* BSD address families in DLT_NULL / DLT_LOOP headers. */
#define BSD_AF_INET          2
#define BSD_AF_INET6_BSD     24   /* NetBSD, OpenBSD, BSD/OS */
#define BSD_AF_INET6_FREEBSD 28
#define BSD_AF_INET6_DARWIN  30

#define ETH_IPV4        0x0800
#define ETH_IPV6        0x86dd
#define ETH_VLAN        0x8100
#define ETH_QINQ        0x88a8
#define ETH_QINQ_OLD    0x9100
#define ETH_MPLS_UC     0x8847
#define ETH_MPLS_MC     0x8848
#define ETH_PPPOE_SESS  0x8864
#define ETH_TEB         0x6558  /* transparent Ethernet bridging */
#define ETH_ERSPAN_2    0x88be
#define ETH_ERSPAN_3    0x22eb
#define ETH_PPP         0x880b

#define PPP_IPV4        0x0021
#define PPP_IPV6        0x0057

#define IPPROTO_HOPOPTS_ 0
#define IPPROTO_IPIP_    4
#define IPPROTO_TCP_     6
#define IPPROTO_UDP_     17
#define IPPROTO_IPV6_    41
#define IPPROTO_ROUTING_ 43
#define IPPROTO_FRAG_    44
#define IPPROTO_GRE_     47
#define IPPROTO_AH_      51
#define IPPROTO_DSTOPTS_ 60

#define UDP_VXLAN       4789
#define UDP_VXLAN_GPE   4790
#define UDP_GENEVE      6081

enum layer {
	L_TCP_DONE,   /* final: DECODE_TCP */
	L_OTHER,      /* final: DECODE_OTHER */
	L_ANOMALY,    /* final: DECODE_ANOMALY, out->anomaly set */
	L_ETHER,
	L_VLAN,
	L_MPLS,
	L_PPPOE,
	L_PPP,
	L_IP,         /* IPv4 or IPv6 by the version nibble */
	L_IPV4,
	L_IPV6,
	L_TCP,
	L_UDP,
	L_GRE,
	L_ERSPAN_2,
	L_ERSPAN_3,
	L_VXLAN,
	L_VXLAN_GPE,
	L_GENEVE,
};

struct dec {
	struct cursor c;       /* the current layer's bytes, header first */
	struct decoded *out;
};

static enum layer anomaly(struct dec *d, enum anomaly a)
{
	d->out->anomaly = a;
	return L_ANOMALY;
}

/* Entering an encapsulated packet: counts it against DECODE_MAX_TUNNELS.
 * src: the encapsulation, as the inner packet's source (PKT_SRC_WIRE for an
 * MPLS pseudowire, which Suricata decodes in place). */
static enum layer tunnel(struct dec *d, enum layer inner, enum pkt_src src)
{
	struct decoded *out = d->out;

	if (out->tunnels >= DECODE_MAX_TUNNELS)
		return anomaly(d, ANOM_DEC_TUNNEL_TOO_DEEP);
	out->tunnels++;
	if (src != PKT_SRC_WIRE)
		out->pkt_src = (uint8_t)src;
	/* The outer UDP datagram's fields no longer describe the packet. */
	out->sport = out->dport = 0;
	out->payload = NULL;
	out->payload_len = 0;
	out->l3 = out->l4 = NULL;
	out->l3_len = out->l4_len = 0;
	return inner;
}

/* IEEE 802 EtherType registry: what follows a type field. */
static enum layer by_ethertype(uint16_t type)
{
	switch (type) {
	case ETH_IPV4:
		return L_IPV4;
	case ETH_IPV6:
		return L_IPV6;
	case ETH_VLAN:
	case ETH_QINQ:
	case ETH_QINQ_OLD:
		return L_VLAN;
	case ETH_MPLS_UC:
	case ETH_MPLS_MC:
		return L_MPLS;
	case ETH_PPPOE_SESS:
		return L_PPPOE;
	default:
		return L_OTHER;
	}
}

/* IEEE 802.3 clause 3.2: destination, source, EtherType (or length). */
static enum layer dec_ether(struct dec *d)
{
	uint16_t type;

	if (!cur_skip(&d->c, 12) || !cur_u16(&d->c, &type))
		return anomaly(d, ANOM_DEC_LINK_TRUNCATED);
	/* Values up to 1500 are an 802.3 length (LLC follows): not IP. */
	return by_ethertype(type);
}

/* IEEE 802.1Q clause 9.6: tag control information, then the EtherType. */
static enum layer dec_vlan(struct dec *d)
{
	struct decoded *out = d->out;
	uint32_t tag;   /* TCI, then the EtherType */

	if (out->n_vlans >= DECODE_MAX_VLANS)
		return anomaly(d, ANOM_DEC_VLAN_TOO_MANY);
	if (!cur_u32(&d->c, &tag))
		return anomaly(d, ANOM_DEC_VLAN_TRUNCATED);
	out->vlan[out->n_vlans++] = (tag >> 16) & 0x0fff;
	return by_ethertype((uint16_t)tag);
}

/* RFC 3032 section 2.1: label stack entries until the bottom-of-stack bit;
 * the payload is then told by its first nibble (RFC 4385 section 3: 0 is the
 * pseudowire control word, followed here by Ethernet as in RFC 4448). */
static enum layer dec_mpls(struct dec *d)
{
	uint32_t entry = 0;
	uint8_t first;
	int n;

	for (n = 0; !(entry & 0x100); n++) {
		if (n >= DECODE_MAX_MPLS)
			return anomaly(d, ANOM_DEC_TUNNEL_TOO_DEEP);
		if (!cur_u32(&d->c, &entry))
			return anomaly(d, ANOM_DEC_TUNNEL_TRUNCATED);
	}
	if (!cur_peek_u8(&d->c, 0, &first))
		return anomaly(d, ANOM_DEC_TUNNEL_TRUNCATED);
	switch (first >> 4) {
	case 4:
		return L_IPV4;
	case 6:
		return L_IPV6;
	case 0:
		if (!cur_skip(&d->c, 4))
			return anomaly(d, ANOM_DEC_TUNNEL_TRUNCATED);
		return tunnel(d, L_ETHER, PKT_SRC_WIRE);
	default:
		return L_OTHER;
	}
}

/* RFC 2516 section 4 (session stage): ver/type 0x11, code 0, session id,
 * length of the PPP frame that follows. */
static enum layer dec_pppoe(struct dec *d)
{
	uint8_t vt, code;
	uint16_t session, length;

	if (!cur_u8(&d->c, &vt) || !cur_u8(&d->c, &code) ||
	    !cur_u16(&d->c, &session) || !cur_u16(&d->c, &length))
		return anomaly(d, ANOM_DEC_LINK_TRUNCATED);
	if (vt != 0x11 || code != 0)
		return L_OTHER;
	if (cur_left(&d->c) < length)
		return anomaly(d, ANOM_DEC_LINK_TRUNCATED);
	d->c = cur_make(cur_ptr(&d->c), length);
	return L_PPP;
}

/* RFC 1661 section 2: protocol field (RFC 1662 section 3.1 address and
 * control bytes may precede it; a compressed one-byte protocol is odd). */
static enum layer dec_ppp(struct dec *d)
{
	uint16_t proto;
	uint8_t first;

	if (cur_peek_u16(&d->c, 0, &proto) && proto == 0xff03)
		cur_skip(&d->c, 2);
	if (!cur_peek_u8(&d->c, 0, &first))
		return anomaly(d, ANOM_DEC_LINK_TRUNCATED);
	if (first & 1) {
		cur_skip(&d->c, 1);
		proto = first;
	} else if (!cur_u16(&d->c, &proto)) {
		return anomaly(d, ANOM_DEC_LINK_TRUNCATED);
	}
	switch (proto) {
	case PPP_IPV4:
		return L_IPV4;
	case PPP_IPV6:
		return L_IPV6;
	default:
		return L_OTHER;
	}
}

/* What follows an IP header (or the last IPv6 extension header). */
static enum layer by_ip_proto(struct dec *d, uint8_t proto)
{
	d->out->proto = proto;
	switch (proto) {
	case IPPROTO_TCP_:
		return L_TCP;
	case IPPROTO_UDP_:
		return L_UDP;
	case IPPROTO_GRE_:
		return L_GRE;
	case IPPROTO_IPIP_:
		return tunnel(d, L_IPV4, d->out->family == 6 ? PKT_SRC_IPV6 : PKT_SRC_IPV4);
	case IPPROTO_IPV6_:
		return tunnel(d, L_IPV6, d->out->family == 6 ? PKT_SRC_IPV6 : PKT_SRC_IPV4);
	default:
		return L_OTHER;
	}
}

/* An IPv4 address (read in network order) in the 16-byte field. */
/* Written whole (16 bytes from one array): flowroute reads an address a
 * word at a time, and a load that spans two smaller stores cannot take
 * its bytes from them: it waits until they reach the cache (7% of a
 * 2-thread read --rules run, in the routing of every packet). */
static void addr4(uint8_t a[16], uint32_t v)
{
	uint8_t w[16] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	memcpy(a, w, 16);
}

/* RFC 791 section 3.1, options: end of list, no-op, or type/length/value
 * with length >= 2 covering type and length. The route options (RR, LSRR,
 * SSRR) carry a pointer >= 4, the timestamp option one >= 5. */
static bool ipv4_options_valid(struct cursor opt)
{
	uint8_t type, len, ptr;

	while (cur_u8(&opt, &type)) {
		if (type == 0)
			return true;
		if (type == 1)
			continue;
		if (!cur_u8(&opt, &len) || len < 2 || len - 2u > cur_left(&opt))
			return false;
		switch (type) {
		case 7:    /* record route */
		case 131:  /* loose source route */
		case 137:  /* strict source route */
			if (len < 3 || !cur_peek_u8(&opt, 0, &ptr) || ptr < 4)
				return false;
			break;
		case 68:   /* timestamp */
			if (len < 4 || !cur_peek_u8(&opt, 0, &ptr) || ptr < 5)
				return false;
			break;
		}
		cur_skip(&opt, len - 2u);
	}
	return true;
}

/* RFC 791 section 3.1: version, IHL, total length, fragment fields,
 * protocol, addresses, options. */
static enum layer dec_ipv4(struct dec *d)
{
	struct decoded *out = d->out;
	struct cursor opt = { NULL, 0 };
	uint32_t w0, w1, w2, src, dst;
	size_t hlen, totlen;

	if (cur_left(&d->c) < 20)
		return anomaly(d, ANOM_DEC_IPV4_TRUNCATED);
	cur_u32(&d->c, &w0);
	if (w0 >> 28 != 4)
		return L_OTHER;   /* a host drops it: nothing to inspect */
	hlen = (w0 >> 22) & 0x3c;
	totlen = w0 & 0xffff;
	if (hlen < 20)
		return anomaly(d, ANOM_DEC_IPV4_BAD_HLEN);
	if (totlen < hlen)
		return anomaly(d, ANOM_DEC_IPV4_BAD_TOTLEN);
	if (cur_left(&d->c) < hlen - 4)
		return anomaly(d, ANOM_DEC_IPV4_TRUNCATED);
	cur_u32(&d->c, &w1);
	cur_u32(&d->c, &w2);
	cur_u32(&d->c, &src);
	cur_u32(&d->c, &dst);
	out->family = 4;
	out->proto = (uint8_t)(w2 >> 16);
	out->ttl = (uint8_t)(w2 >> 24);
	out->l3 = cur_ptr(&d->c) - 20;
	out->l3_len = totlen;
	addr4(out->src, src);
	addr4(out->dst, dst);
	if (hlen > 20) {
		cur_sub(&d->c, &opt, hlen - 20);
		if (!ipv4_options_valid(opt))
			return anomaly(d, ANOM_DEC_IPV4_OPT_INVALID);
	}
	if (cur_left(&d->c) < totlen - hlen)
		return anomaly(d, ANOM_DEC_IPV4_TRUNC_PAYLOAD);
	/* More fragments, or a fragment offset: not reassembled. */
	if (w1 & 0x3fff)
		return anomaly(d, ANOM_DEC_IPV4_FRAGMENT);
	/* The IP length ends the packet: Ethernet padding is dropped. */
	d->c = cur_make(cur_ptr(&d->c), totlen - hlen);
	return by_ip_proto(d, out->proto);
}

/* RFC 8200 section 3: fixed header; section 4: extension headers (hop-by-hop
 * first only, routing, fragment, destination options), RFC 4302 section 2
 * for AH. An atomic fragment (offset 0, M clear) is a whole packet
 * (RFC 6946 section 4) and is decoded like one. */
static enum layer dec_ipv6(struct dec *d)
{
	struct decoded *out = d->out;
	uint32_t w0, w1, frag;
	uint8_t nh, hl;
	bool first = true;

	if (cur_left(&d->c) < 40)
		return anomaly(d, ANOM_DEC_IPV6_TRUNCATED);
	cur_u32(&d->c, &w0);
	if (w0 >> 28 != 6)
		return L_OTHER;
	cur_u32(&d->c, &w1);
	out->family = 6;
	out->ttl = (uint8_t)w1;
	out->l3 = cur_ptr(&d->c) - 8;
	out->l3_len = 40 + (w1 >> 16);
	cur_copy(&d->c, out->src, 16);
	cur_copy(&d->c, out->dst, 16);
	nh = (uint8_t)(w1 >> 8);
	out->proto = nh;
	if (cur_left(&d->c) < w1 >> 16)
		return anomaly(d, ANOM_DEC_IPV6_TRUNC_PAYLOAD);
	d->c = cur_make(cur_ptr(&d->c), w1 >> 16);
	for (;; first = false) {
		switch (nh) {
		case IPPROTO_HOPOPTS_:
			if (!first)
				return anomaly(d, ANOM_DEC_IPV6_EXTHDR_INVALID);
			/* fall through */
		case IPPROTO_ROUTING_:
		case IPPROTO_DSTOPTS_:
			if (!cur_u8(&d->c, &nh) || !cur_u8(&d->c, &hl) ||
			    !cur_skip(&d->c, (hl + 1u) * 8 - 2))
				return anomaly(d, ANOM_DEC_IPV6_EXTHDR_INVALID);
			break;
		case IPPROTO_AH_:
			if (!cur_u8(&d->c, &nh) || !cur_u8(&d->c, &hl) ||
			    !cur_skip(&d->c, (hl + 2u) * 4 - 2))
				return anomaly(d, ANOM_DEC_IPV6_EXTHDR_INVALID);
			break;
		case IPPROTO_FRAG_:
			if (!cur_u32(&d->c, &frag) || !cur_skip(&d->c, 4))
				return anomaly(d, ANOM_DEC_IPV6_EXTHDR_INVALID);
			nh = (uint8_t)(frag >> 24);
			out->proto = nh;
			if (frag & 0xfff9)
				return anomaly(d, ANOM_DEC_IPV6_FRAGMENT);
			break;
		default:
			return by_ip_proto(d, nh);
		}
		out->proto = nh;
	}
}

/* RFC 9293 section 3.1: ports, sequence and acknowledgment numbers, data
 * offset, flags, window, options; the payload is what the IP length leaves
 * after the data offset. */
static enum layer dec_tcp(struct dec *d)
{
	struct decoded *out = d->out;
	struct cursor opt;
	uint32_t ports, w3;
	size_t hlen;

	if (cur_left(&d->c) < 20)
		return anomaly(d, ANOM_DEC_TCP_TRUNCATED);
	out->l4 = cur_ptr(&d->c);
	out->l4_len = cur_left(&d->c);
	cur_u32(&d->c, &ports);
	cur_u32(&d->c, &out->seq);
	cur_u32(&d->c, &out->ack);
	cur_u32(&d->c, &w3);
	out->sport = (uint16_t)(ports >> 16);
	out->dport = (uint16_t)ports;
	out->tcp_flags = (uint8_t)(w3 >> 16);
	out->window = (uint16_t)w3;
	hlen = (w3 >> 26) & 0x3c;
	if (hlen < 20)
		return anomaly(d, ANOM_DEC_TCP_BAD_HLEN);
	/* checksum, urgent pointer, options */
	if (!cur_skip(&d->c, 4) || !cur_sub(&d->c, &opt, hlen - 20))
		return anomaly(d, ANOM_DEC_TCP_TRUNCATED);
	out->tcp_opt = cur_ptr(&opt);
	out->tcp_opt_len = (uint8_t)cur_left(&opt);
	out->payload = cur_ptr(&d->c);
	out->payload_len = cur_left(&d->c);
	return L_TCP_DONE;
}

/* RFC 768: ports, length, checksum. VXLAN and Geneve are told as Suricata
 * tells them: by the destination port (the one a VTEP listens on) and a
 * header that then validates. A source port of 4789 or 6081 says nothing:
 * a client may pick it as its ephemeral port, and the server's replies to
 * that client then carry it as their destination, which is why the header
 * checks below are strict enough to refuse QUIC and most other payloads. */
static enum layer dec_udp(struct dec *d)
{
	struct decoded *out = d->out;
	uint32_t ports, w1;
	size_t len;

	out->l4 = cur_ptr(&d->c);
	out->l4_len = cur_left(&d->c);
	if (!cur_u32(&d->c, &ports) || !cur_u32(&d->c, &w1))
		return L_OTHER;
	out->sport = (uint16_t)(ports >> 16);
	out->dport = (uint16_t)ports;
	len = w1 >> 16;   /* then the checksum */
	if (len < 8 || cur_left(&d->c) < len - 8)
		return L_OTHER;
	d->c = cur_make(cur_ptr(&d->c), len - 8);
	out->payload = cur_ptr(&d->c);
	out->payload_len = cur_left(&d->c);
	if (out->dport == UDP_VXLAN)
		return L_VXLAN;
	if (out->dport == UDP_VXLAN_GPE)
		return L_VXLAN_GPE;
	if (out->dport == UDP_GENEVE)
		return L_GENEVE;
	return L_OTHER;
}

/* RFC 7348 section 5: flags (I set), reserved, VNI, reserved; Ethernet.
 * A header with a reserved flag bit or its last byte set is taken for
 * ordinary UDP, not a tunnel: RFC 7348 asks receivers to ignore those bits,
 * but every VTEP sends them as zero, and a QUIC packet always has 0x40 set
 * in its first byte. The G bit (0x80) of the group policy extension is
 * allowed. */
static enum layer dec_vxlan(struct dec *d)
{
	uint32_t w0, w1;

	if (!cur_u32(&d->c, &w0) || !cur_u32(&d->c, &w1))
		return anomaly(d, ANOM_DEC_TUNNEL_TRUNCATED);
	if ((w0 >> 24) & 0x77 || !(w0 & 0x08000000) || (w1 & 0xff))
		return L_OTHER;
	return tunnel(d, L_ETHER, PKT_SRC_VXLAN);
}

/* VXLAN-GPE (draft-ietf-nvo3-vxlan-gpe section 3.2, as tshark reads port
 * 4790): flags R R Ver(2) I P B O, reserved, next protocol (with P: 1 IPv4,
 * 2 IPv6, 3 Ethernet; without: Ethernet), VNI, reserved. Reserved bits,
 * another version or another protocol make it ordinary UDP, as for VXLAN. */
static enum layer dec_vxlan_gpe(struct dec *d)
{
	uint32_t w0, w1;

	if (!cur_u32(&d->c, &w0) || !cur_u32(&d->c, &w1))
		return anomaly(d, ANOM_DEC_TUNNEL_TRUNCATED);
	if ((w0 >> 24) & 0xf0 || !(w0 & 0x08000000) || (w1 & 0xff))
		return L_OTHER;
	if (!(w0 & 0x04000000))
		return tunnel(d, L_ETHER, PKT_SRC_VXLAN);
	switch (w0 & 0xff) {
	case 1:
		return tunnel(d, L_IPV4, PKT_SRC_VXLAN);
	case 2:
		return tunnel(d, L_IPV6, PKT_SRC_VXLAN);
	case 3:
		return tunnel(d, L_ETHER, PKT_SRC_VXLAN);
	default:
		return L_OTHER;
	}
}

/* RFC 8926 section 3.4: version 0, option length, flags (O, C, six
 * reserved bits), protocol type, VNI, reserved; section 3.5: options
 * (class, type, length in 4-byte words). A version other than 0 or a
 * reserved bit set is taken for ordinary UDP, as for VXLAN. */
static enum layer dec_geneve(struct dec *d)
{
	struct cursor opts;
	uint32_t w0, w1, opt;
	uint16_t proto;

	if (!cur_u32(&d->c, &w0) || !cur_u32(&d->c, &w1))
		return anomaly(d, ANOM_DEC_TUNNEL_TRUNCATED);
	if (w0 >> 30 != 0 || (w0 >> 16) & 0x3f || (w1 & 0xff))
		return L_OTHER;
	if (!cur_sub(&d->c, &opts, ((w0 >> 24) & 0x3f) * 4u))
		return anomaly(d, ANOM_DEC_TUNNEL_TRUNCATED);
	while (cur_left(&opts)) {
		if (!cur_u32(&opts, &opt) || !cur_skip(&opts, (opt & 0x1f) * 4u))
			return anomaly(d, ANOM_DEC_TUNNEL_TRUNCATED);
	}
	proto = (uint16_t)w0;
	switch (proto) {
	case ETH_TEB:
		return tunnel(d, L_ETHER, PKT_SRC_GENEVE);
	case ETH_IPV4:
		return tunnel(d, L_IPV4, PKT_SRC_GENEVE);
	case ETH_IPV6:
		return tunnel(d, L_IPV6, PKT_SRC_GENEVE);
	default:
		return L_OTHER;
	}
}

/* RFC 1701 section 2.2: routing, a list of source route entries (address
 * family, offset, length, information) ended by one of length 0. */
static bool gre_skip_routing(struct cursor *c)
{
	uint16_t af;
	uint8_t offset, len;

	for (;;) {
		if (!cur_u16(c, &af) || !cur_u8(c, &offset) || !cur_u8(c, &len))
			return false;
		if (af == 0 && len == 0)
			return true;
		if (!cur_skip(c, len))
			return false;
	}
}

#define GRE_C 0x8000   /* checksum present */
#define GRE_R 0x4000   /* routing present (RFC 1701) */
#define GRE_K 0x2000   /* key present */
#define GRE_S 0x1000   /* sequence number present */
#define GRE_A 0x0080   /* acknowledgment present (version 1) */

/* RFC 2784 section 2.1 with RFC 2890 section 2 (key, sequence) and RFC
 * 1701 (routing); version 1 is PPTP's enhanced GRE, RFC 2637 section 4.1
 * (key = payload length and call id, optional sequence and acknowledgment,
 * PPP inside). */
static enum layer dec_gre(struct dec *d)
{
	uint16_t flags, proto;
	size_t skip = 0;

	if (!cur_u16(&d->c, &flags) || !cur_u16(&d->c, &proto))
		return anomaly(d, ANOM_DEC_TUNNEL_TRUNCATED);
	switch (flags & 7) {
	case 0:
		if (flags & (GRE_C | GRE_R))
			skip += 4;
		if (flags & GRE_K)
			skip += 4;
		if (flags & GRE_S)
			skip += 4;
		break;
	case 1:
		if (proto != ETH_PPP || !(flags & GRE_K) || (flags & (GRE_C | GRE_R)))
			return L_OTHER;
		skip = 4 + (flags & GRE_S ? 4 : 0) + (flags & GRE_A ? 4 : 0);
		break;
	default:
		return L_OTHER;
	}
	if (!cur_skip(&d->c, skip))
		return anomaly(d, ANOM_DEC_TUNNEL_TRUNCATED);
	if ((flags & 7) == 0 && (flags & GRE_R) && !gre_skip_routing(&d->c))
		return anomaly(d, ANOM_DEC_TUNNEL_TRUNCATED);
	switch (proto) {
	case ETH_IPV4:
		return tunnel(d, L_IPV4, PKT_SRC_GRE);
	case ETH_IPV6:
		return tunnel(d, L_IPV6, PKT_SRC_GRE);
	case ETH_TEB:
		return tunnel(d, L_ETHER, PKT_SRC_GRE);
	case ETH_ERSPAN_2:
		/* ERSPAN type I has no sequence number and no header. */
		return tunnel(d, flags & GRE_S ? L_ERSPAN_2 : L_ETHER, PKT_SRC_GRE);
	case ETH_ERSPAN_3:
		return tunnel(d, L_ERSPAN_3, PKT_SRC_GRE);
	case ETH_MPLS_UC:
	case ETH_MPLS_MC:
		return tunnel(d, L_MPLS, PKT_SRC_GRE);
	case ETH_PPP:
		return tunnel(d, L_PPP, PKT_SRC_GRE);
	default:
		return L_OTHER;
	}
}

/* draft-foschiano-erspan-03 section 4.1, type II: version 1, VLAN, COS,
 * encapsulation, truncated bit, session id; reserved, index; Ethernet. */
static enum layer dec_erspan2(struct dec *d)
{
	uint32_t w0, w1;

	if (!cur_u32(&d->c, &w0) || !cur_u32(&d->c, &w1))
		return anomaly(d, ANOM_DEC_TUNNEL_TRUNCATED);
	if (w0 >> 28 != 1)
		return L_OTHER;
	return L_ETHER;
}

/* draft-foschiano-erspan-03 section 4.2, type III: version 2, VLAN, COS,
 * BSO, T, session id; timestamp; SGT, P, frame type, hardware id, D, Gra,
 * O (an 8-byte platform specific subheader follows); frame type 0 is
 * Ethernet, 2 is IP. */
static enum layer dec_erspan3(struct dec *d)
{
	uint32_t w0, ts, w2;

	if (!cur_u32(&d->c, &w0) || !cur_u32(&d->c, &ts) || !cur_u32(&d->c, &w2))
		return anomaly(d, ANOM_DEC_TUNNEL_TRUNCATED);
	if (w0 >> 28 != 2)
		return L_OTHER;
	if ((w2 & 1) && !cur_skip(&d->c, 8))
		return anomaly(d, ANOM_DEC_TUNNEL_TRUNCATED);
	switch ((w2 >> 10) & 0x1f) {
	case 0:
		return L_ETHER;
	case 2:
		return L_IP;
	default:
		return L_OTHER;
	}
}

/* RFC 791 section 3.1 / RFC 8200 section 3: both begin with the 4-bit
 * version, which tells raw IP (and ERSPAN III frame type 2) apart. */
static enum layer dec_ip_version(struct dec *d)
{
	uint8_t first;

	if (!cur_peek_u8(&d->c, 0, &first))
		return anomaly(d, ANOM_DEC_LINK_TRUNCATED);
	switch (first >> 4) {
	case 4:
		return L_IPV4;
	case 6:
		return L_IPV6;
	default:
		return L_OTHER;
	}
}

static enum decode_result run(struct dec *d, enum layer l)
{
	for (;;) {
		switch (l) {
		case L_TCP_DONE:
			return DECODE_TCP;
		case L_OTHER:
			return DECODE_OTHER;
		case L_ANOMALY:
			return DECODE_ANOMALY;
		case L_ETHER:
			l = dec_ether(d);
			break;
		case L_VLAN:
			l = dec_vlan(d);
			break;
		case L_MPLS:
			l = dec_mpls(d);
			break;
		case L_PPPOE:
			l = dec_pppoe(d);
			break;
		case L_PPP:
			l = dec_ppp(d);
			break;
		case L_IP:
			l = dec_ip_version(d);
			break;
		case L_IPV4:
			l = dec_ipv4(d);
			break;
		case L_IPV6:
			l = dec_ipv6(d);
			break;
		case L_TCP:
			l = dec_tcp(d);
			break;
		case L_UDP:
			l = dec_udp(d);
			break;
		case L_GRE:
			l = dec_gre(d);
			break;
		case L_ERSPAN_2:
			l = dec_erspan2(d);
			break;
		case L_ERSPAN_3:
			l = dec_erspan3(d);
			break;
		case L_VXLAN:
			l = dec_vxlan(d);
			break;
		case L_VXLAN_GPE:
			l = dec_vxlan_gpe(d);
			break;
		case L_GENEVE:
			l = dec_geneve(d);
			break;
		}
	}
}

/* BSD loopback (DLT_NULL, host order; DLT_LOOP, network order): a 4-byte
 * address family. Taking the smaller of its two byte orders reads both. */
static enum layer dec_null(struct dec *d)
{
	uint32_t af;

	if (!cur_u32_le(&d->c, &af))
		return anomaly(d, ANOM_DEC_LINK_TRUNCATED);
	if (af > 0xffff)
		af = __builtin_bswap32(af);
	switch (af) {
	case BSD_AF_INET:
		return L_IPV4;
	case BSD_AF_INET6_BSD:
	case BSD_AF_INET6_FREEBSD:
	case BSD_AF_INET6_DARWIN:
		return L_IPV6;
	default:
		return L_OTHER;
	}
}

/* Linux cooked capture v1 (tcpdump.org LINKTYPE_LINUX_SLL): packet type,
 * ARPHRD type, address length, 8 address bytes, protocol (EtherType). */
static enum layer dec_sll(struct dec *d)
{
	uint16_t proto;

	if (!cur_skip(&d->c, 14) || !cur_u16(&d->c, &proto))
		return anomaly(d, ANOM_DEC_LINK_TRUNCATED);
	return by_ethertype(proto);
}

/* Linux cooked capture v2 (tcpdump.org LINKTYPE_LINUX_SLL2): protocol
 * (EtherType), reserved, interface index, ARPHRD type, packet type,
 * address length, 8 address bytes. */
static enum layer dec_sll2(struct dec *d)
{
	uint16_t proto;

	if (!cur_u16(&d->c, &proto) || !cur_skip(&d->c, 18))
		return anomaly(d, ANOM_DEC_LINK_TRUNCATED);
	return by_ethertype(proto);
}

static void init(struct dec *d, const uint8_t *pkt, size_t len, struct decoded *out)
{
	d->c = cur_make(pkt, len);
	d->out = out;
	out->family = 0;
	out->proto = 0;
	out->sport = out->dport = 0;
	out->seq = out->ack = 0;
	out->tcp_flags = 0;
	out->window = 0;
	out->payload = NULL;
	out->payload_len = 0;
	out->n_vlans = 0;
	out->tunnels = 0;
	out->pkt_src = PKT_SRC_WIRE;
	out->anomaly = ANOM_COUNT;
	out->l3 = out->l4 = NULL;
	out->l3_len = out->l4_len = 0;
	out->ttl = 0;
	out->tcp_opt = NULL;
	out->tcp_opt_len = 0;
}

/* RFC 9293 section 3.2; a signature the connection was not set up with
 * makes a receiver drop the segment (RFC 2385 / RFC 5925), window scaling
 * bounds what it accepts (RFC 7323). */
uint8_t decode_tcp_options(const struct decoded *d, uint8_t *wscale)
{
	struct cursor opt = cur_make(d->tcp_opt, d->tcp_opt_len);
	uint8_t kind, len, bits = 0;

	*wscale = 0;
	while (cur_u8(&opt, &kind) && kind != 0) {
		if (kind == 1)
			continue;
		if (!cur_u8(&opt, &len) || len < 2 || cur_left(&opt) < len - 2u)
			return bits | DECODE_OPT_BAD;
		if (kind == 19 || kind == 29)
			bits |= DECODE_OPT_SIG;
		if (kind == 3 && len == 3 && cur_peek_u8(&opt, 0, wscale))
			bits |= DECODE_OPT_WSCALE;
		cur_skip(&opt, len - 2u);
	}
	return bits;
}

const char *decode_pkt_src_name(enum pkt_src s)
{
	switch (s) {
	case PKT_SRC_WIRE: return "wire/pcap";
	case PKT_SRC_GRE: return "gre tunnel";
	case PKT_SRC_IPV4: return "ipv4 tunnel";
	case PKT_SRC_IPV6: return "ipv6 tunnel";
	case PKT_SRC_VXLAN: return "vxlan encapsulation";
	case PKT_SRC_GENEVE: return "geneve encapsulation";
	case PKT_SRC_FLOW_END: return "stream (flow timeout)";
	}
	return "<unknown>";
}

enum decode_result decode_packet(int dlt, const uint8_t *pkt, size_t len,
				 struct decoded *out)
{
	struct dec d;
	enum layer l;

	init(&d, pkt, len, out);
	switch (dlt) {
	case DLT_EN10MB:
		l = dec_ether(&d);
		break;
	case DLT_LINUX_SLL:
		l = dec_sll(&d);
		break;
	case DLT_LINUX_SLL2:
		l = dec_sll2(&d);
		break;
	case DLT_NULL:
	case DLT_LOOP:
		l = dec_null(&d);
		break;
	case DLT_IPV4:
		l = L_IPV4;
		break;
	case DLT_IPV6:
		l = L_IPV6;
		break;
	case DLT_RAW_COMMON:
	case DLT_RAW_OPENBSD:
	case LINKTYPE_RAW:
		l = L_IP;
		break;
	default:
		l = anomaly(&d, ANOM_DEC_LINK_UNSUPPORTED);
		break;
	}
	return run(&d, l);
}

enum decode_result decode_ip(const uint8_t *pkt, size_t len, struct decoded *out)
{
	struct dec d;

	init(&d, pkt, len, out);
	return run(&d, L_IP);
}
