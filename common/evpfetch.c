/*
 * evpfetch: OpenSSL algorithms fetched once. See evpfetch.h.
 */
#include "evpfetch.h"

#include <pthread.h>

static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;
static EVP_CIPHER *ciphers[EVPFETCH_N_CIPHERS];
static EVP_KDF *hkdf;

/* Never freed: they live as long as the process, like OpenSSL's own
 * provider store (a static pointer keeps them reachable for LSan). */
static void fetch(void)
{
	static const char *const names[EVPFETCH_N_CIPHERS] = {
		[EVPFETCH_AES_128_GCM] = "AES-128-GCM",
		[EVPFETCH_AES_256_GCM] = "AES-256-GCM",
		[EVPFETCH_CHACHA20_POLY1305] = "ChaCha20-Poly1305",
		[EVPFETCH_AES_128_CCM] = "AES-128-CCM",
		[EVPFETCH_AES_128_ECB] = "AES-128-ECB",
		[EVPFETCH_AES_256_ECB] = "AES-256-ECB",
		[EVPFETCH_CHACHA20] = "ChaCha20",
	};
	int i;

	for (i = 0; i < EVPFETCH_N_CIPHERS; i++)
		ciphers[i] = EVP_CIPHER_fetch(NULL, names[i], NULL);
	hkdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
}

const EVP_CIPHER *evpfetch_cipher(enum evpfetch_cipher c)
{
	pthread_once(&fetch_once, fetch);
	return c < EVPFETCH_N_CIPHERS ? ciphers[c] : NULL;
}

EVP_KDF *evpfetch_hkdf(void)
{
	pthread_once(&fetch_once, fetch);
	return hkdf;
}
