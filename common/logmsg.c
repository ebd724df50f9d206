/*
 * logmsg: a timestamped line on standard error. See logmsg.h.
 */
#include "logmsg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

void logmsg(const char *fmt, ...)
{
	char ts[32];
	time_t t = time(NULL);
	struct tm tm;
	va_list ap;

	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", gmtime_r(&t, &tm));
	fprintf(stderr, "%s %s: ", ts, program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
