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

static bool get_u32(struct cursor *c, bool big_endian, uint32_t *v)
{
	return big_endian ? cur_u32(c, v) : cur_u32_le(c, v);
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
	uint32_t sec, frac, caplen, wire;

	if (!get_u32(&c, pf->big_endian, &sec) || !get_u32(&c, pf->big_endian, &frac) ||
	    !get_u32(&c, pf->big_endian, &caplen) || !get_u32(&c, pf->big_endian, &wire)) {
		pkt->size = PCAPFILE_RECORD_HEADER_LEN;
		return PCAPFILE_MORE;
	}
	if (caplen > pf->snaplen)
		return PCAPFILE_OTHER;
	pkt->size = PCAPFILE_RECORD_HEADER_LEN + (size_t)caplen;
	if (!cur_bytes(&c, &pkt->data, caplen))
		return PCAPFILE_MORE;
	pkt->caplen = caplen;
	pkt->ts_us = (uint64_t)sec * 1000000 + (pf->nano ? frac / 1000 : frac);
	return PCAPFILE_PACKET;
}
