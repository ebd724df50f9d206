/* gw_event: a gateway event's indexed columns; contract in gw_event.h. */
#include "gw_event.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <yajl/yajl_parse.h>

bool gw_event_time(const char *s, double *out)
{
	struct tm tm = { 0 };
	const char *p;
	double frac = 0, scale = 0.1;
	int off = 0, sign = 1, n = 0;
	time_t t;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n != 19)
		return false;
	p = s + n;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++, scale /= 10)
			frac += (*p - '0') * scale;
	if (*p == '+' || *p == '-') {
		int hh, mm;

		sign = *p == '-' ? -1 : 1;
		if (sscanf(p + 1, "%2d%n", &hh, &n) != 1 || n != 2)
			return false;
		p += 3;
		if (*p == ':')
			p++;
		if (sscanf(p, "%2d%n", &mm, &n) != 1 || n != 2)
			return false;
		p += 2;
		off = sign * (hh * 3600 + mm * 60);
	} else if (*p == 'Z') {
		p++;
	}
	if (*p)
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return false;
	*out = (double)(t - off) + frac;
	return true;
}

/*
 * The line is read by yajl's event parser: no tree is built, only the
 * keys the store indexes are looked at (json-c's tree of a 6 KB alert,
 * every certificate field a node, was about a third of the server's time
 * per row). Where each value lands follows the stack of open containers
 * and the key each was opened under.
 */
#define GW_DEPTH 32		/* containers open at once; deeper fails, as json-c did */
#define GW_RULES 16		/* failed[] entries remembered for the alert's sid */

enum gw_ctx { C_OTHER, C_ROOT, C_TLS, C_ALERT, C_SECAUDIT, C_POLICY, C_FAILED, C_ITEM };

enum gw_key {
	K_OTHER, K_TIMESTAMP, K_FLOW_ID, K_SRC_PORT, K_DEST_PORT, K_EVENT_TYPE, K_PROTO,
	K_SRC_IP, K_DEST_IP, K_TLS, K_ALERT, K_SECAUDIT, K_SNI, K_ACTION, K_SIGNATURE_ID,
	K_POLICY, K_PROFILE, K_ZONE, K_FAILED, K_CHECK, K_SID, K_RULE,
};

static const struct {
	enum gw_ctx in;
	const char *name;
	enum gw_key key;
} gw_keys[] = {
	{ C_ROOT, "timestamp", K_TIMESTAMP }, { C_ROOT, "flow_id", K_FLOW_ID },
	{ C_ROOT, "src_port", K_SRC_PORT }, { C_ROOT, "dest_port", K_DEST_PORT },
	{ C_ROOT, "event_type", K_EVENT_TYPE }, { C_ROOT, "proto", K_PROTO },
	{ C_ROOT, "src_ip", K_SRC_IP }, { C_ROOT, "dest_ip", K_DEST_IP },
	{ C_ROOT, "tls", K_TLS }, { C_ROOT, "alert", K_ALERT },
	{ C_ROOT, "secaudit", K_SECAUDIT }, { C_TLS, "sni", K_SNI },
	{ C_ALERT, "action", K_ACTION }, { C_ALERT, "signature_id", K_SIGNATURE_ID },
	{ C_SECAUDIT, "policy", K_POLICY }, { C_POLICY, "profile", K_PROFILE },
	{ C_POLICY, "zone", K_ZONE }, { C_POLICY, "failed", K_FAILED },
	{ C_ITEM, "check", K_CHECK }, { C_ITEM, "sid", K_SID }, { C_ITEM, "rule", K_RULE },
};

struct gw_parse {
	struct gw_event *ev;
	int depth;				/* containers open */
	bool object;				/* the line is an object */
	enum gw_ctx ctx[GW_DEPTH];		/* what each one is */
	enum gw_key key;			/* the key of the value that comes */
	char ts[40];				/* "timestamp", converted at the end */
	int64_t sid;				/* alert.signature_id, -1: none */
	/* the failed[] entry being read, and those with a sid and a rule */
	char check[GW_CHECKS], rule[GW_FIELD];
	bool has_check;
	int64_t item_sid;
	struct { int64_t sid; char rule[GW_FIELD]; } rules[GW_RULES];
	unsigned n_rules;
};

