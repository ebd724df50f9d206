/*
 * digest: one-shot MD5, SHA-1 and SHA-256 through OpenSSL's EVP.
 *
 * OpenSSL 3 looks an algorithm up in its provider store (a locked search)
 * on every EVP_DigestInit of EVP_sha256() and the like, and on every SHA1()
 * or EVP_Q_digest() call: for fingerprints and flow ids computed per
 * session that lookup cost more than the hashing. Here each algorithm is
 * fetched once per process, on first use, and kept for its lifetime.
 * Each thread hashes with contexts of its own, kept until it ends:
 * EVP_Digest() makes a context per call and takes and drops a reference
 * to the shared algorithm object, whose count two threads then pass back
 * and forth (a one-shot SHA-1 of 64 bytes: 244 ns alone, 373 ns with a
 * second thread hashing; with a kept context 117 and 133 ns). Thread-safe.
 */
#ifndef SECAUDIT_DIGEST_H
#define SECAUDIT_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum digest_alg {
	DIGEST_MD5,     /* 16 bytes */
	DIGEST_SHA1,    /* 20 bytes */
	DIGEST_SHA256,  /* 32 bytes */
};

#define DIGEST_MAX_LEN 32

/* The digest of p[0..n) into out (its length: digest_len). false when the
 * algorithm is unavailable (MD5 under a FIPS-only provider) or fails; out
 * is then undefined. */
bool digest(enum digest_alg alg, const void *p, size_t n, uint8_t out[static DIGEST_MAX_LEN]);
size_t digest_len(enum digest_alg alg);

#endif
