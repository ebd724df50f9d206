/*
 * yamldoc: one YAML document loaded with libyaml, and the typed getters
 * every reader of YAML (rules, audit detection rules, the daemons'
 * configurations) builds its schema walk on.
 *
 * The whole text is loaded as a document first, so every node keeps its
 * place and every error can say file:line:column. Errors are recorded in
 * the yamldoc, not printed: the first one wins (a walk that goes on after
 * a failure cannot overwrite the real cause), and every getter returns
 * false once it has recorded one. Nodes are libyaml's: they live as long as
 * the yamldoc; yamldoc_free() ends them.
 *
 * Aliases are libyaml's shared nodes. A document where an alias refers to
 * a node containing it, that nests deeper than 64 levels, or whose aliases
 * expand it beyond 100000 nodes is refused at load: every reader may then
 * walk the tree recursively without a guard of its own.
 *
 * Include/merge: no reader of this project uses YAML anchors for merging
 * or file includes, so none is offered; aliases resolve as libyaml does.
 */
#ifndef SECAUDIT_YAMLDOC_H
#define SECAUDIT_YAMLDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

struct yamldoc {
	yaml_document_t doc;
	bool loaded;                /* doc holds a document to delete */
	bool failed;
	const char *name;           /* the caller's; named in messages */
	/* The first error: its file (name, or a file the reader opened on
	 * the document's behalf), place (0: not about a place) and reason. */
	char file[256];
	unsigned line, column;
	char message[256];
};

/*
 * Loads len bytes named name (kept by pointer: it must outlive d). false
 * with "YAML syntax: ..." at the problem's place recorded. Either way the
 * caller ends d with yamldoc_free(). An empty text loads with no root.
 */
bool yamldoc_load(struct yamldoc *d, const char *name, const char *data, size_t len);
/* Reads the file path (at most max bytes, else "file too large") and loads
 * it; "cannot read: <reason>" when it cannot be opened. */
bool yamldoc_load_file(struct yamldoc *d, const char *path, size_t max);
void yamldoc_free(struct yamldoc *d);

/* The root node, or NULL for an empty document. */
yaml_node_t *yamldoc_root(struct yamldoc *d);
/* The node a mapping pair or sequence item refers to. */
yaml_node_t *yamldoc_node(struct yamldoc *d, int id);

/* Records the error at n (NULL: not about a place) unless one already is;
 * returns false so a getter can `return yamldoc_fail(...)`. */
__attribute__((format(printf, 3, 4)))
bool yamldoc_fail(struct yamldoc *d, const yaml_node_t *n, const char *fmt, ...);
/* Moves the recorded error to another file and place: a reader that read
 * a file named by the document (a list file) reports that file's line. */
void yamldoc_relocate(struct yamldoc *d, const char *file, unsigned line, unsigned column);
/* "file:line:column: message", or "file: message" when not about a place. */
void yamldoc_error(const struct yamldoc *d, char *out, size_t n);

/* The text of a scalar node, or NULL for anything else (or NULL). */
const char *yamldoc_scalar(const yaml_node_t *n);
/* "a value", "a list", "a mapping" or "nothing", for messages. */
const char *yamldoc_kind(const yaml_node_t *n);
/* n is of type t, else "<what> must be <t>, not <n's kind>". */
bool yamldoc_want(struct yamldoc *d, const yaml_node_t *n, yaml_node_type_t t, const char *what);

/* The name of the NULL-terminated lists keys and more (either may be NULL)
 * a typo s most likely meant: at most two edits away, and fewer edits than
 * half its length; NULL when none is. Points into the lists. */
const char *yamldoc_closest(const char *s, const char *const *keys, const char *const *more);

/*
 * map is a mapping whose keys are plain names, each once, each in keys or
 * more (NULL-terminated; more may be NULL). An unknown key is refused as
 * "unknown key 'k' in <what>", with "(did you mean 'x'?)" when one allowed
 * key is a typo away.
 */
bool yamldoc_check_keys(struct yamldoc *d, const yaml_node_t *map, const char *what,
			const char *const *keys, const char *const *more);
/* The value of key in a mapping whose keys yamldoc_check_keys() passed
 * (every key a scalar), or NULL when the key is absent. */
yaml_node_t *yamldoc_get(struct yamldoc *d, const yaml_node_t *map, const char *key);

/* true/yes/on or false/no/off (any case), else "<what> must be true or false". */
bool yamldoc_bool(struct yamldoc *d, const yaml_node_t *n, const char *what, bool *out);
/* A whole number (decimal, 0x hex or 0 octal) in lo..hi, else "<what> must
 * be a whole number" or "<what> must be between lo and hi". */
bool yamldoc_uint(struct yamldoc *d, const yaml_node_t *n, const char *what,
		  unsigned long lo, unsigned long hi, unsigned long *out);
/* The text alone: digits only (no sign, no space), base as strtoull's 0. */
bool yamldoc_parse_u64(const char *s, uint64_t *out);

/*
 * n is a value or a list of values ("<what> must be a value or a list, not
 * ..." / "entries of <what> must be values, not ..."). Then
 * yamldoc_items(n) counts them and yamldoc_item(d, n, i) gives each; a lone
 * value is a list of one.
 */
bool yamldoc_scalars(struct yamldoc *d, const yaml_node_t *n, const char *what);
size_t yamldoc_items(const yaml_node_t *n);
yaml_node_t *yamldoc_item(struct yamldoc *d, const yaml_node_t *n, size_t i);

#endif
