/*
 * cli.h - impact's command layer: what the subcommands share.
 *
 * The analyzer never prints or exits; commands here turn its results and
 * errors into output, messages and exit codes. Exit codes (README, --help):
 * 0 all selected tests passed or nothing to run, 1 test failures, 2 usage
 * or configuration error, 3 collection/import error or interpreter problem,
 * 4 timeout.
 */
#ifndef IMPACT_CLI_H
#define IMPACT_CLI_H

#include "common.h"

#include <git2.h>

enum {
	IMPACT_EXIT_OK = 0,
	IMPACT_EXIT_FAILED = 1,
	IMPACT_EXIT_USAGE = 2,
	IMPACT_EXIT_PYTHON = 3,
	IMPACT_EXIT_TIMEOUT = 4,
};

/* What main hands every command. */
typedef struct impact_cli {
	const char *dir;        /* -C <dir>, or NULL */
	git_repository *repo;   /* opened when the command needs one; owned by main */
	const char *workdir;    /* the work tree root without trailing '/', or NULL (bare) */
} impact_cli;

typedef int (*impact_cmd_fn)(int argc, char **argv, impact_cli *cli);

/* Commands: argv[0] is the command's name. Return an exit code. */
int cmd_select(int argc, char **argv, impact_cli *cli);
int cmd_demo(int argc, char **argv, impact_cli *cli);
int cmd_cache(int argc, char **argv, impact_cli *cli);
int cmd_rules(int argc, char **argv, impact_cli *cli);
int cmd_hook(int argc, char **argv, impact_cli *cli);
int cmd_hooks(int argc, char **argv, impact_cli *cli);
int cmd_records(int argc, char **argv, impact_cli *cli);
int cmd_status(int argc, char **argv, impact_cli *cli);
int cmd_audit(int argc, char **argv, impact_cli *cli);
int cmd_graph(int argc, char **argv, impact_cli *cli);
int cmd_plugin(int argc, char **argv, impact_cli *cli);
int cmd_watch(int argc, char **argv, impact_cli *cli);

/* "impact: error: <message>" on stderr, for an IMPACT_E* code; returns the exit code. */
int impact_cli_fail(int code);
/* Map an IMPACT_E* code to an exit code. */
int impact_cli_exit_code(int code);
/* Open the repository at cli->dir (or the current directory), upwards. */
int impact_cli_open_repo(impact_cli *cli);

#endif
