/*
 * The floor of `make bench`: a libpcap loop that reads every packet of a
 * capture and does nothing else. Nothing that reads the file can be faster.
 */
#include <stdio.h>

#include <pcap/pcap.h>

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	unsigned long n = 0, bytes = 0;
	pcap_t *p;

	if (argc != 2) {
		fprintf(stderr, "usage: pcap_floor CAPTURE\n");
		return 2;
	}
	p = pcap_open_offline(argv[1], err);
	if (!p) {
		fprintf(stderr, "pcap_floor: %s\n", err);
		return 1;
	}
	while (pcap_next_ex(p, &h, &data) == 1) {
		n++;
		bytes += h->caplen;
	}
	pcap_close(p);
	printf("%lu packets, %lu bytes\n", n, bytes);
	return 0;
}
