/*
 * fuzz_daemon_config: secaudit-monitor's configuration file reader
 * (daemon_config_load) on arbitrary bytes, over the defaults as the daemon
 * starts from them.
 *
 * Checked: a failure says where (a non-empty message); a success leaves a
 * configuration the daemon can use as it is: a queue range it accepts,
 * terminated strings, an exception policy of pass or drop.
 */
#include <stdint.h>
#include <string.h>

#include "daemon/daemon_config.h"
#include "fuzz_check.h"
#include "fuzz_memfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct daemon_config c;
	char err[512] = "";

	if (size > 1 << 16)
		return 0;
	daemon_config_default(&c);
	if (!daemon_config_load(&c, fuzz_memfile(data, size), err, sizeof(err))) {
		FUZZ_CHECK(err[0] != '\0', "refused without a message");
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL, "message not terminated");
		return 0;
	}
	FUZZ_CHECK(c.q_first <= c.q_last && c.q_last - c.q_first < DAEMON_MAX_QUEUES,
		   "queues %u:%u", (unsigned)c.q_first, (unsigned)c.q_last);
	FUZZ_CHECK(memchr(c.rules, '\0', sizeof(c.rules)) && memchr(c.log, '\0', sizeof(c.log)) &&
		   memchr(c.stats_socket, '\0', sizeof(c.stats_socket)) &&
		   memchr(c.evidence, '\0', sizeof(c.evidence)) &&
		   memchr(c.user, '\0', sizeof(c.user)) && memchr(c.group, '\0', sizeof(c.group)),
		   "a path or name without its terminator");
	FUZZ_CHECK(c.engine.exception_verdict == ENGINE_ACCEPT ||
		   c.engine.exception_verdict == ENGINE_DROP,
		   "exception policy %d", (int)c.engine.exception_verdict);
	return 0;
}
