/*
 * fuzz_auditrules: secaudit-server's detection rules compiler on arbitrary
 * bytes, and each set that compiles matched against one recorded event
 * (the globs, numbers and 'not' blocks the input made).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "audit_rec.h"
#include "audit_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* an openat for writing with a relative name, from this kernel */
static const char record[] =
	"type=SYSCALL msg=audit(1795435699.089:140): arch=c000003e syscall=257 success=yes "
	"exit=3 a0=ffffff9c a1=55a20c1099c8 a2=441 a3=1b6 items=1 ppid=17286 pid=17342 "
	"auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) "
	"ses=4294967295 comm=\"sh\" exe=\"/usr/bin/dash\" key=\"cap-sensitive\"\n"
	"type=CWD msg=audit(1795435699.089:140): cwd=\"/tmp/aud-cap/lab\"\n"
	"type=PATH msg=audit(1795435699.089:140): item=0 name=\"sensitive.conf\" inode=10961105 "
	"dev=fe:00 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct audit_event ev;
	static int parsed;
	struct audit_rules *r;
	char err[512];

	if (size > 1 << 16)
		return 0;
	if (!parsed)
		parsed = audit_event_parse((const uint8_t *)record, strlen(record), &ev) ? 1 : -1;
	r = audit_rules_parse("fuzz.yaml", (const char *)data, size, err, sizeof(err));
	if (r && parsed > 0)
		audit_rules_match(r, &ev, NULL, NULL);
	audit_rules_free(r);
	return 0;
}
