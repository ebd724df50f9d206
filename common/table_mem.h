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
 */
#ifndef SECAUDIT_TABLE_MEM_H
#define SECAUDIT_TABLE_MEM_H

#include <stddef.h>

/* calloc(n, size) with every page written once, aligned to a cache line
 * at least; NULL on overflow or when out of memory. Freed with free(). */
void *table_calloc(size_t n, size_t size);

#endif
