/*
 * memo: a hit is exactly what was put for the same tag and key bytes; a
 * different key, tag or length never hits; a slot taken by another key
 * forgets the first; what does not fit a slot is not kept. And digest, the
 * one-shot digests beside it: known answers.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "memo.h"

static struct memo *M;

static void setup(void)
{
	M = calloc(1, sizeof(*M));
	cr_assert(M);
}

static void teardown(void)
{
	free(M);
}

static bool has(uint32_t tag, const char *key, const char *want)
{
	size_t n;
	const char *v = memo_get(M, tag, key, strlen(key), &n);

	if (!v)
		return false;
	cr_assert_eq(n, strlen(want));
	cr_assert(!memcmp(v, want, n), "%.*s", (int)n, v);
	return true;
}

Test(memo, hit_only_for_the_same_tag_and_bytes, .init = setup, .fini = teardown)
{
	cr_assert_not(has(1, "771,4865-4866,0-23,29,0", "x"));
	memo_put(M, 1, "771,4865-4866,0-23,29,0", 23, "abc", 3);
	cr_assert(has(1, "771,4865-4866,0-23,29,0", "abc"));
	cr_assert_not(has(2, "771,4865-4866,0-23,29,0", "abc"));
	cr_assert_not(has(1, "771,4865-4866,0-23,29,1", "abc"));
	cr_assert_not(has(1, "771,4865-4866,0-23,29,", "abc"));
	/* an empty key and an empty value are kept like any other */
	memo_put(M, 3, "", 0, "", 0);
	cr_assert(has(3, "", ""));
}

Test(memo, a_newcomer_takes_the_slot, .init = setup, .fini = teardown)
{
	char key[16];
	unsigned i, hits = 0;

	/* more keys than slots: each is found right after it was put, and
	 * at least one of the first ones was evicted by a later one */
	for (i = 0; i < 4 * MEMO_SLOTS; i++) {
		snprintf(key, sizeof(key), "key%u", i);
		memo_put(M, 0, key, strlen(key), key, strlen(key));
		cr_assert(has(0, key, key));
	}
	for (i = 0; i < 4 * MEMO_SLOTS; i++) {
		snprintf(key, sizeof(key), "key%u", i);
		hits += has(0, key, key);
	}
	cr_assert_leq(hits, MEMO_SLOTS);
	cr_assert_gt(hits, 0);
}

Test(memo, too_large_is_not_kept, .init = setup, .fini = teardown)
{
	static char big[MEMO_SLOT_BYTES + 1];
	size_t n;

	memset(big, 'a', sizeof(big));
	memo_put(M, 0, big, sizeof(big), "v", 1);
	cr_assert_null(memo_get(M, 0, big, sizeof(big), &n));
	memo_put(M, 0, "k", 1, big, MEMO_SLOT_BYTES);
	cr_assert_null(memo_get(M, 0, "k", 1, &n));
	memo_put(M, 0, "k", 1, big, MEMO_SLOT_BYTES - 1);
	cr_assert_not_null(memo_get(M, 0, "k", 1, &n));
	cr_assert_eq(n, MEMO_SLOT_BYTES - 1);
}

/* FIPS 180 and RFC 1321 test vectors ("abc"). */
Test(digest, known_answers)
{
	static const uint8_t md5[16] = { 0x90, 0x01, 0x50, 0x98, 0x3c, 0xd2, 0x4f, 0xb0,
					 0xd6, 0x96, 0x3f, 0x7d, 0x28, 0xe1, 0x7f, 0x72 };
	static const uint8_t sha1[20] = { 0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81, 0x6a, 0xba, 0x3e,
					  0x25, 0x71, 0x78, 0x50, 0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d };
	static const uint8_t sha256[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae,
		0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61,
		0xf2, 0x00, 0x15, 0xad };
	uint8_t out[DIGEST_MAX_LEN];

	cr_assert(digest(DIGEST_MD5, "abc", 3, out));
	cr_assert(!memcmp(out, md5, 16) && digest_len(DIGEST_MD5) == 16);
	cr_assert(digest(DIGEST_SHA1, "abc", 3, out));
	cr_assert(!memcmp(out, sha1, 20) && digest_len(DIGEST_SHA1) == 20);
	cr_assert(digest(DIGEST_SHA256, "abc", 3, out));
	cr_assert(!memcmp(out, sha256, 32) && digest_len(DIGEST_SHA256) == 32);
}
