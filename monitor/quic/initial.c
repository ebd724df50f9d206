/*
 * initial: QUIC Initial keys and packet protection. See initial.h.
 */
#include "quic/initial.h"

#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#define TAG_LEN 16
#define SAMPLE_LEN 16

/* RFC 9001 5.2 (v1, and drafts 33-34 which already used it), RFC 9369 3.3.1
 * (v2), and the drafts' own salts (draft-ietf-quic-tls-23 5.2 for 23-28,
 * -29 5.2 for 29-32). */
static const uint8_t salt_v1[20] = {
	0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
	0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a,
};
static const uint8_t salt_v2[20] = {
	0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
	0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9,
};
static const uint8_t salt_d29[20] = {
	0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
	0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99,
};
static const uint8_t salt_d23[20] = {
	0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7,
	0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65, 0xbe, 0xf9, 0xf5, 0x02,
};

static const uint8_t *salt_of(uint32_t version)
{
	if (version == QUIC_V1)
		return salt_v1;
	if (version == QUIC_V2)
		return salt_v2;
	if (version >= 0xff000017u && version <= 0xff00001cu)
		return salt_d23;
	if (version >= 0xff00001du && version <= 0xff000020u)
		return salt_d29;
	if (version >= 0xff000021u && version <= 0xff000022u)
		return salt_v1;
	return NULL;
}

bool quic_version_known(uint32_t version)
{
	return salt_of(version) != NULL;
}

/* RFC 9369 3.2: v2 rotates the type codes by one. */
enum quic_long_type quic_long_type(uint32_t version, uint8_t first)
{
	unsigned bits = (first >> 4) & 3;

	if (version == QUIC_V2)
		return (enum quic_long_type)((bits + 3) & 3);
	return (enum quic_long_type)bits;
}

uint8_t quic_long_type_bits(uint32_t version, enum quic_long_type t)
{
	unsigned bits = version == QUIC_V2 ? ((unsigned)t + 1) & 3 : (unsigned)t;

	return (uint8_t)(bits << 4);
}

static int hkdf(int mode, const uint8_t *key, size_t key_len, const uint8_t *salt,
		size_t salt_len, const uint8_t *info, size_t info_len, uint8_t *out,
		size_t out_len)
{
	OSSL_PARAM params[5], *p = params;
	EVP_KDF_CTX *ctx = NULL;
	EVP_KDF *kdf;
	int rc = -EIO;

	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	if (!kdf)
		return -EIO;
	ctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (!ctx)
		return -EIO;
	*p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, key_len);
	if (salt)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt,
							 salt_len);
	else
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info,
							 info_len);
	*p = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, out_len, params) == 1)
		rc = 0;
	EVP_KDF_CTX_free(ctx);
	return rc;
}

/* HKDF-Expand-Label with an empty context (RFC 8446 7.1, as RFC 9001 5.1
 * uses it): info = length, "tls13 " + label, empty context. */
static int expand_label(const uint8_t secret[32], const char *label, uint8_t *out, size_t len)
{
	uint8_t info[2 + 1 + 6 + 32 + 1];
	size_t n = strlen(label), at = 0;

	if (n > 32)
		return -EINVAL;
	info[at++] = (uint8_t)(len >> 8);
	info[at++] = (uint8_t)len;
	info[at++] = (uint8_t)(6 + n);
	memcpy(info + at, "tls13 ", 6);
	at += 6;
	memcpy(info + at, label, n);
	at += n;
	info[at++] = 0;
	return hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, secret, 32, NULL, 0, info, at, out, len);
}

int quic_initial_keys(uint32_t version, const uint8_t *dcid, size_t dcid_len, bool server,
		      struct quic_keys *out)
{
	const uint8_t *salt = salt_of(version);
	bool v2 = version == QUIC_V2;
	uint8_t initial[32], secret[32];
	int rc;

	if (!salt || dcid_len > QUIC_MAX_CID)
		return -EINVAL;
	rc = hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, dcid, dcid_len, salt, 20, NULL, 0, initial,
		  sizeof(initial));
	if (!rc)
		rc = expand_label(initial, server ? "server in" : "client in", secret,
				  sizeof(secret));
	if (!rc)
		rc = expand_label(secret, v2 ? "quicv2 key" : "quic key", out->key,
				  sizeof(out->key));
	if (!rc)
		rc = expand_label(secret, v2 ? "quicv2 iv" : "quic iv", out->iv, sizeof(out->iv));
	if (!rc)
		rc = expand_label(secret, v2 ? "quicv2 hp" : "quic hp", out->hp, sizeof(out->hp));
	return rc;
}

