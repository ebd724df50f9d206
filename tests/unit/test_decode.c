/*
 * decode: real captures against tshark's view (tests/unit/data/decode/
 * expected.txt, made by gen.py beside it), and hand-built packets for every
 * layer and anomaly.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/decode.h"

#define CORPUS   "../shared/corpus/"
#define EXPECTED "tests/unit/data/decode/expected.txt"

/* ---- packet builder (the test's own bytes: plain indexing is fine) ---- */

enum fix_kind { FIX_IPV4, FIX_IPV6, FIX_UDP, FIX_PPPOE };

struct pkt {
	uint8_t b[1024];
	size_t n;
	struct { size_t off; enum fix_kind kind; } fix[16];
	int nfix;
};

static void put8(struct pkt *p, uint8_t v)
{
	cr_assert(p->n < sizeof(p->b));
	p->b[p->n++] = v;
}

static void put16(struct pkt *p, uint16_t v)
{
	put8(p, (uint8_t)(v >> 8));
	put8(p, (uint8_t)v);
}

static void put32(struct pkt *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p, (uint16_t)v);
}

static void putn(struct pkt *p, const void *src, size_t n)
{
	if (n == 0)
		return;
	cr_assert(p->n + n <= sizeof(p->b));
	memcpy(p->b + p->n, src, n);
	p->n += n;
}

static void fill(struct pkt *p, uint8_t v, size_t n)
{
	while (n--)
		put8(p, v);
}

static void set16(struct pkt *p, size_t at, uint16_t v)
{
	p->b[at] = (uint8_t)(v >> 8);
	p->b[at + 1] = (uint8_t)v;
}

static void add_fix(struct pkt *p, enum fix_kind kind)
{
	cr_assert(p->nfix < 16);
	p->fix[p->nfix].off = p->n;
	p->fix[p->nfix].kind = kind;
	p->nfix++;
}

/* Sets every recorded length field to cover the packet to its end. */
static void done(struct pkt *p)
{
	for (int i = 0; i < p->nfix; i++) {
		size_t off = p->fix[i].off, rest = p->n - off;

		switch (p->fix[i].kind) {
		case FIX_IPV4: set16(p, off + 2, (uint16_t)rest); break;
		case FIX_IPV6: set16(p, off + 4, (uint16_t)(rest - 40)); break;
		case FIX_UDP: set16(p, off + 4, (uint16_t)rest); break;
		case FIX_PPPOE: set16(p, off + 4, (uint16_t)(rest - 6)); break;
		}
	}
	p->nfix = 0;
}

static void eth(struct pkt *p, uint16_t type)
{
	fill(p, 0xaa, 6);
	fill(p, 0xbb, 6);
	put16(p, type);
}

static void vlan(struct pkt *p, uint16_t tpid_next, uint16_t id)
{
	put16(p, id);
	put16(p, tpid_next);
}

static const uint8_t A4[4] = { 198, 18, 1, 2 }, B4[4] = { 198, 18, 2, 2 };
static const uint8_t A6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t B6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

/* IPv4 header with options (a multiple of 4 bytes), flags/offset word. */
static void ipv4_full(struct pkt *p, uint8_t proto, const uint8_t *opt, size_t optlen,
		      uint16_t frag)
{
	add_fix(p, FIX_IPV4);
	put8(p, (uint8_t)(0x40 | (5 + optlen / 4)));
	put8(p, 0);
	put16(p, 0);           /* total length, fixed by done() */
	put16(p, 0x1234);
	put16(p, frag);
	put8(p, 64);
	put8(p, proto);
	put16(p, 0);
	putn(p, A4, 4);
	putn(p, B4, 4);
	putn(p, opt, optlen);
}

static void ipv4(struct pkt *p, uint8_t proto)
{
	ipv4_full(p, proto, NULL, 0, 0x4000);
}

static void ipv6(struct pkt *p, uint8_t nh)
{
	add_fix(p, FIX_IPV6);
	put32(p, 0x60000000);
	put16(p, 0);
	put8(p, nh);
	put8(p, 64);
	putn(p, A6, 16);
	putn(p, B6, 16);
}

/* An extension header of 8 * (units + 1) bytes (AH: 4 * (units + 2)). */
static void ext6(struct pkt *p, uint8_t nh, uint8_t units, size_t total)
{
	put8(p, nh);
	put8(p, units);
	fill(p, 0, total - 2);
}

static void tcp_opts(struct pkt *p, uint16_t sport, uint16_t dport, uint8_t flags,
		     size_t optlen)
{
	put16(p, sport);
	put16(p, dport);
	put32(p, 1000);
	put32(p, 2000);
	put8(p, (uint8_t)((5 + optlen / 4) << 4));
	put8(p, flags);
	put16(p, 65000);
	put32(p, 0);
	fill(p, 1, optlen);   /* NOPs */
}

static void tcp(struct pkt *p)
{
	tcp_opts(p, 40000, 443, TCP_SYN | TCP_ACK, 0);
}

static void udp(struct pkt *p, uint16_t sport, uint16_t dport)
{
	add_fix(p, FIX_UDP);
	put16(p, sport);
	put16(p, dport);
	put16(p, 0);
	put16(p, 0);
}

static void data(struct pkt *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put8(p, (uint8_t)i);
}

static enum decode_result dec(int dlt, struct pkt *p, struct decoded *d)
{
	return decode_packet(dlt, p->b, p->n, d);
}

/* Asserts a well-formed TCP result whose payload is the last n bytes. */
static void expect_tcp(int dlt, struct pkt *p, size_t n, uint8_t tunnels)
{
	struct decoded d;

	cr_assert_eq(dec(dlt, p, &d), DECODE_TCP, "anomaly %s",
		     anomaly_event(d.anomaly) ? anomaly_event(d.anomaly) : "-");
	cr_expect_eq(d.proto, 6);
	cr_expect_eq(d.payload_len, n);
	cr_expect_eq(d.payload, p->b + p->n - n);
	cr_expect_eq(d.tunnels, tunnels);
}

static void expect_anomaly(int dlt, struct pkt *p, enum anomaly a)
{
	struct decoded d;
	enum decode_result r = dec(dlt, p, &d);

	cr_assert_eq(r, DECODE_ANOMALY, "len %zu: result %d, not anomaly %s", p->n, r,
		     anomaly_event(a));
	cr_expect_eq(d.anomaly, a, "len %zu: %s, not %s", p->n,
		     anomaly_event(d.anomaly) ? anomaly_event(d.anomaly) : "?",
		     anomaly_event(a));
}

static void expect_other(int dlt, struct pkt *p)
{
	struct decoded d;

	cr_expect_eq(dec(dlt, p, &d), DECODE_OTHER, "anomaly %s",
		     anomaly_event(d.anomaly) ? anomaly_event(d.anomaly) : "-");
}

