/*
 * cli.h - impact's command layer: what the subcommands share.
 *
 * The analyzer never prints or exits; commands here turn its results and
 * errors into output, messages and exit codes: errors and exit codes go
 * through error.h (the funnel and the one exit-code table). main.c only
 * dispatches; what commands share lives in units of its own (error.c,
 * repo.c), so no command links back to main.
 */
#ifndef IMPACT_CLI_H
#define IMPACT_CLI_H

#include "common.h"
#include "error.h"

#include <git2.h>

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

/*
 * Open the repository at cli->dir (or the current directory), upwards,
 * into cli->repo and cli->workdir (repo.c); 0 when it is already open.
 * IMPACT_EINVALID when there is no directory or no repository there.
 */
int impact_cli_open_repo(impact_cli *cli);

#endif