/* A JSON string's bytes into a fixed field, cut at a NUL (the C string
 * json-c handed out ended there) or at the field's size. */
static void put_str(char *out, size_t n, const unsigned char *s, size_t len)
{
	const unsigned char *nul = memchr(s, 0, len);

	if (nul)
		len = (size_t)(nul - s);
	if (len >= n)
		len = n - 1;
	memcpy(out, s, len);
	out[len] = '\0';
}

static enum gw_ctx here(const struct gw_parse *p)
{
	return p->depth ? p->ctx[p->depth - 1] : C_OTHER;
}

static int on_key(void *arg, const unsigned char *k, size_t len)
{
	struct gw_parse *p = arg;
	enum gw_ctx c = here(p);
	size_t i;

	p->key = K_OTHER;
	for (i = 0; i < sizeof(gw_keys) / sizeof(gw_keys[0]); i++)
		if (gw_keys[i].in == c && strlen(gw_keys[i].name) == len &&
		    !memcmp(gw_keys[i].name, k, len)) {
			p->key = gw_keys[i].key;
			break;
		}
	return 1;
}

/* A container opens: what it is follows from where and under which key. */
static int open_ctx(struct gw_parse *p, bool map)
{
	enum gw_ctx c = C_OTHER, up = here(p);

	if (p->depth == GW_DEPTH)
		return 0;
	if (!p->depth)
		c = map ? C_ROOT : C_OTHER;
	else if (up == C_FAILED)
		c = map ? C_ITEM : C_OTHER;
	else if (map && p->key == K_TLS)
		c = C_TLS;
	else if (map && p->key == K_ALERT)
		c = C_ALERT;
	else if (map && p->key == K_SECAUDIT)
		c = C_SECAUDIT;
	else if (map && p->key == K_POLICY)
		c = C_POLICY;
	else if (!map && p->key == K_FAILED)
		c = C_FAILED;
	if (!p->depth && c != C_ROOT)
		return 0;	/* a line that is not an object */
	if (c == C_ROOT)
		p->object = true;
	if (c == C_ITEM) {
		p->check[0] = p->rule[0] = '\0';
		p->has_check = false;
		p->item_sid = -1;
	}
	p->ctx[p->depth++] = c;
	p->key = K_OTHER;
	return 1;
}

static int on_start_map(void *arg)
{
	return open_ctx(arg, true);
}

static int on_start_array(void *arg)
{
	return open_ctx(arg, false);
}

/* A failed[] entry ends: its check joins the list (one that does not fit
 * whole is left out, never cut); its rule is kept for the alert's sid. */
static void end_item(struct gw_parse *p)
{
	struct gw_event *ev = p->ev;
	size_t used = strlen(ev->checks), cl = strlen(p->check);

	if (p->has_check && used + !!used + cl + 1 <= sizeof(ev->checks)) {
		if (used)
			ev->checks[used++] = ',';
		memcpy(ev->checks + used, p->check, cl + 1);
	}
	if (p->item_sid >= 0 && p->rule[0] && p->n_rules < GW_RULES) {
		p->rules[p->n_rules].sid = p->item_sid;
		memcpy(p->rules[p->n_rules].rule, p->rule, strlen(p->rule) + 1);
		p->n_rules++;
	}
}

static int on_end(void *arg)
{
	struct gw_parse *p = arg;

	if (here(p) == C_ITEM)
		end_item(p);
	p->depth--;
	p->key = K_OTHER;
	return 1;
}

static int on_string(void *arg, const unsigned char *s, size_t len)
{
	struct gw_parse *p = arg;
	struct gw_event *ev = p->ev;

	switch (p->key) {
	case K_TIMESTAMP:	put_str(p->ts, sizeof(p->ts), s, len); break;
	case K_EVENT_TYPE:	put_str(ev->event_type, sizeof(ev->event_type), s, len); break;
	case K_PROTO:		put_str(ev->proto, sizeof(ev->proto), s, len); break;
	case K_SRC_IP:		put_str(ev->src_ip, sizeof(ev->src_ip), s, len); break;
	case K_DEST_IP:		put_str(ev->dest_ip, sizeof(ev->dest_ip), s, len); break;
	case K_SNI:		put_str(ev->sni, sizeof(ev->sni), s, len); break;
	case K_ACTION:		put_str(ev->action, sizeof(ev->action), s, len); break;
	case K_PROFILE:		put_str(ev->profile, sizeof(ev->profile), s, len); break;
	case K_ZONE:		put_str(ev->zone, sizeof(ev->zone), s, len); break;
	case K_CHECK:
		/* kept whole or not at all (end_item) */
		put_str(p->check, sizeof(p->check), s, len);
		p->has_check = strlen(p->check) == strnlen((const char *)s, len);
		break;
	case K_RULE:		put_str(p->rule, sizeof(p->rule), s, len); break;
	default:		break;
	}
	p->key = K_OTHER;
	return 1;
}