/* ---- captures against tshark ---- */

struct expect_row {
	unsigned frame;
	char src[64], dst[64];
	unsigned sport, dport, plen, tunnels;
};

/* Reads the rows of one capture from the expected file; count = -1 when
 * the capture is not listed. Returns a malloc'd array (caller frees). */
static struct expect_row *load_expected(const char *capture, long *count)
{
	FILE *f = fopen(EXPECTED, "r");
	char line[512], name[256];
	struct expect_row *rows = NULL;
	long n = 0, i = 0, listed;
	bool in = false;

	*count = -1;
	cr_assert_not_null(f, "cannot open %s (run from the repository root)", EXPECTED);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "capture %255s %ld", name, &listed) == 2) {
			if (in)
				break;
			in = strcmp(name, capture) == 0;
			if (in) {
				n = listed;
				*count = n;
				rows = calloc((size_t)n + 1, sizeof(*rows));
				cr_assert_not_null(rows);
			}
		} else if (in) {
			struct expect_row *r = &rows[i];

			cr_assert_lt(i, n, "%s: more rows than counted", capture);
			cr_assert_eq(sscanf(line, "tcp %u %63s %63s %u %u %u %u", &r->frame,
					    r->src, r->dst, &r->sport, &r->dport, &r->plen,
					    &r->tunnels), 7, "bad line: %s", line);
			i++;
		}
	}
	fclose(f);
	if (rows)
		cr_assert_eq(i, n, "%s: %ld rows, %ld counted", capture, i, n);
	return rows;
}

static const char *addr_str(const struct decoded *d, const uint8_t *a, char *buf)
{
	return inet_ntop(d->family == 4 ? AF_INET : AF_INET6, a, buf, 64);
}

/* Decodes every packet of the capture; the TCP ones must be exactly the
 * frames tshark lists, with the same addresses, ports, payload lengths
 * and tunnel depth. Returns the number of packets decoded as TCP. */
static long check_capture(const char *capture)
{
	char path[512], err[PCAP_ERRBUF_SIZE], s[64], t[64];
	struct pcap_pkthdr *h;
	const u_char *bytes;
	struct expect_row *rows;
	struct decoded d;
	long count, tcp = 0, next = 0;
	unsigned frame = 0;
	pcap_t *pc;
	int dlt, rc;

	snprintf(path, sizeof(path), CORPUS "%s", capture);
	rows = load_expected(capture, &count);
	cr_assert_geq(count, 0, "%s is not in %s", capture, EXPECTED);
	pc = pcap_open_offline(path, err);
	if (!pc) {
		free(rows);
		cr_skip_test("corpus capture missing: %s", err);
	}
	dlt = pcap_datalink(pc);
	while ((rc = pcap_next_ex(pc, &h, &bytes)) == 1) {
		frame++;
		if (decode_packet(dlt, bytes, h->caplen, &d) != DECODE_TCP)
			continue;
		tcp++;
		cr_assert_lt(next, count, "%s frame %u: TCP, tshark says not", capture, frame);
		cr_assert_eq(rows[next].frame, frame, "%s: frame %u is TCP, tshark's next is %u",
			     capture, frame, rows[next].frame);
		cr_expect_str_eq(addr_str(&d, d.src, s), rows[next].src, "%s frame %u", capture, frame);
		cr_expect_str_eq(addr_str(&d, d.dst, t), rows[next].dst, "%s frame %u", capture, frame);
		cr_expect_eq(d.sport, rows[next].sport, "%s frame %u", capture, frame);
		cr_expect_eq(d.dport, rows[next].dport, "%s frame %u", capture, frame);
		cr_expect_eq(d.payload_len, rows[next].plen, "%s frame %u", capture, frame);
		cr_expect_eq(d.tunnels, rows[next].tunnels, "%s frame %u", capture, frame);
		cr_expect(d.payload >= bytes && d.payload + d.payload_len <= bytes + h->caplen);
		next++;
	}
	pcap_close(pc);
	free(rows);
	cr_expect_eq(rc, PCAP_ERROR_BREAK, "%s: read error", capture);
	cr_expect_eq(tcp, count, "%s: %ld TCP packets, tshark %ld", capture, tcp, count);
	return tcp;
}

Test(decode_corpus, gre_sample) { cr_expect_eq(check_capture("ja4/gre-sample.pcap"), 22); }
Test(decode_corpus, gre_erspan_vxlan) { cr_expect_eq(check_capture("ja4/gre-erspan-vxlan.pcap"), 7); }
Test(decode_corpus, geneve) { cr_expect_eq(check_capture("ja4/tcpdump-geneve.pcap"), 33); }
Test(decode_corpus, ipv6_null_pcapng) { cr_expect_eq(check_capture("ja4/ipv6.pcapng"), 9); }
Test(decode_corpus, ipv6_null_pcap) { cr_expect_eq(check_capture("ja4/tls-alpn-h2.pcap"), 9); }
Test(decode_corpus, v6_ethernet) { cr_expect_eq(check_capture("ja4/v6.pcap"), 62); }
Test(decode_corpus, single_packets) { cr_expect_eq(check_capture("ja4/single-packets.pcap"), 9); }
Test(decode_corpus, macos_tcp_flags) { cr_expect_eq(check_capture("ja4/macos_tcp_flags.pcap"), 43); }
Test(decode_corpus, sll2) { cr_expect_eq(check_capture("generated/a26_tls12_resumption_ticket_sll2.pcap"), 43); }
Test(decode_corpus, ipv6_loopback) { cr_expect_eq(check_capture("generated/a43_tls13_ipv6_loopback_gnutls_server.pcap"), 17); }

/* Every capture listed in the expected file. */
Test(decode_corpus, all_listed)
{
	FILE *f = fopen(EXPECTED, "r");
	char line[512], name[256];
	long n, captures = 0;

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "capture %255s %ld", name, &n) == 2) {
			check_capture(name);
			captures++;
		}
	}
	fclose(f);
	cr_expect_geq(captures, 20);
}

/* ---- hand-built packets ---- */

