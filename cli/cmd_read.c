#include <stdio.h>

#include "cli.h"

int cmd_read(int argc, char **argv)
{
	fprintf(stderr, "secaudit read: not built yet\n");
	return 2;
}
