/*
 * policy_checks: names, categories and messages of the checks; contract
 * in policy_checks.h.
 */
#include "policy/policy_checks.h"

#include <string.h>

static const struct {
	const char *name, *category, *message;
} checks[POLICY_CHK_COUNT] = {
#define POLICY_CHECK_ROW(e, n, c, m) { n, c, m },
	POLICY_CHECKS(POLICY_CHECK_ROW)
#undef POLICY_CHECK_ROW
};

const char *policy_check_name(enum policy_check c)
{
	return (unsigned)c < POLICY_CHK_COUNT ? checks[c].name : "?";
}

const char *policy_check_category(enum policy_check c)
{
	return (unsigned)c < POLICY_CHK_COUNT ? checks[c].category : "?";
}

const char *policy_check_message(enum policy_check c)
{
	return (unsigned)c < POLICY_CHK_COUNT ? checks[c].message : "?";
}

const char *policy_check_suffix(enum policy_check c)
{
	const char *name = policy_check_name(c), *dot = strrchr(name, '.');

	return dot ? dot + 1 : name;
}
