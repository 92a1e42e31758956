/*
 * cmd_hooks.c - `impact hooks install|uninstall|status`, and `impact hook
 * <name>`: the work of one git hook.
 *
 * The installed hook files only find this binary and exec `impact hook
 * <name>`; every decision is made here:
 *
 *   post-commit       tests HEAD against its first parent in the background
 *                     (quiet during rebase, cherry-pick and revert sequences)
 *   post-rewrite      after a rebase, one background run over the rewritten range
 *   pre-merge-commit  tests the merged index against HEAD; blocks on failure
 *   pre-push          tests what each pushed ref adds; blocks on failure
 *
 * Each runs in a private checkout of exactly the tree it speaks for (the
 * commit, the new tip, the merged index written as a tree: planout.c and
 * analyzer/git/exact.c), so the user's edits in the work tree never change
 * a verdict; `exact = false` in the configuration keeps the old way.
 *
 * A hook that was there before impact (<name>.impact-saved) runs first,
 * with the same arguments and stdin; a gate it fails is blocked without
 * testing. IMPACT_SKIP=1 skips impact's part, never the user's own hook.
 * The background run is this binary again (`impact hook background`),
 * detached in its own session with stdin from /dev/null and its output in
 * <common git dir>/impact/post-commit.log; bgrun.c keeps it to one run per
 * repository. Tests always run in-process through the library's plan
 * (impact_plan_build, shown and run by planout.c), so a hook
 * run is exactly an `impact <revspec>` run.
 */
#include "cli.h"
#include "clock.h"

#include "bgrun.h"
#include "child.h"
#include "diff.h"
#include "gate.h"
#include "hookmgr.h"
#include "hooks.h"
#include "lastrun.h"
#include "notify.h"
#include "opts.h"
#include "planout.h"
#include "pytestcfg.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* How long a superseded background run gets to stop before SIGKILL. */
#define SUPERSEDE_GRACE_S 10.0
#define MAX_HOOK_INPUT ((size_t)16 << 20)

/* ---- impact hooks install | uninstall | status ---- */

static const char hooks_usage_text[] =
	"impact hooks install [--post-commit] [--pre-merge-commit] [--pre-push]\n"
	"       impact hooks uninstall\n"
	"       impact hooks status";

static int hooks_help(void)
{
	printf("usage: %s\n"
	       "\n"
	       "install: without a flag, --post-commit (which brings post-rewrite along).\n"
	       "A hook already there is kept and runs first; uninstall puts it back.\n"
	       "IMPACT_SKIP=1 skips impact's hooks for one command; git's --no-verify skips\n"
	       "the pre-merge-commit and pre-push hooks altogether.\n", hooks_usage_text);
	return IMPACT_EXIT_OK;
}

static const char *change_words(impact_hook_change c)
{
	switch (c) {
	case IMPACT_HOOK_WRITTEN: return "installed";
	case IMPACT_HOOK_CHAINED: return "installed (the hook that was there runs first)";
	case IMPACT_HOOK_REMOVED: return "removed";
	case IMPACT_HOOK_RESTORED: return "removed, the hook that was there put back";
	case IMPACT_HOOK_NOT_OURS: return "not impact's: left alone";
	default: return "already installed";
	}
}

