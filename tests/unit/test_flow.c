/*
 * flow: the flow table contract in flow.h.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "decoded4.h"
#include "stream/flow.h"

#define MAX_FREED 200000

struct freelog {
	size_t n;
	uint64_t id[MAX_FREED];
};

static struct freelog *L;

static void on_free(void *ctx, struct flow *f)
{
	struct freelog *l = ctx;

	cr_assert_lt(l->n, MAX_FREED);
	l->id[l->n++] = f->id;
	free(f->app);
}

static void setup(void)
{
	L = calloc(1, sizeof(*L));
}

static void teardown(void)
{
	free(L);
}

TestSuite(flow, .init = setup, .fini = teardown);

#define A 0x0a000001u   /* 10.0.0.1 */
#define B 0xc0a80001u   /* 192.168.0.1 */

Test(flow, both_directions_one_flow)
{
	struct flow_table *t = flow_table_new(16, on_free, L);
	struct decoded c2s = pkt4(B, 40000, A, 443, TCP_ACK, 100), s2c = reverse(&c2s);
	struct flow *f1, *f2;
	int side1, side2;
	bool created, evicted;

	f1 = flow_get(t, &c2s, 10, &side1, &created, &evicted);
	cr_assert_not_null(f1);
	cr_assert(created);
	cr_assert_not(evicted);
	f2 = flow_get(t, &s2c, 20, &side2, &created, &evicted);
	cr_assert_eq(f1, f2);
	cr_assert_not(created);
	cr_assert_neq(side1, side2);
	/* A (10.0.0.1) < B (192.168.0.1): A's end is side 0 */
	cr_assert_eq(side2, 0);
	cr_assert_eq(side1, 1);
	cr_assert_eq(f1->key.addr[0][0], 10);
	cr_assert_eq(f1->key.port[0], 443);
	cr_assert_eq(f1->key.port[1], 40000);
	cr_assert_eq(f1->pkts[1], 1);
	cr_assert_eq(f1->pkts[0], 1);
	cr_assert_eq(f1->bytes[1], 100);
	cr_assert_eq(f1->first_us, 10);
	cr_assert_eq(f1->last_us, 20);
	cr_assert_eq(flow_count(t), 1);
	flow_table_free(t);
	cr_assert_eq(L->n, 1);
}

Test(flow, same_address_ports_decide_side)
{
	struct flow_table *t = flow_table_new(16, NULL, NULL);
	struct decoded d = pkt4(A, 5000, A, 80, 0, 0), r = reverse(&d);
	int s1, s2;

	cr_assert_eq(flow_get(t, &d, 1, &s1, NULL, NULL), flow_get(t, &r, 2, &s2, NULL, NULL));
	cr_assert_eq(s1, 1, "port 5000 > 80: the sender is side 1");
	cr_assert_eq(s2, 0);
	flow_table_free(t);
}

Test(flow, client_from_syn)
{
	struct flow_table *t = flow_table_new(16, NULL, NULL);
	struct decoded syn = pkt4(B, 40000, A, 443, TCP_SYN, 0);
	struct decoded synack = reverse(&syn);
	struct flow *f;
	int side;

	synack.tcp_flags = TCP_SYN | TCP_ACK;
	f = flow_get(t, &syn, 1, &side, NULL, NULL);
	cr_assert(f->client_known);
	cr_assert_eq(f->client, side);
	cr_assert_eq(f->client, 1);
	flow_get(t, &synack, 2, &side, NULL, NULL);
	cr_assert_eq(f->client, 1, "the SYN+ACK confirms, not flips");
	flow_table_free(t);
}

Test(flow, client_from_synack_when_syn_missed)
{
	struct flow_table *t = flow_table_new(16, NULL, NULL);
	/* the server A:443 answers client B:40000; B is side 1 */
	struct decoded synack = pkt4(A, 443, B, 40000, TCP_SYN | TCP_ACK, 0);
	struct flow *f;
	int side;

	f = flow_get(t, &synack, 1, &side, NULL, NULL);
	cr_assert_eq(side, 0);
	cr_assert(f->client_known);
	cr_assert_eq(f->client, 1);
	flow_table_free(t);
}

