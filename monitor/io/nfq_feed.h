/*
 * nfq_feed: which NFQUEUE queues the gateway's iptables/ip6tables rules
 * feed, and which queues have a listener, so that setup-gateway and the
 * monitor can warn when traffic is queued where nobody judges it. With
 * --queue-bypass the kernel then lets it pass unjudged, silently.
 *
 * Reads `iptables-save -t filter` and `ip6tables-save -t filter` (run as
 * child processes: root is needed, as for the rules themselves) and
 * /proc/net/netfilter/nfnetlink_queue (the current network namespace).
 */
#ifndef SECAUDIT_NFQ_FEED_H
#define SECAUDIT_NFQ_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NFQ_FEED_MAX 32

struct nfq_feed {
	size_t n;                   /* NFQUEUE rules found (at most NFQ_FEED_MAX kept) */
	struct {
		uint16_t first, last;  /* --queue-num N, or --queue-balance N:M */
		bool bypass;           /* --queue-bypass */
	} rule[NFQ_FEED_MAX];
	bool read;                  /* at least one *-save could be run */
};

/* Collects the NFQUEUE targets of the filter tables. Never fails: a
 * missing tool leaves feed->read false. */
void nfq_feed_rules(struct nfq_feed *feed);

/* Parses one iptables-save line into feed (for tests): true when it is an
 * NFQUEUE rule. */
bool nfq_feed_parse_line(struct nfq_feed *feed, const char *line);

/* Whether some process is bound to queue q in this network namespace. */
bool nfq_queue_has_listener(uint16_t q);

/* Whether some rule feeds a queue in [first, last]. */
bool nfq_feed_reaches(const struct nfq_feed *feed, uint16_t first, uint16_t last);

/* The queues the rules feed with --queue-bypass that nothing listens on:
 * their traffic passes unjudged. Up to max into out, ascending; returns
 * how many there are. */
size_t nfq_feed_unserved(const struct nfq_feed *feed, uint16_t *out, size_t max);

#endif
