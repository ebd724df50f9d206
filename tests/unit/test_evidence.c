/*
 * evidence: the caps of evidence.h, and that the pcap it writes holds the
 * packets kept, in order, with their times (read back with libpcap).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/evidence.h"

static char dir[] = "/tmp/secaudit-evidence-XXXXXX";

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(evidence, .init = setup, .fini = teardown);

Test(evidence, written_pcap_holds_the_packets_in_order)
{
	struct evidence_budget b = { 0, 1 << 20 };
	struct evidence ev = { 0 };
	uint8_t pkt[3][60];
	char path[256], errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p;
	int i;

	for (i = 0; i < 3; i++) {
		memset(pkt[i], 0x45 + i, sizeof(pkt[i]));
		evidence_add(&ev, &b, pkt[i], (size_t)(20 + 10 * i), 1700000000000000ull + (uint64_t)i);
	}
	cr_assert_eq(ev.packets, 3);
	cr_assert_eq(b.used, 20 + 30 + 40);
	cr_assert_eq(evidence_write(&ev, dir, DLT_RAW, 42, path, sizeof(path)), 0);
	cr_assert_str_eq(path + strlen(dir), "/secaudit-42-1700000000.000000.pcap");
	p = pcap_open_offline(path, errbuf);
	cr_assert_not_null(p, "%s", errbuf);
	cr_assert_eq(pcap_datalink(p), DLT_RAW);
	for (i = 0; i < 3; i++) {
		cr_assert_eq(pcap_next_ex(p, &h, &data), 1);
		cr_assert_eq(h->caplen, (unsigned)(20 + 10 * i));
		cr_assert_eq(h->ts.tv_usec, i);
		cr_assert_eq(data[0], 0x45 + i);
	}
	cr_assert_eq(pcap_next_ex(p, &h, &data), PCAP_ERROR_BREAK);
	pcap_close(p);
	/* never overwrites: the name is taken */
	cr_assert_eq(evidence_write(&ev, dir, DLT_RAW, 42, path, sizeof(path)), -1);
	cr_assert_eq(errno, EEXIST);
	evidence_free(&ev, &b);
	cr_assert_eq(b.used, 0);
	cr_assert_eq(ev.packets, 0);
}

Test(evidence, caps_count_what_is_not_kept)
{
	struct evidence_budget b = { 0, 1 << 20 }, tight = { 0, 100 };
	struct evidence ev = { 0 }, ev2 = { 0 };
	static uint8_t big[EVIDENCE_MAX_BYTES];
	uint8_t small[10] = { 0 };
	int i;

	for (i = 0; i < EVIDENCE_MAX_PACKETS + 5; i++)
		evidence_add(&ev, &b, small, sizeof(small), 1);
	cr_assert_eq(ev.packets, EVIDENCE_MAX_PACKETS);
	cr_assert_eq(ev.missed, 5);
	evidence_free(&ev, &b);
	evidence_add(&ev, &b, big, sizeof(big), 1);
	cr_assert_eq(ev.packets, 1, "exactly the per-flow byte cap fits");
	evidence_add(&ev, &b, small, 1, 1);
	cr_assert_eq(ev.missed, 1);
	evidence_free(&ev, &b);
	/* the shared budget */
	evidence_add(&ev, &tight, big, 60, 1);
	evidence_add(&ev2, &tight, big, 60, 1);
	cr_assert_eq(ev.packets, 1);
	cr_assert_eq(ev2.missed, 1);
	evidence_free(&ev, &tight);
	evidence_add(&ev2, &tight, big, 60, 1);
	cr_assert_eq(ev2.packets, 1);
	evidence_free(&ev2, &tight);
	cr_assert_eq(tight.used, 0);
}

Test(evidence, unwritable_directory_is_an_error)
{
	struct evidence_budget b = { 0, 1 << 20 };
	struct evidence ev = { 0 };
	char path[256];
	uint8_t pkt[20] = { 0x45 };

	evidence_add(&ev, &b, pkt, sizeof(pkt), 1);
	cr_assert_eq(evidence_write(&ev, "/nonexistent/secaudit", DLT_RAW, 1, path, sizeof(path)),
		     -1);
	cr_assert_eq(errno, ENOENT);
	evidence_free(&ev, &b);
}
