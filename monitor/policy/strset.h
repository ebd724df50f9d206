/*
 * strset: the string sets the policy matches names and fingerprints
 * against (SNI allow/deny lists, JA3/JA4, ALPN, a zone's SNI), and the glob
 * they use. The rules reader builds them (exact entries sorted); the judge
 * asks them. Pure: no allocation when asking.
 */
#ifndef SECAUDIT_STRSET_H
#define SECAUDIT_STRSET_H

#include <stdbool.h>
#include <stddef.h>

/* A set of strings: exact ones sorted for bisection, globs tried in turn. */
struct policy_strset {
	size_t n_exact, n_glob;
	char **exact;
	char **glob;
	bool casefold;              /* SNI: host names compare without case */
};

/* s is in the set: exactly (bisection over the sorted exact entries) or
 * by one of its globs; with casefold, s is compared lowercased (at most
 * 255 characters of it). */
bool policy_strset_has(const struct policy_strset *set, const char *s);
/* Frees the entries; the struct itself is the caller's. */
void policy_strset_free(struct policy_strset *set);

/* Glob with * and ?; casefold for host names. */
bool policy_glob(const char *pat, const char *s, bool casefold);

#endif
