#include <stdio.h>

#include "version.h"

#ifndef SECAUDIT_VERSION
#error "SECAUDIT_VERSION comes from the Makefile (VERSION)"
#endif

const char *secaudit_version(void)
{
	return SECAUDIT_VERSION;
}

void version_print(const char *program)
{
	printf("%s %s\n", program, SECAUDIT_VERSION);
}
