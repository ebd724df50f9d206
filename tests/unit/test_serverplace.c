/*
 * serverplace: servers take the regions in turn in the order they are
 * first seen, keep them, and once the table is full the rest go by hash.
 */
#include <criterion/criterion.h>

#include "net/serverplace.h"

Test(serverplace, servers_take_regions_in_turn)
{
	struct serverplace *sp = serverplace_new(4, 100);
	/* servers whose hashes would all give region 0 */
	const uint64_t s[6] = { 4, 8, 12, 16, 20, 24 };
	unsigned i;

	cr_assert(sp);
	for (i = 0; i < 6; i++)
		cr_assert_eq(serverplace_place(sp, s[i]), i % 4, "server %u", i);
	/* placed once: the same region again, and to a lookup */
	for (i = 0; i < 6; i++) {
		cr_assert_eq(serverplace_place(sp, s[5 - i]), (5 - i) % 4);
		cr_assert_eq(serverplace_region(sp, s[i]), i % 4);
	}
	/* never placed: the region of its hash */
	cr_assert_eq(serverplace_region(sp, 7), 3);
	serverplace_free(sp);
}

Test(serverplace, full_table_places_by_hash)
{
	struct serverplace *sp = serverplace_new(16, 40);
	uint64_t h;
	unsigned in_turn = 0;

	cr_assert(sp);
	/* 64 slots, three quarters of them placed in turn */
	for (h = 1000; h < 1100; h++) {
		unsigned r = serverplace_place(sp, h * 0x9e3779b97f4a7c15ull);

		if (h - 1000 < 48)
			cr_assert_eq(r, (h - 1000) % 16);
		else
			cr_assert_eq(r, h * 0x9e3779b97f4a7c15ull % 16);
		in_turn += r == (h - 1000) % 16;
	}
	for (h = 1000; h < 1100; h++)
		cr_assert_eq(serverplace_region(sp, h * 0x9e3779b97f4a7c15ull),
			     serverplace_place(sp, h * 0x9e3779b97f4a7c15ull));
	cr_assert_geq(in_turn, 48);
	serverplace_free(sp);
}

Test(serverplace, one_region)
{
	struct serverplace *sp = serverplace_new(1, 10);
	uint64_t h;

	cr_assert(sp);
	for (h = 0; h < 100; h++)
		cr_assert_eq(serverplace_place(sp, h), 0);
	serverplace_free(sp);
}

/* The table starts small and grows as servers come: every server keeps
 * the region it was given in turn, across every growth, up to the bound
 * it was made for. */
Test(serverplace, grows_and_keeps_places)
{
	struct serverplace *sp = serverplace_new(16, 12288);
	uint64_t h;

	cr_assert(sp);
	for (h = 0; h < 12288; h++) {
		cr_assert_eq(serverplace_place(sp, h * 0x9e3779b97f4a7c15ull), h % 16);
		/* the first ones, again, after each growth */
		if ((h & (h - 1)) == 0)
			for (uint64_t k = 0; k <= h; k++)
				cr_assert_eq(serverplace_region(sp, k * 0x9e3779b97f4a7c15ull), k % 16,
					     "server %lu after %lu", (unsigned long)k, (unsigned long)h);
	}
	for (h = 0; h < 12288; h++)
		cr_assert_eq(serverplace_place(sp, h * 0x9e3779b97f4a7c15ull), h % 16);
	/* past the bound: by hash */
	cr_assert_eq(serverplace_place(sp, 0x1234567ull), 0x1234567ull % 16);
	cr_assert_not(serverplace_short_of_memory(sp));
	serverplace_free(sp);
}
