/*
 * evpfetch: the OpenSSL ciphers and the HKDF of the QUIC and TLS 1.3
 * decryption paths, fetched once per process.
 *
 * OpenSSL 3 looks an algorithm up in its provider store (a locked search)
 * at every EVP_KDF_fetch(), and at every EVP_CipherInit_ex() given a legacy
 * EVP_aes_128_gcm()-style object: per QUIC packet, that lookup cost more
 * than opening the packet. Each algorithm here is fetched on first use and
 * kept for the process's lifetime (as common/digest does for digests).
 * Thread-safe; the objects returned are shared: never free them.
 */
#ifndef SECAUDIT_EVPFETCH_H
#define SECAUDIT_EVPFETCH_H

#include <openssl/evp.h>
#include <openssl/kdf.h>

enum evpfetch_cipher {
	EVPFETCH_AES_128_GCM,
	EVPFETCH_AES_256_GCM,
	EVPFETCH_CHACHA20_POLY1305,
	EVPFETCH_AES_128_CCM,
	EVPFETCH_AES_128_ECB,
	EVPFETCH_AES_256_ECB,
	EVPFETCH_CHACHA20,
	EVPFETCH_N_CIPHERS
};

/* The cipher, or NULL when the providers loaded lack it. */
const EVP_CIPHER *evpfetch_cipher(enum evpfetch_cipher c);
/* HKDF, or NULL when unavailable. */
EVP_KDF *evpfetch_hkdf(void);

#endif