Test(flow, mid_flow_client_set_by_caller)
{
	struct flow_table *t = flow_table_new(16, NULL, NULL);
	struct decoded d = pkt4(B, 40000, A, 443, TCP_ACK | TCP_PSH, 200);
	struct decoded syn = pkt4(A, 443, B, 40000, TCP_SYN, 0);
	struct flow *f;
	int side;

	f = flow_get(t, &d, 1, &side, NULL, NULL);
	cr_assert_not(f->client_known);
	flow_set_client(f, side);
	cr_assert(f->client_known);
	cr_assert_eq(f->client, 1);
	flow_get(t, &syn, 2, NULL, NULL, NULL);
	cr_assert_eq(f->client, 1, "a known client is not replaced");
	flow_table_free(t);
}

Test(flow, eviction_when_full_frees_lru_once)
{
	struct flow_table *t = flow_table_new(3, on_free, L);
	struct decoded d[4];
	struct flow *f[4];
	bool created, evicted;
	int i;

	for (i = 0; i < 4; i++)
		d[i] = pkt4(A, (uint16_t)(1000 + i), B, 443, 0, 0);
	for (i = 0; i < 3; i++) {
		f[i] = flow_get(t, &d[i], (uint64_t)i, NULL, &created, &evicted);
		f[i]->app = malloc(8);
		cr_assert_not(evicted);
	}
	/* touch flow 0: flow 1 becomes the least recently used */
	cr_assert_eq(flow_get(t, &d[0], 5, NULL, NULL, &evicted), f[0]);
	cr_assert_not(evicted);
	uint64_t victim = f[1]->id, next_victim = f[2]->id;
	f[3] = flow_get(t, &d[3], 6, NULL, &created, &evicted);
	cr_assert(created);
	cr_assert(evicted);
	cr_assert_eq(flow_count(t), 3);
	cr_assert_eq(L->n, 1);
	cr_assert_eq(L->id[0], victim);
	/* the victim is gone: looking it up creates a new flow */
	flow_get(t, &d[1], 7, NULL, &created, &evicted);
	cr_assert(created);
	cr_assert(evicted);
	cr_assert_eq(L->n, 2);
	cr_assert_eq(L->id[1], next_victim, "then flow 2 goes");
	flow_table_free(t);
	cr_assert_eq(L->n, 5, "every flow freed exactly once");
}

Test(flow, app_free_once_per_flow_everywhere)
{
	struct flow_table *t = flow_table_new(100, on_free, L);
	uint64_t ids[300];
	size_t i, j, nids = 0;

	for (i = 0; i < 300; i++) {
		struct decoded d = pkt4(A + (uint32_t)i, 1000, B, 443, 0, 0);
		struct flow *f = flow_get(t, &d, i, NULL, NULL, NULL);

		f->app = malloc(16);
		ids[nids++] = f->id;
		if (i % 7 == 0)
			flow_remove(t, f);
	}
	flow_expire(t, 280, 10);
	flow_table_free(t);
	cr_assert_eq(L->n, 300);
	for (i = 0; i < nids; i++) {
		size_t seen = 0;

		for (j = 0; j < L->n; j++)
			seen += L->id[j] == ids[i];
		cr_assert_eq(seen, 1, "flow %zu freed %zu times", i, seen);
	}
}

