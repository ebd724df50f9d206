/*
 * yamldoc: the YAML document layer every reader builds on. Errors carry
 * file:line:column, the first error wins, unknown keys are named (with
 * the key meant when one is a typo away), and the typed getters take what
 * they say and refuse the rest.
 */
#include <criterion/criterion.h>

#include <string.h>

#include "yamldoc.h"

static const char doc[] =
	"version: 1\n"
	"nfqueue:\n"
	"  queues: 3\n"
	"  gso: Off\n"
	"list: [a, b]\n"
	"one: x\n"
	"bad: [a, [b]]\n";

static struct yamldoc d;

static void load(void)
{
	cr_assert(yamldoc_load(&d, "t.yaml", doc, strlen(doc)));
}

static void end(void)
{
	yamldoc_free(&d);
}

static void error_is(const char *want)
{
	char err[600];

	cr_assert(d.failed);
	yamldoc_error(&d, err, sizeof(err));
	cr_assert_str_eq(err, want);
}

TestSuite(yamldoc, .init = load, .fini = end);

Test(yamldoc, typed_getters_take_what_they_say)
{
	static const char *const keys[] = { "version", "nfqueue", "list", "one", "bad", NULL };
	yaml_node_t *root = yamldoc_root(&d), *q, *l;
	unsigned long u;
	bool b = true;

	cr_assert(yamldoc_check_keys(&d, root, "the file", keys, NULL));
	cr_assert(yamldoc_uint(&d, yamldoc_get(&d, root, "version"), "version", 1, 1, &u));
	cr_assert_eq(u, 1);
	q = yamldoc_get(&d, root, "nfqueue");
	cr_assert(yamldoc_bool(&d, yamldoc_get(&d, q, "gso"), "gso", &b));
	cr_assert_not(b);
	l = yamldoc_get(&d, root, "list");
	cr_assert(yamldoc_scalars(&d, l, "list"));
	cr_assert_eq(yamldoc_items(l), 2);
	cr_assert_str_eq(yamldoc_scalar(yamldoc_item(&d, l, 1)), "b");
	cr_assert_null(yamldoc_item(&d, l, 2));
	/* a lone value is a list of one */
	l = yamldoc_get(&d, root, "one");
	cr_assert(yamldoc_scalars(&d, l, "one"));
	cr_assert_eq(yamldoc_items(l), 1);
	cr_assert_str_eq(yamldoc_scalar(yamldoc_item(&d, l, 0)), "x");
	cr_assert_null(yamldoc_get(&d, root, "absent"));
	cr_assert_not(d.failed);
}

Test(yamldoc, unknown_key_names_the_place_and_the_key_meant)
{
	static const char *const keys[] = { "version", "nfqueue", NULL };
	static const char *const more[] = { "lists", "one", "bad", NULL };

	cr_assert_not(yamldoc_check_keys(&d, yamldoc_root(&d), "the file", keys, more));
	error_is("t.yaml:5:1: unknown key 'list' in the file (did you mean 'lists'?)");
}

Test(yamldoc, unknown_key_far_from_every_key_has_no_guess)
{
	static const char *const keys[] = { "queues", NULL };
	yaml_node_t *q = yamldoc_get(&d, yamldoc_root(&d), "nfqueue");

	cr_assert_not(yamldoc_check_keys(&d, q, "nfqueue", keys, NULL));
	error_is("t.yaml:4:3: unknown key 'gso' in nfqueue");
}

Test(yamldoc, getters_refuse_with_reasons_and_the_first_error_wins)
{
	yaml_node_t *root = yamldoc_root(&d);
	unsigned long u;
	bool b;

	cr_assert_not(yamldoc_uint(&d, yamldoc_get(&d, root, "one"), "one", 0, 9, &u));
	error_is("t.yaml:6:6: one must be a whole number");
	/* later failures do not overwrite the first */
	cr_assert_not(yamldoc_bool(&d, yamldoc_get(&d, root, "one"), "one", &b));
	error_is("t.yaml:6:6: one must be a whole number");
}

