#include <stdio.h>

#include "cli.h"

int cmd_alerts(int argc, char **argv)
{
	fprintf(stderr, "secaudit alerts: not built yet\n");
	return 2;
}
