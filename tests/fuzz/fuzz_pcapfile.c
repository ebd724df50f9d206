/*
 * fuzz_pcapfile: pcapfile_header() and pcapfile_next() over arbitrary
 * bytes, read as `secaudit read`'s reader does: the header, then records
 * one after the other until one is not a packet. Besides not crashing: a
 * packet lies inside the bytes given, holds at most the snapshot, and a
 * record's size is its header and its packet.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/pcapfile.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pcapfile pf;
	struct pcapfile_packet pk;
	enum pcapfile_result r;
	uint8_t *copy = malloc(size ? size : 1);
	size_t at;

	if (!copy)
		return 0;
	/* an exact-size heap copy, so ASan sees any read past the end */
	memcpy(copy, data, size);
	if (!pcapfile_header(copy, size, &pf))
		goto out;
	pf.snaplen = 65535;
	for (at = PCAPFILE_HEADER_LEN; at <= size; at += pk.size) {
		r = pcapfile_next(&pf, copy + at, size - at, &pk);
		if (r != PCAPFILE_PACKET) {
			FUZZ_CHECK(r == PCAPFILE_OTHER || pk.size > size - at,
				   "MORE asks for %zu bytes with %zu there", pk.size, size - at);
			break;
		}
		FUZZ_CHECK(pk.caplen <= pf.snaplen && pk.size == PCAPFILE_RECORD_HEADER_LEN + pk.caplen,
			   "caplen %u, size %zu", pk.caplen, pk.size);
		FUZZ_CHECK(pk.data == copy + at + PCAPFILE_RECORD_HEADER_LEN && pk.size <= size - at,
			   "packet at %zu of %zu bytes outside the %zu bytes", at, pk.size, size);
	}
out:
	free(copy);
	return 0;
}
