/*
 * yamldoc: libyaml documents and typed getters with file:line:column
 * errors; contract in yamldoc.h.
 */
#include "yamldoc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Walks stop here: a reader's walk recurses, and so does this check. */
#define YAMLDOC_MAX_DEPTH 64
/* Nodes of the document with every alias expanded: what a reader's walk
 * visits. Far above any real configuration; far below a "billion laughs". */
#define YAMLDOC_MAX_EXPANDED 100000u

struct shape {
	struct yamldoc *d;
	uint8_t *state;             /* per node id - 1: 0 new, 1 open, 2 done */
	uint32_t *size;             /* expanded size of the done ones */
};

/* Expanded size of node id (at most YAMLDOC_MAX_EXPANDED + 1), or 0 after
 * recording an error: an alias to a node that contains it, or nesting too deep. */
static uint32_t expanded(struct shape *sh, int id, unsigned depth)
{
	yaml_node_t *n = yamldoc_node(sh->d, id);
	uint64_t total = 1;
	yaml_node_item_t *it;
	yaml_node_pair_t *p;
	uint32_t k, v;

	if (!n)
		return 1;
	if (depth > YAMLDOC_MAX_DEPTH)
		return yamldoc_fail(sh->d, n, "nested deeper than %d levels", YAMLDOC_MAX_DEPTH), 0;
	if (sh->state[id - 1] == 2)
		return sh->size[id - 1];
	if (sh->state[id - 1] == 1)
		return yamldoc_fail(sh->d, n, "an alias refers to a node that contains it"), 0;
	sh->state[id - 1] = 1;
	if (n->type == YAML_SEQUENCE_NODE) {
		for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
			if (!(k = expanded(sh, *it, depth + 1)))
				return 0;
			total += k;
			if (total > YAMLDOC_MAX_EXPANDED)
				break;
		}
	} else if (n->type == YAML_MAPPING_NODE) {
		for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
			if (!(k = expanded(sh, p->key, depth + 1)) ||
			    !(v = expanded(sh, p->value, depth + 1)))
				return 0;
			total += (uint64_t)k + v;
			if (total > YAMLDOC_MAX_EXPANDED)
				break;
		}
	}
	sh->state[id - 1] = 2;
	sh->size[id - 1] = total > YAMLDOC_MAX_EXPANDED ? YAMLDOC_MAX_EXPANDED + 1 : (uint32_t)total;
	return sh->size[id - 1];
}

/* libyaml builds aliases as shared nodes: a document can be a cycle, or
 * a small text whose walk never ends. Both are refused at load, so no
 * reader needs its own guard. */
static bool shape_ok(struct yamldoc *d)
{
	size_t count = (size_t)(d->doc.nodes.top - d->doc.nodes.start);
	struct shape sh = { d, calloc(count ? count : 1, 1),
			    calloc(count ? count : 1, sizeof(uint32_t)) };
	uint32_t total = 0;

	if (!sh.state || !sh.size)
		yamldoc_fail(d, NULL, "out of memory");
	else if (count && (total = expanded(&sh, 1, 0)) > YAMLDOC_MAX_EXPANDED)
		yamldoc_fail(d, yamldoc_root(d), "aliases expand the document beyond %u nodes",
			     YAMLDOC_MAX_EXPANDED);
	free(sh.state);
	free(sh.size);
	return !d->failed;
}

