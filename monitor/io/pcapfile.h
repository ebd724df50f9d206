/*
 * pcapfile: the records of a classic pcap file (pcap-savefile(5)) read in
 * place, for `secaudit read`'s reader, which takes a file in large blocks
 * and hands its packets on without copying each (libpcap copies every
 * record into a buffer of its own, through two stdio reads). Only the
 * plain case is read here; anything else (pcapng, another magic, a record
 * longer than the file's snapshot length, a file cut short) is left to
 * libpcap (io/capture), from the record where this reader stopped.
 */
#ifndef SECAUDIT_PCAPFILE_H
#define SECAUDIT_PCAPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCAPFILE_HEADER_LEN 24
#define PCAPFILE_RECORD_HEADER_LEN 16

struct pcapfile {
	bool big_endian;            /* the byte order of the file's headers */
	bool nano;                  /* timestamps in nanoseconds */
	/* The longest record taken here, set by the caller: libpcap's
	 * pcap_snapshot() for the file, so that a longer one, which libpcap
	 * cuts or refuses, is left to it. */
	uint32_t snaplen;
};

/* Whether b (len bytes from the start of a file) is a classic pcap header:
 * magic a1b2c3d4 (microseconds) or a1b23c4d (nanoseconds) in either byte
 * order, version 2. Fills pf but its snaplen (0). */
bool pcapfile_header(const uint8_t *b, size_t len, struct pcapfile *pf);

enum pcapfile_result {
	PCAPFILE_PACKET,            /* *pkt is the record */
	PCAPFILE_MORE,              /* b holds only part of it: pkt->size bytes needed */
	PCAPFILE_OTHER,             /* one this reader leaves to libpcap */
};

struct pcapfile_packet {
	const uint8_t *data;        /* in b */
	uint32_t caplen;
	uint64_t ts_us;             /* nanoseconds cut to microseconds, as libpcap does */
	size_t size;                /* the whole record's bytes, header included */
};

/* The record at the start of b (len bytes). */
enum pcapfile_result pcapfile_next(const struct pcapfile *pf, const uint8_t *b, size_t len,
				   struct pcapfile_packet *pkt);

#endif
