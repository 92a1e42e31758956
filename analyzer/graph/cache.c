/*
 * cache.c - the SQLite parse cache (see cache.h).
 *
 * Schema: facts(oid BLOB PRIMARY KEY, data BLOB) WITHOUT ROWID, and
 * meta(key, value) holding the value version.
 *
 * Module graphs of trees are files beside the database,
 * graphs/<tree id>, written through a rename and read through mmap: a
 * graph is megabytes, which SQLite would hand over by walking and copying
 * a chain of overflow pages on every run. The last PROJECTS_KEPT used
 * (by modification time, refreshed on each read) are kept. Prepared statements are
 * kept for the life of the handle. SQLITE_CORRUPT / SQLITE_NOTADB while
 * opening means the file is not a usable store: it is removed and made
 * anew once. Later errors switch the cache off for the run.
 */
#include "cache.h"
#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct impact_cache {
	sqlite3 *db;
	sqlite3_stmt *get, *put, *del;
	char *path;
	char *warning;
	bool off;
	bool in_tx;
	bool in_read;
	uint64_t hits, misses;
};

static void set_warning(impact_cache *c, const char *fmt, const char *detail)
{
	impact_buf b = IMPACT_BUF_INIT;
	if (c->warning)
		return;
	impact_buf_printf(&b, fmt, c->path, detail);
	c->warning = impact_buf_detach(&b);
}

/* Turn the cache off for this run after a failure; always returns IMPACT_ERROR. */
static int turn_off(impact_cache *c, const char *what)
{
	if (!c->off)
		set_warning(c, "cache '%s' turned off for this run: %s", what);
	c->off = true;
	return impact_error_set(IMPACT_ERROR, "cache '%s': %s", c->path, what);
}

static void finalize_all(impact_cache *c)
{
	sqlite3_finalize(c->get);
	sqlite3_finalize(c->put);
	sqlite3_finalize(c->del);
	c->get = c->put = c->del = NULL;
	if (c->db)
		sqlite3_close(c->db);
	c->db = NULL;
}

/* "<folder of the database>/graphs[/<hex of tree>]". */
static void graph_path(impact_buf *out, const char *dbpath, const git_oid *tree)
{
	const char *slash = strrchr(dbpath, '/');
	impact_buf_clear(out);
	if (slash)
		impact_buf_put(out, dbpath, (size_t)(slash - dbpath + 1));
	impact_buf_puts(out, "graphs");
	if (tree)
		impact_buf_printf(out, "/%s", git_oid_tostr_s(tree));
}

int impact_cache_remove(const char *path)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	impact_buf p = IMPACT_BUF_INIT;
	int rc = 0;
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(suffixes); i++) {
		impact_buf_clear(&p);
		impact_buf_printf(&p, "%s%s", path, suffixes[i]);
		if (unlink(p.ptr) < 0 && errno != ENOENT && !rc)
			rc = impact_error_from_errno(errno, "cannot remove '%s'", p.ptr);
	}
	/* The kept module graphs, and their folder. */
	{
		impact_buf dir = IMPACT_BUF_INIT;
		DIR *d;
		struct dirent *de;
		graph_path(&dir, path, NULL);
		d = opendir(dir.ptr);
		while (d && (de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			impact_buf_clear(&p);
			impact_buf_printf(&p, "%s/%s", dir.ptr, de->d_name);
			if (unlink(p.ptr) < 0 && errno != ENOENT && !rc)
				rc = impact_error_from_errno(errno, "cannot remove '%s'", p.ptr);
		}
		if (d)
			closedir(d);
		if (rmdir(dir.ptr) < 0 && errno != ENOENT && !rc)
			rc = impact_error_from_errno(errno, "cannot remove '%s'", dir.ptr);
		impact_buf_release(&dir);
	}
	impact_buf_release(&p);
	return rc;
}

