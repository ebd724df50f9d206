/*
 * table_mem: the memory of a fixed-size table on the packet path (flow
 * buckets, SYN anchors, session cache), allocated zeroed and touched at
 * once.
 *
 * A large calloc() is mapped lazily: its first read of a page maps the
 * shared zero page and its first write then faults again to copy it, and
 * in a process of several threads that second fault flushes the TLB of
 * every core the process runs on (an inter-processor interrupt). Tables
 * whose slots are picked by a hash touch a new page with nearly every new
 * connection until the whole table has been touched, which on a gateway
 * that sees few connections is never: measured in the namespace lab, 3.8
 * faults per TLS handshake, a quarter of the monitor's CPU per handshake,
 * in the queue thread's path. Touching every page at start moves that cost
 * out of the packet path (the memory is resident from the start, as it
 * would be on a busy gateway anyway).
 *
 * secaudit read is the other way round: its tables are made before any
 * packet is read, on one thread, and a short capture touches few of their
 * pages. There they fault in as the workers use them, in parallel
 * (table_mem_touch_at_start(false)): a one-packet `read --rules` took
 * 32.2 ms, 30.5 without writing tables it then hardly used.
 */
#ifndef SECAUDIT_TABLE_MEM_H
#define SECAUDIT_TABLE_MEM_H

#include <stdbool.h>
#include <stddef.h>

/* calloc(n, size), aligned to a cache line at least; NULL on overflow or
 * when out of memory. Freed with table_free(p, n, size). */
void *table_calloc(size_t n, size_t size);
void table_free(void *p, size_t n, size_t size);

/* For the whole process (before any table is made): whether tables are
 * written whole when made (true, the default) or fault in as used. */
void table_mem_touch_at_start(bool touch);

#endif
