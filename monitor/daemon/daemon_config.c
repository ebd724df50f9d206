/*
 * daemon_config: secaudit-monitor's configuration file. See daemon_config.h.
 */
#include "daemon/daemon_config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yamldoc.h"

#include "engine/eve.h"
#include "io/nfq.h"
#include "statsock.h"

#define DAEMON_CONFIG_MAX_FILE (1u << 20)

void daemon_config_default(struct daemon_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->stats_socket, sizeof(c->stats_socket), "%s", STATSOCK_DEFAULT_PATH);
	c->stats_interval = 60;
	c->gso = true;
	c->drop_resets_server = true;
	c->keylog_wait_ms = DAEMON_KEYLOG_WAIT_MS;
	c->keylog_max_entries = DAEMON_KEYLOG_MAX_ENTRIES;
	c->mark_mask = NFQUEUE_MARK_MASK;
	c->mark_accept = NFQUEUE_MARK_ACCEPT;
	c->mark_deny = NFQUEUE_MARK_DENY;
	c->mark_inject = NFQUEUE_MARK_INJECT;
	engine_config_default(&c->engine);
	prober_config_default(&c->probe);
	snprintf(c->central.spool, sizeof(c->central.spool), "%s", DAEMON_CENTRAL_SPOOL);
	c->central.spool_max = 256ull << 20;
	c->central.ring = 8u << 20;
	c->central.heartbeat = 10;
	c->central.batch_ms = 1000;
	c->central.n_events = 2;
	snprintf(c->central.events[0], sizeof(c->central.events[0]), "alert");
	snprintf(c->central.events[1], sizeof(c->central.events[1]), "tls");
	/* Decided flows leave the queue by their mark: nothing more of them
	 * comes back, so the table need not hold them until they time out. */
	c->engine.forget_decided = true;
}

static bool parse_u16(const char *s, char **end, uint16_t *out)
{
	unsigned long v;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, end, 10);
	if (errno || v > 65535)
		return false;
	*out = (uint16_t)v;
	return true;
}

bool daemon_parse_exception_policy(const char *s, enum engine_verdict *v)
{
	if (!strcmp(s, "pass"))
		*v = ENGINE_ACCEPT;
	else if (!strcmp(s, "drop"))
		*v = ENGINE_DROP;
	else
		return false;
	return true;
}

bool daemon_parse_queues(const char *s, uint16_t *first, uint16_t *last)
{
	uint16_t a, b;
	char *end;

	if (!parse_u16(s, &end, &a))
		return false;
	b = a;
	if (*end == ':' && !parse_u16(end + 1, &end, &b))
		return false;
	if (*end || b < a || b - a >= DAEMON_MAX_QUEUES)
		return false;
	*first = a;
	*last = b;
	return true;
}

bool daemon_parse_cpus(const char *s, uint16_t cpus[static DAEMON_MAX_QUEUES], unsigned *n)
{
	uint16_t out[DAEMON_MAX_QUEUES], a, b;
	unsigned k = 0, c;
	char *end;

	for (;;) {
		if (!parse_u16(s, &end, &a))
			return false;
		b = a;
		if (*end == '-' && !parse_u16(end + 1, &end, &b))
			return false;
		if (b < a || b >= DAEMON_MAX_CPU || (unsigned)(b - a) >= DAEMON_MAX_QUEUES - k)
			return false;
		for (c = a; c <= b; c++)
			out[k++] = (uint16_t)c;
		if (!*end)
			break;
		if (*end != ',')
			return false;
		s = end + 1;
	}
	memcpy(cpus, out, k * sizeof(out[0]));
	*n = k;
	return true;
}

struct cctx {
	struct yamldoc yd;
	const char *path;
};

/* A path value; relative ones are taken from the configuration's directory. */
static bool get_path(struct cctx *x, const yaml_node_t *n, const char *key, char *out, size_t outlen)
{
	const char *s = yamldoc_scalar(n), *slash = strrchr(x->path, '/');
	int k;

	if (!s)
		return yamldoc_fail(&x->yd, n, "%s must be a path", key);
	if (*s == '/' || !*s || !slash)
		k = snprintf(out, outlen, "%s", s);
	else
		k = snprintf(out, outlen, "%.*s/%s", (int)(slash - x->path), x->path, s);
	if (k < 0 || (size_t)k >= outlen)
		return yamldoc_fail(&x->yd, n, "%s: path too long", key);
	return true;
}

/* A number with an optional unit: sizes (KiB, MiB, GiB, or k/M/G as
 * powers of 1024) or durations (s, m, h: to seconds). Hex without unit. */