static int hooks_install(int argc, char **argv, impact_cli *cli)
{
	bool post_commit = false, pre_merge = false, pre_push = false, force = false, tracked = false;
	bool configured = false;
	const impact_opt opts[] = {
		{ IMPACT_OPT_FLAG, 0, "post-commit", &post_commit, NULL,
		  "test each commit in the background (with post-rewrite: one run after a rebase)" },
		{ IMPACT_OPT_FLAG, 0, "pre-merge-commit", &pre_merge, NULL,
		  "block a merge commit whose affected tests fail" },
		{ IMPACT_OPT_FLAG, 0, "pre-push", &pre_push, NULL,
		  "block a push whose affected tests fail" },
		{ IMPACT_OPT_FLAG, 0, "force", &force, NULL,
		  "install even into a tracked core.hooksPath folder (changes it for every clone)" },
		{ IMPACT_OPT_END, 0, NULL, NULL, NULL, NULL },
	};
	const char *names[4];
	const char *managed_names[IMPACT_HOOKMGR_HUSKY + 1][4];
	size_t nmanaged[IMPACT_HOOKMGR_HUSKY + 1] = { 0 };
	char **pos = NULL, **rest = NULL, *dir = NULL, *exe = NULL;
	const char *why;
	size_t npos = 0, nrest = 0, n = 0;
	int rc, exit_code = IMPACT_EXIT_OK;

	rc = impact_opts_parse(opts, "impact hooks install [--post-commit] [--pre-merge-commit] "
	                       "[--pre-push] [--force]", argc, argv, &pos, &npos, &rest, &nrest);
	if (rc != 0)
		return rc > 0 ? IMPACT_EXIT_OK : IMPACT_EXIT_USAGE;
	if (npos || nrest) {
		exit_code = impact_cli_error_usage("hooks", NULL, "hooks install takes only "
		                                   "--post-commit, --pre-merge-commit, --pre-push, --force");
		goto done;
	}
	if (!post_commit && !pre_merge && !pre_push)
		post_commit = true;
	if (post_commit) {
		names[n++] = "post-commit";
		names[n++] = "post-rewrite"; /* post-commit is quiet during a rebase */
	}
	if (pre_merge)
		names[n++] = "pre-merge-commit";
	if (pre_push)
		names[n++] = "pre-push";

	if ((rc = impact_hooks_dir(&dir, &why, cli->repo)) < 0 ||
	    (rc = impact_hooks_dir_tracked(&tracked, cli->repo, dir)) < 0) {
		exit_code = impact_cli_error(rc);
		goto done;
	}
	if (tracked && !force) {
		exit_code = impact_cli_error_exit(IMPACT_EXIT_USAGE, "core.hooksPath is '%s', a folder "
		                                  "with tracked files: hooks written there change the "
		                                  "repository for everyone who clones it; add impact to "
		                                  "those hooks by hand, or pass --force", dir);
		goto done;
	}
	if (tracked)
		impact_cli_warn("'%s' has tracked files: the hooks written there are changes to "
		                "commit (--force)", dir);
	exe = impact_self_exe();
	if (!exe) {
		impact_cli_warn("cannot tell where this impact binary is: the hooks run 'impact' "
		                "from PATH");
		exe = impact_xstrdup("impact");
	}
	for (size_t i = 0; i < n; i++) {
		impact_hook_info info;
		impact_hook_change what;
		char *evidence = NULL;
		impact_hookmgr m = IMPACT_HOOKMGR_NONE;

		if ((rc = impact_hook_inspect(&info, dir, names[i])) < 0) {
			exit_code = impact_cli_error(rc);
			goto done;
		}
		if (info.state != IMPACT_HOOK_OURS)
			m = impact_hookmgr_owner(&evidence, dir, names[i]);
		impact_hook_info_release(&info);
		if (m) {
			fprintf(stderr, "impact: hooks: %s: %s wrote it (%s): left alone\n", names[i],
			        impact_hookmgr_name(m), evidence);
			managed_names[m][nmanaged[m]++] = names[i];
			free(evidence);
			continue;
		}
		if (info.state != IMPACT_HOOK_OURS && !configured &&
		    (m = impact_hookmgr_detect(&evidence, cli->workdir, dir, names[i])) != 0) {
			/* Configured here, but this hook is not the manager's: impact's goes in. */
			fprintf(stderr, "impact: hooks: %s is configured here (%s), but the hooks below "
			        "are not its own: impact installs there (should %s take one over "
			        "later, 'impact hooks install' says how to add impact to it)\n",
			        impact_hookmgr_name(m), evidence, impact_hookmgr_name(m));
			free(evidence);
			m = IMPACT_HOOKMGR_NONE;
			configured = true;
		}
		if ((rc = impact_hook_install(&what, dir, names[i], exe)) < 0) {
			exit_code = impact_cli_error(rc);
			goto done;
		}
		printf("%s/%s: %s\n", dir, names[i], change_words(what));
	}
	for (int m = 1; m <= IMPACT_HOOKMGR_HUSKY; m++) {
		impact_buf snippet = IMPACT_BUF_INIT;
		if (!nmanaged[m])
			continue;
		impact_hookmgr_snippet(&snippet, (impact_hookmgr)m, managed_names[m], nmanaged[m]);
		fprintf(stderr, "impact: to run impact from %s, %s", impact_hookmgr_name((impact_hookmgr)m),
		        snippet.ptr);
		impact_buf_release(&snippet);
	}
	if (exit_code == IMPACT_EXIT_OK)
		printf("hooks directory: %s (%s); IMPACT_SKIP=1 skips them for one command\n", dir, why);
done:
	free(dir);
	free(exe);
	free(pos);
	return exit_code;
}

