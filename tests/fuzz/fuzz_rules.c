/*
 * fuzz_rules: the YAML rules compiler on arbitrary bytes. Files named by
 * the input are not opened (RULES_NO_FILES): the harness tests the parser
 * and validator, not the file system.
 */
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"
#include "policy/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_error err;
	struct policy *p;

	if (size > 1 << 16)
		return 0;
	p = rules_load_buffer("fuzz.yaml", (const char *)data, size, "/nonexistent", RULES_NO_FILES,
			      &err);
	policy_free(p);
	return 0;
}
