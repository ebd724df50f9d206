/*
 * audit_rules: YAML (libyaml document API) -> rule set, and the matcher;
 * contract in audit_rules.h, format in docs/audit-channel.md.
 *
 * The whole file is loaded as a document first so every node keeps its
 * position for messages. Each mapping's keys are checked against what it
 * may hold before a value is read: a misspelt condition is an error, never
 * a rule that silently matches more than its author meant.
 */
#include "audit_rules.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#define AUDIT_RULES_MAX_FILE (4u << 20)
#define AUDIT_RULES_MAX_FILES 256

struct strs {
	char **v;
	size_t n;
};

struct nums {
	uint64_t *v;
	size_t n;
};

/* One match block. Empty lists and -1 flags are "any". */
struct match {
	struct strs key, syscall, program, comm, path, argument;
	struct nums uid, euid, auid, gid, a[4];
	int success, write, uid_change;
	struct match *not;	/* the event must not match this (owned) */
};

struct rule {
	struct audit_rule_info info;	/* strings owned */
	struct match m;
};

struct audit_rules {
	struct rule *v;
	size_t n;
};

enum cond_type { COND_EXACT, COND_GLOB, COND_NUM, COND_BOOL, COND_NOT };

/* The conditions a match block may hold; docs/audit-channel.md lists them. */
static const struct cond {
	const char *name;
	enum cond_type type;
	size_t off;
} conds[] = {
	{ "key", COND_EXACT, offsetof(struct match, key) },
	{ "syscall", COND_EXACT, offsetof(struct match, syscall) },
	{ "program", COND_GLOB, offsetof(struct match, program) },
	{ "comm", COND_GLOB, offsetof(struct match, comm) },
	{ "path", COND_GLOB, offsetof(struct match, path) },
	{ "argument", COND_GLOB, offsetof(struct match, argument) },
	{ "uid", COND_NUM, offsetof(struct match, uid) },
	{ "euid", COND_NUM, offsetof(struct match, euid) },
	{ "auid", COND_NUM, offsetof(struct match, auid) },
	{ "gid", COND_NUM, offsetof(struct match, gid) },
	{ "a0", COND_NUM, offsetof(struct match, a[0]) },
	{ "a1", COND_NUM, offsetof(struct match, a[1]) },
	{ "a2", COND_NUM, offsetof(struct match, a[2]) },
	{ "a3", COND_NUM, offsetof(struct match, a[3]) },
	{ "success", COND_BOOL, offsetof(struct match, success) },
	{ "write", COND_BOOL, offsetof(struct match, write) },
	{ "uid_change", COND_BOOL, offsetof(struct match, uid_change) },
	{ "not", COND_NOT, offsetof(struct match, not) },
};

/* ---- freeing ---- */

static void strs_free(struct strs *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

static void match_free(struct match *m)
{
	if (!m)
		return;
	strs_free(&m->key);
	strs_free(&m->syscall);
	strs_free(&m->program);
	strs_free(&m->comm);
	strs_free(&m->path);
	strs_free(&m->argument);
	free(m->uid.v);
	free(m->euid.v);
	free(m->auid.v);
	free(m->gid.v);
	for (int i = 0; i < 4; i++)
		free(m->a[i].v);
	match_free(m->not);
	free(m->not);
}

void audit_rules_free(struct audit_rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free((char *)r->v[i].info.id);
		free((char *)r->v[i].info.message);
		free((char *)r->v[i].info.category);
		match_free(&r->v[i].m);
	}
	free(r->v);
	free(r);
}

size_t audit_rules_count(const struct audit_rules *r)
{
	return r ? r->n : 0;
}

/* ---- parsing ---- */

struct pctx {
	yaml_document_t doc;
	const char *name;
	char *err;
	size_t errsz;
	bool failed;
	struct audit_rules *set;
};

