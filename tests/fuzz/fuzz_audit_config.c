/*
 * fuzz_audit_config: the agent's and server's configuration file reader
 * (audit_config_load, then the lookups the daemons make) on arbitrary
 * bytes.
 *
 * Checked: a failure says where (a non-empty message); on success every
 * pair has a key, a value and a place, each key is found again by
 * audit_config_get, and once all were asked for none is left unused.
 */
#include <stdint.h>
#include <string.h>

#include "audit_config.h"
#include "fuzz_check.h"
#include "fuzz_memfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct audit_config c;
	char err[512] = "";
	size_t i;

	if (size > 1 << 16)
		return 0;
	if (audit_config_load(fuzz_memfile(data, size), &c, err, sizeof(err)) < 0) {
		FUZZ_CHECK(err[0] != '\0', "refused without a message");
		goto out;
	}
	if (c.n)
		FUZZ_CHECK(audit_config_unused(&c, err, sizeof(err)) < 0 && err[0],
			   "%zu keys, none reported unused before any was asked for", c.n);
	for (i = 0; i < c.n; i++) {
		FUZZ_CHECK(c.kv[i].key && c.kv[i].val && c.kv[i].line >= 1 && c.kv[i].col >= 1,
			   "pair %zu incomplete", i);
		FUZZ_CHECK(audit_config_get(&c, c.kv[i].key) != NULL, "key '%s' not found again",
			   c.kv[i].key);
	}
	FUZZ_CHECK(audit_config_unused(&c, err, sizeof(err)) == 0, "unused after all were asked: %s",
		   err);
out:
	audit_config_free(&c);
	return 0;
}
