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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yamldoc.h"

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
	struct yamldoc yd;
	struct audit_rules *set;
};

/* A number from 0 to max, quoting the text when it is not. */
static bool parse_u64(struct pctx *c, const yaml_node_t *n, const char *what,
		      uint64_t max, uint64_t *out)
{
	const char *s = yamldoc_scalar(n);

	if (!s)
		return yamldoc_fail(&c->yd, n, "%s must be a number, not %s", what,
				    yamldoc_kind(n));
	if (!yamldoc_parse_u64(s, out) || *out > max)
		return yamldoc_fail(&c->yd, n, "%s: '%s' is not a number from 0 to %llu", what, s,
				    (unsigned long long)max);
	return true;
}

/* A value or a non-empty list of values, each passed to item(). */
static bool each_item(struct pctx *c, const yaml_node_t *n, const char *what,
		      bool (*item)(struct pctx *, const yaml_node_t *, const char *, void *),
		      void *dst)
{
	size_t i;

	if (!yamldoc_scalars(&c->yd, n, what))
		return false;
	if (!yamldoc_items(n))
		return yamldoc_fail(&c->yd, n, "%s: empty list (leave the condition out to match any)",
				    what);
	for (i = 0; i < yamldoc_items(n); i++)
		if (!item(c, yamldoc_item(&c->yd, n, i), what, dst))
			return false;
	return true;
}

static bool str_item(struct pctx *c, const yaml_node_t *n, const char *what, void *dst)
{
	struct strs *s = dst;
	const char *v = yamldoc_scalar(n);
	char **grown;

	if (!*v)
		return yamldoc_fail(&c->yd, n, "%s: empty value", what);
	grown = realloc(s->v, (s->n + 1) * sizeof(*s->v));
	if (!grown)
		return yamldoc_fail(&c->yd, n, "out of memory");
	s->v = grown;
	if (!(s->v[s->n] = strdup(v)))
		return yamldoc_fail(&c->yd, n, "out of memory");
	s->n++;
	return true;
}

static bool num_item(struct pctx *c, const yaml_node_t *n, const char *what, void *dst)
{
	struct nums *s = dst;
	uint64_t v, *grown;

	/* an audit id the kernel never set prints as 4294967295 */
	if (yamldoc_scalar(n) && !strcmp(yamldoc_scalar(n), "unset"))
		v = 4294967295u;
	else if (!parse_u64(c, n, what, UINT64_MAX, &v))
		return false;
	grown = realloc(s->v, (s->n + 1) * sizeof(*s->v));
	if (!grown)
		return yamldoc_fail(&c->yd, n, "out of memory");
	s->v = grown;
	s->v[s->n++] = v;
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
	if (!yamldoc_check_keys(&c->yd, n, depth ? "not" : "match", names, NULL))
		return false;
	if (n->data.mapping.pairs.start == n->data.mapping.pairs.top)
		return yamldoc_fail(&c->yd, n, "%s: no condition (a rule would match every event)",
			    depth ? "not" : "match");
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		const char *k = yamldoc_scalar(yamldoc_node(&c->yd, p->key));
		yaml_node_t *v = yamldoc_node(&c->yd, p->value);
		const struct cond *cd = conds;
		void *dst;
		bool b;

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
			if (!yamldoc_bool(&c->yd, v, k, &b))
				return false;
			*(int *)dst = b;
			break;
		case COND_NOT:
			if (depth)
				return yamldoc_fail(&c->yd, v, "'not' cannot be nested");
			if (!(m->not = calloc(1, sizeof(*m->not))))
				return yamldoc_fail(&c->yd, v, "out of memory");
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

	if (!yamldoc_check_keys(&c->yd, n, "a rule", keys, NULL))
		return false;
	for (i = 0; required[i]; i++)
		if (!yamldoc_get(&c->yd, n, required[i]))
			return yamldoc_fail(&c->yd, n, "rule without '%s'", required[i]);
	grown = realloc(set->v, (set->n + 1) * sizeof(*set->v));
	if (!grown)
		return yamldoc_fail(&c->yd, n, "out of memory");
	set->v = grown;
	r = &set->v[set->n++];
	memset(r, 0, sizeof(*r));
	r->m.success = r->m.write = r->m.uid_change = -1;
	r->info.severity = 2;

	v = yamldoc_get(&c->yd, n, "id");
	if (!yamldoc_scalar(v) || !valid_id(yamldoc_scalar(v)))
		return yamldoc_fail(&c->yd, v, "id must be letters, digits, '-', '_' or '.'");
	for (i = 0; i + 1 < set->n; i++)
		if (!strcmp(set->v[i].info.id, yamldoc_scalar(v)))
			return yamldoc_fail(&c->yd, v, "duplicate rule id '%s'", yamldoc_scalar(v));
	r->info.id = strdup(yamldoc_scalar(v));

	v = yamldoc_get(&c->yd, n, "sid");
	if (!parse_u64(c, v, "sid", UINT32_MAX, &u))
		return false;
	if (u == 0)
		return yamldoc_fail(&c->yd, v, "sid must not be 0");
	for (i = 0; i + 1 < set->n; i++)
		if (set->v[i].info.sid == u)
			return yamldoc_fail(&c->yd, v, "sid %llu is also rule '%s'",
				    (unsigned long long)u, set->v[i].info.id);
	r->info.sid = (uint32_t)u;

	v = yamldoc_get(&c->yd, n, "message");
	if (!yamldoc_scalar(v) || !*yamldoc_scalar(v))
		return yamldoc_fail(&c->yd, v, "message must be a non-empty value");
	r->info.message = strdup(yamldoc_scalar(v));

	v = yamldoc_get(&c->yd, n, "category");
	if (v && (!yamldoc_scalar(v) || !*yamldoc_scalar(v)))
		return yamldoc_fail(&c->yd, v, "category must be a non-empty value");
	r->info.category = strdup(v ? yamldoc_scalar(v) : "audit");

	if ((v = yamldoc_get(&c->yd, n, "severity"))) {
		if (!parse_u64(c, v, "severity", 4, &u))
			return false;
		if (u == 0)
			return yamldoc_fail(&c->yd, v, "severity goes from 1 (high) to 4");
		r->info.severity = (unsigned)u;
	}
	if (!r->info.id || !r->info.message || !r->info.category)
		return yamldoc_fail(&c->yd, n, "out of memory");
	return parse_match(c, yamldoc_get(&c->yd, n, "match"), &r->m, 0);
}

