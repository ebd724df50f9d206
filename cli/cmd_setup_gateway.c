#include <stdio.h>

#include "cli.h"

int cmd_setup_gateway(int argc, char **argv)
{
	fprintf(stderr, "secaudit setup-gateway: not built yet\n");
	return 2;
}