__attribute__((format(printf, 3, 4)))
static bool fail(struct pctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (c->failed)
		return false;
	c->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n)
		snprintf(c->err, c->errsz, "%s:%lu:%lu: %s", c->name,
			 (unsigned long)n->start_mark.line + 1,
			 (unsigned long)n->start_mark.column + 1, msg);
	else
		snprintf(c->err, c->errsz, "%s: %s", c->name, msg);
	return false;
}

static yaml_node_t *node_at(struct pctx *c, int id)
{
	return yaml_document_get_node(&c->doc, id);
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static const char *kind(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE ? "a value"
	       : n->type == YAML_SEQUENCE_NODE ? "a list" : "a mapping";
}

/* map is a mapping whose keys are plain names from keys[], each once. */
static bool check_keys(struct pctx *c, const yaml_node_t *map, const char *what,
		       const char *const *keys)
{
	yaml_node_pair_t *a, *b;

	if (map->type != YAML_MAPPING_NODE)
		return fail(c, map, "%s must be a mapping, not %s", what, kind(map));
	for (a = map->data.mapping.pairs.start; a < map->data.mapping.pairs.top; a++) {
		yaml_node_t *k = node_at(c, a->key);
		const char *ks = scalar(k);
		const char *const *p;

		if (!ks)
			return fail(c, k, "keys in %s must be plain names", what);
		for (p = keys; *p && strcmp(*p, ks); p++)
			;
		if (!*p)
			return fail(c, k, "unknown key '%s' in %s", ks, what);
		for (b = map->data.mapping.pairs.start; b < a; b++)
			if (!strcmp(ks, scalar(node_at(c, b->key))))
				return fail(c, k, "duplicate key '%s' in %s", ks, what);
	}
	return true;
}

static yaml_node_t *get(struct pctx *c, const yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++)
		if (!strcmp(scalar(node_at(c, p->key)), key))
			return node_at(c, p->value);
	return NULL;
}

static bool parse_u64(struct pctx *c, const yaml_node_t *n, const char *what,
		      uint64_t max, uint64_t *out)
{
	const char *s = scalar(n);
	char *end;

	if (!s)
		return fail(c, n, "%s must be a number, not %s", what, kind(n));
	errno = 0;
	*out = strtoull(s, &end, 0);
	if (errno || !*s || *end || *s == '-' || *out > max)
		return fail(c, n, "%s: '%s' is not a number from 0 to %llu", what, s,
			    (unsigned long long)max);
	return true;
}

/* A value or a list of values, each passed to item(). */
static bool each_item(struct pctx *c, const yaml_node_t *n, const char *what,
		      bool (*item)(struct pctx *, const yaml_node_t *, const char *, void *),
		      void *dst)
{
	yaml_node_item_t *i;

	if (n->type == YAML_SCALAR_NODE)
		return item(c, n, what, dst);
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(c, n, "%s must be a value or a list, not %s", what, kind(n));
	if (n->data.sequence.items.start == n->data.sequence.items.top)
		return fail(c, n, "%s: empty list (leave the condition out to match any)", what);
	for (i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++)
		if (!item(c, node_at(c, *i), what, dst))
			return false;
	return true;
}

static bool str_item(struct pctx *c, const yaml_node_t *n, const char *what, void *dst)
{
	struct strs *s = dst;
	const char *v = scalar(n);
	char **grown;

	if (!v)
		return fail(c, n, "%s: items must be values, not %s", what, kind(n));
	if (!*v)
		return fail(c, n, "%s: empty value", what);
	grown = realloc(s->v, (s->n + 1) * sizeof(*s->v));
	if (!grown)
		return fail(c, n, "out of memory");
	s->v = grown;
	if (!(s->v[s->n] = strdup(v)))
		return fail(c, n, "out of memory");
	s->n++;
	return true;
}

