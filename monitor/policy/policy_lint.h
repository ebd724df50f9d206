/*
 * policy_lint: what a policy states but cannot enforce. A file that loads
 * is valid; this finds requirements that will silently never be judged on
 * some of the traffic the policy lets through, for `secaudit rules check`
 * and `secaudit-monitor --test-config` to warn about.
 */
#ifndef SECAUDIT_POLICY_LINT_H
#define SECAUDIT_POLICY_LINT_H

#include <stddef.h>

struct policy;

typedef void (*policy_lint_fn)(void *arg, const char *message);

/* Calls warn once per finding (message: one line, no file name, valid
 * during the call only). Returns the number of findings. */
unsigned policy_lint(const struct policy *p, policy_lint_fn warn, void *arg);

#endif
