#include "digest.h"

#include <pthread.h>
#include <stdlib.h>

#include <openssl/evp.h>

static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;
static EVP_MD *mds[3];
static pthread_key_t ctx_key;

/* A thread's contexts, one per algorithm, freed when the thread ends. */
struct thread_ctx {
	EVP_MD_CTX *c[3];
};

static void free_thread_ctx(void *p)
{
	struct thread_ctx *t = p;
	unsigned i;

	for (i = 0; i < 3; i++)
		EVP_MD_CTX_free(t->c[i]);
	free(t);
}

/* Never freed: they live as long as the process, like OpenSSL's own
 * provider store (a static pointer keeps them reachable for LSan). */
static void fetch(void)
{
	mds[DIGEST_MD5] = EVP_MD_fetch(NULL, "MD5", NULL);
	mds[DIGEST_SHA1] = EVP_MD_fetch(NULL, "SHA1", NULL);
	mds[DIGEST_SHA256] = EVP_MD_fetch(NULL, "SHA256", NULL);
	pthread_key_create(&ctx_key, free_thread_ctx);
}

/* This thread's context for alg, made on first use. */
static EVP_MD_CTX *thread_ctx(enum digest_alg alg)
{
	struct thread_ctx *t = pthread_getspecific(ctx_key);

	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t || pthread_setspecific(ctx_key, t)) {
			free(t);
			return NULL;
		}
	}
	if (!t->c[alg])
		t->c[alg] = EVP_MD_CTX_new();
	return t->c[alg];
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
	EVP_MD_CTX *c;

	pthread_once(&fetch_once, fetch);
	c = mds[alg] ? thread_ctx(alg) : NULL;
	return c && EVP_DigestInit_ex(c, mds[alg], NULL) == 1 && EVP_DigestUpdate(c, p, n) == 1 &&
	       EVP_DigestFinal_ex(c, out, &len) == 1 && len == digest_len(alg);
}