static bool num_item(struct pctx *c, const yaml_node_t *n, const char *what, void *dst)
{
	struct nums *s = dst;
	uint64_t v, *grown;

	/* an audit id the kernel never set prints as 4294967295 */
	if (scalar(n) && !strcmp(scalar(n), "unset"))
		v = 4294967295u;
	else if (!parse_u64(c, n, what, UINT64_MAX, &v))
		return false;
	grown = realloc(s->v, (s->n + 1) * sizeof(*s->v));
	if (!grown)
		return fail(c, n, "out of memory");
	s->v = grown;
	s->v[s->n++] = v;
	return true;
}

static bool parse_bool(struct pctx *c, const yaml_node_t *n, const char *what, int *out)
{
	const char *s = scalar(n);

	if (s && (!strcmp(s, "true") || !strcmp(s, "yes")))
		*out = 1;
	else if (s && (!strcmp(s, "false") || !strcmp(s, "no")))
		*out = 0;
	else
		return fail(c, n, "%s must be true or false", what);
	return true;
}

static bool parse_match(struct pctx *c, const yaml_node_t *n, struct match *m, int depth)
{
	const char *names[sizeof(conds) / sizeof(conds[0]) + 1];
	yaml_node_pair_t *p;
	size_t i;

	m->success = m->write = m->uid_change = -1;
	for (i = 0; i < sizeof(conds) / sizeof(conds[0]); i++)
		names[i] = conds[i].name;
	names[i] = NULL;
	if (!check_keys(c, n, depth ? "not" : "match", names))
		return false;
	if (n->data.mapping.pairs.start == n->data.mapping.pairs.top)
		return fail(c, n, "%s: no condition (a rule would match every event)",
			    depth ? "not" : "match");
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		const char *k = scalar(node_at(c, p->key));
		yaml_node_t *v = node_at(c, p->value);
		const struct cond *cd = conds;
		void *dst;

		while (strcmp(cd->name, k))
			cd++;
		dst = (char *)m + cd->off;
		switch (cd->type) {
		case COND_EXACT:
		case COND_GLOB:
			if (!each_item(c, v, k, str_item, dst))
				return false;
			break;
		case COND_NUM:
			if (!each_item(c, v, k, num_item, dst))
				return false;
			break;
		case COND_BOOL:
			if (!parse_bool(c, v, k, dst))
				return false;
			break;
		case COND_NOT:
			if (depth)
				return fail(c, v, "'not' cannot be nested");
			if (!(m->not = calloc(1, sizeof(*m->not))))
				return fail(c, v, "out of memory");
			if (!parse_match(c, v, m->not, depth + 1))
				return false;
			break;
		}
	}
	return true;
}