static bool get_num(struct cctx *x, const yaml_node_t *n, const char *key, bool duration,
		    unsigned long long max, unsigned long long *out)
{
	static const struct { const char *u; unsigned long long f; } sizes[] = {
		{ "", 1 }, { "k", 1024 }, { "KiB", 1024 }, { "M", 1 << 20 }, { "MiB", 1 << 20 },
		{ "G", 1 << 30 }, { "GiB", 1 << 30 },
	}, times[] = { { "", 1 }, { "s", 1 }, { "m", 60 }, { "h", 3600 } };
	const char *s = yamldoc_scalar(n);
	unsigned long long v;
	size_t i, count = duration ? sizeof(times) / sizeof(*times) : sizeof(sizes) / sizeof(*sizes);
	char *end;

	if (!s || *s < '0' || *s > '9')
		return yamldoc_fail(&x->yd, n, "%s must be a number", key);
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno)
		return yamldoc_fail(&x->yd, n, "%s is out of range", key);
	for (i = 0; i < count; i++) {
		const char *u = duration ? times[i].u : sizes[i].u;
		unsigned long long f = duration ? times[i].f : sizes[i].f;

		if (!strcmp(end, u)) {
			if (v > max / f)
				return yamldoc_fail(&x->yd, n, "%s is out of range", key);
			*out = v * f;
			return true;
		}
	}
	return yamldoc_fail(&x->yd, n, "%s has an unknown unit", key);
}