/* Returns an SQLite code; SQLITE_OK when the store is ready. */
static int try_open(impact_cache *c, uint32_t version)
{
	/* This connection's settings: cheap, every time. */
	static const char settings[] =
		"PRAGMA synchronous=NORMAL;"
		/*
		 * No mapping: a warm run reads only the facts the precise walk needs,
		 * and pages a mapping touched (a cold run's inserts touch most of the
		 * file) stayed resident: 1.4 s / 170 MB instead of 2.3 s / 228 MB on
		 * dist-packages. SQLite's own page cache is bounded below.
		 */
		"PRAGMA mmap_size=0;"
		"PRAGMA cache_size=-16384;";
	/*
	 * The file's: WAL mode and the tables persist, so they are made only
	 * when its user_version says they are not there yet (as the run
	 * history does). Parsing them on every open was a tenth of a warm run
	 * on a small project.
	 */
	static const char schema[] =
		"PRAGMA journal_mode=WAL;"
		"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER);"
		"CREATE TABLE IF NOT EXISTS facts(oid BLOB PRIMARY KEY, data BLOB NOT NULL) WITHOUT ROWID;"
		"PRAGMA user_version=1;";
	sqlite3_stmt *st = NULL;
	int rc, have = -1;
	bool made;

	rc = sqlite3_open_v2(c->path, &c->db,
	                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_busy_timeout(c->db, 5000);
	if ((rc = sqlite3_exec(c->db, settings, NULL, NULL, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &st, NULL)) != SQLITE_OK)
		return rc;
	made = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
	sqlite3_finalize(st);
	if ((!made && (rc = sqlite3_exec(c->db, schema, NULL, NULL, NULL)) != SQLITE_OK) ||
	    (rc = sqlite3_prepare_v2(c->db, "SELECT value FROM meta WHERE key='version'", -1, &st, NULL)) != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		have = sqlite3_column_int(st, 0);
	else if (rc != SQLITE_DONE) {
		sqlite3_finalize(st);
		return rc;
	}
	sqlite3_finalize(st);
	if (have != (int)version) {
		char sql[160];
		snprintf(sql, sizeof(sql),
		         "BEGIN IMMEDIATE; DELETE FROM facts;"
		         "INSERT OR REPLACE INTO meta(key, value) VALUES('version', %u); COMMIT;",
		         version);
		if ((rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL)) != SQLITE_OK)
			return rc;
	}
	if ((rc = sqlite3_prepare_v2(c->db, "SELECT data FROM facts WHERE oid=?", -1, &c->get, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_prepare_v2(c->db, "INSERT OR REPLACE INTO facts(oid, data) VALUES(?, ?)", -1, &c->put, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_prepare_v2(c->db, "DELETE FROM facts WHERE oid=?", -1, &c->del, NULL)) != SQLITE_OK)
		return rc;
	return SQLITE_OK;
}

int impact_cache_open(impact_cache **out, const char *path, uint32_t version,
                      char **warning)
{
	impact_cache *c = impact_xcalloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	if (warning)
		*warning = NULL;
	c->path = impact_xstrdup(path);
	rc = try_open(c, version);
	if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB) {
		finalize_all(c);
		impact_cache_remove(path);
		set_warning(c, "cache '%s' was damaged (%s): discarded and rebuilt",
		            sqlite3_errstr(rc));
		rc = try_open(c, version);
	}
	if (rc != SQLITE_OK) {
		int err = impact_error_set(IMPACT_ERROR, "cannot open the cache '%s': %s",
		                           path, c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		impact_cache_close(c);
		return err;
	}
	if (warning && c->warning)
		*warning = impact_xstrdup(c->warning);
	*out = c;
	return 0;
}

void impact_cache_close(impact_cache *c)
{
	if (!c)
		return;
	if ((c->in_tx || c->in_read) && c->db)
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	finalize_all(c);
	free(c->path);
	free(c->warning);
	free(c);
}

int impact_cache_get(impact_cache *c, const git_oid *oid, impact_buf *out)
{
	int rc;
	if (!c || c->off)
		return IMPACT_ENOTFOUND;
	sqlite3_reset(c->get);
	sqlite3_bind_blob(c->get, 1, oid->id, GIT_OID_RAWSZ, SQLITE_STATIC);
	rc = sqlite3_step(c->get);
	if (rc == SQLITE_ROW) {
		const void *data = sqlite3_column_blob(c->get, 0);
		int n = sqlite3_column_bytes(c->get, 0);
		impact_buf_put(out, data, (size_t)n);
		sqlite3_reset(c->get);
		c->hits++;
		return 0;
	}
	sqlite3_reset(c->get);
	if (rc == SQLITE_DONE) {
		c->misses++;
		return IMPACT_ENOTFOUND;
	}
	return turn_off(c, sqlite3_errmsg(c->db));
}

void impact_cache_read_begin(impact_cache *c)
{
	if (!c || c->off || c->in_tx)
		return;
	if (sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK)
		c->in_read = true;
}

void impact_cache_read_end(impact_cache *c)
{
	if (!c || !c->in_read)
		return;
	sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
	c->in_read = false;
}

int impact_cache_begin(impact_cache *c)
{
	if (!c || c->off)
		return IMPACT_ERROR;
	impact_cache_read_end(c);
	if (sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return turn_off(c, sqlite3_errmsg(c->db));
	c->in_tx = true;
	return 0;
}

int impact_cache_put(impact_cache *c, const git_oid *oid, const void *data, size_t len)
{
	int rc;
	if (!c || c->off || !c->in_tx)
		return IMPACT_ERROR;
	sqlite3_reset(c->put);
	sqlite3_bind_blob(c->put, 1, oid->id, GIT_OID_RAWSZ, SQLITE_STATIC);
	sqlite3_bind_blob(c->put, 2, data, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(c->put);
	sqlite3_reset(c->put);
	if (rc != SQLITE_DONE)
		return turn_off(c, sqlite3_errmsg(c->db));
	return 0;
}

int impact_cache_commit(impact_cache *c)
{
	if (!c || !c->in_tx)
		return IMPACT_ERROR;
	c->in_tx = false;
	if (sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
		return turn_off(c, sqlite3_errmsg(c->db));
	}
	return 0;
}

int impact_cache_map_project(impact_cache *c, const git_oid *tree, void **map, size_t *len)
{
	impact_buf path = IMPACT_BUF_INIT;
	struct stat st;
	void *m;
	int fd;

	*map = NULL;
	*len = 0;
	if (!c || c->off)
		return IMPACT_ENOTFOUND;
	graph_path(&path, c->path, tree);
	fd = open(path.ptr, O_RDONLY | O_CLOEXEC);
	impact_buf_release(&path);
	if (fd < 0)
		return IMPACT_ENOTFOUND;
	if (fstat(fd, &st) < 0 || st.st_size <= 0 ||
	    (m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED) {
		close(fd);
		return IMPACT_ENOTFOUND;
	}
	futimens(fd, NULL); /* used now: kept longer */
	close(fd);
	*map = m;
	*len = (size_t)st.st_size;
	return 0;
}

void impact_cache_unmap(void *map, size_t len)
{
	if (map)
		munmap(map, len);
}

/* Module graphs kept: a handful of branches' heads and their parents. */
#define PROJECTS_KEPT 8

/* Drop all but the PROJECTS_KEPT most recently used graphs. */
static void prune_graphs(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	impact_buf p = IMPACT_BUF_INIT;
	struct item { struct timespec t; char name[64]; } *v = NULL;
	size_t n = 0, alloc = 0;

	while (d && (de = readdir(d)) != NULL) {
		struct stat st;
		struct item it;
		if (strlen(de->d_name) != GIT_OID_HEXSZ)
			continue;
		impact_buf_clear(&p);
		impact_buf_printf(&p, "%s/%s", dir, de->d_name);
		if (stat(p.ptr, &st) < 0)
			continue;
		it.t = st.st_mtim;
		memcpy(it.name, de->d_name, GIT_OID_HEXSZ + 1); /* length checked above */
		IMPACT_PUSH(v, n, alloc, it);
	}
	if (d)
		closedir(d);
	while (n > PROJECTS_KEPT) {
		size_t oldest = 0;
		for (size_t i = 1; i < n; i++)
			if (v[i].t.tv_sec < v[oldest].t.tv_sec ||
			    (v[i].t.tv_sec == v[oldest].t.tv_sec && v[i].t.tv_nsec < v[oldest].t.tv_nsec))
				oldest = i;
		impact_buf_clear(&p);
		impact_buf_printf(&p, "%s/%s", dir, v[oldest].name);
		unlink(p.ptr);
		v[oldest] = v[--n];
	}
	free(v);
	impact_buf_release(&p);
}

int impact_cache_put_project(impact_cache *c, const git_oid *tree, const impact_file_part *parts,
                             size_t nparts)
{
	impact_buf path = IMPACT_BUF_INIT;
	int rc;
	if (!c || c->off)
		return IMPACT_ERROR;
	graph_path(&path, c->path, NULL);
	if (mkdir(path.ptr, 0777) < 0 && errno != EEXIST) {
		rc = impact_error_from_errno(errno, "cannot create '%s'", path.ptr);
	} else {
		graph_path(&path, c->path, tree);
		rc = impact_file_replace_parts(path.ptr, parts, nparts, IMPACT_REPLACE_NO_FSYNC);
		graph_path(&path, c->path, NULL);
		if (rc == 0)
			prune_graphs(path.ptr);
	}
	impact_buf_release(&path);
	/* Not kept is only a slower next run: no warning. */
	return rc;
}

void impact_cache_forget_project(impact_cache *c, const git_oid *tree)
{
	impact_buf path = IMPACT_BUF_INIT;
	if (!c)
		return;
	graph_path(&path, c->path, tree);
	unlink(path.ptr);
	impact_buf_release(&path);
	set_warning(c, "cache '%s': a damaged entry was dropped%s", "");
}

/* Count and size of the kept graphs. */
static void graph_stats(const char *dbpath, uint64_t *n, uint64_t *bytes)
{
	impact_buf dir = IMPACT_BUF_INIT, p = IMPACT_BUF_INIT;
	DIR *d;
	struct dirent *de;
	graph_path(&dir, dbpath, NULL);
	d = opendir(dir.ptr);
	while (d && (de = readdir(d)) != NULL) {
		struct stat st;
		if (strlen(de->d_name) != GIT_OID_HEXSZ)
			continue;
		impact_buf_clear(&p);
		impact_buf_printf(&p, "%s/%s", dir.ptr, de->d_name);
		if (stat(p.ptr, &st) == 0) {
			(*n)++;
			*bytes += (uint64_t)st.st_size;
		}
	}
	if (d)
		closedir(d);
	impact_buf_release(&dir);
	impact_buf_release(&p);
}

void impact_cache_forget(impact_cache *c, const git_oid *oid)
{
	if (!c || c->off)
		return;
	sqlite3_reset(c->del);
	sqlite3_bind_blob(c->del, 1, oid->id, GIT_OID_RAWSZ, SQLITE_STATIC);
	sqlite3_step(c->del);
	sqlite3_reset(c->del);
	set_warning(c, "cache '%s': a damaged entry was dropped%s", "");
}

const char *impact_cache_warning(const impact_cache *c)
{
	return c ? c->warning : NULL;
}

void impact_cache_counts(const impact_cache *c, uint64_t *hits, uint64_t *misses)
{
	*hits = c ? c->hits : 0;
	*misses = c ? c->misses : 0;
}

int impact_cache_stats_get(impact_cache *c, impact_cache_stats *out)
{
	sqlite3_stmt *st = NULL;
	struct stat sb;
	impact_buf wal = IMPACT_BUF_INIT;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = sqlite3_prepare_v2(c->db,
		"SELECT count(*), coalesce(sum(length(data)), 0), "
		"(SELECT value FROM meta WHERE key='version') FROM facts", -1, &st, NULL);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		out->entries = (uint64_t)sqlite3_column_int64(st, 0);
		out->value_bytes = (uint64_t)sqlite3_column_int64(st, 1);
		out->version = (uint32_t)sqlite3_column_int(st, 2);
		graph_stats(c->path, &out->projects, &out->project_bytes);
		out->file_bytes += out->project_bytes;
		rc = 0;
	} else {
		rc = impact_error_set(IMPACT_ERROR, "cannot read the cache '%s': %s",
		                      c->path, sqlite3_errmsg(c->db));
	}
	sqlite3_finalize(st);
	if (stat(c->path, &sb) == 0)
		out->file_bytes += (uint64_t)sb.st_size;
	impact_buf_printf(&wal, "%s-wal", c->path);
	if (stat(wal.ptr, &sb) == 0)
		out->file_bytes += (uint64_t)sb.st_size;
	impact_buf_release(&wal);
	out->hits = c->hits;
	out->misses = c->misses;
	return rc;
}

int impact_cache_default_path(char **out, git_repository *repo)
{
	impact_buf p = IMPACT_BUF_INIT;
	char *dir = impact_state_path(repo, "");
	struct stat st;
	int rc = 0;

	*out = NULL;
	if (stat(dir, &st) < 0) {
		rc = impact_error_from_errno(errno, "cannot create '%s'", dir);
	} else if (!S_ISDIR(st.st_mode)) {
		rc = impact_error_from_errno(ENOTDIR, "cannot create '%s'", dir);
	} else {
		impact_buf_printf(&p, "%s/cache.sqlite", dir);
		*out = impact_buf_detach(&p);
	}
	free(dir);
	impact_buf_release(&p);
	return rc;
}