Test(decode, ethernet_ipv4_tcp_fields)
{
	struct pkt p = { .n = 0 };
	struct decoded d;

	eth(&p, 0x0800);
	ipv4(&p, 6);
	tcp_opts(&p, 40000, 443, TCP_PSH | TCP_ACK, 12);
	data(&p, 100);
	done(&p);
	cr_assert_eq(dec(DLT_EN10MB, &p, &d), DECODE_TCP);
	cr_expect_eq(d.family, 4);
	cr_expect_eq(d.proto, 6);
	cr_expect_arr_eq(d.src, A4, 4);
	cr_expect_arr_eq(d.dst, B4, 4);
	cr_expect_eq(d.src[4] | d.src[15] | d.dst[4] | d.dst[15], 0);
	cr_expect_eq(d.sport, 40000);
	cr_expect_eq(d.dport, 443);
	cr_expect_eq(d.seq, 1000);
	cr_expect_eq(d.ack, 2000);
	cr_expect_eq(d.tcp_flags, TCP_PSH | TCP_ACK);
	cr_expect_eq(d.window, 65000);
	cr_expect_eq(d.payload, p.b + 14 + 20 + 32);
	cr_expect_eq(d.payload_len, 100);
	cr_expect_eq(d.payload[99], 99);
	cr_expect_eq(d.n_vlans, 0);
	cr_expect_eq(d.tunnels, 0);
}

/* Ethernet pads short frames to 60 bytes: the IP length bounds the payload. */
Test(decode, ethernet_padding_ignored)
{
	struct pkt p = { .n = 0 };

	eth(&p, 0x0800);
	ipv4(&p, 6);
	tcp(&p);
	data(&p, 2);
	done(&p);
	fill(&p, 0xee, 60 - p.n);
	cr_assert_eq(p.n, 60);
	{
		struct decoded d;

		cr_assert_eq(dec(DLT_EN10MB, &p, &d), DECODE_TCP);
		cr_expect_eq(d.payload_len, 2);
		cr_expect_eq(d.payload, p.b + 54);
	}
}

/* Cut at every length: never TCP, and the anomaly names the layer cut. */
Test(decode, truncated_ipv4_every_length)
{
	static const uint8_t opt[8] = { 1, 1, 7, 3, 4, 1, 1, 0 }; /* NOP NOP RR NOP EOL */
	struct pkt p = { .n = 0 };
	size_t full;

	eth(&p, 0x8100);
	vlan(&p, 0x0800, 10);
	ipv4_full(&p, 6, opt, sizeof(opt), 0);
	tcp_opts(&p, 1, 2, TCP_ACK, 8);
	data(&p, 5);
	done(&p);
	full = p.n;
	expect_tcp(DLT_EN10MB, &p, 5, 0);
	for (size_t n = 0; n < full; n++) {
		enum anomaly a = n < 14 ? ANOM_DEC_LINK_TRUNCATED :
				 n < 18 ? ANOM_DEC_VLAN_TRUNCATED :
				 n < 18 + 28 ? ANOM_DEC_IPV4_TRUNCATED :
				 ANOM_DEC_IPV4_TRUNC_PAYLOAD;

		p.n = n;
		expect_anomaly(DLT_EN10MB, &p, a);
	}
}

Test(decode, truncated_ipv6_every_length)
{
	struct pkt p = { .n = 0 };
	size_t full;

	eth(&p, 0x86dd);
	ipv6(&p, 0);
	ext6(&p, 6, 0, 8);
	tcp(&p);
	data(&p, 3);
	done(&p);
	full = p.n;
	expect_tcp(DLT_EN10MB, &p, 3, 0);
	for (size_t n = 0; n < full; n++) {
		p.n = n;
		expect_anomaly(DLT_EN10MB, &p, n < 14 ? ANOM_DEC_LINK_TRUNCATED :
				n < 54 ? ANOM_DEC_IPV6_TRUNCATED : ANOM_DEC_IPV6_TRUNC_PAYLOAD);
	}
}

/* The IP length cuts the TCP header: tcp.pkt_too_small at every length. */
Test(decode, truncated_tcp_by_ip_length)
{
	for (size_t cut = 0; cut < 28; cut++) {
		struct pkt p = { .n = 0 };

		ipv4(&p, 6);
		tcp_opts(&p, 1, 2, TCP_SYN, 8);
		p.n = 20 + cut;
		done(&p);
		expect_anomaly(DLT_RAW, &p, ANOM_DEC_TCP_TRUNCATED);
	}
}

/* Inner layers of a GRE tunnel, cut by the outer IP length. */
Test(decode, truncated_gre_inner_every_length)
{
	struct pkt in = { .n = 0 };

	put16(&in, 0x3000);       /* K, S */
	put16(&in, 0x0800);
	put32(&in, 7);
	put32(&in, 9);
	ipv4(&in, 6);
	tcp(&in);
	data(&in, 4);
	done(&in);
	for (size_t k = 0; k <= in.n; k++) {
		struct pkt p = { .n = 0 };

		eth(&p, 0x0800);
		ipv4(&p, 47);
		putn(&p, in.b, k);
		done(&p);
		if (k == in.n)
			expect_tcp(DLT_EN10MB, &p, 4, 1);
		else
			expect_anomaly(DLT_EN10MB, &p, k < 12 ? ANOM_DEC_TUNNEL_TRUNCATED :
					k < 32 ? ANOM_DEC_IPV4_TRUNCATED :
					ANOM_DEC_IPV4_TRUNC_PAYLOAD);
	}
}

Test(decode, truncated_vxlan_geneve_erspan)
{
	for (int kind = 0; kind < 4; kind++) {
		struct pkt in = { .n = 0 };
		size_t hdr;

		switch (kind) {
		case 0:   /* VXLAN */
			put32(&in, 0x08000000);
			put32(&in, 0x00000100);
			break;
		case 1:   /* Geneve, one 4-byte option */
			put32(&in, 0x02006558);
			put32(&in, 0x00000a00);
			put32(&in, 0x01020301);
			put32(&in, 0xdeadbeef);
			break;
		case 2:   /* ERSPAN II after GRE with S */
			put32(&in, 0x100088be);
			put32(&in, 1);
			put32(&in, 0x10000001);
			put32(&in, 0);
			break;
		case 3:   /* ERSPAN III with the platform subheader (O) */
			put32(&in, 0x000022eb);
			put32(&in, 0x20000001);
			put32(&in, 12345);
			put32(&in, 0x00000001);
			put32(&in, 0);
			put32(&in, 0);
			break;
		}
		hdr = in.n;
		eth(&in, 0x0800);
		ipv4(&in, 6);
		tcp(&in);
		done(&in);
		for (size_t k = 0; k <= in.n; k++) {
			struct pkt p = { .n = 0 };

			ipv4(&p, kind < 2 ? 17 : 47);
			if (kind < 2)
				udp(&p, 50000, kind == 0 ? 4789 : 6081);
			putn(&p, in.b, k);
			done(&p);
			if (k == in.n)
				expect_tcp(DLT_RAW, &p, 0, kind < 2 ? 1 : 1);
			else
				expect_anomaly(DLT_RAW, &p, k < hdr ? ANOM_DEC_TUNNEL_TRUNCATED :
						k < hdr + 14 ? ANOM_DEC_LINK_TRUNCATED :
						k < hdr + 34 ? ANOM_DEC_IPV4_TRUNCATED :
						ANOM_DEC_IPV4_TRUNC_PAYLOAD);
		}
	}
}

