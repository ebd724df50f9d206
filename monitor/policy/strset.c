/*
 * strset: string sets and globs; contract in strset.h.
 */
#include "policy/strset.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

bool policy_glob(const char *pat, const char *s, bool casefold)
{
	const char *star = NULL, *resume = NULL;

	while (*s) {
		char a = *pat, b = *s;

		if (casefold) {
			a = (char)tolower((unsigned char)a);
			b = (char)tolower((unsigned char)b);
		}
		if (a == '*') {
			star = ++pat;
			resume = s;
		} else if (a == '?' || (a && a == b)) {
			pat++;
			s++;
		} else if (star) {
			pat = star;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*pat == '*')
		pat++;
	return !*pat;
}

bool policy_strset_has(const struct policy_strset *set, const char *s)
{
	char low[256];
	const char *key = s;
	size_t lo = 0, hi = set->n_exact, i;

	if (set->casefold) {
		for (i = 0; s[i] && i < sizeof(low) - 1; i++)
			low[i] = (char)tolower((unsigned char)s[i]);
		low[i] = '\0';
		key = low;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = strcmp(key, set->exact[mid]);

		if (!d)
			return true;
		if (d < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	for (i = 0; i < set->n_glob; i++)
		if (policy_glob(set->glob[i], key, false))
			return true;
	return false;
}

void policy_strset_free(struct policy_strset *s)
{
	size_t i;

	for (i = 0; i < s->n_exact; i++)
		free(s->exact[i]);
	for (i = 0; i < s->n_glob; i++)
		free(s->glob[i]);
	free(s->exact);
	free(s->glob);
}