static bool valid_id(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

static bool parse_rule(struct pctx *c, const yaml_node_t *n)
{
	static const char *const keys[] = { "id", "sid", "message", "category",
					    "severity", "match", NULL };
	static const char *const required[] = { "id", "sid", "message", "match", NULL };
	struct audit_rules *set = c->set;
	yaml_node_t *v;
	struct rule *r, *grown;
	uint64_t u;
	size_t i;

	if (!check_keys(c, n, "a rule", keys))
		return false;
	for (i = 0; required[i]; i++)
		if (!get(c, n, required[i]))
			return fail(c, n, "rule without '%s'", required[i]);
	grown = realloc(set->v, (set->n + 1) * sizeof(*set->v));
	if (!grown)
		return fail(c, n, "out of memory");
	set->v = grown;
	r = &set->v[set->n++];
	memset(r, 0, sizeof(*r));
	r->m.success = r->m.write = r->m.uid_change = -1;
	r->info.severity = 2;

	v = get(c, n, "id");
	if (!scalar(v) || !valid_id(scalar(v)))
		return fail(c, v, "id must be letters, digits, '-', '_' or '.'");
	for (i = 0; i + 1 < set->n; i++)
		if (!strcmp(set->v[i].info.id, scalar(v)))
			return fail(c, v, "duplicate rule id '%s'", scalar(v));
	r->info.id = strdup(scalar(v));

	v = get(c, n, "sid");
	if (!parse_u64(c, v, "sid", UINT32_MAX, &u))
		return false;
	if (u == 0)
		return fail(c, v, "sid must not be 0");
	for (i = 0; i + 1 < set->n; i++)
		if (set->v[i].info.sid == u)
			return fail(c, v, "sid %llu is also rule '%s'",
				    (unsigned long long)u, set->v[i].info.id);
	r->info.sid = (uint32_t)u;

	v = get(c, n, "message");
	if (!scalar(v) || !*scalar(v))
		return fail(c, v, "message must be a non-empty value");
	r->info.message = strdup(scalar(v));

	v = get(c, n, "category");
	if (v && (!scalar(v) || !*scalar(v)))
		return fail(c, v, "category must be a non-empty value");
	r->info.category = strdup(v ? scalar(v) : "audit");

	if ((v = get(c, n, "severity"))) {
		if (!parse_u64(c, v, "severity", 4, &u))
			return false;
		if (u == 0)
			return fail(c, v, "severity goes from 1 (high) to 4");
		r->info.severity = (unsigned)u;
	}
	if (!r->info.id || !r->info.message || !r->info.category)
		return fail(c, n, "out of memory");
	return parse_match(c, get(c, n, "match"), &r->m, 0);
}

static void parse_top(struct pctx *c)
{
	static const char *const keys[] = { "version", "rules", NULL };
	yaml_node_t *root = yaml_document_get_root_node(&c->doc), *v;
	yaml_node_item_t *i;

	if (!root) {
		fail(c, NULL, "empty file (want version: 1 and rules:)");
		return;
	}
	if (!check_keys(c, root, "the file", keys))
		return;
	v = get(c, root, "version");
	if (!v || !scalar(v) || strcmp(scalar(v), "1")) {
		fail(c, v ? v : root, "version: 1 expected");
		return;
	}
	v = get(c, root, "rules");
	if (!v) {
		fail(c, root, "no 'rules:' list");
		return;
	}
	if (v->type != YAML_SEQUENCE_NODE) {
		fail(c, v, "rules must be a list, not %s", kind(v));
		return;
	}
	for (i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++)
		if (!parse_rule(c, node_at(c, *i)))
			return;
}

/* Adds the rules of one file's text to set; false with err set. */
static bool add_text(struct audit_rules *set, const char *name, const char *text,
		     size_t len, char *err, size_t errsz)
{
	struct pctx c = { .name = name, .err = err, .errsz = errsz, .set = set };
	yaml_parser_t parser;

	if (!yaml_parser_initialize(&parser))
		return fail(&c, NULL, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &c.doc)) {
		snprintf(err, errsz, "%s:%lu:%lu: YAML syntax: %s%s%s", name,
			 (unsigned long)parser.problem_mark.line + 1,
			 (unsigned long)parser.problem_mark.column + 1,
			 parser.problem ? parser.problem : "error",
			 parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		return false;
	}
	parse_top(&c);
	yaml_document_delete(&c.doc);
	yaml_parser_delete(&parser);
	return !c.failed;
}

struct audit_rules *audit_rules_parse(const char *name, const char *text,
				      size_t len, char *err, size_t errsz)
{
	struct audit_rules *set = calloc(1, sizeof(*set));

	if (!set) {
		snprintf(err, errsz, "%s: out of memory", name);
		return NULL;
	}
	if (!add_text(set, name, text, len, err, errsz)) {
		audit_rules_free(set);
		return NULL;
	}
	return set;
}

static bool add_file(struct audit_rules *set, const char *path, char *err, size_t errsz)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t len = 0;
	bool ok = false;

	if (!f) {
		snprintf(err, errsz, "%s: cannot read: %s", path, strerror(errno));
		return false;
	}
	data = malloc(AUDIT_RULES_MAX_FILE + 1);
	if (data)
		len = fread(data, 1, AUDIT_RULES_MAX_FILE + 1, f);
	if (!data || ferror(f) || len > AUDIT_RULES_MAX_FILE)
		snprintf(err, errsz, "%s: %s", path, !data ? "out of memory"
			 : len > AUDIT_RULES_MAX_FILE ? "file too large" : "read error");
	else
		ok = add_text(set, path, data, len, err, errsz);
	fclose(f);
	free(data);
	return ok;
}