Test(decode, ipv4_bad_lengths)
{
	struct pkt p = { .n = 0 };

	ipv4(&p, 6);
	tcp(&p);
	done(&p);
	p.b[0] = 0x44;                         /* IHL 4 */
	expect_anomaly(DLT_RAW, &p, ANOM_DEC_IPV4_BAD_HLEN);
	p.b[0] = 0x45;
	set16(&p, 2, 19);                      /* total length < header */
	expect_anomaly(DLT_RAW, &p, ANOM_DEC_IPV4_BAD_TOTLEN);
	set16(&p, 2, (uint16_t)(p.n + 1));     /* longer than captured */
	expect_anomaly(DLT_RAW, &p, ANOM_DEC_IPV4_TRUNC_PAYLOAD);
	p.b[0] = 0x4f;                         /* 60-byte header, 40 captured */
	set16(&p, 2, 60);
	expect_anomaly(DLT_RAW, &p, ANOM_DEC_IPV4_TRUNCATED);
	set16(&p, 2, 40);                      /* ... and a total length below it */
	expect_anomaly(DLT_RAW, &p, ANOM_DEC_IPV4_BAD_TOTLEN);
	set16(&p, 2, (uint16_t)p.n);
	p.b[0] = 0x45;
	p.b[32] = 0x40;                        /* TCP data offset 4 */
	expect_anomaly(DLT_RAW, &p, ANOM_DEC_TCP_BAD_HLEN);
	p.b[32] = 0xf0;                        /* 60 > 20 bytes of segment */
	expect_anomaly(DLT_RAW, &p, ANOM_DEC_TCP_TRUNCATED);
}

Test(decode, ipv6_bad_lengths)
{
	struct pkt p = { .n = 0 };

	ipv6(&p, 6);
	tcp(&p);
	done(&p);
	expect_tcp(DLT_IPV6, &p, 0, 0);
	set16(&p, 4, 21);
	expect_anomaly(DLT_IPV6, &p, ANOM_DEC_IPV6_TRUNC_PAYLOAD);
	set16(&p, 4, 19);
	expect_anomaly(DLT_IPV6, &p, ANOM_DEC_TCP_TRUNCATED);
}

static void ipv4_with_options(const uint8_t *opt, size_t len, bool valid)
{
	struct pkt p = { .n = 0 };

	ipv4_full(&p, 6, opt, len, 0);
	tcp(&p);
	done(&p);
	if (valid)
		expect_tcp(DLT_RAW, &p, 0, 0);
	else
		expect_anomaly(DLT_RAW, &p, ANOM_DEC_IPV4_OPT_INVALID);
}

Test(decode, ipv4_options)
{
	static const uint8_t ok1[4] = { 1, 1, 1, 0 };
	static const uint8_t ok2[8] = { 7, 7, 4, 0, 0, 0, 0, 0 };         /* RR */
	static const uint8_t ok3[12] = { 68, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0 }; /* TS */
	static const uint8_t ok4[4] = { 0, 99, 99, 99 };                   /* EOL, junk after */
	static const uint8_t ok5[4] = { 148, 4, 0, 0 };                    /* router alert */
	static const uint8_t len0[4] = { 148, 0, 0, 0 };
	static const uint8_t len1[4] = { 148, 1, 0, 0 };
	static const uint8_t overrun[4] = { 1, 148, 4, 0 };
	static const uint8_t nolen[4] = { 1, 1, 1, 148 };
	static const uint8_t rr_ptr[8] = { 7, 7, 3, 0, 0, 0, 0, 0 };
	static const uint8_t rr_short[4] = { 131, 2, 1, 0 };
	static const uint8_t ts_ptr[8] = { 68, 8, 4, 0, 0, 0, 0, 0 };

	ipv4_with_options(ok1, 4, true);
	ipv4_with_options(ok2, 8, true);
	ipv4_with_options(ok3, 12, true);
	ipv4_with_options(ok4, 4, true);
	ipv4_with_options(ok5, 4, true);
	ipv4_with_options(len0, 4, false);
	ipv4_with_options(len1, 4, false);
	ipv4_with_options(overrun, 4, false);
	ipv4_with_options(nolen, 4, false);
	ipv4_with_options(rr_ptr, 8, false);
	ipv4_with_options(rr_short, 4, false);
	ipv4_with_options(ts_ptr, 8, false);
}

Test(decode, ipv4_fragments)
{
	static const uint16_t frag[] = { 0x2000, 0x0001, 0x2010, 0x1fff, 0x4001 };

	for (size_t i = 0; i < sizeof(frag) / sizeof(frag[0]); i++) {
		struct pkt p = { .n = 0 };
		struct decoded d;

		ipv4_full(&p, 6, NULL, 0, frag[i]);
		tcp(&p);
		done(&p);
		expect_anomaly(DLT_RAW, &p, ANOM_DEC_IPV4_FRAGMENT);
		dec(DLT_RAW, &p, &d);
		cr_expect_eq(d.family, 4);
		cr_expect_arr_eq(d.src, A4, 4);
		cr_expect_eq(d.sport, 0, "a fragment is never parsed as TCP");
	}
	/* DF alone, and the reserved bit, are not fragments. */
	for (uint16_t f = 0; f <= 0x8000; f += 0x4000) {
		struct pkt p = { .n = 0 };

		ipv4_full(&p, 6, NULL, 0, f);
		tcp(&p);
		done(&p);
		expect_tcp(DLT_RAW, &p, 0, 0);
	}
}

Test(decode, ipv6_extension_headers)
{
	struct pkt p = { .n = 0 };
	struct decoded d;

	ipv6(&p, 0);
	ext6(&p, 43, 1, 16);   /* hop-by-hop, 16 bytes */
	ext6(&p, 60, 0, 8);    /* routing */
	ext6(&p, 51, 0, 8);    /* destination options */
	ext6(&p, 6, 4, 24);    /* AH: (4 + 2) * 4 */
	tcp(&p);
	data(&p, 7);
	done(&p);
	expect_tcp(DLT_IPV6, &p, 7, 0);
	cr_assert_eq(dec(DLT_IPV6, &p, &d), DECODE_TCP);
	cr_expect_eq(d.family, 6);
	cr_expect_arr_eq(d.src, A6, 16);
	cr_expect_arr_eq(d.dst, B6, 16);

	/* Hop-by-hop anywhere but first. */
	p = (struct pkt){ .n = 0 };
	ipv6(&p, 60);
	ext6(&p, 0, 0, 8);
	ext6(&p, 6, 0, 8);
	tcp(&p);
	done(&p);
	expect_anomaly(DLT_IPV6, &p, ANOM_DEC_IPV6_EXTHDR_INVALID);

	/* An extension header longer than the payload. */
	p = (struct pkt){ .n = 0 };
	ipv6(&p, 60);
	ext6(&p, 6, 3, 8);
	tcp(&p);
	done(&p);
	expect_anomaly(DLT_IPV6, &p, ANOM_DEC_IPV6_EXTHDR_INVALID);

	/* Cut inside an extension header by the payload length. */
	p = (struct pkt){ .n = 0 };
	ipv6(&p, 43);
	put8(&p, 6);
	done(&p);
	expect_anomaly(DLT_IPV6, &p, ANOM_DEC_IPV6_EXTHDR_INVALID);

	/* No next header, ESP, ICMPv6: not TCP. */
	p = (struct pkt){ .n = 0 };
	ipv6(&p, 59);
	done(&p);
	expect_other(DLT_IPV6, &p);
}

