/*
 * table_mem: zeroed table memory, touched at start or as used. See
 * table_mem.h.
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

static bool touch_at_start = true;

void table_mem_touch_at_start(bool touch)
{
	touch_at_start = touch;
}

/* The bytes of a table of n slots of size bytes, rounded as it is
 * mapped; 0 on overflow. */
static size_t table_len(size_t n, size_t size)
{
	size_t len;

	if (size && n > SIZE_MAX / size)
		return 0;
	len = n * size;
	if (len < HUGE_PAGE)
		return (len + CACHELINE - 1) & ~(size_t)(CACHELINE - 1);
	if (len > SIZE_MAX - HUGE_PAGE)
		return 0;
	return (len + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
}

/* len bytes aligned to a huge page, fresh from the kernel (so zero). */
static uint8_t *map_aligned(size_t len)
{
	uint8_t *m = mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *p;
	size_t head;

	if (m == MAP_FAILED)
		return NULL;
	p = (uint8_t *)(((uintptr_t)m + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
	head = (size_t)(p - m);
	if (head)
		munmap(m, head);
	munmap(p + len, HUGE_PAGE - head);
	return p;
}

void *table_calloc(size_t n, size_t size)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t i, len = table_len(n, size);
	volatile uint8_t *b;
	uint8_t *p;

	if (!len && n && size)
		return NULL;
	if (len < HUGE_PAGE) {
		/* a cache line's alignment, for slots of a line each */
		p = aligned_alloc(CACHELINE, len ? len : CACHELINE);
		if (p)
			memset(p, 0, len);
		return p;
	}
	/* Whole huge pages, aligned: the kernel may back them with 2 MiB
	 * pages (transparent huge pages, "madvise" mode included), so that
	 * a lookup at a random slot does not miss the TLB at every turn. */
	p = map_aligned(len);
	if (!p)
		return NULL;
	madvise(p, len, MADV_HUGEPAGE);
	if (!touch_at_start)
		return p;
	/* The kernel populates the whole range writable in one call; an
	 * older kernel refuses it, and the pages are then written one by
	 * one. Mapped anonymous, they are zero either way. */
	if (madvise(p, len, MADV_POPULATE_WRITE) == 0 || page <= 0)
		return p;
	b = p;
	for (i = 0; i < len; i += (size_t)page)
		b[i] = 0;
	return p;
}

void table_free(void *p, size_t n, size_t size)
{
	size_t len = table_len(n, size);

	if (!p)
		return;
	if (len < HUGE_PAGE)
		free(p);
	else
		munmap(p, len);
}
