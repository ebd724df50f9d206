/*
 * tls13dec: TLS 1.3 record protection. See tls13dec.h.
 */
#include "tls/tls13dec.h"

#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "evpfetch.h"

struct suite {
	uint16_t code;
	uint8_t key_len, tag_len;
	bool sha384, ccm;
	enum evpfetch_cipher cipher;
};

static const struct suite suites[] = {
	{ 0x1301, 16, 16, false, false, EVPFETCH_AES_128_GCM },
	{ 0x1302, 32, 16, true, false, EVPFETCH_AES_256_GCM },
	{ 0x1303, 32, 16, false, false, EVPFETCH_CHACHA20_POLY1305 },
	{ 0x1304, 16, 16, false, true, EVPFETCH_AES_128_CCM },
	{ 0x1305, 16, 8, false, true, EVPFETCH_AES_128_CCM },
};

static const struct suite *suite_of(uint16_t code)
{
	size_t i;

	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (suites[i].code == code)
			return &suites[i];
	return NULL;
}

size_t tls13dec_hash_len(uint16_t suite)
{
	const struct suite *s = suite_of(suite);

	return s ? (s->sha384 ? 48 : 32) : 0;
}

size_t tls13dec_key_len(uint16_t suite)
{
	const struct suite *s = suite_of(suite);

	return s ? s->key_len : 0;
}

/*
 * RFC 8446 7.1: HKDF-Expand-Label(Secret, Label, "", Length) =
 * HKDF-Expand(Secret, HkdfLabel, Length) with
 *   struct { uint16 length; opaque label<7..255> = "tls13 " + Label;
 *            opaque context<0..255>; } HkdfLabel;
 */
int tls13dec_expand_label(const char *md, const uint8_t *secret, size_t secret_len,
			  const char *label, uint8_t *out, size_t out_len)
{
	uint8_t info[2 + 1 + 6 + TLS13DEC_MAX_LABEL + 1];
	size_t ll = strlen(label), n = 0;
	OSSL_PARAM params[5], *p = params;
	EVP_KDF *kdf = evpfetch_hkdf();
	EVP_KDF_CTX *kctx = NULL;
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY, rc = -EIO;

	if (ll > TLS13DEC_MAX_LABEL || out_len > 0xffff)
		return -EINVAL;
	info[n++] = (uint8_t)(out_len >> 8);
	info[n++] = (uint8_t)out_len;
	info[n++] = (uint8_t)(6 + ll);
	memcpy(info + n, "tls13 ", 6);
	n += 6;
	memcpy(info + n, label, ll);
	n += ll;
	info[n++] = 0;   /* empty context */
	if (!kdf)
		return -EIO;
	kctx = EVP_KDF_CTX_new(kdf);
	if (!kctx)
		goto out;
	*p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, secret_len);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, n);
	*p = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, out, out_len, params) == 1)
		rc = 0;
out:
	EVP_KDF_CTX_free(kctx);
	return rc;
}

int tls13dec_init(struct tls13dec *d, uint16_t suite, const uint8_t *secret, size_t secret_len)
{
	const struct suite *s = suite_of(suite);
	const char *md;
	int rc;

	memset(d, 0, sizeof(*d));
	if (!s)
		return -ENOTSUP;
	if (secret_len != tls13dec_hash_len(suite))
		return -EINVAL;
	md = s->sha384 ? "SHA384" : "SHA256";
	rc = tls13dec_expand_label(md, secret, secret_len, "key", d->key, s->key_len);
	if (!rc)
		rc = tls13dec_expand_label(md, secret, secret_len, "iv", d->iv, sizeof(d->iv));
	if (rc)
		return rc;
	d->ctx = EVP_CIPHER_CTX_new();
	if (!d->ctx)
		return -ENOMEM;
	d->cipher = evpfetch_cipher(s->cipher);
	if (!d->cipher)
		return -EIO;
	d->tag_len = s->tag_len;
	d->ccm = s->ccm;
	return 0;
}

void tls13dec_free(struct tls13dec *d)
{
	EVP_CIPHER_CTX_free(d->ctx);
	OPENSSL_cleanse(d->key, sizeof(d->key));
	d->ctx = NULL;
}