static int hooks_uninstall(impact_cli *cli)
{
	char *dir = NULL;
	const char *why;
	int rc, exit_code = IMPACT_EXIT_OK;

	if ((rc = impact_hooks_dir(&dir, &why, cli->repo)) < 0)
		return impact_cli_error(rc);
	for (size_t i = 0; i < impact_hook_count; i++) {
		impact_hook_change what;
		if ((rc = impact_hook_uninstall(&what, dir, impact_hook_names[i])) < 0) {
			exit_code = impact_cli_error(rc);
			break;
		}
		if (what != IMPACT_HOOK_UNCHANGED)
			printf("%s/%s: %s\n", dir, impact_hook_names[i], change_words(what));
	}
	free(dir);
	return exit_code;
}

static int hooks_status(impact_cli *cli)
{
	char *dir = NULL;
	const char *why, *skip = getenv("IMPACT_SKIP");
	pid_t running;
	int rc;

	if ((rc = impact_hooks_dir(&dir, &why, cli->repo)) < 0)
		return impact_cli_error(rc);
	printf("hooks directory: %s (%s)\n", dir, why);
	for (size_t i = 0; i < impact_hook_count; i++) {
		impact_hook_info info;
		char *evidence = NULL;
		impact_hookmgr m;
		if ((rc = impact_hook_inspect(&info, dir, impact_hook_names[i])) < 0) {
			free(dir);
			return impact_cli_error(rc);
		}
		printf("  %-17s ", impact_hook_names[i]);
		if (info.state == IMPACT_HOOK_OURS) {
			printf("installed, runs %s", info.binary ? info.binary : "impact");
			if (info.binary && access(info.binary, X_OK) < 0)
				printf(" (gone: 'impact' from PATH instead)");
			if (info.saved)
				printf("; first runs %s%s", info.saved_path,
				       info.saved_runnable ? "" : " (not executable: skipped)");
		} else if ((m = impact_hookmgr_owner(&evidence, dir, impact_hook_names[i])) !=
		           IMPACT_HOOKMGR_NONE) {
			printf("managed by %s (%s)", impact_hookmgr_name(m), evidence);
		} else if (info.state == IMPACT_HOOK_FOREIGN) {
			printf("another hook, not impact's");
		} else {
			printf("not installed");
		}
		if (info.state != IMPACT_HOOK_OURS && info.saved)
			printf(" (%s is left over)", info.saved_path);
		putchar('\n');
		free(evidence);
		impact_hook_info_release(&info);
	}
	if (skip && *skip && strcmp(skip, "0"))
		printf("IMPACT_SKIP is set: impact's hooks do nothing in this environment\n");
	running = impact_bgrun_holder(cli->repo);
	if (running)
		printf("a background run is going on (pid %d): impact status\n", (int)running);
	free(dir);
	return IMPACT_EXIT_OK;
}

