/*
 * nfq_reorder: a lab link that reorders and duplicates, on a real kernel
 * queue (monitor/io/nfq.c), for kernels without sch_netem. Run in a router
 * namespace whose forwarded packets go to NFQUEUE (tests/e2e/test_evasion.py):
 *
 *   nfq_reorder [--queue N] [--hold-every N] [--dup-every M] [--max-hold-ms MS]
 *
 * Every Nth queued packet is held and let go just after the packet that
 * follows it (or after MS milliseconds when none follows), so the two
 * arrive swapped; every Mth packet is let go and a copy of it sent again
 * through a raw socket, so it arrives twice. 0 turns either off. Prints
 * "ready" once bound; on SIGTERM lets go what it holds, prints its counters
 * as one JSON line and exits 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cursor.h"
#include "io/nfq.h"

struct reorder {
	unsigned long hold_every, dup_every, max_hold_ms;
	unsigned long seen;
	struct nfqueue *q;
	int raw4, raw6;
	bool holding;
	bool passed;             /* a packet went by since the held one came */
	uint32_t held_id, held_mark;
	uint64_t held_us;
	uint64_t n_held, n_after_next, n_by_time, n_dup, dup_errors;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* A copy of the packet (IP header first) sent again to its destination:
 * the raw socket takes the IP header as it is (IPPROTO_RAW), so the copy
 * carries the same addresses, sequence numbers and checksums. */
static void duplicate(struct reorder *r, const struct nfqueue_packet *p)
{
	struct cursor c = cur_make(p->data, p->len);
	struct sockaddr_storage ss;
	socklen_t sl;
	uint8_t v;
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (!cur_peek_u8(&c, 0, &v))
		return;
	if (v >> 4 == 4 && cur_skip(&c, 16)) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		if (!cur_copy(&c, &a->sin_addr, 4))
			return;
		sl = sizeof(*a);
		fd = r->raw4;
	} else if (v >> 4 == 6 && cur_skip(&c, 24)) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		if (!cur_copy(&c, &a->sin6_addr, 16))
			return;
		sl = sizeof(*a);
		fd = r->raw6;
	} else {
		return;
	}
	if (fd >= 0 && sendto(fd, p->data, p->len, 0, (struct sockaddr *)&ss, sl) ==
	    (ssize_t)p->len)
		r->n_dup++;
	else
		r->dup_errors++;
}

static int on_packet(void *arg, struct nfqueue_packet *p)
{
	struct reorder *r = arg;

	r->seen++;
	if (r->dup_every && r->seen % r->dup_every == 0 && !p->csum_not_ready)
		duplicate(r, p);
	if (r->hold_every && r->seen % r->hold_every == 0 && !r->holding) {
		r->holding = true;
		r->passed = false;
		r->held_id = p->id;
		r->held_mark = p->mark;
		r->held_us = p->now_us;
		r->n_held++;
		return NFQUEUE_HOLD;
	}
	r->passed = r->holding;
	return NFQUEUE_ACCEPT;
}

/* Lets the held packet go once one went past it, or when it waited long
 * enough; called after nfqueue_dispatch() sent the verdicts it had. */
static void release_due(struct reorder *r, bool all)
{
	bool late;

	if (!r->holding)
		return;
	late = now_us() >= r->held_us + r->max_hold_ms * 1000u;
	if (!r->passed && !late && !all)
		return;
	if (nfqueue_release(r->q, r->held_id, NFQUEUE_ACCEPT, r->held_mark) == 0) {
		if (r->passed)
			r->n_after_next++;
		else
			r->n_by_time++;
	}
	r->holding = false;
}

static bool number(const char *s, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return s[0] && !*end && !errno;
}

int main(int argc, char **argv)
{
	struct reorder r = { .hold_every = 5, .dup_every = 7, .max_hold_ms = 50, .raw4 = -1,
			     .raw6 = -1 };
	struct nfqueue_config cfg = { .queue = 0, .fail_open = true };
	unsigned long v;
	int k, err = 0, rc = 1, n;

	for (k = 1; k < argc; k++) {
		const char *o = argv[k];

		if (k + 1 >= argc || !number(argv[k + 1], &v)) {
			fprintf(stderr, "nfq_reorder: bad argument '%s'\n", o);
			return 2;
		}
		if (!strcmp(o, "--queue") && v <= 65535)
			cfg.queue = (uint16_t)v;
		else if (!strcmp(o, "--hold-every"))
			r.hold_every = v;
		else if (!strcmp(o, "--dup-every"))
			r.dup_every = v;
		else if (!strcmp(o, "--max-hold-ms"))
			r.max_hold_ms = v;
		else {
			fprintf(stderr, "nfq_reorder: bad argument '%s'\n", o);
			return 2;
		}
		k++;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	r.raw4 = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	r.raw6 = socket(AF_INET6, SOCK_RAW, IPPROTO_RAW);
	if (!(r.q = nfqueue_open(&cfg, on_packet, &r, &err))) {
		fprintf(stderr, "nfq_reorder: queue %u: %s\n", cfg.queue, strerror(-err));
		goto out;
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		n = nfqueue_dispatch(r.q, r.holding ? 1 : 200);
		if (n < 0) {
			fprintf(stderr, "nfq_reorder: %s\n", strerror(-n));
			goto out;
		}
		release_due(&r, false);
	}
	release_due(&r, true);
	printf("{\"packets\":%lu,\"held\":%llu,\"after_next\":%llu,\"by_time\":%llu,"
	       "\"duplicated\":%llu,\"dup_errors\":%llu}\n", r.seen,
	       (unsigned long long)r.n_held, (unsigned long long)r.n_after_next,
	       (unsigned long long)r.n_by_time, (unsigned long long)r.n_dup,
	       (unsigned long long)r.dup_errors);
	rc = 0;
out:
	nfqueue_close(r.q);
	if (r.raw4 >= 0)
		close(r.raw4);
	if (r.raw6 >= 0)
		close(r.raw6);
	return rc;
}