static void ipv6_frag(uint16_t offset_flags, bool fragment)
{
	struct pkt p = { .n = 0 };

	ipv6(&p, 44);
	put8(&p, 6);
	put8(&p, 0);
	put16(&p, offset_flags);
	put32(&p, 0xabcdef);
	tcp(&p);
	done(&p);
	if (fragment)
		expect_anomaly(DLT_IPV6, &p, ANOM_DEC_IPV6_FRAGMENT);
	else
		expect_tcp(DLT_IPV6, &p, 0, 0);
}

Test(decode, ipv6_fragments)
{
	ipv6_frag(0x0001, true);    /* first, M */
	ipv6_frag(0x0008, true);    /* offset 1 */
	ipv6_frag(0xfff8, true);
	ipv6_frag(0x0000, false);   /* atomic fragment (RFC 6946) */
	ipv6_frag(0x0006, false);   /* reserved bits only */
}

Test(decode, vlans_and_qinq)
{
	for (int n = 0; n <= DECODE_MAX_VLANS + 1; n++) {
		struct pkt p = { .n = 0 };
		struct decoded d;

		eth(&p, n ? 0x88a8 : 0x0800);
		for (int i = 0; i < n; i++)
			vlan(&p, i + 1 < n ? 0x8100 : 0x0800, (uint16_t)(0xe000 | (100 + i)));
		ipv4(&p, 6);
		tcp(&p);
		done(&p);
		if (n > DECODE_MAX_VLANS) {
			expect_anomaly(DLT_EN10MB, &p, ANOM_DEC_VLAN_TOO_MANY);
			continue;
		}
		cr_assert_eq(dec(DLT_EN10MB, &p, &d), DECODE_TCP);
		cr_expect_eq(d.n_vlans, n);
		for (int i = 0; i < n; i++)
			cr_expect_eq(d.vlan[i], 100 + i, "priority bits stripped");
	}
	{
		struct pkt p = { .n = 0 };

		eth(&p, 0x9100);
		vlan(&p, 0x8100, 5);
		vlan(&p, 0x86dd, 6);
		ipv6(&p, 6);
		tcp(&p);
		done(&p);
		expect_tcp(DLT_EN10MB, &p, 0, 0);
	}
}

/* Nested IP-in-IP up to the limit, and one more. */
Test(decode, tunnel_depth)
{
	for (int depth = 0; depth <= DECODE_MAX_TUNNELS + 1; depth++) {
		struct pkt p = { .n = 0 };

		for (int i = 0; i < depth; i++) {
			if (i % 2)
				ipv6(&p, 4);
			else
				ipv4(&p, (i + 1 < depth) ? 41 : 4);
		}
		if (depth % 2)
			ipv4(&p, 6);
		else
			ipv4(&p, 6);
		tcp(&p);
		data(&p, 1);
		done(&p);
		if (depth > DECODE_MAX_TUNNELS)
			expect_anomaly(DLT_RAW, &p, ANOM_DEC_TUNNEL_TOO_DEEP);
		else
			expect_tcp(DLT_RAW, &p, 1, (uint8_t)depth);
	}
}

/* GRE in GRE in ... with transparent Ethernet bridging. */
Test(decode, tunnel_depth_gre_teb)
{
	for (int depth = 1; depth <= DECODE_MAX_TUNNELS + 1; depth++) {
		struct pkt p = { .n = 0 };

		eth(&p, 0x0800);
		for (int i = 0; i < depth; i++) {
			ipv4(&p, 47);
			put16(&p, 0);
			put16(&p, 0x6558);
			eth(&p, 0x0800);
		}
		ipv4(&p, 6);
		tcp(&p);
		done(&p);
		if (depth > DECODE_MAX_TUNNELS)
			expect_anomaly(DLT_EN10MB, &p, ANOM_DEC_TUNNEL_TOO_DEEP);
		else
			expect_tcp(DLT_EN10MB, &p, 0, (uint8_t)depth);
	}
}

static void gre_case(uint16_t flags, uint16_t proto, const void *opt, size_t optlen,
		     int inner, bool tcp_expected)
{
	struct pkt p = { .n = 0 };

	ipv4(&p, 47);
	put16(&p, flags);
	put16(&p, proto);
	putn(&p, opt, optlen);
	if (inner == 4) {
		ipv4(&p, 6);
	} else if (inner == 6) {
		ipv6(&p, 6);
	} else {
		eth(&p, 0x0800);
		ipv4(&p, 6);
	}
	tcp(&p);
	data(&p, 9);
	done(&p);
	if (tcp_expected)
		expect_tcp(DLT_RAW, &p, 9, 1);
	else
		expect_other(DLT_RAW, &p);
}

Test(decode, gre_variants)
{
	static const uint8_t z12[12];
	static const uint8_t routing[12] = { 0, 0, 0, 0, 0, 2, 0, 4, 1, 2, 3, 4 };
	static const uint8_t routing_end[4] = { 0, 0, 0, 0 };
	uint8_t r[16];

	gre_case(0x0000, 0x0800, NULL, 0, 4, true);
	gre_case(0x8000, 0x0800, z12, 4, 4, true);    /* checksum */
	gre_case(0x2000, 0x86dd, z12, 4, 6, true);    /* key */
	gre_case(0x1000, 0x0800, z12, 4, 4, true);    /* sequence */
	gre_case(0xb000, 0x0800, z12, 12, 4, true);   /* all three */
	gre_case(0x0000, 0x6558, NULL, 0, 1, true);   /* transparent bridging */
	gre_case(0x0000, 0x88be, NULL, 0, 1, true);   /* ERSPAN type I */
	gre_case(0x0002, 0x0800, NULL, 0, 4, false);  /* unknown version */
	gre_case(0x0000, 0x1234, NULL, 0, 4, false);  /* unknown protocol */
	/* RFC 1701 routing: checksum/offset, one SRE, the terminating SRE. */
	memcpy(r, routing, 12);
	memcpy(r + 12, routing_end, 4);
	gre_case(0x4000, 0x0800, r, 16, 4, true);
	/* An SRE list without its end. */
	{
		struct pkt p = { .n = 0 };

		ipv4(&p, 47);
		put16(&p, 0x4000);
		put16(&p, 0x0800);
		putn(&p, routing, 12);
		done(&p);
		expect_anomaly(DLT_RAW, &p, ANOM_DEC_TUNNEL_TRUNCATED);
	}
}

