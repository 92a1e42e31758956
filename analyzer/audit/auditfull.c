/*
 * auditfull.c - the full audit: each commit of a range, oldest first,
 * against its parent; what newly fails there against what impact selects
 * for that commit (see audit_private.h for what the parts share).
 */
#include "audit_private.h"

#include "auditrun.h"
#include "cache.h"
#include "config.h"
#include "diff.h"
#include "flaky.h"
#include "interp.h"
#include "mutate.h"
#include "path.h"
#include "preflight.h"
#include "records.h"
#include "project.h"
#include "reap.h"
#include "run.h"
#include "scratch.h"

#include <errno.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* --- full ------------------------------------------------------------------ */

/* The commits of `spec`, oldest first, following first parents. */
static int range_commits(audit *a, git_oid **out, size_t *n)
{
	impact_range range = { 0 };
	git_revwalk *walk = NULL;
	git_oid oid;
	size_t alloc = 0;
	int rc, grc;

	*out = NULL;
	*n = 0;
	if ((rc = impact_range_parse(&range, a->repo, a->o->revspec, false)) < 0)
		goto done;
	if (range.new_kind != IMPACT_SNAPSHOT_TREE || git_oid_is_zero(&range.new_commit)) {
		rc = impact_error_set(IMPACT_EINVALID, "--full audits commits: give a range such as "
		                      "HEAD~5.. or a commit, not '%s'", a->o->revspec);
		goto done;
	}
	if ((grc = git_revwalk_new(&walk, a->repo)) < 0 ||
	    (grc = git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE)) < 0 ||
	    (grc = git_revwalk_simplify_first_parent(walk)) < 0 ||
	    (grc = git_revwalk_push(walk, &range.new_commit)) < 0 ||
	    (!git_oid_is_zero(&range.old_commit) &&
	     (grc = git_revwalk_hide(walk, &range.old_commit)) < 0)) {
		rc = impact_error_from_git(grc, "cannot walk '%s'", a->o->revspec);
		goto done;
	}
	while ((grc = git_revwalk_next(&oid, walk)) == 0)
		IMPACT_PUSH(*out, *n, alloc, oid);
	if (grc != GIT_ITEROVER) {
		rc = impact_error_from_git(grc, "cannot walk '%s'", a->o->revspec);
		goto done;
	}
	if (!*n)
		rc = impact_error_set(IMPACT_EINVALID, "'%s' holds no commit: nothing to audit",
		                      a->o->revspec);
done:
	git_revwalk_free(walk);
	impact_range_release(&range);
	return rc;
}