/* RFC 8446 5.3: the 64-bit sequence number, big-endian and left-padded to
 * the IV's length, xor the IV. */
static void nonce(const struct tls13dec *d, uint8_t out[12])
{
	int i;

	memcpy(out, d->iv, 12);
	for (i = 0; i < 8; i++)
		out[11 - i] ^= (uint8_t)(d->seq >> (8 * i));
}

/* Sets cipher, nonce and key (and, for CCM, the tag and lengths, which it
 * wants before the data). enc: 1 seal, 0 open. */
static bool start(struct tls13dec *d, int enc, const uint8_t *tag, size_t ct_len,
		  const uint8_t hdr[5])
{
	uint8_t iv[12];
	int outl;

	nonce(d, iv);
	if (EVP_CipherInit_ex(d->ctx, d->cipher, NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(d->ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) != 1)
		return false;
	if (d->ccm && EVP_CIPHER_CTX_ctrl(d->ctx, EVP_CTRL_AEAD_SET_TAG, d->tag_len,
					  (void *)tag) != 1)
		return false;
	if (EVP_CipherInit_ex(d->ctx, NULL, NULL, d->key, iv, enc) != 1)
		return false;
	if (d->ccm && EVP_CipherUpdate(d->ctx, NULL, &outl, NULL, (int)ct_len) != 1)
		return false;
	return EVP_CipherUpdate(d->ctx, NULL, &outl, hdr, 5) == 1;
}

bool tls13dec_open(struct tls13dec *d, const uint8_t hdr[static 5], const uint8_t *ct,
		   size_t ct_len, uint8_t *out, size_t *out_len, uint8_t *type)
{
	const uint8_t *tag;
	size_t body, n;
	int outl = 0, fin = 0;

	if (!d->ctx || ct_len <= d->tag_len || ct_len > TLS13DEC_MAX_CIPHERTEXT)
		return false;
	body = ct_len - d->tag_len;
	tag = ct + body;
	if (!start(d, 0, tag, body, hdr))
		return false;
	if (d->ccm) {
		/* CCM authenticates within the update that decrypts. */
		if (EVP_CipherUpdate(d->ctx, out, &outl, ct, (int)body) != 1)
			return false;
	} else {
		if (EVP_CipherUpdate(d->ctx, out, &outl, ct, (int)body) != 1 ||
		    EVP_CIPHER_CTX_ctrl(d->ctx, EVP_CTRL_AEAD_SET_TAG, d->tag_len,
					(void *)tag) != 1 ||
		    EVP_CipherFinal_ex(d->ctx, out + outl, &fin) != 1)
			return false;
	}
	/* RFC 8446 5.4: TLSInnerPlaintext = content, type, zeros. */
	n = (size_t)outl + (size_t)fin;
	while (n && out[n - 1] == 0)
		n--;
	if (!n)
		return false;
	*type = out[n - 1];
	*out_len = n - 1;
	d->seq++;
	return true;
}

size_t tls13dec_seal(struct tls13dec *d, uint8_t type, const uint8_t *content, size_t len,
		     uint8_t *out)
{
	size_t body = len + 1, total = body + d->tag_len;
	uint8_t *hdr = out, *ct = out + 5;
	int outl = 0, fin = 0;

	if (!d->ctx || total > TLS13DEC_MAX_CIPHERTEXT)
		return 0;
	hdr[0] = 23;
	hdr[1] = 3;
	hdr[2] = 3;
	hdr[3] = (uint8_t)(total >> 8);
	hdr[4] = (uint8_t)total;
	memmove(ct, content, len);
	ct[len] = type;
	if (!start(d, 1, NULL, body, hdr) ||
	    EVP_CipherUpdate(d->ctx, ct, &outl, ct, (int)body) != 1 ||
	    EVP_CipherFinal_ex(d->ctx, ct + outl, &fin) != 1 ||
	    EVP_CIPHER_CTX_ctrl(d->ctx, EVP_CTRL_AEAD_GET_TAG, d->tag_len, ct + body) != 1)
		return 0;
	d->seq++;
	return 5 + total;
}
