/*
 * secaudit: the user-facing front. One file per subcommand (cli/cmd_*.c),
 * dispatched from the table below.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "version.h"

static const struct cli_command commands[] = {
	{ "read", "analyse captures or an interface: TLS handshakes, verdicts", cmd_read },
	{ "rules", "check a rules file, or test it on captures", cmd_rules },
	{ "alerts", "read, filter and summarise the alert log", cmd_alerts },
	{ "query", "ask the audit store: events, counts", cmd_query },
	{ "setup-gateway", "print, apply or remove the netfilter rules", cmd_setup_gateway },
	{ "stats", "the running monitor's counters", cmd_stats },
	{ "probe", "a TLS 1.3 server's chain, as the gateway's probe sees it", cmd_probe },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: secaudit COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n'secaudit COMMAND --help' tells more; 'secaudit --version' the version.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc == 2 && !strcmp(argv[1], "--version")) {
		version_print("secaudit");
		return 0;
	}
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "secaudit: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