int cmd_hooks(int argc, char **argv, impact_cli *cli)
{
	if (argc < 2)
		return impact_cli_error_usage("hooks", hooks_usage_text, "give a subcommand: install, "
		                              "uninstall or status");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return hooks_help();
	if (!strcmp(argv[1], "install")) {
		int rc;
		char **args = impact_xcalloc((size_t)argc, sizeof(char *));
		args[0] = "hooks install";
		for (int i = 2; i < argc; i++)
			args[i - 1] = argv[i];
		rc = hooks_install(argc - 1, args, cli);
		free(args);
		return rc;
	}
	if (argc != 2)
		return impact_cli_error_usage("hooks", hooks_usage_text, "hooks %s takes no arguments",
		                              argv[1]);
	if (!strcmp(argv[1], "uninstall"))
		return hooks_uninstall(cli);
	if (!strcmp(argv[1], "status"))
		return hooks_status(cli);
	return impact_cli_error_usage("hooks", hooks_usage_text, "unknown subcommand '%s'", argv[1]);
}

/* ---- impact hook <name>: what git runs ---- */

/*
 * The variables git sets for a hook that point at *this* repository
 * (git rev-parse --local-env-vars): pytest and the tests it runs must not
 * inherit them, or a test that builds a repository of its own would act
 * on this one.
 */
static void drop_git_env(void)
{
	static const char *const names[] = {
		"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX", "GIT_COMMON_DIR",
		"GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_CONFIG",
		"GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_GRAFT_FILE",
		"GIT_IMPLICIT_WORK_TREE", "GIT_NO_REPLACE_OBJECTS", "GIT_REPLACE_REF_BASE",
		"GIT_SHALLOW_FILE", "GIT_INTERNAL_SUPER_PREFIX",
	};
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(names); i++)
		unsetenv(names[i]);
}

static bool skipping(void)
{
	const char *v = getenv("IMPACT_SKIP");
	return v && *v && strcmp(v, "0");
}

/* The hooks git hands data on stdin. */
static bool hook_reads_stdin(const char *name)
{
	return !strcmp(name, "pre-push") || !strcmp(name, "post-rewrite");
}

static int read_all(impact_buf *out, int fd)
{
	char chunk[8192];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return impact_error_from_errno(errno, "cannot read the hook's input");
		}
		if (impact_buf_put(out, chunk, (size_t)n) < 0 || out->size > MAX_HOOK_INPUT)
			return impact_error_set(IMPACT_ERROR, "the hook's input is larger than %zu bytes",
			                        MAX_HOOK_INPUT);
	}
}

/* Make fd 0 read `data` from its start (through an unlinked temporary file). */
static int stdin_from(const impact_buf *data)
{
	FILE *t = tmpfile();
	int rc = 0;
	if (!t || (data->size && fwrite(data->ptr, 1, data->size, t) != data->size) ||
	    fflush(t) != 0 || lseek(fileno(t), 0, SEEK_SET) < 0 || dup2(fileno(t), 0) < 0)
		rc = impact_error_from_errno(errno, "cannot pass the hook's input on");
	if (t)
		fclose(t);
	return rc;
}

static void stdin_from_null(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		close(fd);
	}
}

/*
 * Run the hook that was there before impact (<name>.impact-saved), with
 * the hook's arguments and input. *status is its exit status, 0 when
 * there is none.
 */
static int run_saved_hook(int *status, impact_cli *cli, const char *name, int argc, char **argv,
                          const impact_buf *input)
{
	impact_hook_info info;
	char *dir = NULL;
	const char *why;
	const char **args = NULL;
	int rc;

	*status = 0;
	if ((rc = impact_hooks_dir(&dir, &why, cli->repo)) < 0 ||
	    (rc = impact_hook_inspect(&info, dir, name)) < 0) {
		free(dir);
		return rc;
	}
	if (!info.saved)
		goto done;
	if (!info.saved_runnable) {
		fprintf(stderr, "impact: '%s' is not executable: skipped, as git would skip it\n",
		        info.saved_path);
		goto done;
	}
	args = impact_xcalloc((size_t)argc + 1, sizeof(char *));
	args[0] = info.saved_path;
	for (int i = 2; i < argc; i++)
		args[i - 1] = argv[i];
	if (input && (rc = stdin_from(input)) < 0)
		goto done;
	rc = impact_child_run(status, args, NULL);
done:
	free(args);
	free(dir);
	impact_hook_info_release(&info);
	return rc;
}