bool yamldoc_load(struct yamldoc *d, const char *name, const char *data, size_t len)
{
	yaml_parser_t parser;

	memset(d, 0, sizeof(*d));
	d->name = name;
	if (!yaml_parser_initialize(&parser))
		return yamldoc_fail(d, NULL, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	if (yaml_parser_load(&parser, &d->doc)) {
		d->loaded = true;
	} else {
		/* libyaml's marks are 0-based; ours, like editors', 1-based. */
		yamldoc_fail(d, NULL, "YAML syntax: %s%s%s",
			     parser.problem ? parser.problem : "error",
			     parser.context ? " " : "", parser.context ? parser.context : "");
		d->line = (unsigned)parser.problem_mark.line + 1;
		d->column = (unsigned)parser.problem_mark.column + 1;
	}
	yaml_parser_delete(&parser);
	return d->loaded && shape_ok(d);
}

bool yamldoc_load_file(struct yamldoc *d, const char *path, size_t max)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t len = 0;
	bool ok = false;

	memset(d, 0, sizeof(*d));
	d->name = path;
	if (!f)
		return yamldoc_fail(d, NULL, "cannot read: %s", strerror(errno));
	/* One byte over the cap tells a file of exactly max bytes from a longer one. */
	data = malloc(max + 1);
	if (data)
		len = fread(data, 1, max + 1, f);
	if (!data || ferror(f) || len > max)
		yamldoc_fail(d, NULL, "%s", !data ? "out of memory" :
			     len > max ? "file too large" : "read error");
	else
		ok = yamldoc_load(d, path, data, len);
	fclose(f);
	free(data);
	return ok;
}

void yamldoc_free(struct yamldoc *d)
{
	if (d->loaded)
		yaml_document_delete(&d->doc);
	d->loaded = false;
}

yaml_node_t *yamldoc_root(struct yamldoc *d)
{
	return d->loaded ? yaml_document_get_root_node(&d->doc) : NULL;
}

yaml_node_t *yamldoc_node(struct yamldoc *d, int id)
{
	return yaml_document_get_node(&d->doc, id);
}

bool yamldoc_fail(struct yamldoc *d, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	if (d->failed)
		return false;
	d->failed = true;
	snprintf(d->file, sizeof(d->file), "%s", d->name);
	d->line = n ? (unsigned)n->start_mark.line + 1 : 0;
	d->column = n ? (unsigned)n->start_mark.column + 1 : 0;
	va_start(ap, fmt);
	vsnprintf(d->message, sizeof(d->message), fmt, ap);
	va_end(ap);
	return false;
}

void yamldoc_relocate(struct yamldoc *d, const char *file, unsigned line, unsigned column)
{
	snprintf(d->file, sizeof(d->file), "%s", file);
	d->line = line;
	d->column = column;
}

void yamldoc_error(const struct yamldoc *d, char *out, size_t n)
{
	if (d->line)
		snprintf(out, n, "%s:%u:%u: %s", d->file, d->line, d->column, d->message);
	else
		snprintf(out, n, "%s: %s", d->file, d->message);
}

const char *yamldoc_scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

const char *yamldoc_kind(const yaml_node_t *n)
{
	switch (n ? n->type : YAML_NO_NODE) {
	case YAML_SCALAR_NODE: return "a value";
	case YAML_SEQUENCE_NODE: return "a list";
	case YAML_MAPPING_NODE: return "a mapping";
	default: return "nothing";
	}
}

bool yamldoc_want(struct yamldoc *d, const yaml_node_t *n, yaml_node_type_t t, const char *what)
{
	static const char *const names[] = { "nothing", "a value", "a list", "a mapping" };

	if (n && n->type == t)
		return true;
	return yamldoc_fail(d, n, "%s must be %s, not %s", what, names[t], yamldoc_kind(n));
}