/* RFC 9001 5.4.3: the mask is AES-ECB of a 16-byte sample of the payload. */
static int hp_mask(const uint8_t hp[16], const uint8_t sample[SAMPLE_LEN], uint8_t mask[16])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, rc = -EIO;

	if (ctx && EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), NULL, hp, NULL) == 1 &&
	    EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
	    EVP_EncryptUpdate(ctx, mask, &n, sample, SAMPLE_LEN) == 1 && n == 16)
		rc = 0;
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

/* RFC 9001 5.3: the nonce is the IV xored with the packet number. */
static void make_nonce(const struct quic_keys *k, uint64_t pn, uint8_t nonce[12])
{
	int i;

	memcpy(nonce, k->iv, 12);
	for (i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
}

/* RFC 9000 A.3: the full packet number nearest the next expected one. */
static uint64_t decode_pn(int64_t largest, uint64_t truncated, unsigned nbits)
{
	uint64_t expected = (uint64_t)(largest + 1), win = 1ULL << nbits;
	uint64_t hwin = win / 2, mask = win - 1;
	uint64_t cand = (expected & ~mask) | truncated;

	if (cand + hwin <= expected && cand < (1ULL << 62) - win)
		return cand + win;
	if (cand > expected + hwin && cand >= win)
		return cand - win;
	return cand;
}

static int gcm(bool enc, const struct quic_keys *k, uint64_t pn, const uint8_t *aad,
	       size_t aad_len, uint8_t *data, size_t len, uint8_t tag[TAG_LEN])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t nonce[12];
	int n, rc = -EIO;

	make_nonce(k, pn, nonce);
	if (!ctx || len > INT32_MAX || aad_len > INT32_MAX)
		goto out;
	if (EVP_CipherInit_ex(ctx, EVP_aes_128_gcm(), NULL, k->key, nonce, enc) != 1 ||
	    EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1 ||
	    (len && EVP_CipherUpdate(ctx, data, &n, data, (int)len) != 1))
		goto out;
	if (enc) {
		if (EVP_CipherFinal_ex(ctx, data + len, &n) == 1 &&
		    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1)
			rc = 0;
	} else {
		rc = -EBADMSG;
		if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1 &&
		    EVP_CipherFinal_ex(ctx, data + len, &n) == 1)
			rc = 0;
	}
out:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

int quic_unprotect(const struct quic_keys *k, uint8_t *pkt, size_t pkt_len,
		   size_t pn_off, int64_t largest_pn, const uint8_t **payload,
		   size_t *payload_len, uint64_t *pn)
{
	uint64_t truncated = 0;
	uint8_t mask[16];
	size_t pn_len, i;
	int rc;

	/* The sample starts 4 bytes after the packet number's start, as if
	 * it were 4 bytes long (RFC 9001 5.4.2). */
	if (pn_off > pkt_len || pkt_len - pn_off < 4 + SAMPLE_LEN)
		return -EBADMSG;
	rc = hp_mask(k->hp, pkt + pn_off + 4, mask);
	if (rc)
		return rc;
	pkt[0] ^= mask[0] & 0x0f;
	pn_len = (size_t)(pkt[0] & 3) + 1;
	for (i = 0; i < pn_len; i++) {
		pkt[pn_off + i] ^= mask[1 + i];
		truncated = truncated << 8 | pkt[pn_off + i];
	}
	if (pkt_len - pn_off - pn_len < TAG_LEN)
		return -EBADMSG;
	*pn = decode_pn(largest_pn, truncated, (unsigned)(8 * pn_len));
	*payload = pkt + pn_off + pn_len;
	*payload_len = pkt_len - pn_off - pn_len - TAG_LEN;
	return gcm(false, k, *pn, pkt, pn_off + pn_len, pkt + pn_off + pn_len, *payload_len,
		   pkt + pkt_len - TAG_LEN);
}

int quic_protect(const struct quic_keys *k, uint8_t *pkt, size_t pkt_len, size_t pn_off,
		 uint64_t pn)
{
	size_t pn_len = (size_t)(pkt[0] & 3) + 1, i;
	uint8_t mask[16];
	int rc;

	if (pn_off > pkt_len || pkt_len - pn_off < pn_len + TAG_LEN ||
	    pkt_len - pn_off < 4 + SAMPLE_LEN)
		return -EINVAL;
	rc = gcm(true, k, pn, pkt, pn_off + pn_len, pkt + pn_off + pn_len,
		 pkt_len - pn_off - pn_len - TAG_LEN, pkt + pkt_len - TAG_LEN);
	if (rc)
		return rc;
	rc = hp_mask(k->hp, pkt + pn_off + 4, mask);
	if (rc)
		return rc;
	pkt[0] ^= mask[0] & 0x0f;
	for (i = 0; i < pn_len; i++)
		pkt[pn_off + i] ^= mask[1 + i];
	return 0;
}
