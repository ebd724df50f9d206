/*
 * daemon_config: monitor.yaml's limits: flow_timeout and flow_linger (how
 * long a decided flow is remembered inline) as the engine gets them.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "daemon_load.h"

Test(daemon_limits, flow_linger_defaults_and_reads)
{
	struct daemon_config c;
	char err[512];

	cr_assert(daemon_load_text("version: 1\n", &c, err, sizeof(err)), "%s", err);
	cr_assert(c.engine.forget_decided);
	cr_assert_eq(c.engine.linger_us, 10ULL * 1000000);
	cr_assert_eq(c.engine.flow_timeout_us, 120ULL * 1000000);
	cr_assert(daemon_load_text("limits:\n  flow_linger: 3s\n  flow_timeout: 2m\n", &c, err,
				   sizeof(err)), "%s", err);
	cr_assert_eq(c.engine.linger_us, 3ULL * 1000000);
	cr_assert_eq(c.engine.flow_timeout_us, 120ULL * 1000000);
	cr_assert(!daemon_load_text("limits:\n  flow_linger: 0\n", &c, err, sizeof(err)));
	cr_assert(strstr(err, ":2:") && strstr(err, "flow_linger must be > 0"), "%s", err);
}
