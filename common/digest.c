#include "digest.h"

#include <pthread.h>

#include <openssl/evp.h>

static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;
static EVP_MD *mds[3];

/* Never freed: they live as long as the process, like OpenSSL's own
 * provider store (a static pointer keeps them reachable for LSan). */
static void fetch(void)
{
	mds[DIGEST_MD5] = EVP_MD_fetch(NULL, "MD5", NULL);
	mds[DIGEST_SHA1] = EVP_MD_fetch(NULL, "SHA1", NULL);
	mds[DIGEST_SHA256] = EVP_MD_fetch(NULL, "SHA256", NULL);
}

size_t digest_len(enum digest_alg alg)
{
	switch (alg) {
	case DIGEST_MD5: return 16;
	case DIGEST_SHA1: return 20;
	default: return 32;
	}
}

bool digest(enum digest_alg alg, const void *p, size_t n, uint8_t out[static DIGEST_MAX_LEN])
{
	unsigned int len = 0;

	pthread_once(&fetch_once, fetch);
	return mds[alg] && EVP_Digest(p, n, out, &len, mds[alg], NULL) == 1 &&
	       len == digest_len(alg);
}
