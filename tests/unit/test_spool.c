/* The spool (agent's and monitor's): numbering that survives restarts, acks, overflow. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit_wire.h"
#include "spool.h"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/spooltest.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

static void body_of(struct buf *b, int n)
{
	int i;

	buf_reset(b);
	for (i = 0; i < n; i++)
		aw_put_event(b, "type=X msg=audit(1.0:1): a=b", 28);
}

TestSuite(spool, .init = setup, .fini = teardown);

Test(spool, numbering_survives_restart_and_acks)
{
	struct buf b = { 0 }, out = { 0 };
	struct spool_stats st;
	struct aw_package p;
	char err[256];
	uint64_t seq, stream, next;
	struct spool *s = spool_open(dir, 0, SPOOL_DROP_OLDEST, err, sizeof(err));

	cr_assert_not_null(s, "%s", err);
	stream = spool_stream(s);
	cr_assert_neq(stream, 0);
	body_of(&b, 3);
	cr_assert_eq(spool_append(s, 3, &b, &seq), 0);
	cr_assert_eq(seq, 1);
	cr_assert_eq(spool_append(s, 3, &b, &seq), 0);
	cr_assert_eq(seq, 2);
	cr_assert_eq(spool_read(s, 2, &out), 0);
	cr_assert(aw_decode_package(cur_make((uint8_t *)out.data, out.len), &p));
	cr_assert_eq(p.seq, 2);
	cr_assert_eq(p.n_events, 3);
	cr_assert_eq(spool_ack(s, 2), 0);
	cr_assert_eq(spool_read(s, 2, &out), -ENOENT);
	spool_close(s);

	/* empty spool after a restart: numbering continues after the ack */
	s = spool_open(dir, 0, SPOOL_DROP_OLDEST, err, sizeof(err));
	cr_assert_not_null(s, "%s", err);
	cr_assert_eq(spool_stream(s), stream);
	cr_assert_eq(spool_append(s, 3, &b, &seq), 0);
	cr_assert_eq(seq, 3);
	cr_assert_eq(spool_append(s, 3, &b, &seq), 0);
	spool_close(s);

	/* unacked packages are found again, in order */
	s = spool_open(dir, 0, SPOOL_DROP_OLDEST, err, sizeof(err));
	cr_assert_not_null(s, "%s", err);
	spool_get_stats(s, &st);
	cr_assert_eq(st.held_packages, 2);
	cr_assert_eq(st.first, 3);
	cr_assert_eq(st.last, 4);
	cr_assert(spool_next(s, 0, &next));
	cr_assert_eq(next, 3);
	cr_assert(spool_next(s, 3, &next));
	cr_assert_eq(next, 4);
	cr_assert_not(spool_next(s, 4, &next));
	cr_assert_eq(spool_append(s, 1, &b, &seq), 0);
	cr_assert_eq(seq, 5);
	spool_close(s);
	buf_free(&b);
	buf_free(&out);
}

Test(spool, overflow_drops_oldest_and_counts)
{
	struct buf b = { 0 };
	struct spool_stats st;
	char err[256];
	uint64_t seq;
	struct spool *s;
	int i;

	body_of(&b, 2);
	/* each package: 17 + 2 * 32 bytes = 81; room for three */
	s = spool_open(dir, 250, SPOOL_DROP_OLDEST, err, sizeof(err));
	cr_assert_not_null(s, "%s", err);
	for (i = 0; i < 5; i++)
		cr_assert_eq(spool_append(s, 2, &b, &seq), 0);
	spool_get_stats(s, &st);
	cr_assert_eq(st.held_packages, 3);
	cr_assert_eq(st.first, 3);
	cr_assert_eq(st.dropped_packages, 2);
	cr_assert_eq(st.dropped_events, 4);
	cr_assert_leq(st.held_bytes, 250);
	spool_close(s);
	buf_free(&b);
}

Test(spool, block_mode_returns_enospc_when_woken)
{
	struct buf b = { 0 };
	char err[256];
	uint64_t seq;
	struct spool *s;

	body_of(&b, 2);
	s = spool_open(dir, 100, SPOOL_BLOCK, err, sizeof(err));
	cr_assert_not_null(s, "%s", err);
	cr_assert_eq(spool_append(s, 2, &b, &seq), 0);
	spool_wakeup(s);
	cr_assert_eq(spool_append(s, 2, &b, &seq), -ENOSPC);
	cr_assert_eq(spool_ack(s, 1), 0);
	cr_assert_eq(spool_append(s, 2, &b, &seq), 0);
	cr_assert_eq(seq, 2);
	spool_close(s);
	buf_free(&b);
}