/* RFC 2637 enhanced GRE carrying PPP. */
Test(decode, gre_pptp_ppp)
{
	for (int form = 0; form < 3; form++) {
		struct pkt p = { .n = 0 };

		ipv4(&p, 47);
		put16(&p, 0x3081);   /* K, S, A, version 1 */
		put16(&p, 0x880b);
		put32(&p, 0x00280001);
		put32(&p, 1);
		put32(&p, 2);
		if (form == 0) {
			put16(&p, 0xff03);
			put16(&p, 0x0021);
		} else if (form == 1) {
			put8(&p, 0x21);    /* compressed protocol */
		} else {
			put16(&p, 0x0057);
		}
		if (form == 2)
			ipv6(&p, 6);
		else
			ipv4(&p, 6);
		tcp(&p);
		done(&p);
		expect_tcp(DLT_RAW, &p, 0, 1);
	}
}

static void erspan3_case(uint32_t w2, bool sub, bool ip, bool tcp_expected)
{
	struct pkt p = { .n = 0 };

	ipv4(&p, 47);
	put16(&p, 0x1000);
	put16(&p, 0x22eb);
	put32(&p, 5);
	put32(&p, 0x20000000);
	put32(&p, 0xffffffff);
	put32(&p, w2);
	if (sub)
		fill(&p, 0x77, 8);
	if (!ip)
		eth(&p, 0x0800);
	ipv4(&p, 6);
	tcp(&p);
	done(&p);
	if (tcp_expected)
		expect_tcp(DLT_RAW, &p, 0, 1);
	else
		expect_other(DLT_RAW, &p);
}

Test(decode, erspan)
{
	struct pkt p = { .n = 0 };

	erspan3_case(0x00000000, false, false, true);
	erspan3_case(0x00000001, true, false, true);
	erspan3_case(0x00000800, false, true, true);    /* frame type 2: IP */
	erspan3_case(0x00000801, true, true, true);
	erspan3_case(0x00000400, false, false, false);  /* frame type 1 */

	/* Type II with a wrong version. */
	ipv4(&p, 47);
	put16(&p, 0x1000);
	put16(&p, 0x88be);
	put32(&p, 5);
	put32(&p, 0x20000001);
	put32(&p, 0);
	eth(&p, 0x0800);
	ipv4(&p, 6);
	tcp(&p);
	done(&p);
	expect_other(DLT_RAW, &p);
}

static void udp_tunnel(uint16_t sport, uint16_t dport, const uint8_t *hdr, size_t len,
		       int expect)
{
	struct pkt p = { .n = 0 };
	struct decoded d;

	ipv6(&p, 17);
	udp(&p, sport, dport);
	putn(&p, hdr, len);
	eth(&p, 0x0800);
	ipv4(&p, 6);
	tcp(&p);
	done(&p);
	if (expect == 0)
		expect_tcp(DLT_IPV6, &p, 0, 1);
	else if (expect == 1)
		cr_expect_eq(dec(DLT_IPV6, &p, &d), DECODE_OTHER, "ports %u->%u, header %02x",
			     sport, dport, hdr[0]);
	else
		expect_anomaly(DLT_IPV6, &p, ANOM_DEC_TUNNEL_TRUNCATED);
}

Test(decode, vxlan_geneve)
{
	static const uint8_t vx[8] = { 0x08, 0, 0, 0, 0, 0, 1, 0 };
	static const uint8_t vx_gbp[8] = { 0x88, 0, 0, 0, 0, 0, 1, 0 };
	static const uint8_t vx_noi[8] = { 0x00, 0, 0, 0, 0, 0, 1, 0 };
	static const uint8_t gen[8] = { 0x00, 0, 0x65, 0x58, 0, 0, 9, 0 };
	static const uint8_t gen_opts[20] = { 0x03, 0x40, 0x65, 0x58, 0, 0, 9, 0,
					      0x01, 0x02, 0x80, 0x00,
					      0x01, 0x03, 0x01, 0x01, 1, 2, 3, 4 };
	static const uint8_t gen_badopt[16] = { 0x02, 0, 0x65, 0x58, 0, 0, 9, 0,
						0x01, 0x02, 0x80, 0x02, 1, 2, 3, 4 };
	static const uint8_t gen_v1[8] = { 0x40, 0, 0x65, 0x58, 0, 0, 9, 0 };
	static const uint8_t gen_arp[8] = { 0x00, 0, 0x08, 0x06, 0, 0, 9, 0 };
	static const uint8_t gen_rsvd[8] = { 0x00, 0x01, 0x65, 0x58, 0, 0, 9, 0 };
	static const uint8_t vx_rsvd[8] = { 0x0c, 0, 0, 0, 0, 0, 1, 0 };
	static const uint8_t vx_last[8] = { 0x08, 0, 0, 0, 0, 0, 1, 7 };
	static const uint8_t gpe_eth[8] = { 0x0c, 0, 0, 3, 0, 0, 1, 0 };
	static const uint8_t gpe_nsh[8] = { 0x0c, 0, 0, 4, 0, 0, 1, 0 };
	static const uint8_t gpe_ver[8] = { 0x1c, 0, 0, 3, 0, 0, 1, 0 };

	udp_tunnel(50000, 4789, vx, 8, 0);
	udp_tunnel(50000, 4789, vx_gbp, 8, 0);
	udp_tunnel(4789, 53, vx, 8, 1);         /* a source port is no tunnel */
	udp_tunnel(50000, 4789, vx_noi, 8, 1);
	udp_tunnel(4789, 53, vx_noi, 8, 1);
	udp_tunnel(50000, 6081, gen, 8, 0);
	udp_tunnel(50000, 6081, gen_opts, 20, 0);
	udp_tunnel(50000, 6081, gen_badopt, 16, 2);
	udp_tunnel(6081, 53, gen, 8, 1);         /* a source port is no tunnel */
	udp_tunnel(50000, 6081, gen_rsvd, 8, 1);
	udp_tunnel(50000, 4789, vx_rsvd, 8, 1);
	udp_tunnel(50000, 4789, vx_last, 8, 1);
	udp_tunnel(50000, 4790, gpe_eth, 8, 0);
	udp_tunnel(50000, 4790, vx, 8, 0);       /* GPE without P: Ethernet */
	udp_tunnel(50000, 4790, gpe_nsh, 8, 1);
	udp_tunnel(50000, 4790, gpe_ver, 8, 1);
	udp_tunnel(4790, 50000, gpe_eth, 8, 1);
	udp_tunnel(50000, 6081, gen_v1, 8, 1);
	udp_tunnel(50000, 6081, gen_arp, 8, 1);
	udp_tunnel(50000, 4000, vx, 8, 1);
}

