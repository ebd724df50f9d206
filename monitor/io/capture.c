#include "io/capture.h"

#include <stdio.h>

#include <pcap/pcap.h>

static uint64_t ts_of(const struct pcap_pkthdr *h, int nano)
{
	uint64_t frac = (uint64_t)h->ts.tv_usec;

	return (uint64_t)h->ts.tv_sec * 1000000 + (nano ? frac / 1000 : frac);
}

int capture_file(const char *path, capture_fn fn, void *arg, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p;
	int dlt, nano, rc;

	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	if (!p) {
		snprintf(err, errlen, "%s", ebuf);
		return -1;
	}
	dlt = pcap_datalink(p);
	nano = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
	while ((rc = pcap_next_ex(p, &h, &data)) == 1)
		fn(arg, dlt, data, h->caplen, ts_of(h, nano));
	if (rc == PCAP_ERROR) {
		/* A capture cut short (truncated file) still gave what it had. */
		snprintf(err, errlen, "%s", pcap_geterr(p));
		pcap_close(p);
		return -1;
	}
	pcap_close(p);
	return 0;
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
	rc = 0;
	while (!*stop) {
		int n = pcap_dispatch(p, 256, live_cb, (u_char *)&l);

		if (n == PCAP_ERROR) {
			snprintf(err, errlen, "%s: %s", iface, pcap_geterr(p));
			rc = -1;
			break;
		}
	}
out:
	pcap_close(p);
	return rc;
}
