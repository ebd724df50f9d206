/* monitor.yaml's central: section: defaults, every key, and refusals with
 * file:line:column. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/daemon_config.h"
#include "daemon_load.h"

Test(daemon_central, off_by_default_and_defaults)
{
	struct daemon_config c;
	char err[512];

	cr_assert(daemon_load_text("version: 1\n", &c, err, sizeof(err)), "%s", err);
	cr_assert_str_eq(c.central.server, "");
	cr_assert_str_eq(c.central.spool, DAEMON_CENTRAL_SPOOL);
	cr_assert_eq(c.central.n_events, 2);
	cr_assert_str_eq(c.central.events[0], "alert");
	cr_assert_str_eq(c.central.events[1], "tls");
	cr_assert_eq(c.central.spool_max, 256ull << 20);
	cr_assert_eq(c.central.batch_ms, 1000);
	cr_assert_not(c.log_sessions);
}

Test(daemon_central, every_key)
{
	struct daemon_config c;
	char err[512];

	cr_assert(daemon_load_text("central:\n"
		       "  server: audit.lab.test:6514\n"
		       "  server_name: audit.lab.test\n"
		       "  cert: gw.pem\n  key: /k/gw.key\n  ca: /k/ca.pem\n  crl: /k/ca.crl\n"
		       "  spool: /var/spool/x\n  spool_max: 1MiB\n  ring: 64KiB\n"
		       "  heartbeat: 2m\n  batch_ms: 50\n  events: [alert, anomaly, quic]\n"
		       "log_sessions: true\n",
		       &c, err, sizeof(err)), "%s", err);
	cr_assert_str_eq(c.central.server, "audit.lab.test:6514");
	cr_assert_str_eq(c.central.server_name, "audit.lab.test");
	cr_assert(strstr(c.central.cert, "/gw.pem"), "relative to the file: %s", c.central.cert);
	cr_assert_str_eq(c.central.key, "/k/gw.key");
	cr_assert_str_eq(c.central.crl, "/k/ca.crl");
	cr_assert_eq(c.central.spool_max, 1u << 20);
	cr_assert_eq(c.central.ring, 65536);
	cr_assert_eq(c.central.heartbeat, 120);
	cr_assert_eq(c.central.batch_ms, 50);
	cr_assert(c.log_sessions);
	cr_assert_eq(c.central.n_events, 3);
	cr_assert_str_eq(c.central.events[2], "quic");
}

Test(daemon_central, refusals_name_the_place)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "central:\n  server: a:1\n  cert: c\n  key: k\n", "central needs ca" },
		{ "central:\n  server: nohostport\n  cert: c\n  key: k\n  ca: a\n",
		  "central.server must be HOST:PORT" },
		{ "central:\n  server: a:1\n  cert: c\n  key: k\n  ca: a\n  events: [alert, flow]\n",
		  "unknown event type 'flow'" },
		{ "central:\n  server: a:1\n  cert: c\n  key: k\n  ca: a\n  spool_max: 1k\n",
		  "at least 16KiB" },
		{ "central:\n  server: a:1\n  cert: c\n  key: k\n  ca: a\n  sever: x\n",
		  "unknown key 'sever' in central" },
		{ "central:\n  server: a:1\n  cert: c\n  key: k\n  ca: a\n  batch_ms: 5\n",
		  "central.batch_ms must be 10 to 10000" },
	};
	struct daemon_config c;
	char err[512];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_not(daemon_load_text(cases[i].text, &c, err, sizeof(err)), "%s", cases[i].text);
		cr_assert(strstr(err, cases[i].want), "case %zu: %s", i, err);
		cr_assert(strstr(err, ":2:") || strstr(err, ":3:") || strstr(err, ":4:") ||
			  strstr(err, ":5:") || strstr(err, ":6:") || strstr(err, ":1:"),
			  "file:line: %s", err);
	}
}