/* A QUIC client whose ephemeral port is 4789, 4790 or 6081: its Initial and the
 * server's answer (which has that port as destination) are plain UDP with
 * the QUIC bytes as payload, whichever of its header bits are set. */
Test(decode, quic_from_tunnel_ports)
{
	static const uint16_t ports[3] = { 4789, 4790, 6081 };

	for (int i = 0; i < 3; i++) {
		for (int dir = 0; dir < 2; dir++) {
			for (unsigned first = 0xc0; first <= 0xcf; first++) {
				struct pkt p = { .n = 0 };
				struct decoded d;
				size_t at;

				ipv4(&p, 17);
				udp(&p, dir ? 443 : ports[i], dir ? ports[i] : 443);
				at = p.n;
				put8(&p, (uint8_t)first);
				put32(&p, 1);          /* QUIC v1 */
				put8(&p, 8);           /* DCID length, DCID, ... */
				put16(&p, 0x0800);
				fill(&p, 0, 60);       /* a reserved byte of 0, Ethernet... */
				done(&p);
				cr_assert_eq(dec(DLT_RAW, &p, &d), DECODE_OTHER);
				cr_expect_eq(d.proto, 17);
				cr_expect_eq(d.tunnels, 0, "first byte %#x port %u", first,
					     ports[i]);
				cr_expect_eq(d.sport, dir ? 443 : ports[i]);
				cr_expect_eq(d.payload, p.b + at);
				cr_expect_eq(d.payload_len, p.n - at);
			}
		}
	}
}

/* Geneve can carry IP directly. */
Test(decode, geneve_ip)
{
	struct pkt p = { .n = 0 };

	ipv4(&p, 17);
	udp(&p, 1, 6081);
	put32(&p, 0x000086dd);
	put32(&p, 0);
	ipv6(&p, 6);
	tcp(&p);
	data(&p, 3);
	done(&p);
	expect_tcp(DLT_RAW, &p, 3, 1);
}

Test(decode, udp_and_non_ip)
{
	struct pkt p = { .n = 0 };
	struct decoded d;

	eth(&p, 0x0800);
	ipv4(&p, 17);
	udp(&p, 5353, 53);
	data(&p, 12);
	done(&p);
	cr_assert_eq(dec(DLT_EN10MB, &p, &d), DECODE_OTHER);
	cr_expect_eq(d.proto, 17);
	cr_expect_eq(d.family, 4);
	cr_expect_eq(d.sport, 5353);
	cr_expect_eq(d.dport, 53);
	cr_expect_eq(d.payload_len, 12);
	cr_expect_eq(d.payload, p.b + p.n - 12);

	p = (struct pkt){ .n = 0 };
	eth(&p, 0x0806);
	fill(&p, 0, 28);
	cr_assert_eq(dec(DLT_EN10MB, &p, &d), DECODE_OTHER);
	cr_expect_eq(d.family, 0);

	p = (struct pkt){ .n = 0 };
	eth(&p, 0x0800);
	ipv4(&p, 1);
	fill(&p, 0, 8);
	done(&p);
	cr_assert_eq(dec(DLT_EN10MB, &p, &d), DECODE_OTHER);
	cr_expect_eq(d.proto, 1);
}

Test(decode, mpls)
{
	for (int labels = 1; labels <= DECODE_MAX_MPLS + 1; labels++) {
		struct pkt p = { .n = 0 };

		eth(&p, 0x8847);
		for (int i = 0; i < labels; i++)
			put32(&p, (uint32_t)(16 + i) << 12 | (i + 1 == labels ? 0x100 : 0) | 64);
		ipv4(&p, 6);
		tcp(&p);
		done(&p);
		if (labels > DECODE_MAX_MPLS)
			expect_anomaly(DLT_EN10MB, &p, ANOM_DEC_TUNNEL_TOO_DEEP);
		else
			expect_tcp(DLT_EN10MB, &p, 0, 0);
	}
	{
		struct pkt p = { .n = 0 };

		eth(&p, 0x8847);
		put32(&p, 0x00010140);
		put32(&p, 0);         /* pseudowire control word */
		eth(&p, 0x86dd);
		ipv6(&p, 6);
		tcp(&p);
		done(&p);
		expect_tcp(DLT_EN10MB, &p, 0, 1);
		p.n = 14 + 2;
		expect_anomaly(DLT_EN10MB, &p, ANOM_DEC_TUNNEL_TRUNCATED);
	}
}

Test(decode, pppoe_session)
{
	struct pkt p = { .n = 0 };

	eth(&p, 0x8864);
	add_fix(&p, FIX_PPPOE);
	put8(&p, 0x11);
	put8(&p, 0);
	put16(&p, 0x1234);
	put16(&p, 0);
	put16(&p, 0x0021);
	ipv4(&p, 6);
	tcp(&p);
	data(&p, 6);
	done(&p);
	expect_tcp(DLT_EN10MB, &p, 6, 0);
	set16(&p, 18, (uint16_t)(p.n - 14 - 6 + 1));
	expect_anomaly(DLT_EN10MB, &p, ANOM_DEC_LINK_TRUNCATED);
	p.b[15] = 0x09;   /* discovery code: not a session frame */
	expect_other(DLT_EN10MB, &p);
}

/* The link layers, each carrying the same IPv4 or IPv6 TCP segment. */
static void link_case(int dlt, const uint8_t *hdr, size_t hlen, int ipver, bool tcp_expected)
{
	struct pkt p = { .n = 0 };

	putn(&p, hdr, hlen);
	if (ipver == 4)
		ipv4(&p, 6);
	else
		ipv6(&p, 6);
	tcp(&p);
	data(&p, 10);
	done(&p);
	if (tcp_expected)
		expect_tcp(dlt, &p, 10, 0);
	else
		expect_other(dlt, &p);
	if (hlen) {
		p.n = hlen - 1;
		expect_anomaly(dlt, &p, ANOM_DEC_LINK_TRUNCATED);
	}
}

