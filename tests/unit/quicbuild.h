/*
 * quicbuild: a protected QUIC Initial packet (RFC 9000 section 17.2.2,
 * RFC 9001 section 5) written around the caller's frames, for the QUIC unit
 * tests and the fuzz harness that feeds random frames past the AEAD check.
 *
 * Static, so each program gets its own copy.
 */
#ifndef SECAUDIT_QUICBUILD_H
#define SECAUDIT_QUICBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "quic/initial.h"

/* Writes into out an Initial of version to dcid (dcid_len bytes, whose
 * Initial keys protect it: the server's when server): long header with no
 * SCID and no token, a 2-byte Length, the 4-byte packet number pn, then
 * frames (flen bytes) with PADDING up to pad bytes of plaintext, and room
 * for the AEAD tag. out must hold 13 + dcid_len + max(flen, pad) + 16 bytes.
 * Returns the packet's length, or 0 when version has no Initial keys or
 * the protection failed. */
static inline size_t qb_initial(uint8_t *out, uint32_t version, bool server, const uint8_t *dcid,
				uint8_t dcid_len, uint32_t pn, const uint8_t *frames, size_t flen,
				size_t pad)
{
	struct quic_keys k;
	size_t plain = flen > pad ? flen : pad, length = 4 + plain + 16, at = 0, pn_off;

	if (quic_initial_keys(version, dcid, dcid_len, server, &k))
		return 0;
	out[at++] = (uint8_t)(0xc0 | quic_long_type_bits(version, QUIC_INITIAL) | 3);
	out[at++] = (uint8_t)(version >> 24);
	out[at++] = (uint8_t)(version >> 16);
	out[at++] = (uint8_t)(version >> 8);
	out[at++] = (uint8_t)version;
	out[at++] = dcid_len;
	memcpy(out + at, dcid, dcid_len);
	at += dcid_len;
	out[at++] = 0;                               /* SCID length */
	out[at++] = 0;                               /* token length */
	out[at++] = (uint8_t)(0x40 | length >> 8);   /* 2-byte varint */
	out[at++] = (uint8_t)length;
	pn_off = at;
	out[at++] = (uint8_t)(pn >> 24);
	out[at++] = (uint8_t)(pn >> 16);
	out[at++] = (uint8_t)(pn >> 8);
	out[at++] = (uint8_t)pn;
	memcpy(out + at, frames, flen);
	memset(out + at + flen, 0, plain - flen);
	at += plain + 16;
	return quic_protect(&k, out, at, pn_off, pn) ? 0 : at;
}

#endif
