/*
 * audit_config: the agent's and server's YAML files into dotted keys;
 * every key placed, unknown ones reported, a key given twice refused.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit_config.h"

static char path[] = "/tmp/test_audit_config.XXXXXX";

static int load(const char *text, struct audit_config *c, char *err, size_t errsz)
{
	int fd = mkstemp(path);

	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return audit_config_load(path, c, err, errsz);
}

static void cleanup(void)
{
	unlink(path);
	strcpy(path + strlen(path) - 6, "XXXXXX");
}

TestSuite(audit_config, .fini = cleanup);

Test(audit_config, nested_keys_are_dotted_and_placed)
{
	struct audit_config c;
	char err[256] = "";

	cr_assert_eq(load("server: a:1\nspool:\n  dir: /x\n", &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(audit_config_get(&c, "spool.dir"), "/x");
	cr_assert_eq(audit_config_unused(&c, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, ":1:1: unknown setting 'server'"), "%s", err);
	cr_assert_str_eq(audit_config_get(&c, "server"), "a:1");
	cr_assert_eq(audit_config_unused(&c, err, sizeof(err)), 0);
	audit_config_free(&c);
}

/* Found by fuzz_audit_config: the second 'spool' block was read, then its
 * keys called unknown settings, a message that sent the reader astray. */
Test(audit_config, a_key_given_twice_is_refused_with_both_places)
{
	struct audit_config c;
	char err[256] = "";

	cr_assert_eq(load("spool:\n  dir: /a\nbatch:\n  ms: 5\nspool:\n  dir: /b\n", &c, err,
			  sizeof(err)), -EINVAL);
	cr_assert(strstr(err, ":6:3: 'spool.dir' given again (first at line 2)"), "%s", err);
	audit_config_free(&c);
}
