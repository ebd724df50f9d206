/*
 * initial: QUIC Initial keys and packet protection. See initial.h.
 */
#include "quic/initial.h"

#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "evpfetch.h"
#include "quic/gquic.h"
#include "tls/tls13dec.h"

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

/* Google QUIC's Initials (Chromium's QUIC library, as tshark and Suricata
 * use them): Q050 protects its QUIC Crypto Initial as IETF QUIC does, T050
 * and T051 carry TLS as the drafts do; each has its own salt. */
static const uint8_t salt_q050[20] = {
	0x50, 0x45, 0x74, 0xef, 0xd0, 0x66, 0xfe, 0x2f, 0x9d, 0x94,
	0x5c, 0xfc, 0xdb, 0xd3, 0xa7, 0xf0, 0xd3, 0xb5, 0x6b, 0x45,
};
static const uint8_t salt_t050[20] = {
	0x7f, 0xf5, 0x79, 0xe5, 0xac, 0xd0, 0x72, 0x91, 0x55, 0x80,
	0x30, 0x4c, 0x43, 0xa2, 0x36, 0x7c, 0x60, 0x48, 0x83, 0x10,
};
static const uint8_t salt_t051[20] = {
	0x7a, 0x4e, 0xde, 0xf4, 0xe7, 0xcc, 0xee, 0x5f, 0xa4, 0x50,
	0x6c, 0x19, 0x12, 0x4f, 0xc8, 0xcc, 0xda, 0x6e, 0x03, 0x3d,
};

static const uint8_t *salt_of(uint32_t version)
{
	switch (version) {
	case GQUIC_Q050: return salt_q050;
	case GQUIC_T050: return salt_t050;
	case GQUIC_T051: return salt_t051;
	default: break;
	}
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

/* The AEAD of a suite QUIC can use here (RFC 9001 5.3): the AES-GCM suites
 * and ChaCha20-Poly1305. AES-CCM (rare, and with a short tag in one of its
 * suites that QUIC forbids) is not opened. */
static const EVP_CIPHER *cipher_of(uint16_t suite)
{
	switch (suite) {
	case 0x1301:
		return evpfetch_cipher(EVPFETCH_AES_128_GCM);
	case 0x1302:
		return evpfetch_cipher(EVPFETCH_AES_256_GCM);
	case 0x1303:
		return evpfetch_cipher(EVPFETCH_CHACHA20_POLY1305);
	default:
		return NULL;
	}
}

/* RFC 5869 2.2: HKDF-Extract with SHA-256 (RFC 9001 5.2). */
static int hkdf_extract(const uint8_t *ikm, size_t ikm_len, const uint8_t *salt,
			size_t salt_len, uint8_t out[32])
{
	OSSL_PARAM params[5], *p = params;
	int mode = EVP_KDF_HKDF_MODE_EXTRACT_ONLY, rc = -EIO;
	EVP_KDF *kdf = evpfetch_hkdf();
	EVP_KDF_CTX *ctx;

	if (!kdf)
		return -EIO;
	ctx = EVP_KDF_CTX_new(kdf);
	if (!ctx)
		return -EIO;
	*p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_len);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
	*p = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, 32, params) == 1)
		rc = 0;
	EVP_KDF_CTX_free(ctx);
	return rc;
}

/* RFC 9001 5.1 (RFC 9369 3.3.2 for v2's labels): a packet protection key,
 * IV and header protection key from one side's secret. */
static int keys_of_secret(uint32_t version, const char *md, const uint8_t *secret,
			  size_t secret_len, size_t key_len, struct quic_keys *out)
{
	bool v2 = version == QUIC_V2;
	int rc;

	rc = tls13dec_expand_label(md, secret, secret_len, v2 ? "quicv2 key" : "quic key",
				   out->key, key_len);
	if (!rc)
		rc = tls13dec_expand_label(md, secret, secret_len, v2 ? "quicv2 iv" : "quic iv",
					   out->iv, sizeof(out->iv));
	if (!rc)
		rc = tls13dec_expand_label(md, secret, secret_len, v2 ? "quicv2 hp" : "quic hp",
					   out->hp, key_len);
	return rc;
}

