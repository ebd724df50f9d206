/*
 * fuzz_inspector: whole packets through the inspector as `secaudit read
 * --eve --rules` runs it: engine, policy (rules/default.yaml's checks,
 * weak randoms and resumptions linked in a session cache split by server),
 * alerts and tls events written as EVE, escaping what the packets carry.
 *
 * Input: as fuzz_engine's (mode u8, then packets, each a u16 length and
 * that many bytes). Mode bits 0-1 pick the link type; bit 2 a small flow
 * table; bit 3 packets 200 s apart (flows expire); bit 4 a cache of one
 * region, without server places (the monitor's).
 *
 * Checked: every output line is one JSON object (yajl parses it), the
 * counters agree with the lines (an alert line per alert), verdicts in
 * range.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "buf.h"
#include "engine/inspector.h"
#include "fuzz_check.h"
#include "net/decode.h"
#include "net/flowroute.h"
#include "net/serverplace.h"
#include "policy/policy.h"
#include "policy/rules.h"
#include "policy/sessioncache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The default preset's checks, without files (no trust store to load). */
static const char RULES[] =
	"version: 1\n"
	"profiles:\n"
	"  baseline:\n"
	"    action: alert\n"
	"    versions: {min: TLS1.0, max: TLS1.3, action: drop}\n"
	"    cipher_suites: {forbid: [export, null, anon, rc4, des, rc2], action: drop}\n"
	"    tls13_certificates: allow\n"
	"    anomalies:\n"
	"      sslv2_hello: drop\n"
	"      compression: drop\n"
	"      heartbeat: alert\n"
	"      fallback_scsv: alert\n"
	"      malformed: alert\n"
	"      unknown_record_type: alert\n"
	"      weak_random: alert\n"
	"    unknown_resumption: alert\n"
	"zones:\n"
	"  - name: default\n"
	"    profile: baseline\n";

static const struct policy *policy(void)
{
	static struct policy *p;
	struct policy_error err;

	if (!p) {
		p = rules_load_buffer("fuzz.yaml", RULES, sizeof(RULES) - 1, ".", 0, &err);
		FUZZ_CHECK(p != NULL, "the harness's rules: %s", err.message);
	}
	return p;
}

/* Counts the lines of out, each checked to be one JSON object; *alerts
 * gets those of event_type alert. */
static size_t check_lines(const struct buf *out, size_t *alerts)
{
	const char *path[] = { "event_type", NULL };
	size_t at = 0, lines = 0;
	char why[128];

	*alerts = 0;
	while (at < out->len) {
		const char *nl = memchr(out->data + at, '\n', out->len - at);
		size_t n;
		char *line;
		yajl_val v, type;

		FUZZ_CHECK(nl != NULL, "output ends without a newline at byte %zu", at);
		n = (size_t)(nl - (out->data + at));
		line = malloc(n + 1);
		FUZZ_CHECK(line != NULL, "out of memory");
		memcpy(line, out->data + at, n);
		line[n] = '\0';
		v = yajl_tree_parse(line, why, sizeof(why));
		FUZZ_CHECK(v != NULL && YAJL_IS_OBJECT(v), "line %zu is not a JSON object (%s): %s",
			   lines + 1, why, line);
		type = yajl_tree_get(v, path, yajl_t_string);
		FUZZ_CHECK(type != NULL, "line %zu has no event_type: %s", lines + 1, line);
		*alerts += !strcmp(YAJL_GET_STRING(type), "alert");
		yajl_tree_free(v);
		free(line);
		at += n + 1;
		lines++;
	}
	return lines;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int dlts[4] = { 12, 1, 113, 276 };
	struct engine_config cfg;
	struct inspector *in;
	struct inspector_counters n;
	struct sessioncache *cache;
	struct serverplace *places = NULL;
	struct buf out = { 0 };
	uint64_t ts = 1700000000ULL * 1000000;
	size_t off = 1, alerts;
	uint8_t mode;

	if (size < 1)
		return 0;
	mode = data[0];
	engine_config_default(&cfg);
	cfg.max_flows = (mode & 4) ? 4 : 64;
	cache = sessioncache_new(4096);
	FUZZ_CHECK(cache != NULL, "out of memory");
	sessioncache_set_seed(cache, 1);
	if (!(mode & 0x10)) {
		FUZZ_CHECK(sessioncache_set_regions(cache, 4), "out of memory");
		places = serverplace_new(4, 8);
		FUZZ_CHECK(places != NULL, "out of memory");
	}
	in = inspector_new(&cfg, NULL, INSPECTOR_EVE, &out);
	FUZZ_CHECK(in != NULL, "out of memory");
	inspector_share_cache(in, cache, places);
	inspector_set_policy(in, policy());
	while (off + 2 <= size) {
		size_t len = (size_t)(data[off] << 8 | data[off + 1]);
		enum engine_verdict v;

		off += 2;
		if (len > size - off)
			len = size - off;
		ts += (mode & 8) ? 200000000ULL : 1000;
		if (places) {
			/* placed before the packet is handed on, as read does */
			struct decoded d;

			memset(&d, 0, sizeof(d));
			decode_packet(dlts[mode & 3], data + off, len, &d);
			serverplace_place(places, flowroute_server(d.src, d.sport, d.dst, d.dport,
								   d.proto));
		}
		v = inspector_packet(in, dlts[mode & 3], data + off, len, ts);
		FUZZ_CHECK(v == ENGINE_ACCEPT || v == ENGINE_DROP || v == ENGINE_REJECT,
			   "verdict %d for the packet at offset %zu", (int)v, off);
		off += len;
	}
	inspector_flush(in);
	inspector_counters(in, &n);
	FUZZ_CHECK(!out.oom, "output ran out of memory");
	check_lines(&out, &alerts);
	FUZZ_CHECK(alerts == n.alerts, "%zu alert lines, %llu alerts counted", alerts,
		   (unsigned long long)n.alerts);
	inspector_free(in);
	sessioncache_free(cache);
	serverplace_free(places);
	buf_free(&out);
	return 0;
}