/* An integer is a number without fraction or exponent (json-c's int);
 * beyond int64 it is cut to the limit, as json-c did. */
static int on_number(void *arg, const char *s, size_t len)
{
	struct gw_parse *p = arg;
	struct gw_event *ev = p->ev;
	char num[32];
	int64_t v;

	if (p->key == K_OTHER || memchr(s, '.', len) || memchr(s, 'e', len) ||
	    memchr(s, 'E', len) || len >= sizeof(num)) {
		p->key = K_OTHER;
		return 1;
	}
	memcpy(num, s, len);
	num[len] = '\0';
	v = strtoll(num, NULL, 10);
	switch (p->key) {
	case K_FLOW_ID:		ev->flow_id = v; break;
	case K_SRC_PORT:	ev->src_port = v; break;
	case K_DEST_PORT:	ev->dest_port = v; break;
	case K_SIGNATURE_ID:	p->sid = v; break;
	case K_SID:		p->item_sid = v; break;
	default:		break;
	}
	p->key = K_OTHER;
	return 1;
}

/* null and true/false: a value of the wrong type, ignored */
static int on_scalar(void *arg)
{
	((struct gw_parse *)arg)->key = K_OTHER;
	return 1;
}

static int on_bool(void *arg, int v)
{
	(void)v;
	return on_scalar(arg);
}

static const yajl_callbacks gw_callbacks = {
	.yajl_null = on_scalar,
	.yajl_boolean = on_bool,
	.yajl_number = on_number,
	.yajl_string = on_string,
	.yajl_start_map = on_start_map,
	.yajl_map_key = on_key,
	.yajl_end_map = on_end,
	.yajl_start_array = on_start_array,
	.yajl_end_array = on_end,
};

bool gw_event_parse(const char *line, size_t len, struct gw_event *ev)
{
	struct gw_parse parse, *p = &parse;
	yajl_handle h;
	bool ok = false;
	unsigned i;

	memset(ev, 0, sizeof(*ev));
	ev->flow_id = ev->src_port = ev->dest_port = -1;
	/* the scalars only: the text buffers (5 KB) are written before they
	 * are read (zeroing them for each line showed in perf) */
	p->ev = ev;
	p->depth = 0;
	p->object = false;
	p->key = K_OTHER;
	p->ts[0] = '\0';
	p->sid = -1;
	p->n_rules = 0;
	h = yajl_alloc(&gw_callbacks, NULL, p);
	if (!h)
		goto out;
	/* bytes that are not UTF-8 pass as they are (the monitor escapes
	 * them; json-c did not check either) */
	yajl_config(h, yajl_dont_validate_strings, 1);
	if (yajl_parse(h, (const unsigned char *)line, len) != yajl_status_ok ||
	    yajl_complete_parse(h) != yajl_status_ok || !p->object)
		goto out;
	if (p->ts[0] && !gw_event_time(p->ts, &ev->time))
		ev->time = 0;
	for (i = 0; p->sid >= 0 && i < p->n_rules && !ev->rule[0]; i++)
		if (p->rules[i].sid == p->sid)
			memcpy(ev->rule, p->rules[i].rule, strlen(p->rules[i].rule) + 1);
	if (!ev->rule[0] && p->sid >= 0)
		snprintf(ev->rule, sizeof(ev->rule), "%lld", (long long)p->sid);
	ok = true;
out:
	if (!ok) {
		memset(ev, 0, sizeof(*ev));
		ev->flow_id = ev->src_port = ev->dest_port = -1;
	}
	if (h)
		yajl_free(h);
	return ok;
}