int quic_initial_keys(uint32_t version, const uint8_t *dcid, size_t dcid_len, bool server,
		      struct quic_keys *out)
{
	const uint8_t *salt = salt_of(version);
	uint8_t initial[32], secret[32];
	int rc;

	if (!salt || dcid_len > QUIC_MAX_CID)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->suite = QUIC_INITIAL_SUITE;
	rc = hkdf_extract(dcid, dcid_len, salt, 20, initial);
	if (!rc)
		rc = tls13dec_expand_label("SHA256", initial, sizeof(initial),
					   server ? "server in" : "client in", secret,
					   sizeof(secret));
	if (!rc)
		rc = keys_of_secret(version, "SHA256", secret, sizeof(secret), 16, out);
	return rc;
}

int quic_secret_keys(uint32_t version, uint16_t suite, const uint8_t *secret,
		     size_t secret_len, struct quic_keys *out)
{
	size_t key_len = tls13dec_key_len(suite);

	if (!quic_version_known(version) || !cipher_of(suite))
		return -ENOTSUP;
	if (secret_len != tls13dec_hash_len(suite))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->suite = suite;
	return keys_of_secret(version, secret_len == 48 ? "SHA384" : "SHA256", secret,
			      secret_len, key_len, out);
}

/* RFC 9001 5.4.3: the mask is AES-ECB of a 16-byte sample of the payload. */
static int hp_mask(const struct quic_keys *k, const uint8_t sample[SAMPLE_LEN],
		   uint8_t mask[16])
{
	static const uint8_t zeros[5];
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	const EVP_CIPHER *c;
	int n = 0, rc = -EIO;

	/* RFC 9001 5.4.4: ChaCha20 with the sample as counter and nonce,
	 * its first 5 bytes of keystream the mask. */
	if (k->suite == 0x1303)
		c = evpfetch_cipher(EVPFETCH_CHACHA20);
	else
		c = evpfetch_cipher(k->suite == 0x1302 ? EVPFETCH_AES_256_ECB : EVPFETCH_AES_128_ECB);
	if (!ctx || !c)
		goto out;
	if (k->suite == 0x1303) {
		if (EVP_EncryptInit_ex(ctx, c, NULL, k->hp, sample) == 1 &&
		    EVP_EncryptUpdate(ctx, mask, &n, zeros, sizeof(zeros)) == 1 && n == 5)
			rc = 0;
	} else if (EVP_EncryptInit_ex(ctx, c, NULL, k->hp, NULL) == 1 &&
		   EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
		   EVP_EncryptUpdate(ctx, mask, &n, sample, SAMPLE_LEN) == 1 && n == 16) {
		rc = 0;
	}
out:
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
	const EVP_CIPHER *c = cipher_of(k->suite);
	uint8_t nonce[12];
	int n, rc = -EIO;

	make_nonce(k, pn, nonce);
	if (!ctx || !c || len > INT32_MAX || aad_len > INT32_MAX)
		goto out;
	if (EVP_CipherInit_ex(ctx, c, NULL, k->key, nonce, enc) != 1 ||
	    EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1 ||
	    (len && EVP_CipherUpdate(ctx, data, &n, data, (int)len) != 1))
		goto out;
	if (enc) {
		if (EVP_CipherFinal_ex(ctx, data + len, &n) == 1 &&
		    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, TAG_LEN, tag) == 1)
			rc = 0;
	} else {
		rc = -EBADMSG;
		if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG_LEN, tag) == 1 &&
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
	rc = hp_mask(k, pkt + pn_off + 4, mask);
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
	rc = hp_mask(k, pkt + pn_off + 4, mask);
	if (rc)
		return rc;
	pkt[0] ^= mask[0] & 0x0f;
	for (i = 0; i < pn_len; i++)
		pkt[pn_off + i] ^= mask[1 + i];
	return 0;
}
