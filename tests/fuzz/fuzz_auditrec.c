/* libFuzzer harness: audit record text (kernel netlink or auditd's
 * dispatcher) through the grouper and the event parser (audit_rec.h). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "audit_rec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct sink {
	struct audit_event ev;
};

static void parse(void *ctx, const char *text, size_t len)
{
	struct sink *s = ctx;

	audit_event_parse((const uint8_t *)text, len, &s->ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sink s;
	struct audit_grouper *g;
	const char *p = (const char *)data, *nl;
	size_t left = size;
	uint64_t t = 0;

	if (size == 0)
		return 0;
	memset(&s, 0, sizeof(s));
	/* the first byte picks the grouping mode */
	g = audit_grouper_new(parse, &s, 10, data[0] & 1);
	if (!g)
		return 0;
	p++;
	left--;
	while (left > 0) {
		nl = memchr(p, '\n', left);
		size_t n = nl ? (size_t)(nl - p) : left;

		audit_grouper_add(g, p, n, t++);
		audit_grouper_expire(g, t, false);
		p += n;
		left -= n;
		if (nl) {
			p++;
			left--;
		}
	}
	audit_grouper_expire(g, t, true);
	audit_grouper_free(g);
	audit_event_parse(data, size, &s.ev);
	audit_event_free(&s.ev);
	return 0;
}
