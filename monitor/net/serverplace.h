/*
 * serverplace: the region of each server of a split reading, in the order
 * the servers are first seen: the first takes region 0, the next region 1,
 * and so on around the regions. secaudit read gives a worker every n-th
 * region, so a few busy servers spread evenly over the workers, where
 * hashing them did not (9 of the bulk capture's 16 equal servers fell on
 * one of two workers: 56% of its sessions on one). The order of first
 * sight is the capture's, so the regions, and the output, are the same
 * whatever the thread count.
 *
 * Servers are named by flowroute_server's hash. Bounded: past the number
 * of servers it was made for, a server not yet placed takes the region of
 * its hash. The table grows as servers come, up to that bound; should
 * memory run short meanwhile, new servers go by hash too, and
 * serverplace_short_of_memory tells (the regions then depend on where
 * memory ran short: the caller's answers no longer agree across tables).
 *
 * One thread uses a table: secaudit read gives each worker its own, and
 * every worker places every packet's server in capture order.
 */
#ifndef SECAUDIT_SERVERPLACE_H
#define SECAUDIT_SERVERPLACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct serverplace;

/* regions: at least 1; servers: how many are placed in turn (rounded up
 * to a power of two) before the rest go by hash. NULL when memory is
 * short. */
struct serverplace *serverplace_new(unsigned regions, size_t servers);
void serverplace_free(struct serverplace *sp);

/* The region of the server, placed now if it is new. */
unsigned serverplace_place(struct serverplace *sp, uint64_t server);
/* The region serverplace_place gave the server (by hash if it was never
 * placed). */
unsigned serverplace_region(const struct serverplace *sp, uint64_t server);
/* Whether the table could not grow for a server it should have placed. */
bool serverplace_short_of_memory(const struct serverplace *sp);

#endif
