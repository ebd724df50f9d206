/*
 * syntable: the contract of syntable.h -- found from either direction,
 * consumed once, aged out; colliding SYNs kept up to the set's ways.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "decoded4.h"
#include "stream/syntable.h"

/* A client's SYN from 10.0.0.c:cport to 10.0.0.s:sport with sequence seq. */
static struct decoded client_syn(uint8_t c, uint8_t s, uint16_t cport, uint16_t sport, uint32_t seq)
{
	struct decoded d = pkt4(0x0a000000u | c, cport, 0x0a000000u | s, sport, TCP_SYN, 0);

	d.seq = seq;
	return d;
}

Test(syntable, found_from_either_direction_once)
{
	struct syntable *t = syntable_new(1000);
	struct decoded syn = client_syn(1, 2, 40000, 443, 12345), back = reverse(&syn);
	struct syntable_counters n;
	struct syntable_conn conn;

	cr_assert_not_null(t);
	syntable_add(t, &syn, NULL, 0, 0, 1000);
	cr_assert(syntable_take(t, &back, 2000, &conn), "the server's packet asks");
	cr_assert_not(conn.client_is_src);
	cr_assert_eq(conn.client.isn, 12345);
	cr_assert_not(syntable_take(t, &syn, 2000, &conn), "consumed");
	syntable_add(t, &syn, NULL, 0, 0, 3000);
	cr_assert(syntable_take(t, &syn, 3000, &conn));
	cr_assert(conn.client_is_src);
	syntable_counters(t, &n);
	cr_assert_eq(n.added, 2);
	cr_assert_eq(n.found, 2);
	syntable_free(t);
}

Test(syntable, other_connections_do_not_match)
{
	struct syntable *t = syntable_new(64);
	struct decoded syn = client_syn(1, 2, 40000, 443, 7), other = client_syn(1, 2, 40001, 443, 7);
	struct syntable_conn conn;

	syntable_add(t, &syn, NULL, 0, 0, 0);
	cr_assert_not(syntable_take(t, &other, 0, &conn));
	other = client_syn(1, 3, 40000, 443, 7);
	cr_assert_not(syntable_take(t, &other, 0, &conn));
	other = syn;
	other.family = 6;
	cr_assert_not(syntable_take(t, &other, 0, &conn));
	cr_assert(syntable_take(t, &syn, 0, &conn));
	syntable_free(t);
}

Test(syntable, old_entries_are_ignored)
{
	struct syntable *t = syntable_new(64);
	struct decoded syn = client_syn(1, 2, 40000, 443, 7);
	struct syntable_conn conn;

	syntable_add(t, &syn, NULL, 0, 0, 5);
	cr_assert_not(syntable_take(t, &syn, 5 + SYNTABLE_MAX_AGE_US, &conn));
	syntable_free(t);
}

/* Flows whose hashes collide are all kept, up to the set's ways: a table
 * of SYNTABLE_WAYS entries is one set, where every flow collides. */
Test(syntable, colliding_flows_are_all_kept_then_the_oldest_evicted)
{
	struct syntable *t = syntable_new(1);           /* one set: everything collides */
	struct decoded syn[SYNTABLE_WAYS + 1];
	struct syntable_counters n;
	struct syntable_conn conn;
	int i;

	cr_assert_not_null(t);
	for (i = 0; i <= SYNTABLE_WAYS; i++)
		syn[i] = client_syn(1, 2, (uint16_t)(40000 + i), 443, (uint32_t)(100 + i));
	for (i = 0; i < SYNTABLE_WAYS; i++)
		syntable_add(t, &syn[i], NULL, 0, 0, (uint64_t)i);
	/* a retransmitted SYN takes its own entry: nothing evicted */
	syntable_add(t, &syn[1], NULL, 0, 0, 10);
	syntable_counters(t, &n);
	cr_assert_eq(n.evicted, 0);
	for (i = 0; i < SYNTABLE_WAYS; i++) {
		struct decoded back = reverse(&syn[i]);

		cr_assert(syntable_take(t, &back, 20, &conn), "flow %d lost its anchor", i);
		cr_assert_eq(conn.client.isn, (uint32_t)(100 + i));
	}
	/* full set: the oldest live SYN gives way, counted */
	for (i = 0; i <= SYNTABLE_WAYS; i++)
		syntable_add(t, &syn[i], NULL, 0, 0, (uint64_t)(100 + i));
	syntable_counters(t, &n);
	cr_assert_eq(n.evicted, 1);
	cr_assert_not(syntable_take(t, &syn[0], 200, &conn), "the oldest was evicted");
	for (i = 1; i <= SYNTABLE_WAYS; i++)
		cr_assert(syntable_take(t, &syn[i], 200, &conn), "flow %d kept", i);
	syntable_free(t);
}

/* A quarter-full table: the flows a direct-mapped table of as many slots
 * would drop on collisions (about n^2 / 2 slots: 128 here) are kept; an
 * eviction needs five flows in one set of four. Every flow is either found
 * or counted as evicted. */
