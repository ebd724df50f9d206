/* Audit record parsing, hex decoding and grouping, on a log recorded from
 * this kernel by auditd (tests/fuzz/seeds/fuzz_auditrec/auditd-execve.log). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "audit_rec.h"

#define LOG "tests/fuzz/seeds/fuzz_auditrec/auditd-execve.log"

struct collected {
	struct buf ev[80];
	size_t n;
};

static void collect(void *ctx, const char *text, size_t len)
{
	struct collected *c = ctx;

	cr_assert_lt(c->n, 80);
	buf_put(&c->ev[c->n++], text, len);
}

static void collected_free(struct collected *c)
{
	size_t i;

	for (i = 0; i < 80; i++)
		buf_free(&c->ev[i]);
}

static size_t feed_file(struct audit_grouper *g)
{
	char line[AUDIT_REC_MAX_LINE];
	FILE *f = fopen(LOG, "r");
	size_t n = 0, len;

	cr_assert_not_null(f, "cannot open %s", LOG);
	while (fgets(line, sizeof(line), f)) {
		len = strcspn(line, "\n");
		cr_assert_eq(audit_grouper_add(g, line, len, 0), 0);
		n++;
	}
	fclose(f);
	return n;
}

static const struct buf *find(const struct collected *c, const char *needle)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (memmem(c->ev[i].data, c->ev[i].len, needle, strlen(needle)))
			return &c->ev[i];
	return NULL;
}

Test(auditrec, head)
{
	const char *l = "type=SYSCALL msg=audit(1795427038.229:6): arch=c000003e";
	struct cursor body;
	struct audit_stamp st;
	char type[32];

	cr_assert(audit_rec_head(cur_make((const uint8_t *)l, strlen(l)), type,
				 &st, &body));
	cr_assert_str_eq(type, "SYSCALL");
	cr_assert_eq(st.sec, 1795427038u);
	cr_assert_eq(st.msec, 229);
	cr_assert_eq(st.serial, 6);
	cr_assert_eq(cur_left(&body), strlen("arch=c000003e"));
}

Test(auditrec, head_rejects)
{
	static const char *const bad[] = {
		"", "type=SYSCALL", "type=SYSCALL msg=audit(1.2:3)",
		"type=SYSCALL msg=audit(1.2000:3): x", "type= msg=audit(1.2:3): ",
		"type=X msg=audit(99999999999999999999.1:3): ",
		"msg=audit(1.2:3): a=b",
	};
	struct cursor body;
	struct audit_stamp st;
	char type[32];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_not(audit_rec_head(cur_make((const uint8_t *)bad[i],
						      strlen(bad[i])),
					     type, &st, &body), "%s", bad[i]);
}

Test(auditrec, sequential_grouping_of_auditd_log)
{
	struct collected c = { 0 };
	struct audit_grouper *g = audit_grouper_new(collect, &c, 1000, true);

	feed_file(g);
	audit_grouper_expire(g, 0, true);
	/* 13 kernel stamps (3..13) plus DAEMON_START and DAEMON_END */
	cr_assert_eq(c.n, 13);
	cr_assert_eq(audit_grouper_bad(g), 0);
	audit_grouper_free(g);
	collected_free(&c);
}

Test(auditrec, execve_event_decoded)
{
	struct collected c = { 0 };
	struct audit_grouper *g = audit_grouper_new(collect, &c, 1000, true);
	struct audit_event ev = { 0 };
	const struct buf *b;
	const char *a;

	feed_file(g);
	audit_grouper_expire(g, 0, true);
	b = find(&c, "audit(1795427038.229:6)");
	cr_assert_not_null(b);
	cr_assert(audit_event_parse((const uint8_t *)b->data, b->len, &ev));
	cr_assert_str_eq(ev.type, "SYSCALL");
	cr_assert_str_eq(ev.records, "SYSCALL,BPRM_FCAPS,EXECVE,CWD,PATH,PATH,PROCTITLE");
	cr_assert_eq(ev.syscall, 59);
	cr_assert_str_eq(ev.syscall_name, "execve");
	cr_assert_eq(ev.success, 1);
	cr_assert_eq(ev.pid, 10547);
	cr_assert_eq(ev.uid, 0);
	cr_assert_eq(ev.auid, 4294967295);
	cr_assert_str_eq(ev.exe, "/usr/bin/echo");
	cr_assert_str_eq(ev.comm, "echo");
	cr_assert_str_eq(ev.key, "sa_test");
	cr_assert_str_eq(ev.cwd, "/tmp/auditcfg");
	cr_assert_eq(ev.argc, 4);
	a = ev.args.data;
	cr_assert_str_eq(a, "/bin/echo");
	a += strlen(a) + 1;
	cr_assert_str_eq(a, "hello");
	a += strlen(a) + 1;
	cr_assert_str_eq(a, "two words");	/* was hex 74776F20776F726473 */
	a += strlen(a) + 1;
	cr_assert_str_eq(a, "\x01odd");
	cr_assert_eq(ev.npaths, 2);
	cr_assert_str_eq(ev.paths.data, "/bin/echo");
	cr_assert_str_eq(ev.proctitle, "/bin/echo hello two words \x01odd");
	audit_event_free(&ev);
	audit_grouper_free(g);
	collected_free(&c);
}

