/*
 * checksum: the Internet checksums a receiver verifies before it takes a
 * packet in (RFC 1071 arithmetic; IPv4 header RFC 791 section 3.1; TCP RFC
 * 9293 section 3.1 and UDP RFC 768 over the pseudo-header, RFC 8200 section
 * 8.1 for IPv6), and their recomputation in a packet the monitor rewrote.
 *
 * Pure; reads only the bytes struct decoded bounds (l3, l4). An IPv6
 * routing header's final destination is not looked for: the pseudo-header
 * uses the IPv6 header's destination.
 */
#ifndef SECAUDIT_CHECKSUM_H
#define SECAUDIT_CHECKSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/decode.h"

/* The IPv4 header checksum holds (true for IPv6: it has none). */
bool checksum_ip_ok(const struct decoded *d);
/* The TCP or UDP checksum of a decoded TCP segment or UDP datagram holds
 * (a UDP checksum of 0 over IPv4 means none: true). False when d holds
 * neither. */
bool checksum_l4_ok(const struct decoded *d);

/*
 * Recomputes the IPv4 header checksum and the TCP checksum of a packet
 * copy `pkt` whose bytes were decoded (into d) from `orig`: d's pointers
 * locate the headers at the same offsets in pkt. The copy holds at least
 * d->l3 - orig + d->l3_len bytes.
 */
void checksum_tcp_fix(uint8_t *pkt, const uint8_t *orig, const struct decoded *d);

#endif
