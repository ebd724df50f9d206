/*
 * evidence: the packets of one flow's handshake, kept while it is judged,
 * so that a blocked handshake can be written to a pcap file that the alert
 * names. An administrator then opens exactly what the monitor saw in
 * Wireshark or replays it with `secaudit read --rules`.
 *
 * Copies are bounded per flow (EVIDENCE_MAX_PACKETS, EVIDENCE_MAX_BYTES) and
 * over all flows (the caller's budget): what does not fit is counted, not
 * kept, and the pcap says so by its packet count only. A flow's copies go
 * once the flow is decided, so inline only the flows still in their
 * handshake hold any.
 *
 * Inline, the client's SYN and the server's SYN+ACK are not queued: the
 * kernel copies them (io/synlog, kept in stream/syntable), and those
 * copies are the flow's first two packets here, in that order, before its
 * first queued one. A pcap made from a capture (`secaudit read`) holds
 * them as captured, never also as copies (no SYN source offline). A
 * SYN+ACK the kernel did not copy (or copied after the flow's first
 * queued packet asked) is missing from an inline pcap.
 */
#ifndef SECAUDIT_EVIDENCE_H
#define SECAUDIT_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EVIDENCE_MAX_PACKETS 32
#define EVIDENCE_MAX_BYTES (64u * 1024u)

struct evidence_pkt;

struct evidence {
	struct evidence_pkt *head, *tail;
	uint32_t packets, bytes;
	uint32_t missed;            /* packets not kept (a cap was reached) */
};

/* Bytes held by every flow's evidence, shared by the flows of one thread. */
struct evidence_budget {
	size_t used, cap;
};

/* Keeps a copy of one packet (len bytes captured at ts_us). */
void evidence_add(struct evidence *ev, struct evidence_budget *b, const uint8_t *pkt,
		  size_t len, uint64_t ts_us);
/* Frees the copies and gives their bytes back to the budget. */
void evidence_free(struct evidence *ev, struct evidence_budget *b);

/*
 * Writes the kept packets to DIR/secaudit-<flow_id>-<first packet's time>.pcap
 * with link type dlt (pcap's DLT_*), created exclusively with mode 0640.
 * path receives the file's path. Returns 0, or -1 with errno set (the
 * caller logs it; the verdict stands either way).
 */
int evidence_write(const struct evidence *ev, const char *dir, int dlt, uint64_t flow_id,
		   char *path, size_t path_size);

#endif
