#include <stdio.h>

#include "cli.h"

int cmd_rules(int argc, char **argv)
{
	fprintf(stderr, "secaudit rules: not built yet\n");
	return 2;
}