/*
 * Plan and run the selection for `spec` (NULL: the index), as `impact
 * --exact <spec>` would: in a private checkout of exactly the tree the
 * hook speaks for, unless the configuration says `exact = false`; then in
 * the work tree, and with `require_head` (pre-push) only when that commit
 * is checked out.
 */
static int test_range(impact_cli *cli, const char *spec, bool require_head)
{
	impact_plan *plan = NULL;
	impact_plan_opts po = { 0 };
	impact_runner_opts ro = { 0 };
	int code;

	fflush(stdout);
	po.spec = spec;
	po.staged = !spec;
	po.rules_dir = impact_planout_rules_dir();
	ro.exact = IMPACT_EXACT_AUTO;
	ro.require_head = require_head;
	if ((code = impact_planout_build(&plan, cli, &po, false)) == IMPACT_EXIT_OK)
		code = impact_planout_run(cli, plan, &po, &ro, NULL, 0);
	impact_planout_free(plan, false);
	return code;
}

/* ---- the background run ---- */

/* Start `impact hook background <hook> <token> <spec>`, detached; do not wait for it. */
static int start_background(impact_cli *cli, const char *hook, const char *spec, const char *why)
{
	impact_buf token = IMPACT_BUF_INIT;
	impact_child_opts co = { 0 };
	struct timespec ts;
	char *log = NULL, *exe = NULL;
	const char *argv[9];
	pid_t pid;
	int logfd = -1, rc;

	if (!cli->workdir)
		return 0; /* a bare repository has no tests to run */
	clock_gettime(CLOCK_REALTIME, &ts);
	impact_buf_printf(&token, "%d.%lld.%09ld %s", (int)getpid(), (long long)ts.tv_sec,
	                  ts.tv_nsec, spec);
	if ((rc = impact_bgrun_want(cli->repo, token.ptr)) < 0)
		goto done;
	log = impact_state_path(cli->repo, "post-commit.log");
	logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
	if (logfd < 0) {
		rc = impact_error_from_errno(errno, "cannot open the log '%s'", log);
		goto done;
	}
	exe = impact_self_exe();
	argv[0] = exe ? exe : "impact";
	argv[1] = "-C";
	argv[2] = cli->workdir;
	argv[3] = "hook";
	argv[4] = "background";
	argv[5] = hook;
	argv[6] = token.ptr;
	argv[7] = spec;
	argv[8] = NULL;
	co.cwd = cli->workdir;
	co.new_session = true;
	co.output_fd = logfd;
	if ((rc = impact_child_start(&pid, argv, &co)) < 0)
		goto done;
	fprintf(stderr, "impact: %s: testing %s in the background ('impact status'; log: %s)\n",
	        hook, why, log);
done:
	if (logfd >= 0)
		close(logfd);
	impact_buf_release(&token);
	free(log);
	free(exe);
	return rc;
}

static void short_oid(char *out, size_t n, const git_oid *id)
{
	git_oid_tostr(out, n < 8 ? n : 8, id);
}

/*
 * A previous background run that never finished (superseded, or killed)
 * left its change untested: when its base is in our commit's history,
 * widen our range to start there. *out is a new revspec or NULL.
 */
static void widen_range(char **out, git_repository *repo, const impact_range *range,
                        const impact_bgrun_state *prev)
{
	impact_buf s = IMPACT_BUF_INIT;
	git_oid base;
	char a[16], b[16];
	*out = NULL;
	if (!prev->state || strcmp(prev->state, "running") || !prev->base || !prev->commit ||
	    git_oid_is_zero(&range->new_commit) || git_oid_fromstr(&base, prev->base) < 0 ||
	    !strcmp(prev->commit, git_oid_tostr_s(&range->new_commit)) ||
	    git_oid_equal(&base, &range->old_commit))
		return;
	if (git_graph_descendant_of(repo, &range->new_commit, &base) != 1)
		return;
	short_oid(a, sizeof(a), &base);
	short_oid(b, sizeof(b), &range->new_commit);
	impact_buf_printf(&s, "%s..%s", a, b);
	*out = impact_buf_detach(&s);
}