Test(flow, expiry_oldest_first)
{
	struct flow_table *t = flow_table_new(16, on_free, L);
	struct decoded d0 = pkt4(A, 1, B, 443, 0, 0), d1 = pkt4(A, 2, B, 443, 0, 0);
	struct decoded d2 = pkt4(A, 3, B, 443, 0, 0);
	uint64_t id2;

	flow_get(t, &d0, 0, NULL, NULL, NULL);
	flow_get(t, &d1, 100, NULL, NULL, NULL);
	id2 = flow_get(t, &d2, 200, NULL, NULL, NULL)->id;
	cr_assert_eq(flow_expire(t, 50, 100), 0, "now < idle: nothing");
	cr_assert_eq(flow_expire(t, 250, 100), 2);
	cr_assert_eq(flow_count(t), 1);
	cr_assert_eq(L->n, 2);
	flow_get(t, &d2, 400, NULL, NULL, NULL);
	cr_assert_eq(flow_expire(t, 450, 100), 0, "a used flow is refreshed");
	cr_assert_eq(flow_expire(t, 501, 100), 1);
	cr_assert_eq(L->id[2], id2);
	cr_assert_eq(flow_count(t), 0);
	flow_table_free(t);
	cr_assert_eq(L->n, 3);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

Test(flow, ids_unique_and_below_2_53)
{
	enum { N = 100000 };
	struct flow_table *t1 = flow_table_new(1000, NULL, NULL);
	struct flow_table *t2 = flow_table_new(1000, NULL, NULL);
	uint64_t *ids = malloc(N * sizeof(*ids));
	size_t i;

	for (i = 0; i < N; i++) {
		struct decoded d = pkt4(A, (uint16_t)i, B + (uint32_t)(i >> 16), 443, 0, 0);
		struct flow *f = flow_get(i % 2 ? t1 : t2, &d, i, NULL, NULL, NULL);

		ids[i] = f->id;
		cr_assert_lt(f->id, 1ULL << 53);
		cr_assert_neq(f->id, 0);
	}
	qsort(ids, N, sizeof(*ids), cmp_u64);
	for (i = 1; i < N; i++)
		cr_assert_neq(ids[i - 1], ids[i], "duplicate flow id %llu",
			      (unsigned long long)ids[i]);
	cr_assert_gt(ids[N - 1], 1ULL << 40, "ids are spread, not a bare counter");
	free(ids);
	flow_table_free(t1);
	flow_table_free(t2);
}

Test(flow, ipv4_and_ipv6_keys_distinct)
{
	struct flow_table *t = flow_table_new(16, NULL, NULL);
	struct decoded v4 = pkt4(A, 1000, B, 443, 0, 0), v6 = v4;
	struct flow *f4, *f6;

	v6.family = 6;
	f4 = flow_get(t, &v4, 1, NULL, NULL, NULL);
	f6 = flow_get(t, &v6, 1, NULL, NULL, NULL);
	cr_assert_neq(f4, f6);
	cr_assert_eq(flow_count(t), 2);
	cr_assert_eq(flow_get(t, &v6, 2, NULL, NULL, NULL), f6);
	flow_table_free(t);
}

Test(flow, many_flows_found_again)
{
	enum { N = 20000 };
	struct flow_table *t = flow_table_new(N, NULL, NULL);
	struct flow **f = malloc(N * sizeof(*f));
	bool created;
	size_t i;

	for (i = 0; i < N; i++) {
		struct decoded d = pkt4(A, (uint16_t)(i % 60000), B, (uint16_t)(443 + i / 60000), 0, 0);

		f[i] = flow_get(t, &d, i, NULL, &created, NULL);
		cr_assert(created);
	}
	for (i = 0; i < N; i++) {
		struct decoded d = pkt4(A, (uint16_t)(i % 60000), B, (uint16_t)(443 + i / 60000), 0, 0);
		struct decoded r = reverse(&d);

		cr_assert_eq(flow_get(t, &r, N + i, NULL, &created, NULL), f[i]);
		cr_assert_not(created);
	}
	cr_assert_eq(flow_count(t), N);
	free(f);
	flow_table_free(t);
}

static void collect(void *arg, struct flow *f)
{
	struct freelog *l = arg;

	l->id[l->n++] = f->id;
}

Test(flow, foreach_oldest_first)
{
	struct flow_table *t = flow_table_new(16, NULL, NULL);
	struct decoded d0 = pkt4(A, 1, B, 443, 0, 0), d1 = pkt4(A, 2, B, 443, 0, 0);
	struct flow *f0, *f1;

	f0 = flow_get(t, &d0, 1, NULL, NULL, NULL);
	f1 = flow_get(t, &d1, 2, NULL, NULL, NULL);
	flow_get(t, &d0, 3, NULL, NULL, NULL);
	flow_foreach(t, collect, L);
	cr_assert_eq(L->n, 2);
	cr_assert_eq(L->id[0], f1->id);
	cr_assert_eq(L->id[1], f0->id);
	flow_table_free(t);
}

Test(flow, stream_memory_returned_on_free)
{
	size_t used = 0;
	struct stream_limits lim = { 1000, 10, 10000, &used };
	struct flow_table *t = flow_table_new(1, NULL, NULL);
	struct decoded d0 = pkt4(A, 1, B, 443, 0, 0), d1 = pkt4(A, 2, B, 443, 0, 0);
	struct flow *f;

	flow_table_set_stream_limits(t, &lim);
	f = flow_get(t, &d0, 1, NULL, NULL, NULL);
	stream_syn(&f->half[0], 0);
	stream_segment(&f->half[0], 100, (const uint8_t *)"later", 5, &lim, NULL, NULL);
	cr_assert_eq(used, 5);
	flow_get(t, &d1, 2, NULL, NULL, NULL);  /* evicts f */
	cr_assert_eq(used, 0);
	f = flow_get(t, &d1, 3, NULL, NULL, NULL);
	cr_assert_not(f->half[1].started, "new flows start with empty halves");
	stream_segment(&f->half[1], 7, (const uint8_t *)"x", 1, &lim, NULL, NULL);
	stream_segment(&f->half[1], 9, (const uint8_t *)"z", 1, &lim, NULL, NULL);
	cr_assert_eq(used, 1);
	flow_table_free(t);
	cr_assert_eq(used, 0);
}

Test(flow, addr_str)
{
	struct flow_key k;
	char buf[64];

	memset(&k, 0, sizeof(k));
	k.family = 4;
	k.addr[0][0] = 10, k.addr[0][3] = 1;
	k.addr[1][0] = 0x20, k.addr[1][1] = 0x01, k.addr[1][2] = 0x0d, k.addr[1][3] = 0xb8;
	k.addr[1][15] = 1;
	cr_assert_str_eq(flow_addr_str(&k, 0, buf, sizeof(buf)), "10.0.0.1");
	k.family = 6;
	cr_assert_str_eq(flow_addr_str(&k, 1, buf, sizeof(buf)), "2001:db8::1");
	cr_assert_null(flow_addr_str(&k, 2, buf, sizeof(buf)));
	cr_assert_null(flow_addr_str(&k, 1, buf, 4));
	k.family = 9;
	cr_assert_null(flow_addr_str(&k, 0, buf, sizeof(buf)));
}

Test(flow, free_null)
{
	flow_table_free(NULL);
	cr_assert_eq(L->n, 0);
}

/* Lingering flows: their own (shorter) idle time, evicted before any
 * live flow when the table is full, counted apart, still found and
 * visited. */
Test(flow, lingering_flows_expire_sooner_and_go_first)
{
	struct flow_table *t = flow_table_new(3, on_free, L);
	struct decoded p[4];
	struct flow *f[4];
	uint64_t id2;
	bool evicted;
	int i;

	flow_table_set_linger(t, 100);
	for (i = 0; i < 4; i++)
		p[i] = pkt4(B, (uint16_t)(40000 + i), A, 443, TCP_ACK, 10);
	for (i = 0; i < 3; i++)
		f[i] = flow_get(t, &p[i], 10 + i, NULL, NULL, NULL);
	id2 = f[2]->id;
	flow_linger(t, f[2]);
	flow_linger(t, f[2]);           /* once is enough */
	cr_assert(f[2]->lingering);
	cr_assert_eq(flow_lingering(t), 1);
	cr_assert_eq(flow_find(t, &p[2]), f[2]);
	/* full: the lingering flow goes, though the others are older */
	f[3] = flow_get(t, &p[3], 20, NULL, NULL, &evicted);
	cr_assert_not(evicted, "a lingering flow's eviction loses nothing live");
	cr_assert_eq(L->n, 1);
	cr_assert_eq(L->id[0], id2);
	cr_assert_null(flow_find(t, &p[2]));
	cr_assert_eq(flow_lingering(t), 0);
	/* a lingering flow expires after its own idle time */
	flow_linger(t, f[3]);
	cr_assert_eq(flow_expire(t, 100, 1000), 0);
	cr_assert_eq(flow_expire(t, 121, 1000), 1, "idle 101 > 100");
	cr_assert_null(flow_find(t, &p[3]));
	cr_assert_eq(flow_count(t), 2);
	/* never longer than the others' */
	f[3] = flow_get(t, &p[3], 200, NULL, NULL, NULL);
	flow_linger(t, f[3]);
	flow_table_set_linger(t, 5000);
	cr_assert_eq(flow_expire_all(t, 1300, 1000), 3, "live ones idle > 1000, and it");
	flow_table_free(t);
	cr_assert_eq(L->n, 5);
}