Test(auditrec, openat_event)
{
	struct collected c = { 0 };
	struct audit_grouper *g = audit_grouper_new(collect, &c, 1000, true);
	struct audit_event ev = { 0 };
	const struct buf *b;

	feed_file(g);
	audit_grouper_expire(g, 0, true);
	b = find(&c, "audit(1795427038.233:8)");
	cr_assert_not_null(b);
	cr_assert(audit_event_parse((const uint8_t *)b->data, b->len, &ev));
	cr_assert_str_eq(ev.syscall_name, "openat");
	cr_assert_str_eq(ev.key, "shadow");
	cr_assert_str_eq(ev.paths.data, "/etc/shadow");
	cr_assert_str_eq(ev.nametypes, "NORMAL");
	cr_assert_eq(ev.exit, 3);
	audit_event_free(&ev);
	audit_grouper_free(g);
	collected_free(&c);
}

/* SOCKADDR's saddr: the peer of a connect, IPv4 and IPv6; others ignored. */
Test(auditrec, sockaddr_of_connect)
{
	static const struct { const char *saddr, *ip; int port; } cases[] = {
		{ "020001BBC61202020000000000000000", "198.18.2.2", 443 },
		{ "0A0001BB0000000020010DB8000200000000000000000002000000000", "2001:db8:2::2",
		  443 },
		{ "01002F72756E2F6E7363642F736F636B657400", "", -1 },	/* AF_UNIX */
		{ "0200", "", -1 },					/* cut short */
		{ "020001BBC612", "", -1 },				/* no whole address */
		{ "02zz01BBC6120202", "", -1 },				/* not hex */
	};
	struct audit_event ev = { 0 };
	char text[512];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text),
			 "type=SYSCALL msg=audit(1795427038.100:42): arch=c000003e syscall=42 "
			 "success=yes exit=0 pid=7 comm=\"curl\"\n"
			 "type=SOCKADDR msg=audit(1795427038.100:42): saddr=%s\n", cases[i].saddr);
		cr_assert(audit_event_parse((const uint8_t *)text, strlen(text), &ev));
		cr_assert_str_eq(ev.syscall_name, "connect");
		cr_assert_str_eq(ev.sock_ip, cases[i].ip, "case %zu", i);
		cr_assert_eq(ev.sock_port, cases[i].port, "case %zu", i);
	}
	audit_event_free(&ev);
}

/* Kernel order: records of two events interleave; EOE closes each. */
Test(auditrec, eoe_grouping_interleaved)
{
	static const char *const lines[] = {
		"type=SYSCALL msg=audit(10.001:1): arch=c000003e syscall=59 success=yes exit=0 pid=1 uid=0 key=\"k\"",
		"type=SYSCALL msg=audit(10.001:2): arch=c000003e syscall=59 success=no exit=-2 pid=2 uid=1000 key=(null)",
		"type=EXECVE msg=audit(10.001:1): argc=1 a0=\"x\"",
		"type=EOE msg=audit(10.001:2): ",
		"type=EXECVE msg=audit(10.001:1): a1_len=6 a1[0]=616263 a1[1]=\"def\"",
		"type=EOE msg=audit(10.001:1): ",
		"type=USER_LOGIN msg=audit(10.002:3): pid=5 uid=0 auid=1000 ses=2 msg='op=login id=1000 exe=\"/usr/sbin/sshd\" res=success'",
	};
	struct collected c = { 0 };
	struct audit_grouper *g = audit_grouper_new(collect, &c, 1000, false);
	struct audit_event ev = { 0 };
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		cr_assert_eq(audit_grouper_add(g, lines[i], strlen(lines[i]), 5), 0);
	cr_assert_eq(c.n, 3);
	cr_assert(audit_event_parse((const uint8_t *)c.ev[0].data, c.ev[0].len, &ev));
	cr_assert_eq(ev.stamp.serial, 2);
	cr_assert_eq(ev.success, 0);
	cr_assert_eq(ev.exit, -2);
	cr_assert_eq(ev.uid, 1000);
	cr_assert_str_eq(ev.key, "");
	cr_assert(audit_event_parse((const uint8_t *)c.ev[1].data, c.ev[1].len, &ev));
	cr_assert_eq(ev.stamp.serial, 1);
	cr_assert_eq(ev.argc, 2);
	cr_assert_str_eq(ev.args.data + 2, "abcdef");
	cr_assert(audit_event_parse((const uint8_t *)c.ev[2].data, c.ev[2].len, &ev));
	cr_assert_str_eq(ev.type, "USER_LOGIN");
	cr_assert_str_eq(ev.exe, "/usr/sbin/sshd");
	cr_assert_eq(ev.success, 1);
	cr_assert_eq(ev.auid, 1000);
	audit_event_free(&ev);
	audit_grouper_free(g);
	collected_free(&c);
}

Test(auditrec, expiry_and_overflow)
{
	struct collected c = { 0 };
	struct audit_grouper *g = audit_grouper_new(collect, &c, 100, false);
	char line[128];
	int i, n;

	for (i = 0; i < AUDIT_GROUP_OPEN + 1; i++) {
		n = snprintf(line, sizeof(line),
			     "type=SYSCALL msg=audit(1.000:%d): syscall=59", i + 1);
		cr_assert_eq(audit_grouper_add(g, line, (size_t)n, (uint64_t)i), 0);
	}
	/* the 65th open event pushed out the oldest */
	cr_assert_eq(c.n, 1);
	cr_assert(memmem(c.ev[0].data, c.ev[0].len, "audit(1.000:1)", 14));
	audit_grouper_expire(g, 101, false);
	cr_assert_eq(c.n, 2);	/* only the one first seen at 1 is 100 ms old */
	audit_grouper_expire(g, 0, true);
	cr_assert_eq(c.n, 1 + AUDIT_GROUP_OPEN);
	cr_assert_eq(audit_grouper_add(g, "garbage", 7, 0), 0);
	cr_assert_eq(audit_grouper_bad(g), 1);
	audit_grouper_free(g);
	collected_free(&c);
}
