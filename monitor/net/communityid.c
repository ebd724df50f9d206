/*
 * communityid: see communityid.h.
 *
 * What is hashed (spec, "Community ID v1"), all in network byte order:
 *
 *   seed (2) | ip a (4 or 16) | ip b (4 or 16) | proto (1) | 0 (1) | port a (2) | port b (2)
 *
 * where the endpoint with the smaller address (or, addresses equal, the
 * smaller port) comes first, so both directions give the same value.
 * ICMP's type/code mapping is not needed: only TCP flows are keyed here.
 */
#include "net/communityid.h"

#include <stdbool.h>
#include <string.h>

#include <openssl/evp.h>

#include "digest.h"

void communityid_v1(uint16_t seed, uint8_t family, uint8_t proto, const uint8_t a[static 16],
		    uint16_t pa, const uint8_t b[static 16], uint16_t pb,
		    char out[static COMMUNITYID_LEN])
{
	size_t alen = family == 6 ? 16 : 4;
	uint8_t in[2 + 16 + 16 + 2 + 4], md[DIGEST_MAX_LEN];
	const uint8_t *lo = a, *hi = b;
	uint16_t plo = pa, phi = pb;
	int cmp = memcmp(a, b, alen);
	size_t n = 0;

	if (cmp > 0 || (cmp == 0 && pa > pb)) {
		lo = b;
		hi = a;
		plo = pb;
		phi = pa;
	}
	in[n++] = (uint8_t)(seed >> 8);
	in[n++] = (uint8_t)seed;
	memcpy(in + n, lo, alen);
	n += alen;
	memcpy(in + n, hi, alen);
	n += alen;
	in[n++] = proto;
	in[n++] = 0;
	in[n++] = (uint8_t)(plo >> 8);
	in[n++] = (uint8_t)plo;
	in[n++] = (uint8_t)(phi >> 8);
	in[n++] = (uint8_t)phi;
	if (!digest(DIGEST_SHA1, in, n, md))
		memset(md, 0, sizeof(md));
	memcpy(out, "1:", 2);
	/* 20 bytes are 28 base64 characters with their padding, then NUL. */
	EVP_EncodeBlock((unsigned char *)out + 2, md, 20);
}