Test(syntable, a_quarter_full_table_keeps_almost_every_flow)
{
	struct syntable *t = syntable_new(4096);
	struct syntable_counters n;
	struct decoded d;
	unsigned found = 0;
	struct syntable_conn conn;
	int i;

	for (i = 0; i < 1024; i++) {
		d = client_syn((uint8_t)(i & 0xff), 2, (uint16_t)(30000 + i), 443, (uint32_t)i);
		syntable_add(t, &d, NULL, 0, 0, 0);
	}
	for (i = 0; i < 1024; i++) {
		d = client_syn((uint8_t)(i & 0xff), 2, (uint16_t)(30000 + i), 443, (uint32_t)i);
		found += syntable_take(t, &d, 1, &conn) && conn.client.isn == (uint32_t)i;
	}
	syntable_counters(t, &n);
	cr_assert_eq(found + n.evicted, 1024, "found %u, evicted %llu", found,
		     (unsigned long long)n.evicted);
	cr_assert_leq(n.evicted, 16, "evicted %llu", (unsigned long long)n.evicted);
	syntable_free(t);
}

Test(syntable, a_syn_ack_completes_its_connection_entry)
{
	struct syntable *t = syntable_new(64);
	struct decoded syn = client_syn(1, 2, 40000, 443, 7), sa = reverse(&syn);
	struct decoded stray = client_syn(1, 2, 40001, 443, 7);
	struct syntable_conn conn;

	static const uint8_t opts[] = { 1, 3, 3, 7 };   /* NOP, window scale 7 */

	syn.ttl = 63;
	syn.tcp_opt = opts;
	syn.tcp_opt_len = sizeof(opts);
	sa.tcp_flags = TCP_SYN | TCP_ACK;
	sa.seq = 900;
	sa.ttl = 61;
	stray = reverse(&stray);
	stray.tcp_flags = TCP_SYN | TCP_ACK;
	syntable_add(t, &stray, NULL, 0, 0, 0);             /* no SYN of its own: ignored */
	syntable_add(t, &syn, NULL, 0, 0, 0);
	syntable_add(t, &sa, NULL, 0, 0, 10);
	cr_assert(syntable_take(t, &syn, 20, &conn));
	cr_assert(conn.client.seen && conn.server.seen);
	cr_assert_eq(conn.client.ttl, 63);
	cr_assert_eq(conn.client.wscale, 7);
	cr_assert_eq(conn.client.opts, DECODE_OPT_WSCALE);
	cr_assert_eq(conn.server.isn, 900);
	cr_assert_eq(conn.server.ttl, 61);
	syntable_free(t);
}

/* A blocked handshake's evidence starts with the SYN then the SYN+ACK:
 * both packets' bytes and kernel times come back with the anchor, cut at
 * SYNTABLE_PKT_MAX; a retransmitted SYN replaces its copy and forgets the
 * SYN+ACK of the one before. */
Test(syntable, the_syn_and_syn_ack_copies_come_back)
{
	struct syntable *t = syntable_new(64);
	struct decoded syn = client_syn(1, 2, 40000, 443, 7), sa = reverse(&syn);
	uint8_t syn_bytes[60] = { 0x45, [59] = 0xee }, sa_bytes[200] = { 0x46, [127] = 0xaa };
	struct syntable_conn conn;

	sa.tcp_flags = TCP_SYN | TCP_ACK;
	syntable_add(t, &syn, syn_bytes, sizeof(syn_bytes), 1700000000000000ull, 0);
	syntable_add(t, &sa, sa_bytes, sizeof(sa_bytes), 1700000000000500ull, 1);
	cr_assert(syntable_take(t, &sa, 2, &conn));
	cr_assert_eq(conn.client_pkt.wall_us, 1700000000000000ull);
	cr_assert_eq(conn.client_pkt.len, sizeof(syn_bytes));
	cr_assert_arr_eq(conn.client_pkt.pkt, syn_bytes, sizeof(syn_bytes));
	cr_assert_eq(conn.server_pkt.wall_us, 1700000000000500ull);
	cr_assert_eq(conn.server_pkt.len, SYNTABLE_PKT_MAX, "cut at the cap");
	cr_assert_arr_eq(conn.server_pkt.pkt, sa_bytes, SYNTABLE_PKT_MAX);

	syntable_add(t, &syn, syn_bytes, sizeof(syn_bytes), 10, 3);
	syntable_add(t, &sa, sa_bytes, sizeof(sa_bytes), 11, 4);
	syn_bytes[59] = 0x11;
	syntable_add(t, &syn, syn_bytes, 40, 12, 5);    /* retransmitted */
	cr_assert(syntable_take(t, &syn, 6, &conn));
	cr_assert_eq(conn.client_pkt.len, 40);
	cr_assert_eq(conn.client_pkt.wall_us, 12);
	cr_assert_eq(conn.server_pkt.len, 0, "the SYN+ACK of the SYN before is gone");
	syntable_free(t);
}
