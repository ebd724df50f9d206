/*
 * table_mem: zeroed table memory touched at start. See table_mem.h.
 */
#include "table_mem.h"

#include "cacheline.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/mman.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23     /* Linux 5.14; older headers lack it */
#endif

#define HUGE_PAGE ((size_t)2 << 20)

void *table_calloc(size_t n, size_t size)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t i, len;
	volatile uint8_t *b;
	uint8_t *p;

	if (size && n > SIZE_MAX / size)
		return NULL;
	len = n * size;
	if (len < HUGE_PAGE || page <= 0) {
		/* a cache line's alignment, for slots of a line each */
		len = (len + CACHELINE - 1) & ~(size_t)(CACHELINE - 1);
		p = aligned_alloc(CACHELINE, len ? len : CACHELINE);
		if (p)
			memset(p, 0, len);
		return p;
	}
	/* Whole huge pages, aligned: the kernel may back them with 2 MiB
	 * pages (transparent huge pages, "madvise" mode included), so that
	 * a lookup at a random slot does not miss the TLB at every turn. */
	len = (len + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	p = aligned_alloc(HUGE_PAGE, len);
	if (!p)
		return NULL;
	madvise(p, len, MADV_HUGEPAGE);
	/* The kernel populates the whole range writable in one call; an
	 * older kernel refuses it, and the pages are then written one by
	 * one. Either way they are zero: aligned_alloc does not clear. */
	if (madvise(p, len, MADV_POPULATE_WRITE) == 0) {
		memset(p, 0, len);
		return p;
	}
	b = p;
	for (i = 0; i < len; i += (size_t)page)
		b[i] = 0;
	memset(p, 0, len);
	return p;
}
