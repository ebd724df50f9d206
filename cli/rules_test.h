/*
 * rules_test: policy tests. A YAML test file names a policy, captures and,
 * per session (by server name or by addresses and ports), the verdict the
 * policy must give and the rules it must fail (man secaudit-rules(5),
 * POLICY TESTS). rules_test_run() runs each capture through the offline
 * engine (the inline monitor's verdicts) and prints every difference.
 *
 * Paths in the file are relative to it; a capture not found there is
 * looked up under $SECAUDIT_CORPUS, then ../shared/corpus (the project's
 * test corpus, from the project's root).
 */
#ifndef SECAUDIT_RULES_TEST_H
#define SECAUDIT_RULES_TEST_H

#include <stdbool.h>
#include <stdio.h>

/* Whether path is a test file (a YAML mapping with a "tests" key) rather
 * than a rules file. */
bool rules_test_is_testfile(const char *path);

/*
 * Runs the test file at path: one line per capture ("ok" or its
 * differences, each "file:line:column: capture: session: what") to out,
 * errors in the file to err. 0 when every session is as expected, 1 on a
 * difference, 2 when the file, a policy or a capture cannot be read.
 */
int rules_test_run(const char *path, FILE *out, FILE *err);

#endif
