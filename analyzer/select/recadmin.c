/*
 * recadmin.c - the records store as a whole: its counts (impact records
 * stats, impact status), which tree records were made on, and clearing,
 * exporting and importing the store file (a CI cache restores the one a
 * previous job made). The tables are records.c's.
 */
#include "records.h"

#include "records_private.h"

#include <errno.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- stats, clear, export, import ------------------------------------------ */

static size_t count(impact_records *rec, const char *sql)
{
	sqlite3_stmt *st = NULL;
	size_t n = 0;
	if (sqlite3_prepare_v2(rec->db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = (size_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

int impact_records_stats_get(impact_records *rec, impact_records_stats *out)
{
	struct stat sb;
	memset(out, 0, sizeof(*out));
	out->files = count(rec, "SELECT COUNT(*) FROM rec");
	out->tests = count(rec, "SELECT COALESCE(SUM(ntests), 0) FROM rec");
	out->functions = count(rec, "SELECT COUNT(*) FROM func");
	out->sets = count(rec, "SELECT COUNT(*) FROM fset");
	out->modules = count(rec, "SELECT COUNT(*) FROM modimp");
	out->caches = count(rec, "SELECT COUNT(*) FROM cache");
	out->bytes = stat(rec->path, &sb) == 0 ? (int64_t)sb.st_size : 0;
	return 0;
}

char *impact_records_recorder(impact_records *rec)
{
	sqlite3_stmt *st = NULL;
	char *out = NULL;
	if (sqlite3_prepare_v2(rec->db, "SELECT v FROM meta WHERE k = 'recorder'", -1, &st,
	                       NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_text(st, 0))
		out = impact_xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return out;
}

size_t impact_records_count_at(impact_records *rec, const git_oid *tree)
{
	sqlite3_stmt *st = NULL;
	size_t n = 0;
	if (sqlite3_prepare_v2(rec->db, "SELECT COUNT(*) FROM rec WHERE tree = ?", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_bind_blob(st, 1, tree->id, GIT_OID_RAWSZ, SQLITE_TRANSIENT) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = (size_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

int impact_records_clear(git_repository *repo)
{
	char *path = impact_records_path(repo);
	int rc = 0;
	if (unlink(path) != 0 && errno != ENOENT)
		rc = impact_error_from_errno(errno, "cannot remove '%s'", path);
	free(path);
	return rc;
}

int impact_records_export(git_repository *repo, const char *path)
{
	impact_records *rec = NULL;
	sqlite3_stmt *st = NULL;
	int rc;
	if ((rc = impact_records_open(&rec, repo, false)) < 0)
		return rc;
	unlink(path);
	if (sqlite3_prepare_v2(rec->db, "VACUUM INTO ?", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE)
		rc = impact_error_set(IMPACT_ERROR, "cannot export the records to '%s': %s",
		                      path, sqlite3_errmsg(rec->db));
	sqlite3_finalize(st);
	impact_records_close(rec);
	return rc;
}

int impact_records_import(git_repository *repo, const char *path)
{
	sqlite3 *src = NULL;
	impact_records *rec = NULL;
	sqlite3_backup *bk;
	sqlite3_stmt *st = NULL;
	bool ok = false;
	int rc = 0;

	if (sqlite3_open_v2(path, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		rc = impact_error_set(IMPACT_EINVALID, "cannot read records from '%s': %s",
		                      path, sqlite3_errmsg(src));
		goto done;
	}
	if (sqlite3_prepare_v2(src, "SELECT v FROM meta WHERE k = 'version'", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		ok = !strcmp((const char *)sqlite3_column_text(st, 0), IMPACT_RECORDS_VERSION);
	sqlite3_finalize(st);
	if (!ok) {
		rc = impact_error_set(IMPACT_EINVALID, "'%s' holds no records of this impact (%s); "
		                      "export them with 'impact records export' of the same version",
		                      path, IMPACT_RECORDS_VERSION);
		goto done;
	}
	if ((rc = impact_records_open(&rec, repo, true)) < 0)
		goto done;
	if (!(bk = sqlite3_backup_init(rec->db, "main", src, "main")) ||
	    sqlite3_backup_step(bk, -1) != SQLITE_DONE) {
		rc = impact_records__db_error(rec, "import");
	}
	if (bk)
		sqlite3_backup_finish(bk);
done:
	impact_records_close(rec);
	sqlite3_close(src);
	return rc;
}
