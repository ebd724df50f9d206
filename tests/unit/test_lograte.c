/*
 * lograte: the first `burst` lines of a window pass, the rest are held
 * and counted; the next window's first line says how many were held.
 */
#include <criterion/criterion.h>

#include "lograte.h"

Test(lograte, burst_per_window_then_held_count)
{
	struct lograte r = { .burst = 3, .window_ms = 1000 };
	uint64_t held = 99;
	int i;

	for (i = 0; i < 3; i++) {
		cr_assert(lograte_allow(&r, 5000 + (uint64_t)i, &held));
		cr_assert_eq(held, 0);
	}
	for (i = 0; i < 7; i++)
		cr_assert_not(lograte_allow(&r, 5500, &held));
	cr_assert_not(lograte_allow(&r, 5999, &held));
	/* the window that began at 5000 ends at 6000 */
	cr_assert(lograte_allow(&r, 6000, &held));
	cr_assert_eq(held, 8);
	cr_assert(lograte_allow(&r, 6001, &held));
	cr_assert_eq(held, 0, "the count is told once");
}

Test(lograte, quiet_windows_allow_again)
{
	struct lograte r = { .burst = 1, .window_ms = 60000 };
	uint64_t held;

	cr_assert(lograte_allow(&r, 0, &held));
	cr_assert_not(lograte_allow(&r, 59999, &held));
	cr_assert(lograte_allow(&r, 10 * 60000, &held));
	cr_assert_eq(held, 1);
}

Test(lograte, zero_burst_holds_everything)
{
	struct lograte r = { .burst = 0, .window_ms = 10 };
	uint64_t held;

	cr_assert_not(lograte_allow(&r, 1, &held));
	cr_assert_not(lograte_allow(&r, 100, &held));
	cr_assert_eq(r.held, 2);
}
