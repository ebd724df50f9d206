/*
 * cacheline: how far apart data written by different threads must lie.
 *
 * A cache line is 64 bytes, but the L2's adjacent-line prefetcher fetches
 * lines in aligned pairs: two threads writing the two halves of one
 * 128-byte pair still pull it back and forth between their cores
 * (measured: the session cache's per-region locks, 64 bytes apart, were
 * 1.2% of a 2-thread secaudit read --rules; 128 apart, 0.25%).
 */
#ifndef SECAUDIT_CACHELINE_H
#define SECAUDIT_CACHELINE_H

#define CACHELINE 64            /* what one read fetches */
#define THREAD_APART 128        /* alignment of data one thread writes */

#endif
