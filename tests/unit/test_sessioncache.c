/*
 * sessioncache: keys meet only keys of their own region, a region's keys
 * stay in its part of the table (filling one region never evicts another's),
 * one region (the monitor's cache) uses the whole table; and flowroute's
 * server hash is the same for both directions of a flow and for every
 * client of one server.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "net/flowroute.h"
#include "policy/sessioncache.h"

static const struct sessioncache_verdict V = { 2, 1, 77, "r" };

Test(sessioncache, regions_keep_their_keys_apart)
{
	struct sessioncache *sc = sessioncache_new(4096);
	struct sessioncache_verdict v;
	uint8_t key[8] = "k";
	unsigned i;

	cr_assert(sc);
	sessioncache_set_seed(sc, 1);
	sessioncache_set_regions(sc, 16);
	sessioncache_put(sc, 3, key, sizeof(key), &V, 100);
	cr_assert(sessioncache_get(sc, 3, key, sizeof(key), 10, &v));
	cr_assert_eq(v.sid, 77);
	cr_assert_not(sessioncache_get(sc, 4, key, sizeof(key), 10, &v));
	cr_assert_not(sessioncache_seen(sc, 5, key, sizeof(key), 10, 100));
	cr_assert(sessioncache_seen(sc, 5, key, sizeof(key), 10, 100));
	/* expired */
	cr_assert_not(sessioncache_get(sc, 3, key, sizeof(key), 100, &v));
	/* thousands of keys in region 7 leave region 3's and 5's alone */
	sessioncache_put(sc, 3, key, sizeof(key), &V, 1000);
	for (i = 0; i < 20000; i++) {
		memcpy(key + 1, &i, sizeof(i));
		sessioncache_seen(sc, 7, key, sizeof(key), 10, 1000);
	}
	memset(key + 1, 0, sizeof(i));
	cr_assert(sessioncache_get(sc, 3, key, sizeof(key), 10, &v));
	cr_assert(sessioncache_seen(sc, 5, key, sizeof(key), 10, 1000));
	sessioncache_free(sc);
}

Test(sessioncache, one_region_is_the_whole_table)
{
	struct sessioncache *sc = sessioncache_new(4096);
	struct sessioncache_verdict v;
	uint8_t key[8] = "k";
	unsigned i, kept = 0;

	cr_assert(sc);
	/* regions are ignored: the region a caller names does not matter */
	sessioncache_put(sc, 0, key, sizeof(key), &V, 100);
	cr_assert(sessioncache_get(sc, 9, key, sizeof(key), 10, &v));
	/* 2,000 keys in 4,096 slots: most are kept (a table of 256 would
	 * keep at most 256) */
	for (i = 0; i < 2000; i++) {
		memcpy(key + 1, &i, sizeof(i));
		sessioncache_put(sc, 0, key, sizeof(key), &V, 100);
	}
	for (i = 0; i < 2000; i++) {
		memcpy(key + 1, &i, sizeof(i));
		kept += sessioncache_get(sc, 0, key, sizeof(key), 10, &v);
	}
	cr_assert_gt(kept, 1000, "%u", kept);
	sessioncache_free(sc);
}

/* Each region keeps its own rule ids (and its own lock): the same ids put
 * in another order in another region come back right in both, and a
 * region's ids are all there whatever the others hold. */
