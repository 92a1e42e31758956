/*
 * main.c - impact's entry point: dispatch only.
 *
 * One table of subcommands; a first argument that names none is the
 * default command (select and run), so `impact HEAD~3..` works. The
 * global -C <dir> is taken here, as git does. A branch that happens to be
 * called like a subcommand is reachable as refs/heads/<name>.
 */
#include "cli.h"

#include "buildinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#define NEEDS_REPO (1u << 0)

typedef struct impact_cmd {
	const char *name;
	impact_cmd_fn fn;
	unsigned flags;
	const char *summary;
} impact_cmd;

static const impact_cmd commands[] = {
	{ "audit", cmd_audit, NEEDS_REPO, "check that the selection misses no failing test: 'impact audit --mutate 5'" },
	{ "cache", cmd_cache, NEEDS_REPO, "the parse cache: 'impact cache stats', 'impact cache clear'" },
	{ "demo", cmd_demo, 0, "build a sample project in a temporary repository and show impact on it" },
	{ "graph", cmd_graph, NEEDS_REPO, "the files between the changes and the selected tests: 'impact graph HEAD~1.. --format dot|json|html'" },
	{ "hook", cmd_hook, NEEDS_REPO, "what git's hooks call: 'impact hook <name> [args]' (installed by 'impact hooks')" },
	{ "hooks", cmd_hooks, NEEDS_REPO, "'impact hooks install|uninstall|status': post-commit, pre-merge-commit, pre-push" },
	{ "plugin", cmd_plugin, NEEDS_REPO, "'impact plugin install|uninstall|status': 'pytest --impact' in the project's python" },
	{ "rules", cmd_rules, NEEDS_REPO, "the configuration: 'impact rules check', 'impact rules show'" },
	{ "records", cmd_records, NEEDS_REPO, "recorded dependencies: 'impact records stats|clear|export F|import F'" },
	{ "status", cmd_status, NEEDS_REPO, "the last run: commit, counts, failures, log; a background run in progress" },
	{ "watch", cmd_watch, NEEDS_REPO, "the repair loop while you edit: rerun the failures at each save, then what changed, then (--all) everything" },
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: impact [-C <dir>] [options] [<revspec>] [-- <pytest args>]\n"
		"       impact [-C <dir>] <command> [<args>]\n"
		"\n"
		"Selects the tests a change can break, runs them with pytest and says why.\n"
		"\n"
		"<revspec> has git's meaning: A..B, A.. (A..HEAD), A...B (from the merge base),\n"
		"<rev> (that commit against its first parent); none = uncommitted changes\n"
		"(index and working tree, untracked files included) against HEAD.\n"
		"\n"
		"commands:\n");
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(commands); i++)
		fprintf(out, "    %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out,
		"\n"
		"'impact --help' lists the options of the default command.\n"
		"\n");
	impact_exit_help(out);
}

/* git may start hooks with fds closed; make sure 0, 1, 2 exist. */
static void sanitize_fds(void)
{
	int fd;
	while ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0 && fd <= 2)
		fcntl(fd, F_SETFD, 0);
	if (fd > 2)
		close(fd);
}

int main(int argc, char **argv)
{
	impact_cli cli = { 0 };
	int i = 1, rc;
	const impact_cmd *cmd = NULL;

	sanitize_fds();
	git_libgit2_init();
	/*
	 * impact only reads objects: it does not re-hash each one it reads
	 * (git does not either; `git fsck` is the check). A warm run lists
	 * hundreds of trees, and the hashing was a twentieth of it.
	 */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);

	while (i < argc && !strcmp(argv[i], "-C")) {
		if (i + 1 >= argc) {
			rc = impact_cli_error_usage(NULL, "impact [-C <dir>] [options] [<revspec>] "
			                            "[-- <pytest args>]", "-C needs a directory");
			goto done;
		}
		cli.dir = argv[i + 1];
		i += 2;
	}
	if (i < argc && (!strcmp(argv[i], "--version") || !strcmp(argv[i], "version"))) {
		printf("impact %s\n", IMPACT_VERSION);
		rc = 0;
		goto done;
	}
	if (i < argc && (!strcmp(argv[i], "help"))) {
		usage(stdout);
		rc = 0;
		goto done;
	}
	for (size_t k = 0; i < argc && k < IMPACT_ARRAY_SIZE(commands); k++)
		if (!strcmp(argv[i], commands[k].name))
			cmd = &commands[k];

	if (cmd) {
		if (cmd->flags & NEEDS_REPO) {
			rc = impact_cli_open_repo(&cli);
			if (rc < 0) {
				rc = impact_cli_error(rc);
				goto done;
			}
		}
		rc = cmd->fn(argc - i, argv + i, &cli);
	} else {
		/* The default command sees "select" as its argv[0]. */
		char **args = impact_xcalloc((size_t)(argc - i) + 2, sizeof(char *));
		args[0] = "select";
		for (int k = i; k < argc; k++)
			args[k - i + 1] = argv[k];
		rc = cmd_select(argc - i + 1, args, &cli);
		free(args);
	}
done:
	if (cli.repo)
		git_repository_free(cli.repo);
	free((char *)cli.workdir);
	git_libgit2_shutdown();
	if (fflush(stdout) != 0 || ferror(stdout)) {
		int os = impact_cli_error_os(errno, "cannot write to standard output");
		if (!rc)
			rc = os;
	}
	return rc;
}
