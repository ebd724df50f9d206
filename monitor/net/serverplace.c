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
	struct place *slot;
};

struct serverplace *serverplace_new(unsigned regions, size_t servers)
{
	struct serverplace *sp = calloc(1, sizeof(*sp));
	size_t n = 64;

	if (!sp)
		return NULL;
	/* three quarters full at most: a probe ends soon at a free slot */
	while (n / 4 * 3 < servers && n < ((size_t)1 << 28))
		n <<= 1;
	sp->slot = calloc(n, sizeof(*sp->slot));
	if (!sp->slot) {
		free(sp);
		return NULL;
	}
	sp->regions = regions ? regions : 1;
	sp->mask = n - 1;
	sp->limit = n / 4 * 3;
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

unsigned serverplace_place(struct serverplace *sp, uint64_t server)
{
	struct place *p = (struct place *)find(sp, server);

	if (p->used)
		return p->region;
	if (sp->placed == sp->limit)
		return (unsigned)(server % sp->regions);
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