/* A desktop notification when notify-send is on PATH (as cctrial does); never fails. */
static void notify(const char *title, const char *body)
{
	impact_notifier n = { 0 };
	impact_notify_send(&n, title, body, NULL);
	impact_notify_reap(&n, 5.0);
}

static void notify_result(git_repository *repo, const char *commit, int exit_code)
{
	impact_lastrun lr;
	impact_buf title = IMPACT_BUF_INIT, body = IMPACT_BUF_INIT;
	impact_buf_printf(&title, "impact: %.7s %s", commit ? commit : "",
	                  impact_exit_brief(exit_code));
	if (impact_lastrun_read(&lr, repo) == 0 && lr.commit && commit && !strcmp(lr.commit, commit)) {
		impact_buf_printf(&body, "%lu passed, %lu failed, %lu errors in %.1f s", lr.passed,
		                  lr.failed, lr.errors, lr.duration_s);
		for (size_t i = 0; i < lr.nfailures && i < 3; i++)
			impact_buf_printf(&body, "\n%s", lr.failures[i].nodeid);
	} else {
		impact_buf_puts(&body, "impact status: the details");
	}
	impact_lastrun_release(&lr);
	notify(title.ptr, body.ptr);
	impact_buf_release(&title);
	impact_buf_release(&body);
}

