/*
 * tls13dec: one direction of a TLS 1.3 record protection (RFC 8446 5.2-5.3)
 * under a traffic secret: key and IV derived with HKDF-Expand-Label (RFC
 * 8446 7.1, 7.3), records opened with the suite's AEAD and the per-record
 * nonce (IV xor the 64-bit record sequence number). OpenSSL does the
 * cryptography; this module does the framing.
 *
 * Suites: TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384,
 * TLS_CHACHA20_POLY1305_SHA256, TLS_AES_128_CCM_SHA256,
 * TLS_AES_128_CCM_8_SHA256.
 *
 * A struct tls13dec is owned by its caller; tls13dec_free() releases what
 * tls13dec_init() allocated and accepts a zeroed struct.
 */
#ifndef SECAUDIT_TLS13DEC_H
#define SECAUDIT_TLS13DEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 8446 5.2: TLSCiphertext.length <= 2^14 + 256. */
#define TLS13DEC_MAX_CIPHERTEXT (16384 + 256)

struct evp_cipher_ctx_st;

struct tls13dec {
	struct evp_cipher_ctx_st *ctx;
	const void *cipher;         /* const EVP_CIPHER * */
	uint8_t key[32];
	uint8_t iv[12];
	uint8_t tag_len;
	bool ccm;
	uint64_t seq;               /* next record's sequence number */
};

/* Hash length of a supported suite (the length its secrets have), 0 for a
 * suite this module cannot open. */
size_t tls13dec_hash_len(uint16_t suite);

/* Key length of a supported suite's AEAD, 0 for another suite. */
size_t tls13dec_key_len(uint16_t suite);

/* RFC 8446 7.1: HKDF-Expand-Label(secret, label, "", out_len) with the
 * hash md ("SHA256", "SHA384"); label without the "tls13 " prefix, at most
 * TLS13DEC_MAX_LABEL bytes (QUIC's labels, RFC 9001 5.1, are made the same
 * way). 0, -EINVAL for a label too long, -EIO when OpenSSL fails. */
#define TLS13DEC_MAX_LABEL 16
int tls13dec_expand_label(const char *md, const uint8_t *secret, size_t secret_len,
			  const char *label, uint8_t *out, size_t out_len);

/* Derives the keys of `secret` for `suite`. 0, -ENOTSUP for a suite not
 * listed above, -EINVAL when the secret's length is not the suite's hash
 * length, -ENOMEM or -EIO when OpenSSL fails. */
int tls13dec_init(struct tls13dec *d, uint16_t suite, const uint8_t *secret, size_t secret_len);
void tls13dec_free(struct tls13dec *d);

/*
 * Opens the next record: hdr is its 5-byte header (the AEAD's additional
 * data), ct/ct_len its body. On success writes the content (padding and
 * inner type removed) to out, which must hold ct_len bytes, sets *out_len
 * and the inner content type *type, advances the sequence number and
 * returns true. False when the record does not authenticate under this key
 * (wrong key, corrupted, or not the next record), is too short or too long,
 * or carries no content type; the sequence number then stays.
 */
bool tls13dec_open(struct tls13dec *d, const uint8_t hdr[static 5], const uint8_t *ct,
		   size_t ct_len, uint8_t *out, size_t *out_len, uint8_t *type);

/*
 * The inverse, for the tests and the fuzz harness that need valid records:
 * protects `len` bytes of content of inner type `type` as the next record,
 * writing header and ciphertext to out (room for 5 + len + 1 + 16). Returns
 * the record's size, 0 on failure.
 */
size_t tls13dec_seal(struct tls13dec *d, uint8_t type, const uint8_t *content, size_t len,
		     uint8_t *out);

#endif