Test(yamldoc, range_list_and_type_errors)
{
	yaml_node_t *root = yamldoc_root(&d);
	unsigned long u;

	cr_assert_not(yamldoc_uint(&d, yamldoc_get(&d, yamldoc_get(&d, root, "nfqueue"), "queues"),
				   "queues", 4, 8, &u));
	error_is("t.yaml:3:11: queues must be between 4 and 8");
	d.failed = false;
	cr_assert_not(yamldoc_scalars(&d, yamldoc_get(&d, root, "bad"), "bad"));
	error_is("t.yaml:7:10: entries of bad must be values, not a list");
	d.failed = false;
	cr_assert_not(yamldoc_want(&d, yamldoc_get(&d, root, "list"), YAML_MAPPING_NODE, "list"));
	error_is("t.yaml:5:7: list must be a mapping, not a list");
}

Test(yamldoc, relocated_error_names_the_other_file)
{
	yamldoc_fail(&d, NULL, "JA3 entry 'x' must be an MD5 hash");
	error_is("t.yaml: JA3 entry 'x' must be an MD5 hash");
	yamldoc_relocate(&d, "list.txt", 4, 3);
	error_is("list.txt:4:3: JA3 entry 'x' must be an MD5 hash");
}

Test(yamldoc_load, syntax_error_and_missing_file)
{
	struct yamldoc e;
	char err[600];

	cr_assert_not(yamldoc_load(&e, "s.yaml", "a: [b,\n", 7));
	yamldoc_error(&e, err, sizeof(err));
	cr_assert(!strncmp(err, "s.yaml:2:1: YAML syntax: ", 25), "%s", err);
	yamldoc_free(&e);
	cr_assert_not(yamldoc_load_file(&e, "/nonexistent/x.yaml", 1024));
	yamldoc_error(&e, err, sizeof(err));
	cr_assert_str_eq(err, "/nonexistent/x.yaml: cannot read: No such file or directory");
	yamldoc_free(&e);
	/* an empty text is a document with no root */
	cr_assert(yamldoc_load(&e, "e.yaml", "", 0));
	cr_assert_null(yamldoc_root(&e));
	yamldoc_free(&e);
}

Test(yamldoc_load, duplicate_key_is_refused)
{
	static const char *const keys[] = { "a", NULL };
	struct yamldoc e;
	char err[600];

	cr_assert(yamldoc_load(&e, "k.yaml", "a: 1\na: 2\n", 10));
	cr_assert_not(yamldoc_check_keys(&e, yamldoc_root(&e), "the file", keys, NULL));
	yamldoc_error(&e, err, sizeof(err));
	cr_assert_str_eq(err, "k.yaml:2:1: duplicate key 'a' in the file");
	yamldoc_free(&e);
}

/* Aliases are shared nodes: a cycle or a "billion laughs" would send a
 * reader's recursive walk into a loop or an explosion. */
Test(yamldoc_load, cyclic_and_exploding_aliases_are_refused)
{
	static const char cycle[] = "version: 1\nprofiles: &p\n  x: *p\n";
	char laughs[2048], err[600];
	struct yamldoc e;
	int i, k;

	cr_assert_not(yamldoc_load(&e, "c.yaml", cycle, strlen(cycle)));
	yamldoc_error(&e, err, sizeof(err));
	cr_assert_str_eq(err, "c.yaml:2:11: an alias refers to a node that contains it");
	yamldoc_free(&e);
	k = snprintf(laughs, sizeof(laughs), "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
	for (i = 1; i < 7; i++)
		k += snprintf(laughs + k, sizeof(laughs) - (size_t)k,
			      "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n",
			      i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
	cr_assert_not(yamldoc_load(&e, "l.yaml", laughs, (size_t)k));
	yamldoc_error(&e, err, sizeof(err));
	cr_assert_str_eq(err, "l.yaml:1:1: aliases expand the document beyond 100000 nodes");
	yamldoc_free(&e);
	/* a shared node used twice, without a cycle, is fine */
	cr_assert(yamldoc_load(&e, "s.yaml", "a: &x [1]\nb: *x\n", 16));
	yamldoc_free(&e);
}
