/*
 * initial: QUIC packet protection (RFC 9001 5, RFC 9369 3.3): Initial keys,
 * keys from a TLS secret, and the protection of long header packets.
 *
 * Initial packets are encrypted with keys anyone can derive from the
 * client's Destination Connection ID and a salt fixed by the version, so an
 * observer can read them: this module derives those keys (OpenSSL HKDF) and
 * removes header protection (AES-ECB or ChaCha20) and packet protection
 * (AES-GCM or ChaCha20-Poly1305; the Initials' is AES-128-GCM). It knows QUIC v1, v2, the IETF drafts 23-34 and Google's Q050, T050 and T051. Pure: no
 * I/O, no globals of its own (the OpenSSL algorithms come from common/evpfetch,
 * fetched once per process); each call allocates and frees its own OpenSSL
 * contexts.
 */
#ifndef SECAUDIT_QUIC_INITIAL_H
#define SECAUDIT_QUIC_INITIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QUIC_V1       0x00000001u
#define QUIC_V2       0x6b3343cfu  /* RFC 9369 */
#define QUIC_MAX_CID  20           /* RFC 9000 17.2: connection ids up to 20 bytes */

/* Long header packet types, as named in RFC 9000 17.2 (their wire values
 * differ between v1 and v2: quic_long_type()). */
enum quic_long_type { QUIC_INITIAL, QUIC_0RTT, QUIC_HANDSHAKE, QUIC_RETRY };

/* The Initial packets' AEAD: TLS_AES_128_GCM_SHA256 (RFC 9001 5.2). */
#define QUIC_INITIAL_SUITE 0x1301

/* One side's packet protection at one level: the TLS 1.3 suite whose AEAD
 * and header protection it uses (RFC 9001 5.3, 5.4), and its keys. */
struct quic_keys {
	uint16_t suite;
	uint8_t key[32];
	uint8_t iv[12];
	uint8_t hp[32];
};

/* True for the versions whose Initial salt is known (v1, v2, drafts 23-34,
 * Q050, T050, T051). */
bool quic_version_known(uint32_t version);
/* The packet type of a long header's first byte for a known version. */
enum quic_long_type quic_long_type(uint32_t version, uint8_t first);
/* The first byte's type bits (already shifted into 0x30) for a type. */
uint8_t quic_long_type_bits(uint32_t version, enum quic_long_type t);

/*
 * Derives one side's Initial keys from the Destination Connection ID of the
 * client's first Initial (RFC 9001 5.2): `server` picks "server in" over
 * "client in". 0, or -EINVAL for an unknown version or a CID over 20 bytes,
 * -EIO when OpenSSL fails.
 */
int quic_initial_keys(uint32_t version, const uint8_t *dcid, size_t dcid_len, bool server,
		      struct quic_keys *out);

/*
 * Derives one side's keys at another level (Handshake, 1-RTT) from its TLS
 * traffic secret (RFC 9001 5.1: "quic key", "quic iv", "quic hp"; v2's
 * "quicv2 ..." labels, RFC 9369 3.3.2) for the negotiated suite: AES-128-GCM,
 * AES-256-GCM or ChaCha20-Poly1305. 0; -ENOTSUP for another suite or an
 * unknown version, -EINVAL when the secret's length is not the suite's
 * hash length, -EIO when OpenSSL fails.
 */
int quic_secret_keys(uint32_t version, uint16_t suite, const uint8_t *secret,
		     size_t secret_len, struct quic_keys *out);

/*
 * Removes the protection of one long header packet in place. pkt holds the
 * whole packet (header and protected payload, pkt_len bytes, as delimited
 * by its Length field); pn_off is the offset of the packet number (after
 * the Length field). largest_pn is the largest packet number received so far
 * in this space, or -1 for none (RFC 9000 A.3). On success returns 0 and
 * sets *payload and *payload_len to the plaintext (inside pkt), *pn to the full
 * packet number; pkt's first byte and packet number are unmasked.
 * -EBADMSG when the packet is too short to sample or fails authentication
 * (wrong keys, corrupted), -EIO when OpenSSL fails.
 */
int quic_unprotect(const struct quic_keys *k, uint8_t *pkt, size_t pkt_len, size_t pn_off,
		   int64_t largest_pn, const uint8_t **payload,
		   size_t *payload_len, uint64_t *pn);

/*
 * The inverse, for the tests and the benchmark that build packets: pkt holds
 * the header with an unmasked first byte whose low two bits give the packet
 * number length, the packet number at pn_off, then the plaintext; pkt_len
 * counts these and the 16-byte tag room after them. Encrypts and masks in
 * place. 0, -EINVAL or -EIO.
 */
int quic_protect(const struct quic_keys *k, uint8_t *pkt, size_t pkt_len, size_t pn_off,
		 uint64_t pn);

#endif