/* Audit commit `c` against its first parent; `prev` holds the last run (at its commit `prev_oid`). */
static int audit_commit(audit *a, impact_audit_record *rec, git_commit *c,
                        impact_suite_result *prev, git_oid *prev_oid, bool first)
{
	impact_suite_result at_parent = { 0 }, at_commit = { 0 };
	impact_audit_selection sel = { 0 };
	impact_strlist tests = { 0 }, parent_failing = { 0 }, all_new = { 0 }, parent_ran = { 0 };
	impact_project *project = NULL;
	impact_snapshot *snap = NULL;
	git_tree *tree = NULL;
	impact_buf why = IMPACT_BUF_INIT;
	const git_oid *parent = git_commit_parent_id(c, 0);
	double t0 = impact_now_ms();
	int rc = 0, grc;

	git_oid_tostr(rec->commit, sizeof(rec->commit), git_commit_id(c));
	rec->subject = impact_xstrdup(git_commit_summary(c) ? git_commit_summary(c) : "");
	if (!parent) {
		rec->skipped = impact_xstrdup("a root commit: no parent to compare with");
		goto done;
	}
	if ((grc = git_commit_tree(&tree, c)) < 0) {
		rc = impact_error_from_git(grc, "cannot read commit %.7s", rec->commit);
		goto done;
	}
	if ((rc = impact_snapshot_open(&snap, a->repo, IMPACT_SNAPSHOT_TREE, tree)) < 0 ||
	    (rc = audit_project_of(a, &project, snap, &tests)) < 0)
		goto done;
	if ((rc = impact_audit_select(&sel, a->repo_dir, rec->commit, (const char *const *)a->sel_args.items,
	                              a->sel_args.n, a->scratch, &a->env.limits)) < 0) {
		if (audit_interrupted(a))
			rc = audit_stop_interrupted(a);
		goto done;
	}
	if (git_oid_equal(prev_oid, parent)) {
		at_parent = *prev;
		memset(prev, 0, sizeof(*prev));
		memset(prev_oid, 0, sizeof(*prev_oid));
	} else {
		audit_say(a, "running the full suite at %.7s (the parent of %.7s)", git_oid_tostr_s(parent),
		    rec->commit);
		if ((rc = audit_suite_at(a, &at_parent, parent, &tests)) < 0)
			goto done;
	}
	if (!impact_suite_ran(&at_parent)) {
		audit_why_unfinished(&why, a, &at_parent);
		if (first) {
			rc = impact_error_set(IMPACT_EPYTHON, "the suite does not run cleanly at %.7s, the "
			                      "parent of the first commit: %s (pytest's last words: %s)",
			                      git_oid_tostr_s(parent), why.ptr,
			                      at_parent.log_tail ? at_parent.log_tail : "none");
			goto done;
		}
		impact_buf_puts(&why, " at the parent: nothing to compare with");
		rec->skipped = impact_buf_detach(&why);
		goto done;
	}
	audit_say(a, "running the full suite at %.7s %s", rec->commit, rec->subject);
	if ((rc = audit_suite_at(a, &at_commit, git_commit_id(c), &tests)) < 0)
		goto done;
	impact_suite_failures(NULL, &parent_failing, &at_parent, NULL, NULL, false);
	audit_files_ran(&parent_ran, &at_parent);
	audit_compare(rec, &at_commit, &sel, &tests, NULL, &parent_failing, &parent_ran);
	if (!impact_suite_ran(&at_commit) && !rec->stopped) {
		audit_why_unfinished(&why, a, &at_commit);
		rec->incomplete = impact_buf_detach(&why);
	}
	impact_suite_failures(NULL, &all_new, &at_commit, NULL, NULL, false);
	for (size_t i = 0; i < all_new.n; i++)
		rec->already_failing += impact_audit_has(&parent_failing, all_new.items[i]);
	impact_suite_result_release(prev);
	*prev = at_commit;
	memset(&at_commit, 0, sizeof(at_commit));
	git_oid_cpy(prev_oid, git_commit_id(c));
done:
	rec->seconds = (impact_now_ms() - t0) / 1000.0;
	impact_suite_result_release(&at_parent);
	impact_suite_result_release(&at_commit);
	impact_audit_selection_release(&sel);
	impact_strlist_release(&tests);
	impact_strlist_release(&parent_failing);
	impact_strlist_release(&parent_ran);
	impact_strlist_release(&all_new);
	impact_project_free(project);
	impact_snapshot_free(snap);
	git_tree_free(tree);
	impact_buf_release(&why);
	return rc;
}

int audit_full(audit *a)
{
	impact_suite_result prev = { 0 };
	git_oid *commits = NULL, prev_oid;
	size_t n = 0;
	int rc;

	memset(&prev_oid, 0, sizeof(prev_oid));
	if ((rc = range_commits(a, &commits, &n)) < 0)
		goto done;
	audit_say(a, "%zu commit%s to audit in '%s'", n, n == 1 ? "" : "s", a->o->revspec);
	for (size_t i = 0; i < n; i++) {
		impact_audit_record *rec = audit_new_record(a->rep);
		git_commit *c = NULL;
		int grc;
		if (audit_interrupted(a)) {
			rc = audit_stop_interrupted(a);
			goto done;
		}
		if ((grc = git_commit_lookup(&c, a->repo, &commits[i])) < 0) {
			rc = impact_error_from_git(grc, "cannot read commit %s", git_oid_tostr_s(&commits[i]));
			goto done;
		}
		rc = audit_commit(a, rec, c, &prev, &prev_oid, i == 0);
		git_commit_free(c);
		if (rc < 0) {
			if (a->rep->interrupted && !rec->skipped)
				rec->skipped = impact_xstrdup("interrupted");
			goto done;
		}
		if (rec->skipped)
			audit_say(a, "[%zu/%zu] %.7s %s: skipped: %s", i + 1, n, rec->commit, rec->subject,
			    rec->skipped);
		else
			audit_say(a, "[%zu/%zu] %.7s %s: %zu newly failing, %zu selected%s, %zu missed%s%s",
			    i + 1, n, rec->commit, rec->subject, rec->failing.n, rec->selected.n,
			    rec->full_suite ? " (full suite)" : "", rec->missed.n,
			    rec->incomplete ? "; incomplete: " : "", rec->incomplete ? rec->incomplete : "");
	}
done:
	impact_suite_result_release(&prev);
	free(commits);
	return rc;
}

