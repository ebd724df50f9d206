/*
 * inject: TCP resets to both ends of a flow, for the `reject` action, and
 * to the server alone for `drop` (so that it does not wait for a client
 * whose packets the gateway now drops).
 *
 * Given the packet being rejected (as NFQUEUE hands it: IP header first,
 * sent by end A to end B), two RST+ACK segments are built and sent through
 * raw sockets of the gateway:
 *   to B, as if from A: seq = the rejected segment's seq (B still expects
 *         it, since that segment is dropped), ack = its ack;
 *   to A, as if from B: seq = the segment's ack (exactly what A expects
 *         next from B, so RFC 5961 section 3.2 accepts it), ack = its seq
 *         plus its length.
 * Both carry the packet mark NFQUEUE_MARK_INJECT (or the mark given), so the
 * gateway's rules never queue or drop them.
 *
 * Needs CAP_NET_RAW (raw sockets) and CAP_NET_ADMIN (SO_MARK) when opened;
 * the sockets stay usable after privileges are dropped.
 */
#ifndef SECAUDIT_INJECT_H
#define SECAUDIT_INJECT_H

#include <stddef.h>
#include <stdint.h>

struct inject;

/* Opens the IPv4 and IPv6 raw sockets. NULL with a negative errno in *err
 * when neither family can be opened; a family that fails alone makes
 * inject_rst_both() return -EAFNOSUPPORT for it. */
struct inject *inject_open(uint32_t mark, int *err);
void inject_close(struct inject *inj);

/*
 * Sends the two resets for ip_packet (len bytes, IPv4 or IPv6 with TCP; the
 * bytes are read through a bounds-checked cursor). 0 when both were sent;
 * -EINVAL when the packet is not a well-formed TCP segment, -EAFNOSUPPORT,
 * or the negative errno of the first failed send.
 */
int inject_rst_both(struct inject *inj, const uint8_t *ip_packet, size_t len);

/* Sends one of the two: toward the packet's sender (to_sender = 1) or its
 * destination (0). 0, or the errors of inject_rst_both(). */
int inject_rst_one(struct inject *inj, const uint8_t *ip_packet, size_t len, int to_sender);

/*
 * Builds, without sending, the reset toward the packet's destination
 * (to_sender = 0) or toward its sender (to_sender = 1) into out (at least
 * INJECT_RST_MAX bytes). Returns its length, or -EINVAL. For tests.
 */
#define INJECT_RST_MAX 60
int inject_build_rst(const uint8_t *ip_packet, size_t len, int to_sender,
		     uint8_t out[static INJECT_RST_MAX]);

#endif
