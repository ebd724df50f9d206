/* libFuzzer harness: a daemon's stats line as `secaudit stats` reads it
 * from the stats socket, rendered in every format (stats_format.h). */
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "stats_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum stats_format fmts[] = { STATS_TEXT, STATS_JSON, STATS_PROMETHEUS };
	struct buf out = { 0 };
	size_t i;

	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		stats_render((const char *)data, size, fmts[i], &out);
		buf_reset(&out);
	}
	buf_free(&out);
	return 0;
}
