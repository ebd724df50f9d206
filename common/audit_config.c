/* audit_config: YAML into dotted keys with libyaml; contract in audit_config.h. */
#include "audit_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

/* A key given twice is refused (YAML 1.2 3.2.1.1: mapping keys are unique;
 * libyaml does not check): the daemons would take the first value and call
 * the second an unknown setting. */
static int add(struct audit_config *c, const char *key, const char *val,
	       const yaml_mark_t *m, char *err, size_t errsz)
{
	struct audit_config_kv *kv;
	size_t i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->kv[i].key, key)) {
			snprintf(err, errsz, "%s:%zu:%zu: '%s' given again (first at line %u)",
				 c->file, m->line + 1, m->column + 1, key, c->kv[i].line);
			return -EINVAL;
		}
	kv = realloc(c->kv, (c->n + 1) * sizeof(*kv));
	if (!kv)
		return -ENOMEM;
	c->kv = kv;
	kv = &c->kv[c->n];
	kv->key = strdup(key);
	kv->val = strdup(val);
	kv->line = (unsigned)m->line + 1;
	kv->col = (unsigned)m->column + 1;
	kv->used = false;
	if (!kv->key || !kv->val) {
		free(kv->key);
		free(kv->val);
		return -ENOMEM;
	}
	c->n++;
	return 0;
}

static int walk(struct audit_config *c, yaml_document_t *d, yaml_node_t *node,
		const char *prefix, char *err, size_t errsz)
{
	yaml_node_pair_t *p;
	char key[256];
	int rc;

	if (node->type != YAML_MAPPING_NODE) {
		snprintf(err, errsz, "%s:%zu:%zu: a mapping (key: value) is expected",
			 c->file, node->start_mark.line + 1, node->start_mark.column + 1);
		return -EINVAL;
	}
	for (p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);
		yaml_node_t *v = yaml_document_get_node(d, p->value);

		if (!k || !v || k->type != YAML_SCALAR_NODE) {
			snprintf(err, errsz, "%s: malformed key", c->file);
			return -EINVAL;
		}
		snprintf(key, sizeof(key), "%s%s%s", prefix, *prefix ? "." : "",
			 (const char *)k->data.scalar.value);
		if (v->type == YAML_MAPPING_NODE) {
			rc = walk(c, d, v, key, err, errsz);
		} else if (v->type == YAML_SCALAR_NODE) {
			rc = add(c, key, (const char *)v->data.scalar.value,
				 &k->start_mark, err, errsz);
		} else {
			snprintf(err, errsz, "%s:%zu:%zu: %s: lists are not taken here",
				 c->file, v->start_mark.line + 1,
				 v->start_mark.column + 1, key);
			rc = -EINVAL;
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

int audit_config_load(const char *path, struct audit_config *c, char *err,
		      size_t errsz)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	FILE *f;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	snprintf(c->file, sizeof(c->file), "%s", path);
	f = fopen(path, "r");
	if (!f) {
		rc = -errno;
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return rc;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errsz, "%s:%zu:%zu: %s", path,
			 parser.problem_mark.line + 1,
			 parser.problem_mark.column + 1,
			 parser.problem ? parser.problem : "YAML error");
		yaml_parser_delete(&parser);
		fclose(f);
		return -EINVAL;
	}
	root = yaml_document_get_root_node(&doc);
	if (root)
		rc = walk(c, &doc, root, "", err, errsz);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}

const char *audit_config_get(struct audit_config *c, const char *key)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->kv[i].key, key)) {
			c->kv[i].used = true;
			return c->kv[i].val;
		}
	return NULL;
}

int audit_config_unused(const struct audit_config *c, char *err, size_t errsz)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (!c->kv[i].used) {
			snprintf(err, errsz, "%s:%u:%u: unknown setting '%s'",
				 c->file, c->kv[i].line, c->kv[i].col, c->kv[i].key);
			return -EINVAL;
		}
	return 0;
}

void audit_config_free(struct audit_config *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->kv[i].key);
		free(c->kv[i].val);
	}
	free(c->kv);
	c->kv = NULL;
	c->n = 0;
}
