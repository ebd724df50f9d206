/*
 * secaudit rules check FILE...   validate rules files (exit 0, or 1 with
 *                                 file:line:column: reason on stderr)
 * secaudit rules check --audit FILE|DIR...  the same for secaudit-server's
 *                                 detection rules (rules/audit/)
 * secaudit rules test TESTFILE...  policy tests: the verdicts each test
 *                                 file expects, compared (rules_test.h)
 * secaudit rules test FILE CAPTURE...  the verdicts on captures: runs
 *                                 `secaudit read --rules FILE CAPTURE...`
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "audit_rules.h"
#include "cli.h"
#include "policy/policy_lint.h"
#include "policy/policy.h"
#include "rules_test.h"

static void rules_usage(FILE *f)
{
	fprintf(f, "usage: secaudit rules check [--audit] FILE...\n"
		   "       secaudit rules test TESTFILE...\n"
		   "       secaudit rules test FILE CAPTURE...\n"
		   "\n"
		   "check: validates each rules file as the monitor would load it (CA, CRL\n"
		   "       and list files included); prints file:line:column: reason and\n"
		   "       exits 1 on the first error of each file. --audit: the files\n"
		   "       (or directories) are secaudit-server detection rules.\n"
		   "test:  with test files (YAML with 'tests:', see secaudit-rules(5)):\n"
		   "       runs each policy over the captures named and compares every\n"
		   "       session's action and failed rules with those expected; prints\n"
		   "       the differences and exits 1 on any. With a rules file and\n"
		   "       captures: prints the verdicts the policy gives their sessions\n"
		   "       (the same as 'secaudit read --rules FILE CAPTURE...').\n");
}

/* A policy_lint finding, as "FILE: warning: ..." on stderr. */
static void rules_warn(void *arg, const char *message)
{
	fprintf(stderr, "%s: warning: %s\n", (const char *)arg, message);
}

static int rules_check(int argc, char **argv)
{
	struct policy_error err;
	char msg[1024];
	int i, rc = 0;
	unsigned warnings;
	bool quiet = false, audit = false;

	for (i = 0; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
			quiet = true;
		} else if (!strcmp(argv[i], "--audit")) {
			audit = true;
		} else {
			fprintf(stderr, "secaudit rules check: unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	if (i == argc) {
		rules_usage(stderr);
		return 2;
	}
	for (; audit && i < argc; i++) {
		struct audit_rules *r = audit_rules_load(argv[i], msg, sizeof(msg));

		if (!r) {
			fprintf(stderr, "%s\n", msg);
			rc = 1;
			continue;
		}
		if (!quiet)
			printf("%s: ok (%zu audit rules)\n", argv[i], audit_rules_count(r));
		audit_rules_free(r);
	}
	for (; i < argc; i++) {
		struct policy *p = policy_load(argv[i], &err);

		if (!p) {
			policy_error_format(&err, msg, sizeof(msg));
			fprintf(stderr, "%s\n", msg);
			rc = 1;
			continue;
		}
		warnings = policy_lint(p, rules_warn, argv[i]);
		if (!quiet)
			printf("%s: ok (%u zones, %u profiles%s)\n", argv[i], policy_zone_count(p),
			       policy_profile_count(p), warnings ? ", see the warnings" : "");
		policy_free(p);
	}
	return rc;
}

static int rules_test(int argc, char **argv, const char *self)
{
	char *args[256];
	int i, n = 0, rc = 0, r;

	if (argc >= 1 && rules_test_is_testfile(argv[0])) {
		for (i = 0; i < argc; i++) {
			r = rules_test_run(argv[i], stdout, stderr);
			rc = r > rc ? r : rc;
		}
		return rc;
	}
	if (argc < 2 || argc > 250) {
		rules_usage(stderr);
		return 2;
	}
	args[n++] = (char *)self;
	args[n++] = "read";
	args[n++] = "--rules";
	for (i = 0; i < argc; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	execv("/proc/self/exe", args);
	perror("secaudit rules test: exec");
	return 1;
}

int cmd_rules(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		rules_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "check"))
		return rules_check(argc - 2, argv + 2);
	if (!strcmp(argv[1], "test"))
		return rules_test(argc - 2, argv + 2, "secaudit");
	fprintf(stderr, "secaudit rules: unknown subcommand '%s'\n", argv[1]);
	rules_usage(stderr);
	return 2;
}
