/*
 * textcache: a text is found only under the exact key bytes it was taken
 * for, with its mark; a newcomer in the same slot replaces it; a text whose
 * buffer failed is never found; a NULL cache keeps nothing.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "textcache.h"

static void put(struct textcache *c, const char *key, const char *text, size_t mark)
{
	struct textcache_entry *e = textcache_take(c, key, strlen(key));

	cr_assert(e);
	buf_puts(&e->text, text);
	e->mark = mark;
}

static bool has(const struct textcache *c, const char *key, const char *want, size_t mark)
{
	const struct textcache_entry *e = textcache_find(c, key, strlen(key));

	if (!e)
		return false;
	cr_assert_eq(e->text.len, strlen(want));
	cr_assert(!memcmp(e->text.data, want, e->text.len));
	cr_assert_eq(e->mark, mark);
	return true;
}

Test(textcache, found_under_its_exact_key)
{
	struct textcache *c = textcache_new(8);

	cr_assert(c);
	cr_assert_not(has(c, "a1b2", "", 0));
	put(c, "a1b2", "\"x\":1,\"y\":2", 6);
	cr_assert(has(c, "a1b2", "\"x\":1,\"y\":2", 6));
	cr_assert_not(has(c, "a1b3", "", 0));
	cr_assert_not(has(c, "a1b", "", 0));
	cr_assert_not(has(c, "a1b2\n", "", 0));
	/* binary keys with zero bytes compare in full */
	cr_assert_not(textcache_find(c, "a1b2\0x", 6));
	textcache_free(c);
}

Test(textcache, a_newcomer_takes_the_slot)
{
	struct textcache *c = textcache_new(4);
	char key[16];
	unsigned i, kept = 0;

	cr_assert(c);
	for (i = 0; i < 64; i++) {
		snprintf(key, sizeof(key), "k%u", i);
		put(c, key, key, 0);
		cr_assert(has(c, key, key, 0), "%s just put", key);
	}
	for (i = 0; i < 64; i++) {
		snprintf(key, sizeof(key), "k%u", i);
		kept += has(c, key, key, 0);
	}
	cr_assert_leq(kept, 4, "4 slots keep at most 4 texts, kept %u", kept);
	cr_assert_geq(kept, 1);
	textcache_free(c);
}

Test(textcache, failed_text_is_not_kept)
{
	struct textcache *c = textcache_new(2);
	struct textcache_entry *e;

	cr_assert(c);
	e = textcache_take(c, "k", 1);
	cr_assert(e);
	buf_puts(&e->text, "partial");
	e->text.oom = true;
	cr_assert_null(textcache_find(c, "k", 1));
	/* taken again, it is usable */
	put(c, "k", "whole", 0);
	cr_assert(has(c, "k", "whole", 0));
	textcache_free(c);
}

Test(textcache, null_cache_keeps_nothing)
{
	cr_assert_null(textcache_take(NULL, "k", 1));
	cr_assert_null(textcache_find(NULL, "k", 1));
	textcache_free(NULL);
}
