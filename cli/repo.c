/*
 * repo.c - the repository a command works in (cli.h).
 *
 * Opened once, from -C <dir> or the current directory upwards, by main for
 * the commands that need one and by the others when they find they do.
 * Its own unit so that commands never call back into main.c: main only
 * dispatches, and nothing links to it.
 */
#include "cli.h"

#include <errno.h>
#include <sys/stat.h>

int impact_cli_open_repo(impact_cli *cli)
{
	const char *start = cli->dir ? cli->dir : ".";
	const char *wd;
	struct stat st;
	int rc;

	if (cli->repo)
		return 0;
	if (stat(start, &st) < 0)
		return impact_error_set(errno == ENOENT ? IMPACT_EINVALID : IMPACT_ERROR,
		                        "cannot use '%s': %s", start,
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
