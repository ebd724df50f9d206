#include "memo.h"

#include <string.h>

/* Eight bytes at a time, each word multiplied in and its bits mixed
 * (a JA3 string runs to hundreds of bytes: FNV-1a's multiply per byte was
 * most of a lookup); the tail is one word read zero-padded, the length
 * taken in so that trailing zeros count. Never 0, which marks an empty
 * slot. */
uint64_t memo_hash(uint32_t tag, const void *key_bytes, size_t n)
{
	const uint8_t *key = key_bytes;
	uint64_t h = 0xcbf29ce484222325ull ^ ((uint64_t)tag << 32) ^ n, w;
	size_t i = 0;

	for (; n - i >= 8; i += 8) {
		memcpy(&w, key + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 31;
	}
	if (i < n) {
		w = 0;
		memcpy(&w, key + i, n - i);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 31;
	}
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h ? h : 1;
}

static const struct memo_slot *find(const struct memo *m, uint64_t h, const void *key,
				    size_t key_len)
{
	const struct memo_slot *s = &m->slot[h & (MEMO_SLOTS - 1)];

	if (s->hash != h || s->key_len != key_len || memcmp(s->bytes, key, key_len))
		return NULL;
	return s;
}

const void *memo_get(const struct memo *m, uint32_t tag, const void *key, size_t key_len,
		     size_t *len)
{
	const struct memo_slot *s;

	if (key_len > MEMO_SLOT_BYTES)
		return NULL;
	s = find(m, memo_hash(tag, key, key_len), key, key_len);
	if (!s)
		return NULL;
	*len = s->value_len;
	return s->bytes + s->key_len;
}

void memo_put(struct memo *m, uint32_t tag, const void *key, size_t key_len, const void *value,
	      size_t len)
{
	uint64_t h;
	struct memo_slot *s;

	if (key_len > MEMO_SLOT_BYTES || len > MEMO_SLOT_BYTES - key_len)
		return;
	h = memo_hash(tag, key, key_len);
	s = &m->slot[h & (MEMO_SLOTS - 1)];
	s->hash = h;
	s->key_len = (uint16_t)key_len;
	s->value_len = (uint16_t)len;
	memcpy(s->bytes, key, key_len);
	memcpy(s->bytes + key_len, value, len);
}
