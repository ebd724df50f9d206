/*
 * capture: packets from libpcap, a capture file (pcap or pcapng) or a live
 * interface, handed one at a time to a callback. The I/O edge of the
 * offline path; the engine behind the callback does not know the source.
 */
#ifndef SECAUDIT_CAPTURE_H
#define SECAUDIT_CAPTURE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

/* pkt is valid only during the call; ts_us is the capture timestamp. */
typedef void (*capture_fn)(void *arg, int dlt, const uint8_t *pkt, size_t caplen,
			   uint64_t ts_us);

/* Reads every packet of a file. 0, or -1 with a message in err. */
int capture_file(const char *path, capture_fn fn, void *arg, char *err, size_t errlen);
/* The same, the first `skip` packets passed over (read by someone else). */
int capture_file_from(const char *path, uint64_t skip, capture_fn fn, void *arg, char *err,
		      size_t errlen);
/* What libpcap makes of a file's header: its link type (DLT_*) and the
 * snapshot length it holds records to. 0, or -1 with a message in err. */
int capture_file_info(const char *path, int *dlt, uint32_t *snaplen, char *err, size_t errlen);

/* Captures on iface (with an optional BPF filter) until *stop becomes
 * non-zero (checked at least every 100 ms). 0, or -1 with err. */
int capture_live(const char *iface, const char *filter, capture_fn fn, void *arg,
		 volatile sig_atomic_t *stop, char *err, size_t errlen);

#endif
