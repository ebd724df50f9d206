/*
 * table_mem: the contract of table_mem.h -- zeroed like calloc, every page
 * resident before the first write, so that writes at random slots later
 * (the packet path) take no page fault; or, when tables are not touched at
 * start (secaudit read), zeroed all the same and resident only where used;
 * aligned to a cache line; overflow refused.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "table_mem.h"

static long minor_faults(void)
{
	struct rusage r;

	getrusage(RUSAGE_SELF, &r);
	return r.ru_minflt;
}

Test(table_mem, large_table_zeroed_and_resident)
{
	size_t n = 65536, size = 352, i;     /* the SYN table's size: 22 MiB */
	uint8_t *p = table_calloc(n, size);
	uint64_t x = 88172645463325252ull;
	long before;

	cr_assert_not_null(p);
	for (i = 0; i < n * size; i += 4093)
		cr_assert_eq(p[i], 0, "byte %zu", i);
	before = minor_faults();
	for (i = 0; i < 20000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;     /* xorshift64: slots at random */
		p[x % (n * size)] = 1;
	}
#ifndef __SANITIZE_ADDRESS__
	/* lazily mapped, about one fault per page (5632 pages) would come;
	 * a few may still (the kernel may migrate a page meanwhile). Under
	 * ASan every write first reads its shadow memory, which is mapped
	 * lazily: the count then says nothing of the table. */
	cr_assert_lt(minor_faults() - before, 64, "%ld faults", minor_faults() - before);
#else
	(void)before;
#endif
	table_free(p, n, size);
}

Test(table_mem, lazy_table_zeroed_and_faults_as_used)
{
	size_t n = 65536, size = 352, i;
	uint8_t *p;
	long before;

	table_mem_touch_at_start(false);
	before = minor_faults();
	p = table_calloc(n, size);
	cr_assert_not_null(p);
#ifndef __SANITIZE_ADDRESS__
	/* nothing written at start: no page came in */
	cr_assert_lt(minor_faults() - before, 8, "%ld faults", minor_faults() - before);
#else
	(void)before;
#endif
	for (i = 0; i < n * size; i += 4093)
		cr_assert_eq(p[i], 0, "byte %zu", i);
	for (i = 0; i < n * size; i += 4096)
		p[i] = 1;
	cr_assert_eq(p[n * size - 1], 0);
	table_free(p, n, size);
}

Test(table_mem, small_table_zeroed_and_aligned)
{
	uint32_t *p = table_calloc(16, sizeof(*p));
	unsigned i;

	cr_assert_not_null(p);
	cr_assert_eq((uintptr_t)p % 64, 0);
	for (i = 0; i < 16; i++)
		cr_assert_eq(p[i], 0);
	table_free(p, 16, sizeof(*p));
}

Test(table_mem, overflow_refused)
{
	cr_assert_null(table_calloc(SIZE_MAX / 2, 4));
}
