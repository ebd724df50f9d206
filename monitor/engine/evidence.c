/*
 * evidence: a flow's handshake packets, written as a pcap when it is
 * blocked. See evidence.h.
 */
#include "engine/evidence.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

struct evidence_pkt {
	struct evidence_pkt *next;
	uint64_t ts_us;
	uint32_t len;
	uint8_t data[];
};

void evidence_add(struct evidence *ev, struct evidence_budget *b, const uint8_t *pkt,
		  size_t len, uint64_t ts_us)
{
	struct evidence_pkt *p;

	if (ev->packets >= EVIDENCE_MAX_PACKETS || len > EVIDENCE_MAX_BYTES - ev->bytes ||
	    len > b->cap - b->used || !(p = malloc(sizeof(*p) + len))) {
		ev->missed++;
		return;
	}
	p->next = NULL;
	p->ts_us = ts_us;
	p->len = (uint32_t)len;
	memcpy(p->data, pkt, len);
	if (ev->tail)
		ev->tail->next = p;
	else
		ev->head = p;
	ev->tail = p;
	ev->packets++;
	ev->bytes += (uint32_t)len;
	b->used += len;
}

void evidence_free(struct evidence *ev, struct evidence_budget *b)
{
	struct evidence_pkt *p, *next;

	for (p = ev->head; p; p = next) {
		next = p->next;
		free(p);
	}
	b->used -= ev->bytes < b->used ? ev->bytes : b->used;
	memset(ev, 0, sizeof(*ev));
}

int evidence_write(const struct evidence *ev, const char *dir, int dlt, uint64_t flow_id,
		   char *path, size_t path_size)
{
	const struct evidence_pkt *p;
	uint64_t first = ev->head ? ev->head->ts_us : 0;
	pcap_dumper_t *d;
	pcap_t *dead;
	FILE *f;
	int fd, n, err = 0;

	n = snprintf(path, path_size, "%s/secaudit-%" PRIu64 "-%" PRIu64 ".%06" PRIu64 ".pcap",
		     dir, flow_id, first / 1000000, first % 1000000);
	if (n < 0 || (size_t)n >= path_size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0)
		return -1;
	f = fdopen(fd, "wb");
	if (!f) {
		err = errno;
		close(fd);
		unlink(path);
		errno = err;
		return -1;
	}
	dead = pcap_open_dead(dlt, 262144);
	d = dead ? pcap_dump_fopen(dead, f) : NULL;
	if (!d) {
		fclose(f);
		unlink(path);
		if (dead)
			pcap_close(dead);
		errno = EIO;
		return -1;
	}
	for (p = ev->head; p; p = p->next) {
		struct pcap_pkthdr h = {
			.ts = { .tv_sec = (time_t)(p->ts_us / 1000000),
				.tv_usec = (suseconds_t)(p->ts_us % 1000000) },
			.caplen = p->len,
			.len = p->len,
		};

		pcap_dump((u_char *)d, &h, p->data);
	}
	if (pcap_dump_flush(d) != 0)
		err = errno ? errno : EIO;
	pcap_dump_close(d);      /* closes f */
	pcap_close(dead);
	if (err) {
		unlink(path);
		errno = err;
		return -1;
	}
	return 0;
}