static bool get_u32(struct cctx *x, const yaml_node_t *n, const char *key, uint32_t *out)
{
	unsigned long long v;

	if (!get_num(x, n, key, false, UINT32_MAX, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool get_name(struct cctx *x, const yaml_node_t *n, const char *key, char *out, size_t len)
{
	if (!yamldoc_scalar(n) || !*yamldoc_scalar(n) || strlen(yamldoc_scalar(n)) >= len)
		return yamldoc_fail(&x->yd, n, "%s must be a name", key);
	snprintf(out, len, "%s", yamldoc_scalar(n));
	return true;
}

typedef bool (*key_fn)(struct cctx *x, struct daemon_config *c, const yaml_node_t *k,
		       const yaml_node_t *v);

/* map holds only keys (once each), then fn takes each. A key fn takes
 * must be in keys too: the list is what the "did you mean" is drawn from. */
static bool each_pair(struct cctx *x, const yaml_node_t *map, const char *what,
		      const char *const *keys, struct daemon_config *c, key_fn fn)
{
	yaml_node_pair_t *pair;

	if (!yamldoc_check_keys(&x->yd, map, what, keys, NULL))
		return false;
	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++)
		if (!fn(x, c, yamldoc_node(&x->yd, pair->key), yamldoc_node(&x->yd, pair->value)))
			return false;
	return true;
}

static const char *const nfqueue_keys[] = {
	"queues", "max_len", "rcvbuf", "gso", "fail_closed", "mark_mask", "mark_accept",
	"mark_deny", "mark_inject", "queue_cpu", NULL
};

static bool nfqueue_key(struct cctx *x, struct daemon_config *c, const yaml_node_t *k,
			const yaml_node_t *v)
{
	const char *key = yamldoc_scalar(k);

	if (!strcmp(key, "queues")) {
		if (!yamldoc_scalar(v) || !daemon_parse_queues(yamldoc_scalar(v), &c->q_first, &c->q_last))
			return yamldoc_fail(&x->yd, v, "%s must be N or N:M (at most 64 queues)", key);
		return true;
	}
	if (!strcmp(key, "queue_cpu")) {
		if (!yamldoc_scalar(v) || !daemon_parse_cpus(yamldoc_scalar(v), c->queue_cpu,
							     &c->n_queue_cpu))
			return yamldoc_fail(&x->yd, v, "%s must be a CPU list such as \"0,1\" or "
					    "\"0-3\" (CPUs below %d, at most %d)", key,
					    DAEMON_MAX_CPU, DAEMON_MAX_QUEUES);
		return true;
	}
	if (!strcmp(key, "max_len"))
		return get_u32(x, v, key, &c->queue_maxlen);
	if (!strcmp(key, "rcvbuf"))
		return get_u32(x, v, key, &c->rcvbuf);
	if (!strcmp(key, "gso"))
		return yamldoc_bool(&x->yd, v, key, &c->gso);
	if (!strcmp(key, "fail_closed"))
		return yamldoc_bool(&x->yd, v, key, &c->fail_closed);
	if (!strcmp(key, "mark_mask"))
		return get_u32(x, v, key, &c->mark_mask);
	if (!strcmp(key, "mark_accept"))
		return get_u32(x, v, key, &c->mark_accept);
	if (!strcmp(key, "mark_deny"))
		return get_u32(x, v, key, &c->mark_deny);
	if (!strcmp(key, "mark_inject"))
		return get_u32(x, v, key, &c->mark_inject);
	return yamldoc_fail(&x->yd, k, "unknown key '%s' in nfqueue", key);
}

static const char *const limits_keys[] = {
	"exception_policy", "flow_timeout", "flow_linger", "max_flows", "stream_memcap", "cert_cache",
	"max_ooo_bytes", "max_ooo_segments", NULL
};

static bool limits_key(struct cctx *x, struct daemon_config *c, const yaml_node_t *k,
		       const yaml_node_t *v)
{
	const char *key = yamldoc_scalar(k);
	unsigned long long u;
	uint32_t w;

	if (!strcmp(key, "exception_policy")) {
		if (!yamldoc_scalar(v) || !daemon_parse_exception_policy(yamldoc_scalar(v),
								  &c->engine.exception_verdict))
			return yamldoc_fail(&x->yd, v, "%s must be pass or drop", key);
		return true;
	}
	if (!strcmp(key, "flow_timeout") || !strcmp(key, "flow_linger")) {
		if (!get_num(x, v, key, true, 86400, &u) || (!u && !yamldoc_fail(&x->yd, v, "%s must be > 0", key)))
			return false;
		*(key[5] == 't' ? &c->engine.flow_timeout_us : &c->engine.linger_us) = u * 1000000;
		return true;
	}
	if (!strcmp(key, "max_flows") || !strcmp(key, "stream_memcap") ||
	    !strcmp(key, "cert_cache")) {
		if (!get_num(x, v, key, false, 1ULL << 40, &u) ||
		    (!u && !yamldoc_fail(&x->yd, v, "%s must be > 0", key)))
			return false;
		*(key[0] == 'm' ? &c->engine.max_flows :
		  key[0] == 's' ? &c->engine.stream_memcap : &c->engine.cert_cache) = (size_t)u;
		return true;
	}
	if (!strcmp(key, "max_ooo_bytes") || !strcmp(key, "max_ooo_segments")) {
		if (!get_u32(x, v, key, &w))
			return false;
		*(!strcmp(key, "max_ooo_bytes") ? &c->engine.max_ooo_bytes :
		  &c->engine.max_ooo_segments) = w;
		return true;
	}
	return yamldoc_fail(&x->yd, k, "unknown key '%s' in limits", key);
}

static const char *const probe_keys[] = {
	"threads", "max_pending", "cache_size", "cache_ttl", "negative_ttl", "timeout_ms",
	"rate_global", "rate_per_destination", NULL
};

/* probe: the prober of `tls13_certificates: probe` profiles (daemon-wide;
 * which sessions are probed is the rules' business). */
static bool probe_key(struct cctx *x, struct daemon_config *c, const yaml_node_t *k,
		      const yaml_node_t *v)
{
	static const struct { const char *key; bool duration; unsigned long long min, max; } lim[] = {
		{ "threads", false, 1, 64 }, { "max_pending", false, 1, 1 << 20 },
		{ "cache_size", false, 1, 1 << 24 }, { "cache_ttl", true, 1, 86400 },
		{ "negative_ttl", true, 1, 86400 }, { "timeout_ms", false, 100, 60000 },
		{ "rate_global", false, 1, 100000 }, { "rate_per_destination", false, 1, 100000 },
	};
	unsigned *field[] = {
		&c->probe.threads, &c->probe.max_pending, NULL, &c->probe.ttl_s,
		&c->probe.negative_ttl_s, &c->probe.probe.timeout_ms, &c->probe.rate_global,
		&c->probe.rate_per_dest,
	};
	const char *key = yamldoc_scalar(k);
	unsigned long long u;
	size_t i;

	for (i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
		if (strcmp(key, lim[i].key))
			continue;
		if (!get_num(x, v, key, lim[i].duration, lim[i].max, &u))
			return false;
		if (u < lim[i].min)
			return yamldoc_fail(&x->yd, v, "%s must be at least %llu", key, lim[i].min);
		if (field[i])
			*field[i] = (unsigned)u;
		else
			c->probe.cache_size = (size_t)u;
		return true;
	}
	return yamldoc_fail(&x->yd, k, "unknown key '%s' in probe", key);
}

static const char *const central_keys[] = {
	"server", "server_name", "cert", "key", "ca", "crl", "spool", "spool_max", "ring",
	"heartbeat", "batch_ms", "events", NULL
};

/* The event types a monitor writes (engine/eve.c): what central.events may name. */
static const char *const event_types[] = { "alert", "tls", "quic", "anomaly", "stats", NULL };

static bool central_events(struct cctx *x, struct daemon_central *c, const yaml_node_t *v)
{
	size_t i, j, n;

	if (!yamldoc_scalars(&x->yd, v, "central.events"))
		return false;
	n = yamldoc_items(v);
	if (n == 0 || n > DAEMON_CENTRAL_TYPES)
		return yamldoc_fail(&x->yd, v, "central.events must name 1 to %d event types",
				    DAEMON_CENTRAL_TYPES);
	for (i = 0; i < n; i++) {
		const yaml_node_t *it = yamldoc_item(&x->yd, v, i);
		const char *s = yamldoc_scalar(it);

		for (j = 0; event_types[j] && strcmp(event_types[j], s); j++)
			;
		if (!event_types[j])
			return yamldoc_fail(&x->yd, it, "central.events: unknown event type '%s' "
					    "(alert, tls, quic, anomaly, stats)", s);
		snprintf(c->events[i], sizeof(c->events[i]), "%s", s);
	}
	c->n_events = (unsigned)n;
	return true;
}

static bool central_key(struct cctx *x, struct daemon_config *c, const yaml_node_t *k,
			const yaml_node_t *v)
{
	struct daemon_central *ce = &c->central;
	const char *key = yamldoc_scalar(k), *s = yamldoc_scalar(v);
	unsigned long long u;

	if (!strcmp(key, "server") || !strcmp(key, "server_name")) {
		char *out = key[6] ? ce->server_name : ce->server;

		if (!s || !*s || strlen(s) >= sizeof(ce->server) ||
		    (!key[6] && (!strrchr(s, ':') || !strrchr(s, ':')[1])))
			return yamldoc_fail(&x->yd, v, "central.%s must be %s", key,
					    key[6] ? "a host name" : "HOST:PORT");
		snprintf(out, sizeof(ce->server), "%s", s);
		return true;
	}
	if (!strcmp(key, "cert"))
		return get_path(x, v, "central.cert", ce->cert, sizeof(ce->cert));
	if (!strcmp(key, "key"))
		return get_path(x, v, "central.key", ce->key, sizeof(ce->key));
	if (!strcmp(key, "ca"))
		return get_path(x, v, "central.ca", ce->ca, sizeof(ce->ca));
	if (!strcmp(key, "crl"))
		return get_path(x, v, "central.crl", ce->crl, sizeof(ce->crl));
	if (!strcmp(key, "spool"))
		return get_path(x, v, "central.spool", ce->spool, sizeof(ce->spool));
	if (!strcmp(key, "spool_max") || !strcmp(key, "ring")) {
		/* room for a batch of a few events at least */
		if (!get_num(x, v, key, false, 1ULL << 40, &u) ||
		    (u < 16384 && !yamldoc_fail(&x->yd, v, "central.%s must be at least 16KiB", key)))
			return false;
		*(key[0] == 's' ? &ce->spool_max : &ce->ring) = u;
		return true;
	}
	if (!strcmp(key, "heartbeat")) {
		if (!get_num(x, v, key, true, 3600, &u) ||
		    (!u && !yamldoc_fail(&x->yd, v, "central.heartbeat must be > 0")))
			return false;
		ce->heartbeat = (unsigned)u;
		return true;
	}
	if (!strcmp(key, "batch_ms")) {
		if (!get_num(x, v, key, false, 10000, &u) ||
		    (u < 10 && !yamldoc_fail(&x->yd, v, "central.batch_ms must be 10 to 10000")))
			return false;
		ce->batch_ms = (unsigned)u;
		return true;
	}
	if (!strcmp(key, "events"))
		return central_events(x, ce, v);
	return yamldoc_fail(&x->yd, k, "unknown key '%s' in central", key);
}

static bool central(struct cctx *x, struct daemon_config *c, const yaml_node_t *v)
{
	static const char *const required[] = { "server", "cert", "key", "ca" };
	size_t i;

	if (!each_pair(x, v, "central", central_keys, c, central_key))
		return false;
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!yamldoc_get(&x->yd, v, required[i]))
			return yamldoc_fail(&x->yd, v, "central needs %s (server, cert, key and "
					    "ca are required)", required[i]);
	return true;
}

static const char *const top_keys[] = {
	"version", "rules", "alert_log", "log", "evidence", "stats_socket", "stats_interval",
	"community_id", "community_id_seed", "eve_custom", "drop_resets_server", "log_sessions",
	"user", "group",
	"nfqueue", "limits", "probe", "central", "keylog", "keylog_wait_ms", "keylog_max_entries",
	NULL
};

static bool top_key(struct cctx *x, struct daemon_config *c, const yaml_node_t *k,
		    const yaml_node_t *v)
{
	const char *key = yamldoc_scalar(k);
	unsigned long long u;

	if (!strcmp(key, "version")) {
		if (!yamldoc_scalar(v) || strcmp(yamldoc_scalar(v), "1"))
			return yamldoc_fail(&x->yd, v, "%s must be 1", key);
		return true;
	}
	if (!strcmp(key, "rules"))
		return get_path(x, v, key, c->rules, sizeof(c->rules));
	if (!strcmp(key, "alert_log") || !strcmp(key, "log"))
		return get_path(x, v, key, c->log, sizeof(c->log));
	if (!strcmp(key, "evidence"))
		return get_path(x, v, key, c->evidence, sizeof(c->evidence));
	if (!strcmp(key, "keylog"))
		return get_path(x, v, key, c->keylog, sizeof(c->keylog));
	if (!strcmp(key, "keylog_wait_ms")) {
		if (!get_num(x, v, key, false, 10000, &u))
			return false;
		c->keylog_wait_ms = (unsigned)u;
		return true;
	}
	if (!strcmp(key, "keylog_max_entries")) {
		if (!get_num(x, v, key, false, 1u << 24, &u))
			return false;
		c->keylog_max_entries = (uint32_t)u;
		return true;
	}
	if (!strcmp(key, "stats_socket")) {
		if (yamldoc_scalar(v) && (!*yamldoc_scalar(v) || !strcmp(yamldoc_scalar(v), "none"))) {
			c->stats_socket[0] = 0;
			return true;
		}
		return get_path(x, v, key, c->stats_socket, sizeof(c->stats_socket));
	}
	if (!strcmp(key, "stats_interval")) {
		if (!get_num(x, v, key, true, 86400, &u))
			return false;
		c->stats_interval = (unsigned)u;
		return true;
	}
	if (!strcmp(key, "community_id"))
		return yamldoc_bool(&x->yd, v, key, &c->engine.community_id);
	if (!strcmp(key, "community_id_seed")) {
		if (!get_num(x, v, key, false, 65535, &u))
			return false;
		c->engine.community_id_seed = (uint16_t)u;
		return true;
	}
	if (!strcmp(key, "eve_custom")) {
		size_t i;

		if (!yamldoc_scalars(&x->yd, v, key))
			return false;
		for (i = 0; i < yamldoc_items(v); i++) {
			const yaml_node_t *n = yamldoc_item(&x->yd, v, i);

			if (!eve_custom_add(yamldoc_scalar(n), &c->eve_custom))
				return yamldoc_fail(&x->yd, n, "'%s' is not a tls field of %s "
						    "(certificate, chain, client_certificate, "
						    "client_chain, client_handshake, server_handshake)",
						    yamldoc_scalar(n), key);
		}
		return true;
	}
	if (!strcmp(key, "drop_resets_server"))
		return yamldoc_bool(&x->yd, v, key, &c->drop_resets_server);
	if (!strcmp(key, "log_sessions"))
		return yamldoc_bool(&x->yd, v, key, &c->log_sessions);
	if (!strcmp(key, "user"))
		return get_name(x, v, key, c->user, sizeof(c->user));
	if (!strcmp(key, "group"))
		return get_name(x, v, key, c->group, sizeof(c->group));
	if (!strcmp(key, "nfqueue"))
		return each_pair(x, v, key, nfqueue_keys, c, nfqueue_key);
	if (!strcmp(key, "limits"))
		return each_pair(x, v, key, limits_keys, c, limits_key);
	if (!strcmp(key, "probe"))
		return each_pair(x, v, key, probe_keys, c, probe_key);
	if (!strcmp(key, "central"))
		return central(x, c, v);
	return yamldoc_fail(&x->yd, k, "unknown key '%s'", key);
}

bool daemon_config_load(struct daemon_config *c, const char *path, char *err, size_t errlen)
{
	struct cctx x = { .path = path };
	yaml_node_t *root;
	bool ok = false;

	/* An empty file is all defaults. */
	if (yamldoc_load_file(&x.yd, path, DAEMON_CONFIG_MAX_FILE) &&
	    (!(root = yamldoc_root(&x.yd)) ||
	     each_pair(&x, root, "the configuration", top_keys, c, top_key)))
		ok = true;
	else
		yamldoc_error(&x.yd, err, errlen);
	yamldoc_free(&x.yd);
	return ok;
}
