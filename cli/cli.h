/*
 * cli: the subcommands of `secaudit`. Each takes argc/argv with argv[0] being
 * the subcommand's name, and returns the process exit status
 * (0 success, 1 findings/failure, 2 usage error).
 */
#ifndef SECAUDIT_CLI_H
#define SECAUDIT_CLI_H

struct cli_command {
	const char *name;
	const char *help;
	int (*run)(int argc, char **argv);
};

int cmd_read(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_alerts(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_setup_gateway(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_probe(int argc, char **argv);

#endif