Test(decode, link_types)
{
	static const uint8_t null_v4_le[4] = { 2, 0, 0, 0 }, null_v4_be[4] = { 0, 0, 0, 2 };
	static const uint8_t null_v6[3][4] = { { 24, 0, 0, 0 }, { 0, 0, 0, 28 }, { 30, 0, 0, 0 } };
	static const uint8_t null_other[4] = { 7, 0, 0, 0 };
	uint8_t sll[16] = { 0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00 };
	uint8_t sll2[20] = { 0x86, 0xdd, 0, 0, 0, 0, 0, 1, 0, 1, 4, 6, 1, 2, 3, 4, 5, 6, 0, 0 };

	link_case(DLT_NULL, null_v4_le, 4, 4, true);
	link_case(DLT_NULL, null_v4_be, 4, 4, true);
	link_case(DLT_LOOP, null_v4_be, 4, 4, true);
	for (int i = 0; i < 3; i++) {
		link_case(DLT_NULL, null_v6[i], 4, 6, true);
		link_case(DLT_LOOP, null_v6[i], 4, 6, true);
	}
	link_case(DLT_NULL, null_other, 4, 4, false);
	link_case(DLT_LINUX_SLL, sll, 16, 4, true);
	link_case(DLT_LINUX_SLL2, sll2, 20, 6, true);
	sll2[0] = 0x08;
	sll2[1] = 0x06;
	link_case(DLT_LINUX_SLL2, sll2, 20, 6, false);
	link_case(DLT_RAW, NULL, 0, 4, true);
	link_case(12, NULL, 0, 6, true);
	link_case(14, NULL, 0, 4, true);
	link_case(101, NULL, 0, 6, true);
	link_case(DLT_IPV4, NULL, 0, 4, true);
	link_case(DLT_IPV6, NULL, 0, 6, true);
	link_case(DLT_IPV4, NULL, 0, 6, false);   /* version disagrees with the link */
	link_case(DLT_IPV6, NULL, 0, 4, false);
}

Test(decode, unsupported_and_empty)
{
	struct decoded d;
	static const uint8_t one[1] = { 0x45 };

	cr_expect_eq(decode_packet(105, one, 1, &d), DECODE_ANOMALY);
	cr_expect_eq(d.anomaly, ANOM_DEC_LINK_UNSUPPORTED);
	cr_expect_eq(decode_packet(DLT_RAW, one, 0, &d), DECODE_ANOMALY);
	cr_expect_eq(d.anomaly, ANOM_DEC_LINK_TRUNCATED);
	cr_expect_eq(decode_ip(one, 1, &d), DECODE_ANOMALY);
	cr_expect_eq(d.anomaly, ANOM_DEC_IPV4_TRUNCATED);
	cr_expect_eq(decode_ip(NULL, 0, &d), DECODE_ANOMALY);
}

Test(decode, decode_ip_both_versions)
{
	struct pkt p = { .n = 0 };
	struct decoded d;

	ipv6(&p, 6);
	tcp(&p);
	data(&p, 4);
	done(&p);
	cr_assert_eq(decode_ip(p.b, p.n, &d), DECODE_TCP);
	cr_expect_eq(d.family, 6);
	cr_expect_eq(d.payload_len, 4);

	p = (struct pkt){ .n = 0 };
	ipv4(&p, 6);
	tcp(&p);
	done(&p);
	cr_assert_eq(decode_ip(p.b, p.n, &d), DECODE_TCP);
	cr_expect_eq(d.family, 4);
	cr_expect_eq(d.payload_len, 0);
}

/* The decoder runs on every packet: 1M typical packets (Ethernet, VLAN,
 * IPv4, TCP with timestamps) must take well under the 50 ms budget.
 * Skipped in sanitizer and unoptimised (DEBUG=1) builds. */
#if defined(__SANITIZE_ADDRESS__)
#define DECODE_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DECODE_SANITIZED 1
#endif
#endif

Test(decode, speed)
{
#if defined(DECODE_SANITIZED) || !defined(__OPTIMIZE__)
	cr_skip_test("timing is meaningless under sanitizers or without -O");
#else
	struct pkt p = { .n = 0 };
	struct decoded d;
	double best = 1e9;
	size_t sum = 0;

	eth(&p, 0x8100);
	vlan(&p, 0x0800, 7);
	ipv4(&p, 6);
	tcp_opts(&p, 40000, 443, TCP_ACK, 12);
	data(&p, 200);
	done(&p);
	for (int round = 0; round < 3; round++) {
		struct timespec a, b;

		clock_gettime(CLOCK_MONOTONIC, &a);
		for (int i = 0; i < 1000000; i++) {
			decode_packet(DLT_EN10MB, p.b, p.n, &d);
			sum += d.payload_len;
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		if ((double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9 < best)
			best = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	}
	cr_expect_gt(sum, 0);
	cr_log_info("1M decodes: %.1f ms", best * 1e3);
	/* Generous against a loaded CI machine; measured ~10x lower. */
	cr_expect_lt(best, 0.150, "1M decodes took %.1f ms", best * 1e3);
#endif
}

/* pkt_src names the innermost encapsulation, as Suricata's EVE does. */
static uint8_t pkt_src_of(struct pkt *p)
{
	struct decoded d;

	cr_assert_eq(dec(DLT_RAW, p, &d), DECODE_TCP);
	return d.pkt_src;
}

Test(decode, pkt_src_names_the_encapsulation)
{
	struct pkt plain = { .n = 0 }, v6in4 = { .n = 0 }, v4in6 = { .n = 0 };
	struct pkt gre = { .n = 0 }, geneve = { .n = 0 };

	ipv4(&plain, 6);
	tcp(&plain);
	done(&plain);
	cr_expect_eq(pkt_src_of(&plain), PKT_SRC_WIRE);
	ipv4(&v6in4, 41);
	ipv6(&v6in4, 6);
	tcp(&v6in4);
	done(&v6in4);
	cr_expect_eq(pkt_src_of(&v6in4), PKT_SRC_IPV4);
	ipv6(&v4in6, 4);
	ipv4(&v4in6, 6);
	tcp(&v4in6);
	done(&v4in6);
	cr_expect_eq(pkt_src_of(&v4in6), PKT_SRC_IPV6);
	ipv4(&gre, 47);
	put32(&gre, 0x00000800);
	ipv4(&gre, 6);
	tcp(&gre);
	done(&gre);
	cr_expect_eq(pkt_src_of(&gre), PKT_SRC_GRE);
	ipv4(&geneve, 17);
	udp(&geneve, 1, 6081);
	put32(&geneve, 0x000086dd);
	put32(&geneve, 0);
	ipv6(&geneve, 6);
	tcp(&geneve);
	done(&geneve);
	cr_expect_eq(pkt_src_of(&geneve), PKT_SRC_GENEVE);
	cr_expect_str_eq(decode_pkt_src_name(PKT_SRC_GRE), "gre tunnel");
	cr_expect_str_eq(decode_pkt_src_name(PKT_SRC_FLOW_END), "stream (flow timeout)");
}
