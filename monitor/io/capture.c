#include "io/capture.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

static uint64_t ts_of(const struct pcap_pkthdr *h, int nano)
{
	uint64_t frac = (uint64_t)h->ts.tv_usec;

	return (uint64_t)h->ts.tv_sec * 1000000 + (nano ? frac / 1000 : frac);
}

/* libpcap reads a file through stdio, whose buffer is one file-system
 * block: a read(2) per 4 KiB, and on a virtual machine the system calls
 * cost more than the copying. A large buffer of our own makes them few. */
#define CAPTURE_READ_BUFFER (1u << 20)

int capture_file(const char *path, capture_fn fn, void *arg, char *err, size_t errlen)
{
	return capture_file_from(path, 0, fn, arg, err, errlen);
}

int capture_file_info(const char *path, int *dlt, uint32_t *snaplen, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO,
							     ebuf);

	if (!p) {
		snprintf(err, errlen, "%s", ebuf);
		return -1;
	}
	*dlt = pcap_datalink(p);
	*snaplen = (uint32_t)pcap_snapshot(p);
	pcap_close(p);
	return 0;
}

int capture_file_from(const char *path, uint64_t skip, capture_fn fn, void *arg, char *err,
		      size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	bool std_in = !strcmp(path, "-");
	char *iobuf = NULL;
	pcap_t *p;
	FILE *f;
	int dlt, nano, rc = -1;

	f = std_in ? stdin : fopen(path, "rbe");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* stdin ("-", as libpcap reads it) keeps its own buffer: it may be
	 * read again after this */
	if (!std_in && (iobuf = malloc(CAPTURE_READ_BUFFER)))
		setvbuf(f, iobuf, _IOFBF, CAPTURE_READ_BUFFER);
	p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	if (!p) {
		snprintf(err, errlen, "%s", ebuf);
		if (!std_in)
			fclose(f);
		goto out;
	}
	dlt = pcap_datalink(p);
	nano = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		if (skip) {
			skip--;
			continue;
		}
		fn(arg, dlt, data, h->caplen, ts_of(h, nano));
	}
	/* A capture cut short (truncated file) still gave what it had. */
	if (rc == PCAP_ERROR)
		snprintf(err, errlen, "%s", pcap_geterr(p));
	rc = rc == PCAP_ERROR ? -1 : 0;
	pcap_close(p);  /* closes f (not stdin), before its buffer goes */
out:
	free(iobuf);
	return rc;
}

struct live {
	capture_fn fn;
	void *arg;
	int dlt;
};

static void live_cb(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct live *l = (struct live *)user;

	l->fn(l->arg, l->dlt, data, h->caplen, ts_of(h, 0));
}

int capture_live(const char *iface, const char *filter, capture_fn fn, void *arg,
		 volatile sig_atomic_t *stop, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct bpf_program prog;
	struct live l = { fn, arg, 0 };
	struct pollfd pfd;
	pcap_t *p;
	int rc = -1;

	p = pcap_create(iface, ebuf);
	if (!p) {
		snprintf(err, errlen, "%s", ebuf);
		return -1;
	}
	pcap_set_snaplen(p, 262144);
	pcap_set_promisc(p, 1);
	pcap_set_timeout(p, 100);
	pcap_set_immediate_mode(p, 1);
	if (pcap_activate(p) < 0) {
		snprintf(err, errlen, "%s: %s", iface, pcap_geterr(p));
		goto out;
	}
	if (filter && *filter) {
		if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			snprintf(err, errlen, "filter '%s': %s", filter, pcap_geterr(p));
			goto out;
		}
		rc = pcap_setfilter(p, &prog);
		pcap_freecode(&prog);
		if (rc < 0) {
			snprintf(err, errlen, "filter: %s", pcap_geterr(p));
			rc = -1;
			goto out;
		}
	}
	l.dlt = pcap_datalink(p);
	/* Our own wait, so that *stop is seen within 100 ms: libpcap's own
	 * (TPACKET_V3) goes back to waiting after a timeout or a signal
	 * until a packet comes, so a quiet filter never ended. */
	pfd.fd = pcap_get_selectable_fd(p);
	if (pfd.fd < 0 || pcap_setnonblock(p, 1, ebuf) < 0) {
		snprintf(err, errlen, "%s: cannot wait for packets: %s", iface,
			 pfd.fd < 0 ? "no selectable descriptor" : ebuf);
		goto out;
	}
	pfd.events = POLLIN;
	rc = 0;
	while (!*stop) {
		int n = poll(&pfd, 1, 100);

		if (n < 0 && errno != EINTR) {
			snprintf(err, errlen, "%s: %s", iface, strerror(errno));
			rc = -1;
			break;
		}
		if (n <= 0)
			continue;
		if (pcap_dispatch(p, 256, live_cb, (u_char *)&l) == PCAP_ERROR) {
			snprintf(err, errlen, "%s: %s", iface, pcap_geterr(p));
			rc = -1;
			break;
		}
	}
out:
	pcap_close(p);
	return rc;
}
