/*
 * fuzz_engine: whole packets through engine_packet(): decode, flow table,
 * reassembly, TLS parsing and the sink callbacks together.
 *
 * Input: mode u8, then packets, each a u16 length and that many bytes (a
 * short last packet takes what is left). Mode bits 0-1 pick the link type
 * (DLT_RAW, EN10MB, LINUX_SLL, LINUX_SLL2); bit 2: a small flow table and
 * small reassembly limits, so eviction and memcaps are reached; bits 4-7:
 * the milestones (shifted) on which the sink answers DROP; bit 4 also
 * runs the engine inline (forget_decided: decided flows kept as key and
 * verdict, later packets repeats, lingering 10 s). Packets are 1 ms
 * apart; bit 3 makes them 200 s apart so flows expire.
 *
 * Checked: session_end at most once per flow and only for TLS, user_free
 * exactly once for every user state made, verdicts in range.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz {
	unsigned drop_on;
	size_t users;
};

struct user {
	unsigned ended;
};

static struct user *user_of(struct fz *z, struct engine_session *es)
{
	if (!es->user) {
		es->user = calloc(1, sizeof(struct user));
		FUZZ_CHECK(es->user != NULL, "out of memory");
		z->users++;
	}
	return es->user;
}

static enum engine_verdict on_milestone(void *arg, struct engine_session *es, unsigned ev,
					uint64_t ts)
{
	struct fz *z = arg;

	(void)ts;
	user_of(z, es);
	FUZZ_CHECK(ev != 0, "milestone callback without a milestone");
	return (ev & z->drop_on) ? ENGINE_DROP : ENGINE_ACCEPT;
}

static void on_end(void *arg, struct engine_session *es, uint64_t ts)
{
	struct user *u = user_of(arg, es);

	(void)ts;
	FUZZ_CHECK(es->has_tls, "session_end for a flow without TLS");
	FUZZ_CHECK(++u->ended == 1, "session_end called %u times for one flow", u->ended);
}

static void on_anomaly(void *arg, const struct engine_session *es, const struct decoded *d,
		       enum anomaly a, uint64_t ts)
{
	(void)arg;
	(void)es;
	(void)d;
	(void)ts;
	FUZZ_CHECK(a < ANOM_COUNT, "anomaly code %d", (int)a);
}

static void on_user_free(void *arg, struct engine_session *es)
{
	struct fz *z = arg;

	if (es->user) {
		FUZZ_CHECK(z->users > 0, "user_free for more user states than were made");
		z->users--;
		free(es->user);
		es->user = NULL;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int dlts[4] = { 12, 1, 113, 276 };
	struct fz z = { 0, 0 };
	struct engine_sink sink = { .arg = &z, .milestone = on_milestone, .session_end = on_end,
				    .anomaly = on_anomaly, .user_free = on_user_free };
	struct engine_config cfg;
	struct engine *e;
	uint64_t ts = 1700000000ULL * 1000000;
	size_t off = 1;
	uint8_t mode;

	if (size < 1)
		return 0;
	mode = data[0];
	z.drop_on = (unsigned)(mode >> 4) << 1;
	/* Garbage where the defaults forget a field, the same on every run:
	 * the stack's own leftovers made such a bug look like chance. */
	memset(&cfg, 0x55, sizeof(cfg));
	engine_config_default(&cfg);
	if (mode & 4) {
		cfg.max_flows = 4;
		cfg.max_ooo_bytes = 600;
		cfg.max_ooo_segments = 3;
		cfg.stream_memcap = 1000;
		cfg.cert_cache = 2;
	} else {
		cfg.max_flows = 64;
	}
	cfg.forget_decided = (mode & 0x10) != 0;
	e = engine_new(&cfg, &sink);
	if (!e)
		return 0;
	while (off + 2 <= size) {
		size_t len = (size_t)(data[off] << 8 | data[off + 1]);
		enum engine_verdict v;

		off += 2;
		if (len > size - off)
			len = size - off;
		ts += (mode & 8) ? 200000000ULL : 1000;
		v = engine_packet(e, dlts[mode & 3], data + off, len, ts);
		FUZZ_CHECK(v == ENGINE_ACCEPT || v == ENGINE_DROP || v == ENGINE_REJECT,
			   "engine_packet() returned verdict %d for the packet at offset %zu",
			   (int)v, off);
		off += len;
	}
	engine_flush(e);
	engine_free(e);
	FUZZ_CHECK(z.users == 0, "%zu user states never freed", z.users);
	return 0;
}
