/*
 * history.c - the run history in SQLite (see history.h).
 */
#include "history.h"
#include "state.h"

#include "buf.h"

#include <errno.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <time.h>

struct impact_history {
	sqlite3 *db;
	/* impact_history_file's two queries, prepared on first use: it runs
	 * once per selected file (631 prepares were a quarter of a warm run). */
	sqlite3_stmt *last, *fails;
	bool in_read; /* inside impact_history_read_begin's transaction */
};

/*
 * results.outcome: an impact_outcome, or this for a failure the
 * configuration lists as known flaky (it did not fail the run, so it does
 * not move its file first next time; its duration still counts).
 */
#define OUTCOME_KNOWN_FLAKY 100

/*
 * The runs whose every result is kept; past KEEP + SLACK runs, older
 * results go (amortized: once in SLACK runs), except each file's from the
 * last run that included it (its duration and whether it failed). Failure
 * counts are then over the last KEEP runs. Unbounded, jinja's history
 * held 123,000 results after 147 runs (17 MB), and grows for ever under
 * a post-commit hook.
 */
#define HISTORY_KEEP_RUNS 200
#define HISTORY_SLACK_RUNS 50

int impact_history_open(impact_history **out, git_repository *repo)
{
	/*
	 * WAL mode and the tables persist: made when the file's user_version
	 * says they are not there yet, not parsed again on every open (every
	 * selection opens the history to order its tests).
	 */
	static const char schema[] =
		"PRAGMA journal_mode=WAL;"
		"CREATE TABLE IF NOT EXISTS runs(id INTEGER PRIMARY KEY, commit_id TEXT, started INTEGER);"
		"CREATE TABLE IF NOT EXISTS results(run INTEGER, nodeid TEXT, file TEXT,"
		" outcome INTEGER, seconds REAL);"
		"CREATE INDEX IF NOT EXISTS results_file ON results(file, run);"
		/*
		 * The runs each file failed in, once each: impact_history_file's
		 * count is an index range. Counted from results, count(DISTINCT
		 * run) read every result of the file, and its DISTINCT opened a
		 * temporary b-tree, page cache and all, per file (pygments' 631
		 * selected files: 15 ms of a 23 ms warm --list).
		 */
		"CREATE TABLE IF NOT EXISTS fails(file TEXT, run INTEGER, PRIMARY KEY(file, run)) WITHOUT ROWID;"
		"DROP INDEX IF EXISTS results_fail;"
		"INSERT OR IGNORE INTO fails SELECT file, run FROM results WHERE outcome IN (1, 2);"
		"PRAGMA user_version=3;";
	sqlite3_stmt *st = NULL;
	bool made = false;
	impact_buf path = IMPACT_BUF_INIT;
	impact_history *h = impact_xcalloc(1, sizeof(*h));
	int rc = 0;

	*out = NULL;
	{
		char *p = impact_state_path(repo, "history.sqlite");
		impact_buf_puts(&path, p);
		free(p);
	}
	if (sqlite3_open_v2(path.ptr, &h->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                    SQLITE_OPEN_NOMUTEX, NULL) == SQLITE_OK &&
	    sqlite3_busy_timeout(h->db, 5000) == SQLITE_OK &&
	    sqlite3_exec(h->db, "PRAGMA synchronous=NORMAL;", NULL, NULL, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(h->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK)
		made = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 3;
	sqlite3_finalize(st);
	if (!h->db || (!made && sqlite3_exec(h->db, schema, NULL, NULL, NULL) != SQLITE_OK)) {
		rc = impact_error_set(IMPACT_ERROR, "cannot open the run history '%s': %s", path.ptr,
		                      h->db ? sqlite3_errmsg(h->db) : "out of memory");
		impact_history_close(h);
		h = NULL;
	}
	impact_buf_release(&path);
	*out = h;
	return rc;
}

void impact_history_close(impact_history *h)
{
	if (!h)
		return;
	sqlite3_finalize(h->last);
	sqlite3_finalize(h->fails);
	impact_history_read_end(h);
	sqlite3_close(h->db);
	free(h);
}

/* One statement with ?1 bound to `cut`, run to its end: SQLITE_OK or SQLITE_ERROR. */
static int run_with_cut(impact_history *h, const char *sql, sqlite3_int64 cut)
{
	sqlite3_stmt *st = NULL;
	int rc = SQLITE_ERROR;
	if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, cut);
		if (sqlite3_step(st) == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Older runs' results dropped (HISTORY_KEEP_RUNS), inside the recording transaction. */
static int prune(impact_history *h, sqlite3_int64 run)
{
	/* Each file's last run stays (its duration, whether it failed); then the runs left empty. */
	static const char *const steps[] = {
		"DELETE FROM results WHERE run <= ?1 AND run <"
		" (SELECT max(r.run) FROM results r WHERE r.file IS results.file)",
		"DELETE FROM fails WHERE run <= ?1 AND run <"
		" (SELECT max(r.run) FROM results r WHERE r.file IS fails.file)",
		"DELETE FROM runs WHERE id <= ?1 AND id NOT IN"
		" (SELECT DISTINCT run FROM results WHERE run <= ?1)",
	};
	sqlite3_stmt *st = NULL;
	sqlite3_int64 cut = run - HISTORY_KEEP_RUNS, oldest = run;
	if (sqlite3_prepare_v2(h->db, "SELECT min(id) FROM runs", -1, &st, NULL) != SQLITE_OK)
		return SQLITE_ERROR;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		oldest = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (oldest > cut - HISTORY_SLACK_RUNS)
		return SQLITE_OK;
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(steps); i++)
		if (run_with_cut(h, steps[i], cut) != SQLITE_OK)
			return SQLITE_ERROR;
	return SQLITE_OK;
}

int impact_history_record(impact_history *h, const char *commit,
                          const impact_results *res, const char *const *ids,
                          const char *const *files)
{
	sqlite3_stmt *st = NULL, *fail = NULL;
	sqlite3_int64 run;
	int rc = IMPACT_ERROR;

	if (sqlite3_exec(h->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		goto done;
	if (sqlite3_prepare_v2(h->db, "INSERT INTO runs(commit_id, started) VALUES(?, ?)", -1, &st, NULL) != SQLITE_OK)
		goto rollback;
	sqlite3_bind_text(st, 1, commit, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
	if (sqlite3_step(st) != SQLITE_DONE)
		goto rollback;
	sqlite3_finalize(st);
	st = NULL;
	run = sqlite3_last_insert_rowid(h->db);
	if (sqlite3_prepare_v2(h->db, "INSERT INTO results VALUES(?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(h->db, "INSERT OR IGNORE INTO fails VALUES(?, ?)", -1, &fail, NULL) != SQLITE_OK)
		goto rollback;
	for (size_t i = 0; i < res->n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, run);
		sqlite3_bind_text(st, 2, ids[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, files[i], -1, SQLITE_STATIC);
		/* A known-flaky failure did not fail the run: not a failure to order by. */
		sqlite3_bind_int(st, 4, res->cases[i].flaky ? OUTCOME_KNOWN_FLAKY : (int)res->cases[i].outcome);
		sqlite3_bind_double(st, 5, res->cases[i].time);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto rollback;
		if (!res->cases[i].flaky && impact_outcome_is_failure(res->cases[i].outcome)) {
			sqlite3_reset(fail);
			sqlite3_bind_text(fail, 1, files[i], -1, SQLITE_STATIC);
			sqlite3_bind_int64(fail, 2, run);
			if (sqlite3_step(fail) != SQLITE_DONE)
				goto rollback;
		}
	}
	if (prune(h, run) != SQLITE_OK)
		goto rollback;
	if (sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		rc = 0;
	goto done;
rollback:
	sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
done:
	sqlite3_finalize(st);
	sqlite3_finalize(fail);
	if (rc)
		impact_error_set(IMPACT_ERROR, "cannot record the run history: %s", sqlite3_errmsg(h->db));
	return rc;
}

void impact_history_read_begin(impact_history *h)
{
	if (h && !h->in_read && sqlite3_exec(h->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK)
		h->in_read = true;
}

void impact_history_read_end(impact_history *h)
{
	if (h && h->in_read) {
		sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL);
		h->in_read = false;
	}
}

int impact_history_file(impact_history *h, const char *file, impact_file_history *out)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	/* The last run that included the file: did it fail, how long did it take. */
	if (!h->last && sqlite3_prepare_v2(h->db,
	        "SELECT max(outcome IN (1, 2)), sum(seconds) FROM results WHERE file = ?1 AND run ="
	        " (SELECT max(run) FROM results WHERE file = ?1)", -1, &h->last, NULL) != SQLITE_OK)
		goto fail;
	st = h->last;
	sqlite3_bind_text(st, 1, file, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		out->known = true;
		out->failed_last = sqlite3_column_int(st, 0) != 0;
		out->seconds = sqlite3_column_double(st, 1);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	/* Runs it failed in, not failed results: one run of many broken tests is one failure. */
	if (!h->fails &&
	    sqlite3_prepare_v2(h->db, "SELECT count(*) FROM fails WHERE file = ?", -1, &h->fails,
	                       NULL) != SQLITE_OK)
		goto fail;
	st = h->fails;
	sqlite3_bind_text(st, 1, file, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		out->failures = (uint32_t)sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return 0;
fail:
	rc = impact_error_set(IMPACT_ERROR, "cannot read the run history: %s", sqlite3_errmsg(h->db));
	return rc;
}
