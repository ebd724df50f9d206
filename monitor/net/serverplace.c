/*
 * serverplace: servers' regions in the order of first sight. See
 * serverplace.h.
 */
#include "net/serverplace.h"

#include <stdbool.h>
#include <stdlib.h>

struct place {
	uint64_t server;
	uint32_t region;
	bool used;
};

struct serverplace {
	unsigned regions;
	size_t mask;                /* of the slots (open addressing, linear probing) */
	size_t placed, limit;       /* servers placed; at most limit */
	bool short_of_memory;       /* the table could not grow: see serverplace.h */
	struct place *slot;
};

#define FIRST_SLOTS 64

struct serverplace *serverplace_new(unsigned regions, size_t servers)
{
	struct serverplace *sp = calloc(1, sizeof(*sp));
	size_t n = FIRST_SLOTS;

	if (!sp)
		return NULL;
	/* three quarters full at most: a probe ends soon at a free slot */
	while (n / 4 * 3 < servers && n < ((size_t)1 << 28))
		n <<= 1;
	sp->limit = n / 4 * 3;
	/* A capture shows a few servers, or a few thousand: the table grows
	 * towards n as they come (it was made whole, 512 KB written at
	 * start, a tenth of a one-packet read --rules). */
	sp->slot = calloc(FIRST_SLOTS, sizeof(*sp->slot));
	if (!sp->slot) {
		free(sp);
		return NULL;
	}
	sp->regions = regions ? regions : 1;
	sp->mask = FIRST_SLOTS - 1;
	return sp;
}

void serverplace_free(struct serverplace *sp)
{
	if (!sp)
		return;
	free(sp->slot);
	free(sp);
}

/* The server's slot, or the free one where it would go. */
static const struct place *find(const struct serverplace *sp, uint64_t server)
{
	size_t i = (size_t)(server ^ server >> 32) & sp->mask;

	while (sp->slot[i].used && sp->slot[i].server != server)
		i = (i + 1) & sp->mask;
	return &sp->slot[i];
}

/* Twice the slots, the servers placed moved over. False when memory is
 * short (the table is left as it was). */
static bool grow(struct serverplace *sp)
{
	size_t n = 2 * (sp->mask + 1), i, old = sp->mask + 1;
	struct place *was = sp->slot, *now = calloc(n, sizeof(*now));

	if (!now)
		return false;
	sp->slot = now;
	sp->mask = n - 1;
	for (i = 0; i < old; i++)
		if (was[i].used)
			*(struct place *)find(sp, was[i].server) = was[i];
	free(was);
	return true;
}

unsigned serverplace_place(struct serverplace *sp, uint64_t server)
{
	struct place *p = (struct place *)find(sp, server);

	if (p->used)
		return p->region;
	if (sp->placed == sp->limit)
		return (unsigned)(server % sp->regions);
	if (sp->placed + 1 > (sp->mask + 1) / 4 * 3) {
		if (!grow(sp)) {
			sp->short_of_memory = true;
			return (unsigned)(server % sp->regions);
		}
		p = (struct place *)find(sp, server);
	}
	p->server = server;
	p->region = (uint32_t)(sp->placed++ % sp->regions);
	p->used = true;
	return p->region;
}

unsigned serverplace_region(const struct serverplace *sp, uint64_t server)
{
	const struct place *p = find(sp, server);

	return p->used ? p->region : (unsigned)(server % sp->regions);
}

bool serverplace_short_of_memory(const struct serverplace *sp)
{
	return sp->short_of_memory;
}
