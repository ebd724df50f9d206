/*
 * audit_config: the daemons' YAML configuration files (config/agent.yaml,
 * config/server.yaml), read into "dotted.key" = "scalar" pairs: nested
 * mappings give dotted keys, scalars their text. Sequences are refused.
 * Every key a daemon does not take is an error quoting file:line:column, so
 * a typo never passes silently.
 */
#ifndef SECAUDIT_AUDIT_CONFIG_H
#define SECAUDIT_AUDIT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct audit_config_kv {
	char *key, *val;
	unsigned line, col;
	bool used;
};

#define AUDIT_CONFIG_MAX_ASKED 64

struct audit_config {
	struct audit_config_kv *kv;
	size_t n;
	char file[256];
	/* the keys the daemon asked for (its settings, by the pointers it
	 * passed), to name the one a key it does not take was meant as */
	const char *asked[AUDIT_CONFIG_MAX_ASKED + 1];
	size_t n_asked;
};

/* 0, or -EINVAL/-errno with "file:line:col: reason" in err. The caller
 * frees with audit_config_free (also after a failure). */
int audit_config_load(const char *path, struct audit_config *c, char *err,
		      size_t errsz);
/* The value of key (marking it used), or NULL. key must outlive c (a
 * literal): it is kept to name the setting a typo meant. */
const char *audit_config_get(struct audit_config *c, const char *key);
/* -EINVAL with the first unused key's place in err; 0 if all were used. */
int audit_config_unused(const struct audit_config *c, char *err, size_t errsz);
void audit_config_free(struct audit_config *c);

#endif