static bool in_list(const char *s, const char *const *list)
{
	for (; list && *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

/* Edit distance (insert, delete, substitute) of two short names; names
 * longer than the row are "far" (they are not typos of a key). */
static size_t distance(const char *a, const char *b)
{
	size_t row[64], la = strlen(a), lb = strlen(b), i, j;

	if (la >= sizeof(row) / sizeof(*row) || lb >= sizeof(row) / sizeof(*row))
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0], up;

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t best = diag + (a[i - 1] != b[j - 1]);

			up = row[j];
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

/* The allowed key closest to s, if it is at most two edits away and the
 * edits are fewer than half its length ("id" is no typo of "ip"... but
 * "progam" is of "program"). */
const char *yamldoc_closest(const char *s, const char *const *keys, const char *const *more)
{
	const char *const *lists[2] = { keys, more }, *best = NULL;
	size_t best_d = 3, i, dist;
	const char *const *k;

	for (i = 0; i < 2; i++)
		for (k = lists[i]; k && *k; k++) {
			dist = distance(s, *k);
			if (dist < best_d && 2 * dist < strlen(*k)) {
				best_d = dist;
				best = *k;
			}
		}
	return best;
}

bool yamldoc_check_keys(struct yamldoc *d, const yaml_node_t *map, const char *what,
			const char *const *keys, const char *const *more)
{
	yaml_node_pair_t *a, *b;

	if (!yamldoc_want(d, map, YAML_MAPPING_NODE, what))
		return false;
	for (a = map->data.mapping.pairs.start; a < map->data.mapping.pairs.top; a++) {
		yaml_node_t *k = yamldoc_node(d, a->key);
		const char *ks = yamldoc_scalar(k), *near;

		if (!ks)
			return yamldoc_fail(d, k, "keys in %s must be plain names", what);
		if (!in_list(ks, keys) && !in_list(ks, more)) {
			near = yamldoc_closest(ks, keys, more);
			return yamldoc_fail(d, k, "unknown key '%s' in %s%s%s%s", ks, what,
					    near ? " (did you mean '" : "", near ? near : "",
					    near ? "'?)" : "");
		}
		for (b = map->data.mapping.pairs.start; b < a; b++)
			if (!strcmp(ks, yamldoc_scalar(yamldoc_node(d, b->key))))
				return yamldoc_fail(d, k, "duplicate key '%s' in %s", ks, what);
	}
	return true;
}

yaml_node_t *yamldoc_get(struct yamldoc *d, const yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *a;

	for (a = map->data.mapping.pairs.start; a < map->data.mapping.pairs.top; a++)
		if (!strcmp(yamldoc_scalar(yamldoc_node(d, a->key)), key))
			return yamldoc_node(d, a->value);
	return NULL;
}

bool yamldoc_bool(struct yamldoc *d, const yaml_node_t *n, const char *what, bool *out)
{
	const char *s = yamldoc_scalar(n);

	if (s && (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "on")))
		*out = true;
	else if (s && (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcasecmp(s, "off")))
		*out = false;
	else
		return yamldoc_fail(d, n, "%s must be true or false", what);
	return true;
}

bool yamldoc_parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	/* strtoull would take a sign or leading blanks; a number here is digits. */
	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

bool yamldoc_uint(struct yamldoc *d, const yaml_node_t *n, const char *what,
		  unsigned long lo, unsigned long hi, unsigned long *out)
{
	uint64_t v;

	if (!yamldoc_parse_u64(yamldoc_scalar(n), &v))
		return yamldoc_fail(d, n, "%s must be a whole number", what);
	if (v < lo || v > hi)
		return yamldoc_fail(d, n, "%s must be between %lu and %lu", what, lo, hi);
	*out = (unsigned long)v;
	return true;
}

bool yamldoc_scalars(struct yamldoc *d, const yaml_node_t *n, const char *what)
{
	yaml_node_item_t *it;

	if (n->type == YAML_SCALAR_NODE)
		return true;
	if (n->type != YAML_SEQUENCE_NODE)
		return yamldoc_fail(d, n, "%s must be a value or a list, not %s", what,
				    yamldoc_kind(n));
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *e = yamldoc_node(d, *it);

		if (!yamldoc_scalar(e))
			return yamldoc_fail(d, e, "entries of %s must be values, not %s", what,
					    yamldoc_kind(e));
	}
	return true;
}

size_t yamldoc_items(const yaml_node_t *n)
{
	if (n->type == YAML_SCALAR_NODE)
		return 1;
	if (n->type != YAML_SEQUENCE_NODE)
		return 0;
	return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

yaml_node_t *yamldoc_item(struct yamldoc *d, const yaml_node_t *n, size_t i)
{
	if (n->type == YAML_SCALAR_NODE)
		return i ? NULL : (yaml_node_t *)n;
	if (i >= yamldoc_items(n))
		return NULL;
	return yamldoc_node(d, n->data.sequence.items.start[i]);
}
