/* The pinning of queue threads: --queue-cpu's and nfqueue.queue_cpu's CPU
 * lists, what they accept, and refusals with file:line:column. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/daemon_config.h"
#include "daemon_load.h"

Test(queue_cpu, lists_in_the_order_written)
{
	uint16_t cpus[DAEMON_MAX_QUEUES];
	unsigned n = 0;

	cr_assert(daemon_parse_cpus("3", cpus, &n));
	cr_assert_eq(n, 1);
	cr_assert_eq(cpus[0], 3);
	cr_assert(daemon_parse_cpus("2-4,0,7", cpus, &n));
	cr_assert_eq(n, 5);
	cr_assert_eq(cpus[0], 2);
	cr_assert_eq(cpus[2], 4);
	cr_assert_eq(cpus[3], 0);
	cr_assert_eq(cpus[4], 7);
	cr_assert(daemon_parse_cpus("0-63", cpus, &n));
	cr_assert_eq(n, 64);
	cr_assert(daemon_parse_cpus("1023", cpus, &n));
	cr_assert_eq(cpus[0], 1023);
}

Test(queue_cpu, refusals_leave_the_list_alone)
{
	static const char *const bad[] = {
		"", "x", "1,", ",1", "1-", "3-1", "1024", "0-64", "0-40,0-40", "1 2", "-1",
		"1;2", "0x1", NULL,
	};
	uint16_t cpus[DAEMON_MAX_QUEUES] = { 9 };
	unsigned n = 1;

	for (int i = 0; bad[i]; i++) {
		cr_assert(!daemon_parse_cpus(bad[i], cpus, &n), "'%s' accepted", bad[i]);
		cr_assert_eq(n, 1, "'%s' changed the count", bad[i]);
		cr_assert_eq(cpus[0], 9, "'%s' changed the list", bad[i]);
	}
}

Test(queue_cpu, config_file_key)
{
	struct daemon_config c;
	char err[512];

	cr_assert(daemon_load_text("version: 1\n", &c, err, sizeof(err)), "%s", err);
	cr_assert_eq(c.n_queue_cpu, 0, "not pinned by default");
	cr_assert(daemon_load_text("nfqueue:\n  queues: \"0:3\"\n  queue_cpu: \"1,0\"\n", &c, err, sizeof(err)),
		  "%s", err);
	cr_assert_eq(c.n_queue_cpu, 2);
	cr_assert_eq(c.queue_cpu[0], 1);
	cr_assert_eq(c.queue_cpu[1], 0);
	cr_assert(daemon_load_text("nfqueue:\n  queue_cpu: 2\n", &c, err, sizeof(err)), "%s", err);
	cr_assert_eq(c.n_queue_cpu, 1);
	cr_assert_eq(c.queue_cpu[0], 2);
	cr_assert(!daemon_load_text("nfqueue:\n  queue_cpu: \"0-x\"\n", &c, err, sizeof(err)));
	cr_assert(strstr(err, ":2:") && strstr(err, "queue_cpu must be a CPU list"), "%s", err);
	cr_assert(!daemon_load_text("nfqueue:\n  queue_cpu: [0, 1]\n", &c, err, sizeof(err)));
	cr_assert(strstr(err, "queue_cpu"), "%s", err);
}
