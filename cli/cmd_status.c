/*
 * cmd_status.c - `impact status`: the last run, and the background run.
 *
 * Reads what runs leave under <common git dir>/impact/: last-run.json
 * (the runner's record of any run: commit, counts, failures) and
 * post-commit.json (bgrun.c: the background run's state and exit code).
 * When there is no last-run.json, the background run's exit code and the
 * end of its log stand in. Prints to stdout; exits 0 whatever the last run
 * did (it is a report, not a test), 2 when the records cannot be read.
 */
#include "cli.h"

#include "records.h"

#include "bgrun.h"
#include "buf.h"
#include "lastrun.h"

#include <signal.h>
#include <unistd.h>

#define LOG_TAIL_LINES 15

static void print_log_tail(const char *path)
{
	impact_buf text = IMPACT_BUF_INIT;
	size_t lines = 0;
	const char *start;
	if (!path || impact_buf_read_file(&text, path, (size_t)64 << 20) < 0 || !text.size) {
		impact_buf_release(&text);
		return;
	}
	start = text.ptr + text.size;
	if (start > text.ptr && start[-1] == '\n')
		start--;
	while (start > text.ptr) {
		if (start[-1] == '\n' && ++lines == LOG_TAIL_LINES)
			break;
		start--;
	}
	printf("end of the log:\n");
	for (const char *s = start; *s;) {
		const char *nl = strchr(s, '\n');
		int n = nl ? (int)(nl - s) : (int)strlen(s);
		printf("  | %.*s\n", n, s);
		s = nl ? nl + 1 : s + n;
	}
	impact_buf_release(&text);
}

static void print_last_run(const impact_lastrun *lr, const char *log)
{
	printf("last run: %.7s (%s), started %s, %.1f s: %s (exit %d)\n",
	       lr->commit ? lr->commit : "-", lr->range ? lr->range : "?",
	       lr->started ? lr->started : "?", lr->duration_s,
	       impact_exit_brief(lr->exit_code), lr->exit_code);
	if (lr->tested)
		printf("  tested %s\n", lr->tested);
	printf("  %lu passed, %lu failed, %lu errors, %lu skipped, %lu xfailed, %lu xpassed\n",
	       lr->passed, lr->failed, lr->errors, lr->skipped, lr->xfailed, lr->xpassed);
	for (size_t i = 0; i < lr->nfailures; i++) {
		const impact_lastrun_failure *f = &lr->failures[i];
		printf("  FAILED %s", f->nodeid);
		if (f->file)
			printf(" (%s:%u)", f->file, f->line);
		if (f->message) {
			int n = (int)strcspn(f->message, "\n");
			printf(": %.*s%s", n > 200 ? 200 : n, f->message, n > 200 ? "..." : "");
		}
		printf("%s\n", f->flaky ? " [known flaky]" : "");
	}
	if (log)
		printf("log: %s\n", log);
}

/* How many test files have records, and how many of them were made on HEAD's tree. */
static void print_records(impact_cli *cli)
{
	impact_records *rec = NULL;
	impact_records_stats st;
	git_object *head = NULL;
	size_t at_head = 0;
	if (impact_records_open(&rec, cli->repo, false) < 0) {
		printf("records: none yet ('impact --all' records what each test executes)\n");
		return;
	}
	if (impact_records_stats_get(rec, &st) == 0) {
		if (git_revparse_single(&head, cli->repo, "HEAD^{tree}") == 0)
			at_head = impact_records_count_at(rec, git_object_id(head));
		printf("records: %zu test files recorded, %zu of them at HEAD's tree "
		       "(the others are checked against each change)\n", st.files, at_head);
	}
	git_object_free(head);
	impact_records_close(rec);
}

int cmd_status(int argc, char **argv, impact_cli *cli)
{
	impact_lastrun lr;
	impact_bgrun_state bg;
	pid_t holder;
	int rc_lr, rc_bg;
	bool bg_running, same;
	const char *log = NULL;

	if (argc > 1) {
		if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
			printf("usage: impact status\n\nThe last run (commit, counts, failures, log) "
			       "and the background run of the post-commit hook.\n");
			return IMPACT_EXIT_OK;
		}
		return impact_cli_error_usage("status", "impact status", "status takes no arguments");
	}
	rc_lr = impact_lastrun_read(&lr, cli->repo);
	if (rc_lr < 0 && rc_lr != IMPACT_ENOTFOUND)
		impact_cli_warn_last();
	rc_bg = impact_bgrun_state_read(&bg, cli->repo);
	if (rc_bg < 0 && rc_bg != IMPACT_ENOTFOUND)
		impact_cli_warn_last();
	holder = impact_bgrun_holder(cli->repo);
	bg_running = rc_bg == 0 && !strcmp(bg.state, "running") && holder;

	if (bg_running)
		printf("running: %s run of %s (pid %d), log: %s\n", bg.hook ? bg.hook : "background",
		       bg.range ? bg.range : "?", (int)holder, bg.log ? bg.log : "?");

	/* The log of the last run: its own, or the background log when it was that run. */
	same = rc_lr == 0 && rc_bg == 0 && lr.commit && bg.commit && !strcmp(lr.commit, bg.commit);
	if (rc_lr == 0)
		log = lr.log ? lr.log : same ? bg.log : NULL;

	if (rc_lr == 0) {
		print_last_run(&lr, log);
		if (!log)
			printf("log: pytest's output went to the terminal that ran it\n");
	} else if (rc_bg == 0 && !strcmp(bg.state, "done")) {
		printf("last run: %.7s (%s): %s (exit %d), %.1f s\n", bg.commit ? bg.commit : "-",
		       bg.range ? bg.range : "?", impact_exit_brief(bg.exit_code),
		       bg.exit_code, bg.duration_s);
		if (bg.log)
			printf("log: %s\n", bg.log);
		print_log_tail(bg.log);
	} else if (!bg_running) {
		printf("no run recorded yet (run 'impact', or 'impact hooks install' to test each commit)\n");
	}

	if (rc_bg == 0 && !bg_running) {
		if (!strcmp(bg.state, "done"))
			printf("post-commit: last background run %.7s: %s (exit %d)\n",
			       bg.commit ? bg.commit : "-", impact_exit_brief(bg.exit_code),
			       bg.exit_code);
		else
			printf("post-commit: the background run of %.7s stopped before finishing "
			       "(a newer commit superseded it, or it was killed)\n",
			       bg.commit ? bg.commit : "-");
	}
	print_records(cli);
	if (rc_lr == 0)
		impact_lastrun_release(&lr);
	if (rc_bg == 0)
		impact_bgrun_state_release(&bg);
	return IMPACT_EXIT_OK;
}