static void parse_top(struct pctx *c)
{
	static const char *const keys[] = { "version", "rules", NULL };
	yaml_node_t *root = yamldoc_root(&c->yd), *v;
	yaml_node_item_t *i;

	if (!root) {
		yamldoc_fail(&c->yd, NULL, "empty file (want version: 1 and rules:)");
		return;
	}
	if (!yamldoc_check_keys(&c->yd, root, "the file", keys, NULL))
		return;
	v = yamldoc_get(&c->yd, root, "version");
	if (!v || !yamldoc_scalar(v) || strcmp(yamldoc_scalar(v), "1")) {
		yamldoc_fail(&c->yd, v ? v : root, "version: 1 expected");
		return;
	}
	v = yamldoc_get(&c->yd, root, "rules");
	if (!v) {
		yamldoc_fail(&c->yd, root, "no 'rules:' list");
		return;
	}
	if (v->type != YAML_SEQUENCE_NODE) {
		yamldoc_fail(&c->yd, v, "rules must be a list, not %s", yamldoc_kind(v));
		return;
	}
	for (i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++)
		if (!parse_rule(c, yamldoc_node(&c->yd, *i)))
			return;
}

/* Adds the rules of the document c->yd (if it loaded) to set, and ends
 * the document; false with err set. */
static bool add_doc(struct pctx *c, bool loaded, char *err, size_t errsz)
{
	if (loaded)
		parse_top(c);
	yamldoc_free(&c->yd);
	if (c->yd.failed)
		yamldoc_error(&c->yd, err, errsz);
	return !c->yd.failed;
}

static bool add_text(struct audit_rules *set, const char *name, const char *text,
		     size_t len, char *err, size_t errsz)
{
	struct pctx c = { .set = set };

	return add_doc(&c, yamldoc_load(&c.yd, name, text, len), err, errsz);
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
	struct pctx c = { .set = set };

	return add_doc(&c, yamldoc_load_file(&c.yd, path, AUDIT_RULES_MAX_FILE), err, errsz);
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
