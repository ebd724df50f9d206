#include <stdio.h>

#include "cli.h"

int cmd_stats(int argc, char **argv)
{
	fprintf(stderr, "secaudit stats: not built yet\n");
	return 2;
}
