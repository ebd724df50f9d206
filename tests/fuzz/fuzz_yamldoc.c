/*
 * fuzz_yamldoc: the YAML document layer on arbitrary bytes. The whole tree
 * is walked and every getter is asked about every node, the way a schema
 * walk would (and a wrong one might): a getter may refuse a node, never
 * crash on it; the first error is formatted at the end.
 */
#include <stddef.h>
#include <stdint.h>

#include "yamldoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void visit(struct yamldoc *d, const yaml_node_t *n, int depth)
{
	static const char *const keys[] = { "version", "rules", "zones", "profiles", NULL };
	static const char *const more[] = { "id", "sid", "match", NULL };
	unsigned long u;
	yaml_node_pair_t *p;
	size_t i;
	bool b;

	/* libyaml resolves aliases to shared nodes: a bounded depth keeps a
	 * document of nested aliases from taking exponential time. */
	if (!n || depth > 16)
		return;
	yamldoc_kind(n);
	yamldoc_bool(d, n, "b", &b);
	yamldoc_uint(d, n, "u", 1, 65535, &u);
	yamldoc_want(d, n, YAML_MAPPING_NODE, "m");
	if (yamldoc_scalars(d, n, "s"))
		for (i = 0; i < yamldoc_items(n); i++)
			yamldoc_scalar(yamldoc_item(d, n, i));
	if (n->type == YAML_SEQUENCE_NODE)
		for (i = 0; i < yamldoc_items(n); i++)
			visit(d, yamldoc_item(d, n, i), depth + 1);
	if (n->type != YAML_MAPPING_NODE)
		return;
	/* check_keys first: yamldoc_get is only for maps it passed. */
	d->failed = false;
	if (yamldoc_check_keys(d, n, "map", keys, more))
		yamldoc_get(d, n, "rules");
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		visit(d, yamldoc_node(d, p->key), depth + 1);
		visit(d, yamldoc_node(d, p->value), depth + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yamldoc d;
	char err[600];

	if (size > 1 << 16)
		return 0;
	if (yamldoc_load(&d, "fuzz.yaml", (const char *)data, size))
		visit(&d, yamldoc_root(&d), 0);
	yamldoc_error(&d, err, sizeof(err));
	yamldoc_free(&d);
	return 0;
}
