/*
 * recording.c - sinks, switches and ingest for recorded dependencies
 * (see recording.h).
 */
#include "recording.h"

#include "records.h"
#include "lastrun.h"
#include "clock.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

/* HEAD's tree when no tracked file differs from it in the index or the work tree. */
static int clean_tree(git_oid *out, git_repository *repo)
{
	git_object *head = NULL;
	git_tree *tree = NULL;
	git_diff *diff = NULL;
	git_diff_options o;
	int rc;
	git_diff_options_init(&o, GIT_DIFF_OPTIONS_VERSION);
	if ((rc = git_revparse_single(&head, repo, "HEAD^{tree}")) < 0)
		return IMPACT_ENOTFOUND;
	tree = (git_tree *)head;
	if ((rc = git_diff_tree_to_workdir_with_index(&diff, repo, tree, &o)) == 0) {
		rc = git_diff_num_deltas(diff) ? IMPACT_ENOTFOUND : 0;
		git_oid_cpy(out, git_tree_id(tree));
	}
	git_diff_free(diff);
	git_object_free(head);
	return rc < 0 ? IMPACT_ENOTFOUND : 0;
}

void impact_recording_init(impact_recording *rec, impact_cli *cli, bool off, bool quiet,
                           const char *const *args, size_t nargs, const git_oid *exact_tree)
{
	memset(rec, 0, sizeof(*rec));
	rec->repo = cli->repo;
	rec->workdir = cli->workdir;
	rec->quiet = quiet;
	if (off || !cli->workdir) {
		rec->repo = NULL;
		return;
	}
	impact_recording_sweep(cli->repo);
	{
		impact_buf key = IMPACT_BUF_INIT;
		const char *partial = NULL;
		if (impact_records_filter(&key, &partial, args, nargs) < 0) {
			impact_buf w = IMPACT_BUF_INIT;
			impact_buf_printf(&w, "'%s' runs part of the tests, so no dependencies are recorded",
			                  partial);
			rec->why_not = impact_buf_detach(&w);
			impact_buf_release(&key);
			return;
		}
		rec->filter = impact_buf_detach(&key);
	}
	if (exact_tree) {
		git_oid_cpy(&rec->tree, exact_tree);
		rec->have_tree = true;
	} else if (clean_tree(&rec->tree, cli->repo) == 0)
		rec->have_tree = true;
	else
		rec->why_not = impact_xstrdup("the work tree differs from HEAD, so this run's "
		                              "dependencies are not recorded (commit, then run again)");
}

void impact_recording_round(impact_recording *rec, const char *run_id, int round,
                            impact_strlist *env)
{
	impact_buf name = IMPACT_BUF_INIT, e = IMPACT_BUF_INIT;
	free(rec->sink);
	rec->sink = NULL;
	if (!rec->repo || !rec->have_tree)
		return;
	impact_buf_printf(&name, "rec-%s-%d", run_id, round);
	rec->sink = impact_state_path(rec->repo, name.ptr);
	if (mkdir(rec->sink, 0700) != 0) {
		free(rec->sink);
		rec->sink = NULL;
		goto done;
	}
	impact_buf_printf(&e, "IMPACT_RECORD=%s", rec->sink);
	impact_strlist_push(env, e.ptr);
	impact_buf_clear(&e);
	impact_buf_printf(&e, "IMPACT_RECORD_ROOT=%s", rec->workdir);
	impact_strlist_push(env, e.ptr);
done:
	impact_buf_release(&name);
	impact_buf_release(&e);
}

static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	impact_buf p = IMPACT_BUF_INIT;
	if (d) {
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			impact_buf_clear(&p);
			impact_buf_printf(&p, "%s/%s", dir, de->d_name);
			if (unlink(p.ptr) != 0 && (errno == EISDIR || errno == EPERM))
				remove_tree(p.ptr);
		}
		closedir(d);
	}
	rmdir(dir);
	impact_buf_release(&p);
}

void impact_recording_collect(impact_recording *rec, const impact_strlist *incomplete,
                              const impact_strlist *failed)
{
	impact_records *store = NULL;
	impact_records_run run = { 0 };
	impact_strlist notes = { 0 };
	double t0 = impact_now_ms();
	if (!rec->sink)
		return;
	run.sink = rec->sink;
	run.workdir = rec->workdir;
	run.tree = &rec->tree;
	run.incomplete = (const char *const *)incomplete->items;
	run.nincomplete = incomplete->n;
	run.failed = (const char *const *)failed->items;
	run.nfailed = failed->n;
	run.filter = rec->filter;
	if (impact_records_open(&store, rec->repo, true) < 0 ||
	    impact_records_ingest(store, rec->repo, &run, &notes) < 0) {
		if (!rec->quiet)
			impact_cli_warn("dependencies not recorded: %s", impact_error_last());
	}
	for (size_t i = 0; i < notes.n && !rec->quiet; i++)
		impact_cli_warn("%s", notes.items[i]);
	impact_records_close(store);
	if (!rec->quiet && getenv("IMPACT_TIMINGS"))
		fprintf(stderr, "impact: storing the records took %.0f ms\n", impact_now_ms() - t0);
	impact_strlist_release(&notes);
	remove_tree(rec->sink);
	free(rec->sink);
	rec->sink = NULL;
}

void impact_recording_discard(impact_recording *rec)
{
	if (!rec->sink)
		return;
	remove_tree(rec->sink);
	free(rec->sink);
	rec->sink = NULL;
}

void impact_recording_release(impact_recording *rec)
{
	if (rec->why_not && !rec->quiet)
		fprintf(stderr, "impact: note: %s\n", rec->why_not);
	if (rec->sink)
		remove_tree(rec->sink);
	free(rec->sink);
	free(rec->why_not);
	free(rec->filter);
	memset(rec, 0, sizeof(*rec));
}

void impact_recording_sweep(git_repository *repo)
{
	char *dir = impact_state_path(repo, "");
	DIR *d = opendir(dir);
	struct dirent *de;
	impact_buf p = IMPACT_BUF_INIT;
	if (d) {
		while ((de = readdir(d))) {
			int pid;
			/* rec-<pid>-<ns>-<round>: the run's pid tells whether it still lives. */
			if (strncmp(de->d_name, "rec-", 4) || sscanf(de->d_name + 4, "%d-", &pid) != 1)
				continue;
			if (pid > 0 && (kill(pid, 0) == 0 || errno == EPERM))
				continue;
			impact_buf_clear(&p);
			impact_buf_printf(&p, "%s/%s", dir, de->d_name);
			remove_tree(p.ptr);
		}
		closedir(d);
	}
	impact_buf_release(&p);
	free(dir);
}
