/*
 * daemon_config: secaudit-monitor's configuration file. See daemon_config.h.
 */
#include "daemon_config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "statsock.h"

void daemon_config_default(struct daemon_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->stats_socket, sizeof(c->stats_socket), "%s", STATSOCK_DEFAULT_PATH);
	c->stats_interval = 60;
	c->gso = true;
	engine_config_default(&c->engine);
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

struct cctx {
	const char *path;
	char *err;
	size_t errlen;
};

static bool fail(struct cctx *x, const yaml_node_t *n, const char *fmt, const char *what)
{
	int k = snprintf(x->err, x->errlen, "%s:%zu:%zu: ", x->path,
			 n ? n->start_mark.line + 1 : 0, n ? n->start_mark.column + 1 : 0);

	if (k >= 0 && (size_t)k < x->errlen)
		snprintf(x->err + k, x->errlen - (size_t)k, fmt, what);
	return false;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* A path value; relative ones are taken from the configuration's directory. */
static bool get_path(struct cctx *x, const yaml_node_t *n, const char *key, char *out, size_t outlen)
{
	const char *s = scalar(n), *slash = strrchr(x->path, '/');
	int k;

	if (!s)
		return fail(x, n, "%s must be a path", key);
	if (*s == '/' || !*s || !slash)
		k = snprintf(out, outlen, "%s", s);
	else
		k = snprintf(out, outlen, "%.*s/%s", (int)(slash - x->path), x->path, s);
	if (k < 0 || (size_t)k >= outlen)
		return fail(x, n, "%s: path too long", key);
	return true;
}

static bool get_bool(struct cctx *x, const yaml_node_t *n, const char *key, bool *out)
{
	const char *s = scalar(n);

	if (s && (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "on")))
		*out = true;
	else if (s && (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcasecmp(s, "off")))
		*out = false;
	else
		return fail(x, n, "%s must be true or false", key);
	return true;
}

static bool get_ulong(struct cctx *x, const yaml_node_t *n, const char *key, unsigned long max,
		      unsigned long *out)
{
	const char *s = scalar(n);
	char *end;

	if (!s || *s < '0' || *s > '9')
		return fail(x, n, "%s must be a number", key);
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || *end || *out > max)
		return fail(x, n, "%s is out of range", key);
	return true;
}

static bool set_key(struct cctx *x, struct daemon_config *c, const yaml_node_t *k,
		    const yaml_node_t *v)
{
	const char *key = scalar(k);
	unsigned long u;

	if (!strcmp(key, "rules"))
		return get_path(x, v, key, c->rules, sizeof(c->rules));
	if (!strcmp(key, "log"))
		return get_path(x, v, key, c->log, sizeof(c->log));
	if (!strcmp(key, "stats_socket")) {
		if (scalar(v) && (!*scalar(v) || !strcmp(scalar(v), "none"))) {
			c->stats_socket[0] = 0;
			return true;
		}
		return get_path(x, v, key, c->stats_socket, sizeof(c->stats_socket));
	}
	if (!strcmp(key, "user")) {
		if (!scalar(v) || strlen(scalar(v)) >= sizeof(c->user))
			return fail(x, v, "%s must be a user name", key);
		snprintf(c->user, sizeof(c->user), "%s", scalar(v));
		return true;
	}
	if (!strcmp(key, "queue")) {
		if (!scalar(v) || !daemon_parse_queues(scalar(v), &c->q_first, &c->q_last))
			return fail(x, v, "%s must be N or N:M (at most 64 queues)", key);
		return true;
	}
	if (!strcmp(key, "fail_closed"))
		return get_bool(x, v, key, &c->fail_closed);
	if (!strcmp(key, "gso"))
		return get_bool(x, v, key, &c->gso);
	if (!strcmp(key, "stats_interval")) {
		if (!get_ulong(x, v, key, 86400, &u))
			return false;
		c->stats_interval = (unsigned)u;
		return true;
	}
	if (!strcmp(key, "queue_maxlen") || !strcmp(key, "rcvbuf")) {
		if (!get_ulong(x, v, key, UINT32_MAX, &u))
			return false;
		*(key[0] == 'q' ? &c->queue_maxlen : &c->rcvbuf) = (uint32_t)u;
		return true;
	}
	if (!strcmp(key, "max_flows")) {
		if (!get_ulong(x, v, key, 1u << 24, &u) || (!u && !fail(x, v, "%s must be > 0", key)))
			return false;
		c->engine.max_flows = u;
		return true;
	}
	if (!strcmp(key, "flow_timeout")) {
		if (!get_ulong(x, v, key, 86400, &u) || (!u && !fail(x, v, "%s must be > 0", key)))
			return false;
		c->engine.flow_timeout_us = (uint64_t)u * 1000000;
		return true;
	}
	return fail(x, k, "unknown key '%s'", key);
}

bool daemon_config_load(struct daemon_config *c, const char *path, char *err, size_t errlen)
{
	struct cctx x = { path, err, errlen };
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_pair_t *pair;
	yaml_node_t *root, *k, *v;
	bool ok = false, have_doc = false;
	FILE *f = fopen(path, "rb");

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return false;
	}
	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, errlen, "%s: out of memory", path);
		fclose(f);
		return false;
	}
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "%s:%zu:%zu: %s", path, parser.problem_mark.line + 1,
			 parser.problem_mark.column + 1, parser.problem ? parser.problem : "bad YAML");
		goto out;
	}
	have_doc = true;
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		ok = true; /* an empty file: all defaults */
		goto out;
	}
	if (root->type != YAML_MAPPING_NODE) {
		fail(&x, root, "%s", "the configuration must be a mapping of keys");
		goto out;
	}
	for (pair = root->data.mapping.pairs.start; pair < root->data.mapping.pairs.top; pair++) {
		k = yaml_document_get_node(&doc, pair->key);
		v = yaml_document_get_node(&doc, pair->value);
		if (!scalar(k)) {
			fail(&x, k, "%s", "keys must be plain words");
			goto out;
		}
		if (!set_key(&x, c, k, v))
			goto out;
	}
	ok = true;
out:
	if (have_doc)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(f);
	return ok;
}