Test(sessioncache, rule_ids_per_region)
{
	struct sessioncache *sc = sessioncache_new(4096);
	struct sessioncache_verdict v, w = { 2, 1, 5, "" };
	uint8_t key[8] = "n";
	unsigned i, r;

	cr_assert(sc);
	/* a fixed seed: the 6 keys of a region are known to take 6 slots */
	sessioncache_set_seed(sc, 1);
	cr_assert(sessioncache_set_regions(sc, 4));
	for (r = 0; r < 4; r++)
		for (i = 0; i < 6; i++) {
			key[1] = (uint8_t)i;
			/* region r names its keys' rules from id r on */
			snprintf(w.rule, sizeof(w.rule), "rule%u", (i + r) % 6);
			sessioncache_put(sc, r, key, sizeof(key), &w, 100);
		}
	for (r = 0; r < 4; r++)
		for (i = 0; i < 6; i++) {
			char want[16];

			key[1] = (uint8_t)i;
			snprintf(want, sizeof(want), "rule%u", (i + r) % 6);
			cr_assert(sessioncache_get(sc, r, key, sizeof(key), 10, &v), "%u %u", r, i);
			cr_assert_str_eq(v.rule, want, "region %u key %u", r, i);
		}
	sessioncache_free(sc);
}

/* A verdict comes back as it was put, its rule id and sid too (kept once
 * per distinct pair, not in every slot), whichever pairs the table holds:
 * one id with two sids (a reloaded policy renumbered it) stays two. */
Test(sessioncache, verdicts_come_back_whole)
{
	struct sessioncache *sc = sessioncache_new(4096);
	struct sessioncache_verdict v, w = { 3, 15, 4000000000u, "" };
	uint8_t key[8] = "v";
	unsigned i;

	cr_assert(sc);
	for (i = 0; i < 300; i++) {
		memcpy(key + 1, &i, sizeof(i));
		w.action = (uint8_t)(i % 4);
		w.severity = (uint8_t)(i % 16);
		w.sid = i % 2 ? 4000000000u : 2310000u + i % 5;
		if (i % 3)
			snprintf(w.rule, sizeof(w.rule), "profile%u.check%u", i % 7, i % 50);
		else
			w.rule[0] = '\0';
		sessioncache_put(sc, 0, key, sizeof(key), &w, 100);
	}
	memset(w.rule, 'x', sizeof(w.rule) - 1);
	w.rule[sizeof(w.rule) - 1] = '\0';
	key[0] = 'L';
	sessioncache_put(sc, 0, key, sizeof(key), &w, 100);
	cr_assert(sessioncache_get(sc, 0, key, sizeof(key), 10, &v));
	cr_assert_str_eq(v.rule, w.rule);
	key[0] = 'v';
	for (i = 0; i < 300; i++) {
		char want[64] = "";

		memcpy(key + 1, &i, sizeof(i));
		if (!sessioncache_get(sc, 0, key, sizeof(key), 10, &v))
			continue;   /* replaced by a later key in its slot */
		if (i % 3)
			snprintf(want, sizeof(want), "profile%u.check%u", i % 7, i % 50);
		cr_assert_str_eq(v.rule, want, "%u", i);
		cr_assert_eq(v.action, i % 4);
		cr_assert_eq(v.severity, i % 16);
		cr_assert_eq(v.sid, i % 2 ? 4000000000u : 2310000u + i % 5, "%u", i);
	}
	/* a key seen (a random) holds no verdict */
	key[0] = 'R';
	cr_assert_not(sessioncache_seen(sc, 0, key, sizeof(key), 10, 100));
	cr_assert(sessioncache_get(sc, 0, key, sizeof(key), 10, &v));
	cr_assert_str_eq(v.rule, "");
	cr_assert_eq(v.action, 0);
	cr_assert_eq(v.sid, 0);
	sessioncache_free(sc);
}

/* The longest key the policy makes (a kind, an IPv6 server and port, 32
 * bytes) fits a slot; a longer one is not kept. */