static bool yaml_name(const char *n)
{
	size_t l = strlen(n);

	return n[0] != '.' && ((l > 5 && !strcmp(n + l - 5, ".yaml")) ||
			       (l > 4 && !strcmp(n + l - 4, ".yml")));
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct audit_rules *audit_rules_load(const char *path, char *err, size_t errsz)
{
	struct audit_rules *set = calloc(1, sizeof(*set));
	char *names[AUDIT_RULES_MAX_FILES], full[4096];
	struct dirent *de;
	size_t n = 0, i;
	bool ok = true;
	DIR *d;

	if (!set) {
		snprintf(err, errsz, "%s: out of memory", path);
		return NULL;
	}
	d = opendir(path);
	if (!d) {
		if (errno != ENOTDIR)
			ok = false, snprintf(err, errsz, "%s: cannot read: %s", path, strerror(errno));
		else
			ok = add_file(set, path, err, errsz);
		goto out;
	}
	while (ok && (de = readdir(d))) {
		if (!yaml_name(de->d_name))
			continue;
		if (n == AUDIT_RULES_MAX_FILES) {
			snprintf(err, errsz, "%s: more than %d rules files", path,
				 AUDIT_RULES_MAX_FILES);
			ok = false;
		} else if (!(names[n] = strdup(de->d_name))) {
			snprintf(err, errsz, "%s: out of memory", path);
			ok = false;
		} else {
			n++;
		}
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	for (i = 0; ok && i < n; i++) {
		snprintf(full, sizeof(full), "%s/%s", path, names[i]);
		ok = add_file(set, full, err, errsz);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
out:
	if (!ok) {
		audit_rules_free(set);
		return NULL;
	}
	return set;
}

/* ---- matching ---- */

/* The event's key field holds several keys separated by ','. */
static bool key_in(const char *keys, const char *want)
{
	size_t wl = strlen(want);
	const char *p = keys;

	while (*p) {
		size_t l = strcspn(p, ",");

		if (l == wl && !memcmp(p, want, l))
			return true;
		p += l + (p[l] == ',');
	}
	return false;
}

static bool any_str(const struct strs *s, bool (*test)(const char *item, const void *ctx),
		    const void *ctx)
{
	for (size_t i = 0; i < s->n; i++)
		if (test(s->v[i], ctx))
			return true;
	return false;
}

static bool test_key(const char *item, const void *ev)
{
	return key_in(((const struct audit_event *)ev)->key, item);
}

static bool test_syscall(const char *item, const void *ctx)
{
	const struct audit_event *ev = ctx;
	char nr[24];

	if (ev->syscall < 0)
		return false;
	if (ev->syscall_name[0] && !strcmp(item, ev->syscall_name))
		return true;
	snprintf(nr, sizeof(nr), "%ld", ev->syscall);
	return !strcmp(item, nr);
}

/* Shell patterns where a star also matches '/': "/tmp/" followed by a
 * star is everything under /tmp, as an administrator reads it. */
static bool test_glob(const char *item, const void *s)
{
	return fnmatch(item, s, 0) == 0;
}

/* A PATH name as the file it is: relative names are relative to CWD. */
static bool paths_match(const struct strs *globs, const struct audit_event *ev)
{
	const char *p = ev->paths.data, *end = p + ev->paths.len;
	char full[2 * AUDIT_REC_PATH + 2];

	for (; p && p < end; p += strlen(p) + 1) {
		const char *name = p;

		if (p[0] != '/' && ev->cwd[0]) {
			snprintf(full, sizeof(full), "%s/%s", ev->cwd, p);
			name = full;
		}
		if (any_str(globs, test_glob, name))
			return true;
	}
	return false;
}

static bool args_match(const struct strs *globs, const struct audit_event *ev)
{
	const char *p = ev->args.data, *end = p + ev->args.len;

	for (; p && p < end; p += strlen(p) + 1)
		if (any_str(globs, test_glob, p))
			return true;
	return false;
}

static bool u64_in(const struct nums *n, uint64_t v)
{
	for (size_t i = 0; i < n->n; i++)
		if (n->v[i] == v)
			return true;
	return false;
}

/* v < 0: the event does not carry the field, which then matches nothing. */
static bool num_in(const struct nums *n, int64_t v)
{
	return v >= 0 && u64_in(n, (uint64_t)v);
}

static bool str_in(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

/*
 * Whether the syscall may change the file it names. open/openat flags are
 * the generic Linux values (x86 and arm64 alike), not this host's headers:
 * the record may come from another machine. openat2 passes its flags in a
 * struct, so only a created file counts there.
 */
static bool event_writes(const struct audit_event *ev)
{
	static const char *const modifying[] = {
		"creat", "truncate", "ftruncate", "rename", "renameat", "renameat2",
		"unlink", "unlinkat", "rmdir", "link", "linkat", "symlink",
		"symlinkat", "mknod", "chmod", "fchmodat", "chown", NULL
	};
	const uint64_t wr = 01 /* O_WRONLY */ | 02 /* O_RDWR */ |
			    0100 /* O_CREAT */ | 01000 /* O_TRUNC */;

	if (strstr(ev->nametypes, "CREATE") || strstr(ev->nametypes, "DELETE"))
		return true;
	if (!strcmp(ev->syscall_name, "open"))
		return ev->a[1] & wr;
	if (!strcmp(ev->syscall_name, "openat"))
		return ev->a[2] & wr;
	return ev->syscall_name[0] && str_in(modifying, ev->syscall_name);
}

static bool flag_ok(int want, bool have)
{
	return want < 0 || (bool)want == have;
}

static bool matches(const struct match *m, const struct audit_event *ev)
{
	int i;

	if (m->key.n && !any_str(&m->key, test_key, ev))
		return false;
	if (m->syscall.n && !any_str(&m->syscall, test_syscall, ev))
		return false;
	if (m->program.n && !any_str(&m->program, test_glob, ev->exe))
		return false;
	if (m->comm.n && !any_str(&m->comm, test_glob, ev->comm))
		return false;
	if (m->path.n && !paths_match(&m->path, ev))
		return false;
	if (m->argument.n && !args_match(&m->argument, ev))
		return false;
	if ((m->uid.n && !num_in(&m->uid, ev->uid)) ||
	    (m->euid.n && !num_in(&m->euid, ev->euid)) ||
	    (m->auid.n && !num_in(&m->auid, ev->auid)) ||
	    (m->gid.n && !num_in(&m->gid, ev->gid)))
		return false;
	for (i = 0; i < 4; i++) {
		if (!m->a[i].n)
			continue;
		if (ev->syscall < 0 || !u64_in(&m->a[i], ev->a[i]))
			return false;
	}
	if (!flag_ok(m->success, ev->success == 1) ||
	    (m->success >= 0 && ev->success < 0))
		return false;
	if (!flag_ok(m->write, event_writes(ev)))
		return false;
	if (!flag_ok(m->uid_change, ev->uid >= 0 && ev->euid >= 0 && ev->uid != ev->euid))
		return false;
	return !(m->not && matches(m->not, ev));
}

unsigned audit_rules_match(const struct audit_rules *r, const struct audit_event *ev,
			   audit_rules_hit_fn hit, void *ctx)
{
	unsigned n = 0;

	for (size_t i = 0; r && i < r->n; i++) {
		if (!matches(&r->v[i].m, ev))
			continue;
		n++;
		if (hit)
			hit(ctx, &r->v[i].info, ev);
	}
	return n;
}
