/*
 * syntable: the contract of syntable.h -- found from either direction,
 * consumed once, aged out, replaced by a colliding SYN.
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
	bool client_is_src;
	uint32_t isn;

	cr_assert_not_null(t);
	syntable_add(t, &syn, 1000);
	cr_assert(syntable_take(t, &back, 2000, &client_is_src, &isn), "the server's packet asks");
	cr_assert_not(client_is_src);
	cr_assert_eq(isn, 12345);
	cr_assert_not(syntable_take(t, &syn, 2000, &client_is_src, &isn), "consumed");
	syntable_add(t, &syn, 3000);
	cr_assert(syntable_take(t, &syn, 3000, &client_is_src, &isn));
	cr_assert(client_is_src);
	syntable_counters(t, &n);
	cr_assert_eq(n.added, 2);
	cr_assert_eq(n.found, 2);
	syntable_free(t);
}

Test(syntable, other_connections_do_not_match)
{
	struct syntable *t = syntable_new(64);
	struct decoded syn = client_syn(1, 2, 40000, 443, 7), other = client_syn(1, 2, 40001, 443, 7);
	bool c;
	uint32_t isn;

	syntable_add(t, &syn, 0);
	cr_assert_not(syntable_take(t, &other, 0, &c, &isn));
	other = client_syn(1, 3, 40000, 443, 7);
	cr_assert_not(syntable_take(t, &other, 0, &c, &isn));
	other = syn;
	other.family = 6;
	cr_assert_not(syntable_take(t, &other, 0, &c, &isn));
	cr_assert(syntable_take(t, &syn, 0, &c, &isn));
	syntable_free(t);
}

Test(syntable, old_entries_are_ignored)
{
	struct syntable *t = syntable_new(64);
	struct decoded syn = client_syn(1, 2, 40000, 443, 7);
	bool c;
	uint32_t isn;

	syntable_add(t, &syn, 5);
	cr_assert_not(syntable_take(t, &syn, 5 + SYNTABLE_MAX_AGE_US, &c, &isn));
	syntable_free(t);
}

Test(syntable, a_colliding_syn_replaces_the_older_one)
{
	struct syntable *t = syntable_new(1);           /* one slot: everything collides */
	struct decoded a = client_syn(1, 2, 40000, 443, 1), b = client_syn(1, 2, 40002, 443, 2);
	struct syntable_counters n;
	bool c;
	uint32_t isn;

	syntable_add(t, &a, 0);
	syntable_add(t, &b, 1);
	syntable_counters(t, &n);
	cr_assert_eq(n.replaced, 1);
	cr_assert_not(syntable_take(t, &a, 1, &c, &isn));
	cr_assert(syntable_take(t, &b, 1, &c, &isn));
	cr_assert_eq(isn, 2);
	syntable_free(t);
}
