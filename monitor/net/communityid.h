/*
 * communityid: the Community ID v1 flow hash (Corelight's specification,
 * github.com/corelight/community-id-spec), the value Suricata, Zeek and
 * tshark write as `community_id`, so one flow's events can be joined
 * across tools. Pure: no state, no allocation.
 */
#ifndef SECAUDIT_COMMUNITYID_H
#define SECAUDIT_COMMUNITYID_H

#include <stdint.h>

/* "1:" + base64 of a SHA-1 digest (28 characters) + NUL. */
#define COMMUNITYID_LEN 31

/*
 * Writes the Community ID of the flow between (a, pa) and (b, pb) over IP
 * protocol proto (ports of a protocol that has none: 0). family is 4 or 6;
 * addresses in network order, IPv4 in the first 4 bytes. The endpoints may
 * be given in either order: the hash orders them itself.
 */
void communityid_v1(uint16_t seed, uint8_t family, uint8_t proto, const uint8_t a[static 16],
		    uint16_t pa, const uint8_t b[static 16], uint16_t pb,
		    char out[static COMMUNITYID_LEN]);

#endif