/* `impact hook background <hook> <token> <spec>`: the detached run itself. */
static int run_background(impact_cli *cli, const char *hook, const char *token, const char *spec)
{
	impact_bgrun *lock = NULL;
	impact_bgrun_state prev = { 0 }, st = { 0 };
	impact_range range = { 0 };
	char *wider = NULL, *log = NULL, when[32];
	struct stat sb;
	struct tm tm;
	double t0;
	int rc, code = IMPACT_EXIT_OK;

	rc = impact_bgrun_acquire(&lock, cli->repo, token, SUPERSEDE_GRACE_S);
	if (rc == IMPACT_ENOTFOUND)
		return IMPACT_EXIT_OK; /* a newer commit is being tested instead */
	if (rc < 0)
		return impact_cli_error(rc);
	/* Our output is the log: start it afresh for this run. */
	if (fstat(STDOUT_FILENO, &sb) == 0 && S_ISREG(sb.st_mode) && ftruncate(STDOUT_FILENO, 0) < 0)
		impact_cli_warn("cannot empty the log: %s", strerror(errno));
	if ((rc = impact_range_parse(&range, cli->repo, spec, false)) < 0) {
		code = impact_cli_error(rc);
		goto done;
	}
	if (impact_bgrun_state_read(&prev, cli->repo) == 0) {
		widen_range(&wider, cli->repo, &range, &prev);
		if (wider) {
			fprintf(stderr, "impact: the run for %.7s did not finish: this run covers it too\n",
			        prev.commit);
			spec = wider;
			impact_range_release(&range);
			if ((rc = impact_range_parse(&range, cli->repo, spec, false)) < 0) {
				code = impact_cli_error(rc);
				goto done;
			}
		}
	}
	log = impact_state_path(cli->repo, "post-commit.log");
	st.state = "running";
	st.hook = (char *)hook;
	st.commit = git_oid_is_zero(&range.new_commit) ? NULL
	            : impact_xstrdup(git_oid_tostr_s(&range.new_commit));
	st.base = git_oid_is_zero(&range.old_commit) ? NULL
	          : impact_xstrdup(git_oid_tostr_s(&range.old_commit));
	st.range = (char *)spec;
	st.log = log;
	st.pid = getpid();
	st.started = time(NULL);
	if ((rc = impact_bgrun_state_write(cli->repo, &st)) < 0)
		impact_cli_warn_last();
	localtime_r(&st.started, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(stderr, "impact: %s run of %s, started %s\n", hook, spec, when);
	impact_range_release(&range);

	t0 = (impact_now_ms() / 1000.0);
	code = test_range(cli, spec, false);
	fflush(stdout);
	fflush(stderr);
	if (!impact_bgrun_is_current(cli->repo, token))
		goto done; /* superseded while running: the newer run reports */
	st.state = "done";
	st.exit_code = code;
	st.duration_s = (impact_now_ms() / 1000.0) - t0;
	if (impact_bgrun_state_write(cli->repo, &st) < 0)
		impact_cli_warn_last();
	fprintf(stderr, "impact: %s run of %s finished: exit %d (%s)\n", hook, spec, code,
	        impact_exit_brief(code));
	notify_result(cli->repo, st.commit, code);
done:
	impact_bgrun_release(lock);
	impact_range_release(&range);
	impact_bgrun_state_release(&prev);
	free(st.commit);
	free(st.base);
	free(wider);
	free(log);
	return code;
}

/* ---- the hooks ---- */

static int post_commit(impact_cli *cli)
{
	const char *seq = impact_hooks_sequence(cli->repo);
	git_oid head;
	char id[16], why[64];
	int err;

	if (seq)
		return 0; /* a rebase is tested once, from post-rewrite, when it ends */
	err = git_reference_name_to_id(&head, cli->repo, "HEAD");
	if (err < 0)
		return impact_error_from_git(err, "cannot read HEAD");
	short_oid(id, sizeof(id), &head);
	snprintf(why, sizeof(why), "commit %s", id);
	return start_background(cli, "post-commit", id, why);
}

static int post_rewrite(impact_cli *cli, const char *command, const impact_buf *input)
{
	char *spec = NULL, *why = NULL;
	int rc;

	if (!command)
		command = getenv("PRE_COMMIT_REWRITE_COMMAND"); /* under the pre-commit framework */
	if (!command || strcmp(command, "rebase"))
		return 0; /* amend: post-commit has already tested the amended commit */
	rc = impact_gate_rewrite_range(&spec, &why, cli->repo, input->ptr, input->size);
	if (rc == IMPACT_ENOTFOUND)
		return 0;
	if (rc == 0)
		rc = start_background(cli, "post-rewrite", spec, why);
	free(spec);
	free(why);
	return rc;
}

static int pre_merge_commit(impact_cli *cli)
{
	int code;
	fprintf(stderr, "impact: pre-merge-commit: testing the merge (the index against HEAD)\n");
	code = test_range(cli, NULL, false);
	if (code != IMPACT_EXIT_OK)
		fprintf(stderr, "impact: pre-merge-commit: merge not committed: the tests it affects "
		        "fail (exit %d: %s). The merge is left in the index: fix it and 'git commit', "
		        "'git merge --abort', or commit anyway with 'git commit --no-verify'\n",
		        code, impact_exit_brief(code));
	return code;
}

static int pre_push(impact_cli *cli, const char *remote, const impact_buf *input)
{
	impact_push_ranges ranges = { 0 };
	impact_strlist done = { 0 };
	const char *from = getenv("PRE_COMMIT_FROM_REF"), *to = getenv("PRE_COMMIT_TO_REF");
	int rc, worst = IMPACT_EXIT_OK;

	if (!input->size && to && *to) {
		/* The pre-commit framework keeps git's lines and says the range instead. */
		impact_buf spec = IMPACT_BUF_INIT;
		if (from && *from)
			impact_buf_printf(&spec, "%s..%s", from, to);
		else
			impact_buf_puts(&spec, to);
		fprintf(stderr, "impact: pre-push: testing %s\n", spec.ptr);
		worst = test_range(cli, spec.ptr, true);
		impact_buf_release(&spec);
		goto verdict;
	}
	rc = impact_gate_push_ranges(&ranges, cli->repo, remote ? remote : "origin",
	                             input->ptr, input->size);
	if (rc < 0)
		return impact_cli_error(rc);
	for (size_t i = 0; i < ranges.n && worst == IMPACT_EXIT_OK; i++) {
		const impact_push_range *r = &ranges.items[i];
		bool seen = false;
		fprintf(stderr, "impact: pre-push: %s: %s\n", r->local_ref, r->why);
		if (!r->spec)
			continue;
		for (size_t k = 0; k < done.n && !seen; k++)
			seen = !strcmp(done.items[k], r->spec);
		if (seen)
			continue;
		impact_strlist_push(&done, r->spec);
		worst = test_range(cli, r->spec, true);
	}
verdict:
	if (worst != IMPACT_EXIT_OK)
		fprintf(stderr, "impact: pre-push: push blocked: the tests it affects fail (exit %d: "
		        "%s). Fix them, or push anyway with 'git push --no-verify' (or IMPACT_SKIP=1)\n",
		        worst, impact_exit_brief(worst));
	impact_strlist_release(&done);
	impact_push_ranges_release(&ranges);
	return worst;
}

/* A usage error of `impact hook`, which the hooks 'impact hooks install' writes (or a hook manager) run. */
static int hook_usage(const char *what)
{
	return impact_cli_error_usage(NULL, "impact hook <post-commit|post-rewrite|pre-merge-commit|"
	                              "pre-push> [<git's arguments>]", "%s (impact hook is run by "
	                              "the hooks 'impact hooks install' writes, or by a hook manager)",
	                              what);
}

int cmd_hook(int argc, char **argv, impact_cli *cli)
{
	impact_buf input = IMPACT_BUF_INIT;
	const char *name;
	bool known = false;
	int rc = 0, saved = 0, code = IMPACT_EXIT_OK;

	if (argc < 2)
		return hook_usage("give the hook's name");
	name = argv[1];
	if (!strcmp(name, "background")) {
		if (argc != 5)
			return hook_usage("impact hook background takes a hook, a token and a range");
		return run_background(cli, argv[2], argv[3], argv[4]);
	}
	for (size_t i = 0; i < impact_hook_count; i++)
		known |= !strcmp(name, impact_hook_names[i]);
	if (!known) {
		impact_buf what = IMPACT_BUF_INIT;
		impact_buf_printf(&what, "'%s' is not a hook impact handles", name);
		rc = hook_usage(what.ptr);
		impact_buf_release(&what);
		return rc;
	}
	if (hook_reads_stdin(name) && (rc = read_all(&input, STDIN_FILENO)) < 0)
		goto fail;
	/* The user's own hook first, with git's environment, arguments and input. */
	if ((rc = run_saved_hook(&saved, cli, name, argc, argv, hook_reads_stdin(name) ? &input : NULL)) < 0)
		goto fail;
	if (saved && (!strcmp(name, "pre-push") || !strcmp(name, "pre-merge-commit"))) {
		fprintf(stderr, "impact: %s: the hook that was here before impact failed (exit %d): "
		        "blocked without testing\n", name, saved);
		code = saved;
		goto done;
	}
	if (skipping()) {
		if (!strcmp(name, "pre-push") || !strcmp(name, "pre-merge-commit"))
			fprintf(stderr, "impact: %s: IMPACT_SKIP is set: not tested\n", name);
		goto done;
	}
	/* From here on: no git variables for pytest, and no terminal input. */
	drop_git_env();
	stdin_from_null();
	if (!strcmp(name, "post-commit"))
		rc = post_commit(cli);
	else if (!strcmp(name, "post-rewrite"))
		rc = post_rewrite(cli, argc > 2 ? argv[2] : NULL, &input);
	else if (!strcmp(name, "pre-merge-commit"))
		code = pre_merge_commit(cli);
	else
		code = pre_push(cli, argc > 2 ? argv[2] : NULL, &input);
	if (rc < 0)
		goto fail;
	if (!code)
		code = saved; /* git ignores post-* statuses, but they are the user's to see */
done:
	impact_buf_release(&input);
	return code;
fail:
	code = impact_cli_error(rc);
	/* A background hook's own trouble must not look like a failed commit. */
	if (!strcmp(name, "post-commit") || !strcmp(name, "post-rewrite"))
		code = saved;
	impact_buf_release(&input);
	return code;
}