Test(sessioncache, longest_key_fits)
{
	struct sessioncache *sc = sessioncache_new(64);
	struct sessioncache_verdict v;
	uint8_t key[SESSIONCACHE_KEY_MAX + 1];

	cr_assert(sc);
	cr_assert_geq(SESSIONCACHE_KEY_MAX, 1 + 16 + 2 + 32);
	memset(key, 0xa5, sizeof(key));
	sessioncache_put(sc, 0, key, SESSIONCACHE_KEY_MAX, &V, 100);
	cr_assert(sessioncache_get(sc, 0, key, SESSIONCACHE_KEY_MAX, 10, &v));
	cr_assert_str_eq(v.rule, "r");
	key[SESSIONCACHE_KEY_MAX - 1] ^= 1;
	cr_assert_not(sessioncache_get(sc, 0, key, SESSIONCACHE_KEY_MAX, 10, &v));
	sessioncache_put(sc, 0, key, sizeof(key), &V, 100);
	cr_assert_not(sessioncache_get(sc, 0, key, sizeof(key), 10, &v));
	sessioncache_free(sc);
}

Test(flowroute, server_hash_is_the_servers)
{
	static const uint8_t srv[16] = { 198, 18, 2, 2 }, cli[16] = { 198, 18, 1, 2 },
			     cli2[16] = { 198, 18, 1, 3 }, other[16] = { 198, 18, 2, 3 };
	/* two flows (a: address, port; b: ...), and whether their hashes agree */
	static const struct {
		const uint8_t *a1; uint16_t p1; const uint8_t *b1; uint16_t q1;
		const uint8_t *a2; uint16_t p2; const uint8_t *b2; uint16_t q2;
		bool same;
	} c[] = {
		{ cli, 40000, srv, 443, srv, 443, cli, 40000, true },    /* the other way */
		{ cli, 40000, srv, 443, cli2, 51000, srv, 443, true },   /* another client */
		{ cli, 40000, srv, 443, cli, 40000, other, 443, false }, /* another server */
		{ cli, 40000, srv, 443, cli, 40000, srv, 8443, false },  /* another service */
		{ cli, 443, srv, 443, srv, 443, cli, 443, true },        /* equal ports */
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		cr_assert_eq(flowroute_server(c[i].a1, c[i].p1, c[i].b1, c[i].q1, 6) ==
				     flowroute_server(c[i].a2, c[i].p2, c[i].b2, c[i].q2, 6),
			     c[i].same, "case %zu", i);
	/* the flow hash: both ways the same, another client another */
	cr_assert_eq(flowroute_flow(cli, 40000, srv, 443, 6), flowroute_flow(srv, 443, cli, 40000, 6));
	cr_assert_neq(flowroute_flow(cli, 40000, srv, 443, 6),
		      flowroute_flow(cli2, 40000, srv, 443, 6));
}

/* Flows spread evenly over the parts of a split reading: one client's
 * ports to one server, and many clients (one port each) of one server,
 * over 2, 3 and 4 parts, each part within 5% of its share; servers (by
 * address, IPv4 and IPv6) spread likewise. */
Test(flowroute, flows_and_servers_spread_evenly)
{
	uint8_t cli[16] = { 10, 1, 0, 0 }, srv[16] = { 192, 0, 2, 10 }, six[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	unsigned parts, i, k, count[3][4];

	for (parts = 2; parts <= 4; parts++) {
		memset(count, 0, sizeof(count));
		for (i = 0; i < 12000; i++) {
			cli[2] = (uint8_t)(i >> 8);
			cli[3] = (uint8_t)i;
			count[0][flowroute_flow(cli, (uint16_t)(32768 + i), srv, 443, 6) % parts]++;
			count[1][flowroute_flow(srv, 443, cli, 50000, 6) % parts]++;
			six[14] = (uint8_t)(i >> 8);
			six[15] = (uint8_t)i;
			count[2][flowroute_server(cli, 50000, i % 2 ? six : srv, (uint16_t)(i % 2 ? 443 : i), 6) %
				 parts]++;
		}
		for (k = 0; k < 3; k++)
			for (i = 0; i < parts; i++)
				cr_assert(count[k][i] > 12000 / parts * 95 / 100 &&
						  count[k][i] < 12000 / parts * 105 / 100,
					  "case %u, %u parts: part %u has %u", k, parts, i, count[k][i]);
	}
}
