/* The unit tests' way to read a monitor.yaml text: written to a temporary
 * file, loaded over the defaults, the file removed. */
#ifndef TEST_DAEMON_LOAD_H
#define TEST_DAEMON_LOAD_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "daemon/daemon_config.h"

/* daemon_config_load() of text over daemon_config_default(c). */
static inline bool daemon_load_text(const char *text, struct daemon_config *c, char *err,
				    size_t n)
{
	char path[] = "/tmp/test_monitor_yaml.XXXXXX";
	int fd = mkstemp(path);
	FILE *f;
	bool ok;

	cr_assert(fd >= 0);
	f = fdopen(fd, "w");
	cr_assert(f);
	fputs(text, f);
	fclose(f);
	daemon_config_default(c);
	ok = daemon_config_load(c, path, err, n);
	unlink(path);
	return ok;
}

#endif
