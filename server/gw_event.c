/* gw_event: a gateway event's indexed columns; contract in gw_event.h. */
#include "gw_event.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

static void copy_str(char *out, size_t n, struct json_object *o)
{
	const char *s;

	if (!o || !json_object_is_type(o, json_type_string))
		return;
	s = json_object_get_string(o);
	snprintf(out, n, "%s", s ? s : "");
}

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (o && json_object_is_type(o, json_type_object))
		json_object_object_get_ex(o, key, &v);
	return v;
}

static int64_t get_int(struct json_object *o)
{
	if (!o || !json_object_is_type(o, json_type_int))
		return -1;
	return json_object_get_int64(o);
}

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

/* Joins failed[].check with commas; finds the rule of the alert's sid. */
static void policy_fields(struct gw_event *ev, struct json_object *policy, int64_t sid)
{
	struct json_object *failed = get(policy, "failed");
	size_t i, n, used = 0;

	copy_str(ev->profile, sizeof(ev->profile), get(policy, "profile"));
	copy_str(ev->zone, sizeof(ev->zone), get(policy, "zone"));
	if (!failed || !json_object_is_type(failed, json_type_array))
		return;
	n = json_object_array_length(failed);
	for (i = 0; i < n; i++) {
		struct json_object *f = json_object_array_get_idx(failed, i);
		struct json_object *check = get(f, "check");
		const char *c;
		size_t cl;

		if (sid >= 0 && !ev->rule[0] && get_int(get(f, "sid")) == sid)
			copy_str(ev->rule, sizeof(ev->rule), get(f, "rule"));
		if (!check || !json_object_is_type(check, json_type_string))
			continue;
		c = json_object_get_string(check);
		cl = strlen(c);
		/* a check that does not fit whole is left out, never cut */
		if (used + !!used + cl + 1 > sizeof(ev->checks))
			continue;
		if (used)
			ev->checks[used++] = ',';
		memcpy(ev->checks + used, c, cl + 1);
		used += cl;
	}
}

bool gw_event_parse(const char *line, size_t len, struct gw_event *ev)
{
	struct json_tokener *tok = NULL;
	struct json_object *root = NULL, *alert, *secaudit;
	int64_t sid;
	bool ok = false;

	memset(ev, 0, sizeof(*ev));
	ev->flow_id = ev->src_port = ev->dest_port = -1;
	if (len > (size_t)INT32_MAX)
		goto out;
	tok = json_tokener_new();
	if (!tok)
		goto out;
	root = json_tokener_parse_ex(tok, line, (int)len);
	if (!root || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(root, json_type_object))
		goto out;
	{
		struct json_object *ts = get(root, "timestamp");

		if (ts && json_object_is_type(ts, json_type_string) &&
		    !gw_event_time(json_object_get_string(ts), &ev->time))
			ev->time = 0;
	}
	ev->flow_id = get_int(get(root, "flow_id"));
	ev->src_port = get_int(get(root, "src_port"));
	ev->dest_port = get_int(get(root, "dest_port"));
	copy_str(ev->event_type, sizeof(ev->event_type), get(root, "event_type"));
	copy_str(ev->proto, sizeof(ev->proto), get(root, "proto"));
	copy_str(ev->src_ip, sizeof(ev->src_ip), get(root, "src_ip"));
	copy_str(ev->dest_ip, sizeof(ev->dest_ip), get(root, "dest_ip"));
	copy_str(ev->sni, sizeof(ev->sni), get(get(root, "tls"), "sni"));
	alert = get(root, "alert");
	copy_str(ev->action, sizeof(ev->action), get(alert, "action"));
	sid = get_int(get(alert, "signature_id"));
	secaudit = get(root, "secaudit");
	policy_fields(ev, get(secaudit, "policy"), sid);
	if (!ev->rule[0] && sid >= 0)
		snprintf(ev->rule, sizeof(ev->rule), "%lld", (long long)sid);
	ok = true;
out:
	if (!ok) {
		memset(ev, 0, sizeof(*ev));
		ev->flow_id = ev->src_port = ev->dest_port = -1;
	}
	json_object_put(root);
	if (tok)
		json_tokener_free(tok);
	return ok;
}
