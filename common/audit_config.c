/* audit_config: YAML into dotted keys with libyaml; contract in audit_config.h. */
#include "audit_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yamldoc.h"

/* Configuration files are a few lines; this is only a bound. */
#define AUDIT_CONFIG_MAX_FILE (1u << 20)

/* A key given twice is refused (YAML 1.2 3.2.1.1: mapping keys are unique;
 * libyaml does not check): the daemons would take the first value and call
 * the second an unknown setting. */
static int add(struct audit_config *c, struct yamldoc *d, const char *key, const char *val,
	       const yaml_node_t *k)
{
	struct audit_config_kv *kv;
	size_t i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->kv[i].key, key)) {
			yamldoc_fail(d, k, "'%s' given again (first at line %u)", key,
				     c->kv[i].line);
			return -EINVAL;
		}
	kv = realloc(c->kv, (c->n + 1) * sizeof(*kv));
	if (!kv)
		return -ENOMEM;
	c->kv = kv;
	kv = &c->kv[c->n];
	kv->key = strdup(key);
	kv->val = strdup(val);
	kv->line = (unsigned)k->start_mark.line + 1;
	kv->col = (unsigned)k->start_mark.column + 1;
	kv->used = false;
	if (!kv->key || !kv->val) {
		free(kv->key);
		free(kv->val);
		return -ENOMEM;
	}
	c->n++;
	return 0;
}

static int walk(struct audit_config *c, struct yamldoc *d, const yaml_node_t *node,
		const char *prefix)
{
	yaml_node_pair_t *p;
	char key[256];
	int rc;

	if (node->type != YAML_MAPPING_NODE) {
		yamldoc_fail(d, node, "a mapping (key: value) is expected");
		return -EINVAL;
	}
	for (p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yamldoc_node(d, p->key);
		yaml_node_t *v = yamldoc_node(d, p->value);

		if (!yamldoc_scalar(k)) {
			yamldoc_fail(d, k, "keys must be plain names");
			return -EINVAL;
		}
		snprintf(key, sizeof(key), "%s%s%s", prefix, *prefix ? "." : "", yamldoc_scalar(k));
		if (v->type == YAML_MAPPING_NODE) {
			rc = walk(c, d, v, key);
		} else if (v->type == YAML_SCALAR_NODE) {
			rc = add(c, d, key, yamldoc_scalar(v), k);
		} else {
			yamldoc_fail(d, v, "%s: lists are not taken here", key);
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
	struct yamldoc d;
	yaml_node_t *root;
	int rc = -EINVAL;

	memset(c, 0, sizeof(*c));
	snprintf(c->file, sizeof(c->file), "%s", path);
	if (yamldoc_load_file(&d, path, AUDIT_CONFIG_MAX_FILE)) {
		root = yamldoc_root(&d);
		rc = root ? walk(c, &d, root, "") : 0;
		if (rc == -ENOMEM && !d.failed)
			yamldoc_fail(&d, NULL, "out of memory");
	}
	if (d.failed)
		yamldoc_error(&d, err, errsz);
	yamldoc_free(&d);
	return rc;
}

const char *audit_config_get(struct audit_config *c, const char *key)
{
	size_t i;

	for (i = 0; i < c->n_asked && strcmp(c->asked[i], key); i++)
		;
	if (i == c->n_asked && c->n_asked < AUDIT_CONFIG_MAX_ASKED)
		c->asked[c->n_asked++] = key;     /* asked[] stays NULL-terminated */
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
			const char *near = yamldoc_closest(c->kv[i].key, c->asked, NULL);

			snprintf(err, errsz, "%s:%u:%u: unknown setting '%s'%s%s%s",
				 c->file, c->kv[i].line, c->kv[i].col, c->kv[i].key,
				 near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
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
