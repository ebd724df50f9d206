/*
 * pcapfile: classic pcap records in place. See pcapfile.h.
 *
 * File header (pcap-savefile(5)):     record header:
 *   magic            4                  ts_sec    4
 *   version_major    2                  ts_frac   4  (µs or ns, by the magic)
 *   version_minor    2                  caplen    4  bytes that follow
 *   thiszone         4                  len       4  bytes on the wire
 *   sigfigs          4
 *   snaplen          4
 *   linktype         4                 every field in the magic's byte order
 */
#include "io/pcapfile.h"

#include "cursor.h"

#define MAGIC_US 0xa1b2c3d4u
#define MAGIC_NS 0xa1b23c4du

/* A record header's field i, in the file's byte order (read once per
 * packet: the whole header is bounds-checked before). */
static inline uint32_t field(const uint8_t *h, unsigned i, bool big_endian)
{
	uint32_t v;

	memcpy(&v, h + 4 * i, sizeof(v));
	return big_endian == (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__) ? v : __builtin_bswap32(v);
}

bool pcapfile_header(const uint8_t *b, size_t len, struct pcapfile *pf)
{
	struct cursor c = cur_make(b, len), be = c;
	uint32_t magic, magic_be;
	uint16_t major;

	if (len < PCAPFILE_HEADER_LEN || !cur_u32_le(&c, &magic) || !cur_u32(&be, &magic_be))
		return false;
	if (magic == MAGIC_US || magic == MAGIC_NS) {
		pf->big_endian = false;
	} else if (magic_be == MAGIC_US || magic_be == MAGIC_NS) {
		pf->big_endian = true;
		magic = magic_be;
		c = be;
	} else {
		return false;
	}
	if (!(pf->big_endian ? cur_u16(&c, &major) : cur_u16_le(&c, &major)) || major != 2)
		return false;
	pf->nano = magic == MAGIC_NS;
	pf->snaplen = 0;
	return true;
}

enum pcapfile_result pcapfile_next(const struct pcapfile *pf, const uint8_t *b, size_t len,
				   struct pcapfile_packet *pkt)
{
	struct cursor c = cur_make(b, len);
	const uint8_t *h;
	uint32_t caplen, frac;

	if (!cur_bytes(&c, &h, PCAPFILE_RECORD_HEADER_LEN)) {
		pkt->size = PCAPFILE_RECORD_HEADER_LEN;
		return PCAPFILE_MORE;
	}
	caplen = field(h, 2, pf->big_endian);
	if (caplen > pf->snaplen)
		return PCAPFILE_OTHER;
	pkt->size = PCAPFILE_RECORD_HEADER_LEN + (size_t)caplen;
	if (!cur_bytes(&c, &pkt->data, caplen))
		return PCAPFILE_MORE;
	pkt->caplen = caplen;
	frac = field(h, 1, pf->big_endian);
	pkt->ts_us = (uint64_t)field(h, 0, pf->big_endian) * 1000000 + (pf->nano ? frac / 1000 : frac);
	return PCAPFILE_PACKET;
}
