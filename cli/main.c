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
#include <sys/stat.h>
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
		"exit codes: 0 passed or nothing to run, 1 test failures, 2 usage or\n"
		"configuration error, 3 collection/import error or interpreter problem, 4 timeout.\n");
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

int impact_cli_exit_code(int code)
{
	switch (code) {
	case 0: return IMPACT_EXIT_OK;
	case IMPACT_EPYTHON: return IMPACT_EXIT_PYTHON;
	case IMPACT_EINVALID:
	case IMPACT_EUNBORN:
	case IMPACT_ENOTFOUND: return IMPACT_EXIT_USAGE;
	default: return IMPACT_EXIT_USAGE;
	}
}

int impact_cli_fail(int code)
{
	const char *msg = impact_error_last();
	fprintf(stderr, "impact: error: %s\n", *msg ? msg : "unknown error");
	return impact_cli_exit_code(code);
}

int impact_cli_open_repo(impact_cli *cli)
{
	const char *start = cli->dir ? cli->dir : ".";
	const char *wd;
	struct stat st;
	int rc;

	if (cli->repo)
		return 0;
	if (stat(start, &st) < 0)
		return impact_error_set(IMPACT_EINVALID, "cannot use '%s': %s", start,
		                        errno == ENOENT ? "the directory does not exist" : strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return impact_error_set(IMPACT_EINVALID, "cannot use '%s': it is not a directory", start);
	rc = git_repository_open_ext(&cli->repo, start, 0, NULL);
	if (rc == GIT_ENOTFOUND)
		return impact_error_set(IMPACT_EINVALID,
		                        "'%s' is not in a git repository: run impact inside your "
		                        "project's work tree, or pass -C <dir>", start);
	if (rc < 0)
		return impact_error_from_git(rc, "cannot open the repository at '%s'", start);
	wd = git_repository_workdir(cli->repo);
	if (wd) {
		size_t n = strlen(wd);
		char *copy = impact_xstrndup(wd, n && wd[n - 1] == '/' && n > 1 ? n - 1 : n);
		cli->workdir = copy;
	}
	return 0;
}

int main(int argc, char **argv)
{
	impact_cli cli = { 0 };
	int i = 1, rc;
	const impact_cmd *cmd = NULL;

	sanitize_fds();
	git_libgit2_init();

	while (i < argc && !strcmp(argv[i], "-C")) {
		if (i + 1 >= argc) {
			fprintf(stderr, "impact: -C needs a directory\n");
			rc = IMPACT_EXIT_USAGE;
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
				rc = impact_cli_fail(rc);
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
		fprintf(stderr, "impact: error: cannot write to standard output: %s\n",
		        strerror(errno));
		if (!rc)
			rc = IMPACT_EXIT_USAGE;
	}
	return rc;
}
