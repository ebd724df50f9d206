#include <stdio.h>

#include "cli.h"

int cmd_query(int argc, char **argv)
{
	fprintf(stderr, "secaudit query: not built yet\n");
	return 2;
}
