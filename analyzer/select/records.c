/*
 * records.c - the store of recorded dependencies and its ingest from the
 * recorder's sink (see records.h; selection with records is recselect.c).
 *
 * Tables: func (path, qualified name, fingerprint: one row per distinct
 * triple), fset (a sorted array of func ids, stored once per distinct
 * set, found by a 64-bit digest), rec (per test file: tree, fset, the
 * non-Python files it ran code from or read, the -k/-m it ran under),
 * modimp (per module: the fset of what ran while it was imported, and
 * the files read then), mpath and mset (the modules each test file's
 * process had imported, recmods.c; rec.mset NULL when unknown), cache
 * (per function caching its results: the fset of what computing its
 * results ran, and the tree, reccache.c). A store of another version is
 * dropped and rebuilt quietly.
 */
#include "records.h"

#include "fnhash.h"
#include "records_private.h"
#include "recmods.h"
#include "path.h"
#include "lastrun.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS func (id INTEGER PRIMARY KEY, path TEXT NOT NULL,"
	"  qual TEXT NOT NULL, hash INTEGER NOT NULL, UNIQUE (path, qual, hash));"
	"CREATE TABLE IF NOT EXISTS fset (id INTEGER PRIMARY KEY, digest INTEGER UNIQUE NOT NULL,"
	"  ids BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS rec (file TEXT PRIMARY KEY, tree BLOB NOT NULL,"
	"  fset INTEGER NOT NULL, deps TEXT NOT NULL, ntests INTEGER NOT NULL,"
	"  filter TEXT NOT NULL DEFAULT '', mset INTEGER);"
	"CREATE TABLE IF NOT EXISTS modimp (path TEXT PRIMARY KEY, fset INTEGER NOT NULL,"
	"  deps TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE IF NOT EXISTS opaque (file TEXT PRIMARY KEY, why TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS mpath (id INTEGER PRIMARY KEY, path TEXT UNIQUE NOT NULL);"
	"CREATE TABLE IF NOT EXISTS mset (id INTEGER PRIMARY KEY, digest INTEGER UNIQUE NOT NULL,"
	"  ids BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS cache (func INTEGER PRIMARY KEY, fset INTEGER NOT NULL,"
	"  tree BLOB NOT NULL);";

int impact_records__db_error(impact_records *rec, const char *what)
{
	return impact_error_set(IMPACT_ERROR, "recorded dependencies '%s': cannot %s: %s; "
	                        "'impact records clear' starts them anew", rec->path, what,
	                        sqlite3_errmsg(rec->db));
}

/* "-k"/"-m" with its value (joined, "-kEXPR", "-k=EXPR"): the option letter and the expression. */
static bool filter_arg(char *opt, const char **value, const char *const *args, size_t n, size_t *i)
{
	const char *a = args[*i];
	if (a[0] != '-' || (a[1] != 'k' && a[1] != 'm'))
		return false;
	*opt = a[1];
	if (a[2] == '=')
		*value = a + 3;
	else if (a[2])
		*value = a + 2;
	else if (*i + 1 < n)
		*value = args[++*i];
	else
		*value = "";
	return true;
}

/*
 * A node id: a test file's path, then "::". The path has a '.' or a '/'
 * (test files have extensions); a warning filter's action before its
 * "::" ("ignore::DeprecationWarning") has neither.
 */
static bool node_id(const char *a)
{
	const char *sep = strstr(a, "::");
	for (const char *p = a; sep && p < sep; p++)
		if (*p == '.' || *p == '/')
			return true;
	return false;
}

/* pytest's own options whose value, the next argument, may hold "::" (-W ignore::DeprecationWarning). */
static bool value_may_hold_colons(const char *a)
{
	return !strcmp(a, "-W") || !strcmp(a, "--pythonwarnings") || !strcmp(a, "-o") ||
	       !strcmp(a, "--override-ini");
}

int impact_records_filter(impact_buf *out, const char **why, const char *const *args, size_t n)
{
	static const char *const partial[] = { "--lf", "--last-failed", "--deselect", "--sw",
	                                       "--stepwise", "--sw-skip", "--stepwise-skip" };
	impact_buf_clear(out);
	*why = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *a = args[i], *value;
		char opt;
		if (!strcmp(a, "--")) {
			/* What follows names files and node ids. */
			for (size_t k = i + 1; k < n && !*why; k++)
				if (node_id(args[k]))
					*why = args[k];
			break;
		}
		if (value_may_hold_colons(a) && i + 1 < n) {
			i++; /* its value, never a node id */
			continue;
		}
		for (size_t k = 0; k < IMPACT_ARRAY_SIZE(partial) && !*why; k++) {
			size_t len = strlen(partial[k]);
			if (!strncmp(a, partial[k], len) && (!a[len] || a[len] == '='))
				*why = a;
		}
		if (a[0] != '-' && node_id(a) && !*why)
			*why = a;
		if (filter_arg(&opt, &value, args, n, &i))
			impact_buf_printf(out, "%s-%c %s", out->size ? "\x1f" : "", opt, value);
	}
	return *why ? IMPACT_ENOTFOUND : 0;
}

char *impact_records_path(git_repository *repo)
{
	return impact_state_path(repo, "records.db");
}

/* The version row, or a store emptied for this version. */
static int check_version(impact_records *rec)
{
	sqlite3_stmt *st = NULL;
	bool ok = false;
	if (sqlite3_prepare_v2(rec->db, "SELECT v FROM meta WHERE k = 'version'", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		ok = !strcmp((const char *)sqlite3_column_text(st, 0), IMPACT_RECORDS_VERSION);
	sqlite3_finalize(st);
	if (ok)
		return 0;
	/* Dropped, not emptied: another version's tables may have other columns. */
	if (sqlite3_exec(rec->db,
	                 "DROP TABLE IF EXISTS func; DROP TABLE IF EXISTS fset;"
	                 "DROP TABLE IF EXISTS rec; DROP TABLE IF EXISTS modimp;"
	                 "DROP TABLE IF EXISTS opaque; DROP TABLE IF EXISTS mpath;"
	                 "DROP TABLE IF EXISTS mset; DROP TABLE IF EXISTS cache;", NULL, NULL,
	                 NULL) != SQLITE_OK ||
	    sqlite3_exec(rec->db, schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(rec->db,
	                 "INSERT OR REPLACE INTO meta VALUES ('version', '" IMPACT_RECORDS_VERSION "');",
	                 NULL, NULL, NULL) != SQLITE_OK)
		return impact_records__db_error(rec, "reset its tables");
	return 0;
}

int impact_records_open(impact_records **out, git_repository *repo, bool create)
{
	impact_records *rec = impact_xcalloc(1, sizeof(*rec));
	struct stat sb;
	int rc = 0;

	*out = NULL;
	rec->path = impact_records_path(repo);
	if (!create && stat(rec->path, &sb) != 0) {
		rc = impact_error_set(IMPACT_ENOTFOUND, "no recorded dependencies yet ('impact --all' records them)");
		goto done;
	}
	if (sqlite3_open_v2(rec->path, &rec->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(rec->db, 5000) != SQLITE_OK ||
	    sqlite3_exec(rec->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		rc = impact_records__db_error(rec, "open");
		goto done;
	}
	rc = check_version(rec);
done:
	if (rc < 0) {
		impact_records_close(rec);
		return rc;
	}
	*out = rec;
	return 0;
}

bool impact_records_exist(git_repository *repo)
{
	char *path = impact_records_path(repo);
	struct stat sb;
	bool yes = path && stat(path, &sb) == 0;
	free(path);
	return yes;
}

void impact_records_close(impact_records *rec)
{
	if (!rec)
		return;
	sqlite3_close(rec->db);
	free(rec->path);
	free(rec);
}

/* ---- ingest ---------------------------------------------------------------- */

/*
 * The sink's format (impact_record_pytest.py; its header "v"): a "keys" line numbers
 * every (file, first line) the run executed, and tests and imports name
 * them by number, as differences of ascending ids. Another is not read.
 */
#define SINK_VERSION 2

/* One repository file seen in the sink: its facts and fingerprints on disk. */
typedef struct seen_file {
	char *rel;              /* repository path */
	bool py, ok;            /* a Python file read and parsed */
	impact_pyfacts *facts;
	impact_fnhashes hashes;
	int64_t *ids;           /* func id per symbol, the module's last; 0: not looked up yet */
} seen_file;

/* What a test file's tests executed, over the run. */
typedef struct test_file {
	char *rel;
	impact_u32vec funcs;    /* func ids */
	impact_strlist deps;    /* non-Python files */
	char *opaque;           /* why it cannot be recorded, or NULL */
	size_t ntests;
} test_file;

typedef struct ingest {
	impact_records *rec;
	const impact_records_run *run;
	impact_pyparser *parser;  /* made on the first parse-cache miss */
	impact_cache *cache;      /* run->cache, or one opened for the ingest */
	bool own_cache;
	json_t *file_index;     /* abs path -> index in files */
	seen_file *files;
	size_t nfiles, afiles;
	json_t *test_index;     /* rel path -> index in tests */
	test_file *tests;
	size_t ntests, atests;
	sqlite3_stmt *ins_func, *get_func;
	impact_recmods_ingest *mods; /* the modules each test file's process imported */
	char *recorder;         /* how the recorder traced ("ctrace, Python 3.11.2"), from a header */
	/* The current sink file's key table: key n is (keypath[n], keyline[n]). */
	json_t *keyline_json;   /* the "keys" line, whose path strings the table borrows */
	const char **paths;
	size_t npaths;
	uint32_t *keypath;
	int64_t *keyline;
	int64_t *keyfunc;       /* func id of key n once known, else 0 */
	size_t nkeys;
	test_file session;      /* what ran outside every test, every process: in every record */
	impact_u32vec cached;   /* func ids of functions caching their results */
	impact_u32vec *computed; /* per one of them: what computing its results ran */
	bool failed;
} ingest;

/* The repository path of absolute `abs`, or NULL when it is outside the work tree. */
static const char *rel_of(const ingest *in, const char *abs)
{
	size_t n = strlen(in->run->workdir);
	if (strncmp(abs, in->run->workdir, n) || abs[n] != '/' || !abs[n + 1])
		return NULL;
	return abs + n + 1;
}

/*
 * The facts of source `src`: the parse cache's, keyed by the blob id of
 * these very bytes (the static analysis has cached every file of the
 * tree it ran on, so a run's ingest parses nothing), else parsed here.
 */
static int facts_of(ingest *in, impact_pyfacts **out, const impact_buf *src)
{
	const char *text = src->ptr ? src->ptr : "";
	impact_buf bytes = IMPACT_BUF_INIT;
	git_oid oid;
	int rc = -1;
	if (in->cache && git_odb_hash(&oid, text, src->size, GIT_OBJECT_BLOB) == 0 &&
	    impact_cache_get(in->cache, &oid, &bytes) == 0)
		rc = impact_pyfacts_decode(out, bytes.ptr, bytes.size);
	impact_buf_release(&bytes);
	if (rc == 0)
		return 0;
	if (!in->parser && !(in->parser = impact_pyparser_new()))
		return IMPACT_ERROR;
	return impact_pyfacts_extract(out, in->parser, text, src->size);
}

static seen_file *seen(ingest *in, const char *abs)
{
	json_t *ix = json_object_get(in->file_index, abs);
	seen_file f = { 0 };
	const char *rel;
	if (ix)
		return &in->files[json_integer_value(ix)];
	rel = rel_of(in, abs);
	if (!rel)
		return NULL;
	f.rel = impact_xstrdup(rel);
	f.py = impact_path_has_suffix(rel, ".py");
	if (f.py) {
		impact_buf src = IMPACT_BUF_INIT;
		impact_buf path = IMPACT_BUF_INIT;
		impact_buf_printf(&path, "%s/%s", in->run->workdir, rel);
		if (impact_buf_read_file(&src, path.ptr, IMPACT_PYFACTS_MAX_SOURCE) == 0 &&
		    facts_of(in, &f.facts, &src) == 0 &&
		    !(f.facts->flags & IMPACT_PYFACTS_TOO_LARGE)) {
			impact_fnhashes_compute(&f.hashes, src.ptr ? src.ptr : "", src.size, f.facts);
			f.ok = true;
		}
		impact_buf_release(&src);
		impact_buf_release(&path);
	}
	IMPACT_PUSH(in->files, in->nfiles, in->afiles, f);
	json_object_set_new(in->file_index, abs, json_integer((json_int_t)in->nfiles - 1));
	return &in->files[in->nfiles - 1];
}

static int64_t func_id(ingest *in, const char *path, const char *qual, uint64_t hash)
{
	int64_t id = -1;
	sqlite3_reset(in->ins_func);
	sqlite3_bind_text(in->ins_func, 1, path, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(in->ins_func, 2, qual, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(in->ins_func, 3, (int64_t)hash);
	if (sqlite3_step(in->ins_func) != SQLITE_DONE)
		in->failed = true;
	sqlite3_reset(in->get_func);
	sqlite3_bind_text(in->get_func, 1, path, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(in->get_func, 2, qual, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(in->get_func, 3, (int64_t)hash);
	if (sqlite3_step(in->get_func) == SQLITE_ROW)
		id = sqlite3_column_int64(in->get_func, 0);
	else
		in->failed = true;
	return id;
}

/*
 * Add what [abs path, first line] stands for to `funcs` (or `deps` for a
 * non-Python file). False when it cannot be known (the file could not be
 * read): the record would be incomplete.
 */
static bool add_code(ingest *in, impact_u32vec *funcs, impact_strlist *deps, const char *abs,
                     int64_t line, int64_t *id_out)
{
	seen_file *f;
	uint32_t sym;
	size_t slot;
	int64_t id;
	if (!abs || !(f = seen(in, abs)))
		return true; /* outside the repository: not a dependency */
	if (!f->py) {
		for (size_t i = 0; i < deps->n; i++)
			if (!strcmp(deps->items[i], f->rel))
				return true;
		impact_strlist_push(deps, f->rel);
		return true;
	}
	if (!f->ok)
		return false;
	sym = impact_fnhash_owner(f->facts, line > 0 ? (uint32_t)line : 0);
	/* a big suite names each function thousands of times: one query each */
	if (!f->ids)
		f->ids = impact_xcalloc(f->facts->nsymbols + 1, sizeof(*f->ids));
	slot = sym == IMPACT_SYMBOL_NONE ? f->facts->nsymbols : sym;
	if (!(id = f->ids[slot])) {
		id = sym == IMPACT_SYMBOL_NONE
		     ? func_id(in, f->rel, IMPACT_FNHASH_MODULE, f->hashes.module)
		     : func_id(in, f->rel, f->facts->symbols[sym].name, f->hashes.fn[sym]);
		if (id < 0)
			return false;
		f->ids[slot] = id;
	}
	impact_u32vec_push(funcs, (uint32_t)id);
	if (id_out)
		*id_out = id;
	return true;
}

/*
 * Add what the ids of `list` stand for: key ids of the file's key table,
 * ascending, each written as its difference from the one before (the
 * first from 0). False when one cannot be known (a key the table lacks,
 * a file that could not be read): the record would be incomplete.
 */
static bool add_keys(ingest *in, impact_u32vec *funcs, impact_strlist *deps, json_t *list)
{
	json_t *e;
	size_t i;
	int64_t key = 0;
	bool ok = true;
	json_array_foreach(list, i, e) {
		if (!json_is_integer(e) || json_integer_value(e) < 0 ||
		    json_integer_value(e) >= (int64_t)in->nkeys - key) {
			ok = false; /* past the table: a damaged line */
			break;
		}
		key += json_integer_value(e);
		if (in->keyfunc[key] > 0) {
			impact_u32vec_push(funcs, (uint32_t)in->keyfunc[key]);
			continue;
		}
		if (!add_code(in, funcs, deps, in->paths[in->keypath[key]], in->keyline[key],
		              &in->keyfunc[key]))
			ok = false;
	}
	return ok;
}

/* Non-Python files by absolute path. */
static void add_files(ingest *in, impact_u32vec *funcs, impact_strlist *deps, json_t *list)
{
	json_t *e;
	size_t i;
	json_array_foreach(list, i, e) {
		const char *f = json_string_value(e) ? json_string_value(e) : "";
		/* A native program ran (impact_execshim.c): it may have read any file. */
		if (!strcmp(f, IMPACT_RECORDS_ANY_FILE)) {
			bool have = false;
			for (size_t k = 0; k < deps->n && !have; k++)
				have = !strcmp(deps->items[k], f);
			if (!have)
				impact_strlist_push(deps, f);
			continue;
		}
		add_code(in, funcs, deps, f, 0, NULL);
	}
}

static void keys_release(ingest *in)
{
	json_decref(in->keyline_json);
	in->keyline_json = NULL;
	free(in->paths);
	free(in->keypath);
	free(in->keyline);
	free(in->keyfunc);
	in->paths = NULL;
	in->keypath = NULL;
	in->keyline = NULL;
	in->keyfunc = NULL;
	in->npaths = in->nkeys = 0;
}

/* The "keys" line: {"paths": [abs, ...], "keys": [path index, line, ...]}. */
static void ingest_keys(ingest *in, json_t *line)
{
	json_t *paths = json_object_get(line, "paths"), *keys = json_object_get(line, "keys"), *e;
	size_t i, n;
	keys_release(in);
	if (!json_is_array(paths) || !json_is_array(keys))
		return;
	in->keyline_json = json_incref(line);
	in->paths = impact_xcalloc(json_array_size(paths) + 1, sizeof(*in->paths));
	json_array_foreach(paths, i, e)
		in->paths[in->npaths++] = json_string_value(e) ? json_string_value(e) : "";
	n = json_array_size(keys) / 2;
	in->keypath = impact_xcalloc(n + 1, sizeof(*in->keypath));
	in->keyline = impact_xcalloc(n + 1, sizeof(*in->keyline));
	in->keyfunc = impact_xcalloc(n + 1, sizeof(*in->keyfunc));
	for (i = 0; i < n; i++) {
		json_t *p = json_array_get(keys, 2 * i), *l = json_array_get(keys, 2 * i + 1);
		if (!json_is_integer(p) || !json_is_integer(l) || json_integer_value(p) < 0 ||
		    (size_t)json_integer_value(p) >= in->npaths)
			break; /* a damaged table: what it lacks makes records incomplete */
		in->keypath[i] = (uint32_t)json_integer_value(p);
		in->keyline[i] = json_integer_value(l);
	}
	in->nkeys = i;
}

static test_file *test_file_of(ingest *in, const char *rel)
{
	json_t *ix = json_object_get(in->test_index, rel);
	test_file t = { 0 };
	if (ix)
		return &in->tests[json_integer_value(ix)];
	t.rel = impact_xstrdup(rel);
	IMPACT_PUSH(in->tests, in->ntests, in->atests, t);
	json_object_set_new(in->test_index, rel, json_integer((json_int_t)in->ntests - 1));
	return &in->tests[in->ntests - 1];
}

static void ingest_test(ingest *in, json_t *line)
{
	const char *path = json_string_value(json_object_get(line, "path"));
	const char *opaque = json_string_value(json_object_get(line, "opaque"));
	const char *rel = path ? rel_of(in, path) : NULL;
	const char *lists[] = { "fns", "kept" };
	test_file *t;
	if (!rel)
		return;
	t = test_file_of(in, rel);
	/* A file collected with no test in it is recorded as its collection, no test counted. */
	if (!json_is_true(json_object_get(line, "notests")))
		t->ntests++;
	impact_recmods_ingest_test(in->mods, rel, line);
	if (opaque && !t->opaque)
		t->opaque = impact_xstrdup(opaque);
	for (size_t k = 0; k < IMPACT_ARRAY_SIZE(lists); k++)
		if (!add_keys(in, &t->funcs, &t->deps, json_object_get(line, lists[k])) && !t->opaque)
			t->opaque = impact_xstrdup("ran code impact could not read again");
	add_files(in, &t->funcs, &t->deps, json_object_get(line, "files"));
}

/*
 * What a process ran outside every test (configure, the report header,
 * hooks between tests): a change there breaks the session, so it counts
 * in every test file's record (store_tests).
 */
static void ingest_session(ingest *in, json_t *line)
{
	const char *opaque = json_string_value(json_object_get(line, "opaque"));
	test_file *t = &in->session;
	if (opaque && !t->opaque)
		t->opaque = impact_xstrdup(opaque);
	if (!add_keys(in, &t->funcs, &t->deps, json_object_get(line, "fns")) && !t->opaque)
		t->opaque = impact_xstrdup("ran code impact could not read again");
	add_files(in, &t->funcs, &t->deps, json_object_get(line, "files"));
}

static void ingest_import(ingest *in, json_t *line)
{
	const char *module = json_string_value(json_object_get(line, "module"));
	const char *rel = module ? rel_of(in, module) : NULL;
	impact_u32vec funcs = { 0 };
	impact_strlist deps = { 0 };
	impact_buf joined = IMPACT_BUF_INIT;
	sqlite3_stmt *st = NULL;
	int64_t set;
	if (!rel)
		return;
	add_keys(in, &funcs, &deps, json_object_get(line, "fns"));
	add_files(in, &funcs, &deps, json_object_get(line, "files"));
	impact_u32vec_sort_unique(&funcs);
	set = impact_records__set_id(in->rec->db, "fset", &funcs);
	for (size_t k = 0; k < deps.n; k++)
		impact_buf_printf(&joined, "%s%s", k ? "\n" : "", deps.items[k]);
	if (set >= 0 &&
	    sqlite3_prepare_v2(in->rec->db, "INSERT OR REPLACE INTO modimp VALUES (?, ?, ?)", -1, &st,
	                       NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, rel, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, set);
		sqlite3_bind_text(st, 3, joined.ptr ? joined.ptr : "", -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE)
			in->failed = true;
	}
	sqlite3_finalize(st);
	impact_u32vec_release(&funcs);
	impact_strlist_release(&deps);
	impact_buf_release(&joined);
}

/* A function caching its results and what computing them ran (xdist workers: the union). */
static void ingest_cache(ingest *in, json_t *line)
{
	impact_u32vec fn = { 0 };
	json_t *one = json_pack("[O]", json_object_get(line, "fn"));
	impact_strlist deps = { 0 };
	size_t i = 0;
	if (one && add_keys(in, &fn, &deps, one) && fn.n == 1) {
		while (i < in->cached.n && in->cached.v[i] != fn.v[0])
			i++;
		if (i == in->cached.n) {
			impact_u32vec_push(&in->cached, fn.v[0]);
			in->computed = impact_xrealloc(in->computed, in->cached.n * sizeof(*in->computed));
			memset(&in->computed[i], 0, sizeof(*in->computed));
		}
		add_keys(in, &in->computed[i], &deps, json_object_get(line, "fns"));
		impact_u32vec_push(&in->computed[i], fn.v[0]);
	}
	json_decref(one);
	impact_u32vec_release(&fn);
	impact_strlist_release(&deps);
}

static void store_caches(ingest *in)
{
	sqlite3_stmt *st = NULL;
	if (!in->cached.n || !in->run->tree)
		return;
	if (sqlite3_prepare_v2(in->rec->db, "INSERT OR REPLACE INTO cache VALUES (?, ?, ?)", -1, &st,
	                       NULL) != SQLITE_OK) {
		in->failed = true;
		return;
	}
	for (size_t i = 0; i < in->cached.n; i++) {
		int64_t set;
		impact_u32vec_sort_unique(&in->computed[i]);
		if ((set = impact_records__set_id(in->rec->db, "fset", &in->computed[i])) < 0)
			continue;
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, in->cached.v[i]);
		sqlite3_bind_int64(st, 2, set);
		sqlite3_bind_blob(st, 3, in->run->tree->id, GIT_OID_RAWSZ, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE)
			in->failed = true;
	}
	sqlite3_finalize(st);
}

/* One tests-<pid>.jsonl file of the sink. */
static void ingest_file(ingest *in, const char *path, impact_strlist *notes)
{
	impact_buf text = IMPACT_BUF_INIT;
	char *p, *nl;
	bool head = true;
	if (impact_buf_read_file(&text, path, (size_t)1 << 30) < 0 || !text.ptr)
		goto done;
	for (p = text.ptr; *p; p = nl ? nl + 1 : p + strlen(p)) {
		json_t *line;
		const char *kind;
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		if (!(line = json_loads(p, 0, NULL)))
			continue;
		if (head && json_integer_value(json_object_get(line, "v")) != SINK_VERSION) {
			/* Key ids mean nothing under another format: nothing of it is read. */
			impact_buf w = IMPACT_BUF_INIT;
			impact_buf_printf(&w, "nothing recorded from '%s': its recorder writes another "
			                  "format than this impact reads (%d); install impact's "
			                  "share/impact/python with the binary", path, SINK_VERSION);
			impact_strlist_push(notes, w.ptr);
			impact_buf_release(&w);
			json_decref(line);
			break;
		}
		head = false;
		kind = json_string_value(json_object_get(line, "kind"));
		if (json_object_get(line, "v") && json_string_value(json_object_get(line, "tracer"))) {
			impact_buf r = IMPACT_BUF_INIT;
			const char *py = json_string_value(json_object_get(line, "python"));
			const char *tracer = json_string_value(json_object_get(line, "tracer"));
			json_t *why = json_object_get(line, "ctrace");
			impact_buf_printf(&r, "%s, Python %s", tracer, py ? py : "?");
			/* sys.monitoring's callback in C (impact_cmon.c), or why not */
			if (!strcmp(tracer, "monitoring") && why && json_is_null(why))
				impact_buf_puts(&r, " (C callback)");
			else if (!strcmp(tracer, "monitoring") && json_string_value(why))
				impact_buf_printf(&r, " (Python callback: %s)", json_string_value(why));
			free(in->recorder);
			in->recorder = impact_buf_detach(&r);
		}
		if (json_object_get(line, "disabled")) {
			impact_buf w = IMPACT_BUF_INIT;
			impact_buf_printf(&w, "nothing recorded in this run: %s",
			                  json_string_value(json_object_get(line, "disabled"))
			                  ? json_string_value(json_object_get(line, "disabled")) : "the recorder stepped back");
			impact_strlist_push(notes, w.ptr);
			impact_buf_release(&w);
		} else if (kind && !strcmp(kind, "test")) {
			ingest_test(in, line);
		} else if (kind && !strcmp(kind, "import")) {
			ingest_import(in, line);
		} else if (kind && !strcmp(kind, "session")) {
			ingest_session(in, line);
		} else if (kind && !strcmp(kind, "cache")) {
			ingest_cache(in, line);
		} else if (kind && !strcmp(kind, "keys")) {
			ingest_keys(in, line);
		} else if (kind) {
			impact_recmods_ingest_line(in->mods, kind, line);
		}
		json_decref(line);
		if (!nl)
			break;
	}
done:
	keys_release(in);
	impact_recmods_ingest_end_file(in->mods);
	impact_buf_release(&text);
}

static bool listed(const char *const *list, size_t n, const char *rel)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], rel))
			return true;
	return false;
}

/* What ran outside every test, into test file t's record (ingest_session). */
static void join_session(const ingest *in, test_file *t)
{
	const test_file *s = &in->session;
	if (s->opaque && !t->opaque) {
		impact_buf why = IMPACT_BUF_INIT;
		impact_buf_printf(&why, "outside every test: %s", s->opaque);
		t->opaque = impact_buf_detach(&why);
	}
	for (size_t k = 0; k < s->funcs.n; k++)
		impact_u32vec_push(&t->funcs, s->funcs.v[k]);
	for (size_t k = 0; k < s->deps.n; k++) {
		bool have = false;
		for (size_t j = 0; j < t->deps.n && !have; j++)
			have = !strcmp(t->deps.items[j], s->deps.items[k]);
		if (!have)
			impact_strlist_push(&t->deps, s->deps.items[k]);
	}
}

/*
 * Write the test files' records: complete ones replace, opaque ones drop
 * (and say why in `opaque`, for --explain).
 */
static void store_tests(ingest *in)
{
	sqlite3_stmt *put = NULL, *del = NULL, *opq = NULL, *clr = NULL;
	if (sqlite3_prepare_v2(in->rec->db, "INSERT OR REPLACE INTO rec VALUES (?, ?, ?, ?, ?, ?, ?)", -1,
	                       &put, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(in->rec->db, "DELETE FROM rec WHERE file = ?", -1, &del,
	                       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(in->rec->db, "INSERT OR REPLACE INTO opaque VALUES (?, ?)", -1, &opq,
	                       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(in->rec->db, "DELETE FROM opaque WHERE file = ?", -1, &clr,
	                       NULL) != SQLITE_OK) {
		in->failed = true;
		goto done;
	}
	for (size_t i = 0; i < in->ntests; i++) {
		test_file *t = &in->tests[i];
		impact_buf deps = IMPACT_BUF_INIT;
		int64_t set, mods;
		join_session(in, t);
		if (t->opaque || !in->run->tree ||
		    listed(in->run->failed, in->run->nfailed, t->rel)) {
			sqlite3_reset(del);
			sqlite3_bind_text(del, 1, t->rel, -1, SQLITE_TRANSIENT);
			if (sqlite3_step(del) != SQLITE_DONE)
				in->failed = true;
			if (t->opaque) {
				sqlite3_reset(opq);
				sqlite3_bind_text(opq, 1, t->rel, -1, SQLITE_TRANSIENT);
				sqlite3_bind_text(opq, 2, t->opaque, -1, SQLITE_TRANSIENT);
				if (sqlite3_step(opq) != SQLITE_DONE)
					in->failed = true;
			}
			continue;
		}
		if (listed(in->run->incomplete, in->run->nincomplete, t->rel))
			continue;
		impact_u32vec_sort_unique(&t->funcs);
		if ((set = impact_records__set_id(in->rec->db, "fset", &t->funcs)) < 0 ||
		    (mods = impact_recmods_ingest_set(in->mods, t->rel)) < 0) {
			in->failed = true;
			continue;
		}
		for (size_t k = 0; k < t->deps.n; k++)
			impact_buf_printf(&deps, "%s%s", k ? "\n" : "", t->deps.items[k]);
		sqlite3_reset(put);
		sqlite3_bind_text(put, 1, t->rel, -1, SQLITE_TRANSIENT);
		sqlite3_bind_blob(put, 2, in->run->tree->id, GIT_OID_RAWSZ, SQLITE_TRANSIENT);
		sqlite3_bind_int64(put, 3, set);
		sqlite3_bind_text(put, 4, deps.ptr ? deps.ptr : "", -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(put, 5, (int64_t)t->ntests);
		sqlite3_bind_text(put, 6, in->run->filter ? in->run->filter : "", -1, SQLITE_TRANSIENT);
		if (mods > 0)
			sqlite3_bind_int64(put, 7, mods);
		else
			sqlite3_bind_null(put, 7);
		if (sqlite3_step(put) != SQLITE_DONE)
			in->failed = true;
		sqlite3_reset(clr);
		sqlite3_bind_text(clr, 1, t->rel, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(clr) != SQLITE_DONE)
			in->failed = true;
		impact_buf_release(&deps);
	}
done:
	sqlite3_finalize(put);
	sqlite3_finalize(del);
	sqlite3_finalize(opq);
	sqlite3_finalize(clr);
}

static void ingest_release(ingest *in)
{
	for (size_t i = 0; i < in->nfiles; i++) {
		free(in->files[i].rel);
		impact_pyfacts_free(in->files[i].facts);
		impact_fnhashes_release(&in->files[i].hashes);
		free(in->files[i].ids);
	}
	free(in->files);
	for (size_t i = 0; i < in->ntests; i++) {
		free(in->tests[i].rel);
		impact_u32vec_release(&in->tests[i].funcs);
		impact_strlist_release(&in->tests[i].deps);
		free(in->tests[i].opaque);
	}
	free(in->tests);
	impact_u32vec_release(&in->session.funcs);
	impact_strlist_release(&in->session.deps);
	free(in->session.opaque);
	for (size_t i = 0; i < in->cached.n; i++)
		impact_u32vec_release(&in->computed[i]);
	free(in->computed);
	impact_u32vec_release(&in->cached);
	free(in->recorder);
	json_decref(in->file_index);
	json_decref(in->test_index);
	sqlite3_finalize(in->ins_func);
	sqlite3_finalize(in->get_func);
	impact_recmods_ingest_free(in->mods);
	impact_pyparser_free(in->parser);
	if (in->own_cache) {
		impact_cache_read_end(in->cache);
		impact_cache_close(in->cache);
	}
}

int impact_records_ingest(impact_records *rec, git_repository *repo,
                          const impact_records_run *run, impact_strlist *notes)
{
	ingest in = { 0 };
	DIR *d = NULL;
	struct dirent *de;
	impact_strlist names = { 0 };
	int rc = 0;

	in.rec = rec;
	in.run = run;
	in.file_index = json_object();
	in.test_index = json_object();
	in.mods = impact_recmods_ingest_new(rec->db, run->workdir);
	if (!(d = opendir(run->sink)))
		goto done; /* nothing recorded (the plugin was not loaded) */
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "tests-", 6) && impact_path_has_suffix(de->d_name, ".jsonl"))
			impact_strlist_push(&names, de->d_name);
	closedir(d);
	if (!names.n)
		goto done;
	in.cache = run->cache;
	if (!in.cache) {
		/* No cache is no error: the files are parsed here then. */
		char *path = NULL;
		if (impact_cache_default_path(&path, repo) == 0 &&
		    impact_cache_open(&in.cache, path, IMPACT_PYFACTS_VERSION, NULL) == 0)
			in.own_cache = true;
		else
			in.cache = NULL;
		free(path);
	}
	if (in.own_cache)
		impact_cache_read_begin(in.cache);
	if (sqlite3_exec(rec->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(rec->db, "INSERT OR IGNORE INTO func (path, qual, hash) VALUES (?, ?, ?)",
	                       -1, &in.ins_func, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(rec->db, "SELECT id FROM func WHERE path = ? AND qual = ? AND hash = ?",
	                       -1, &in.get_func, NULL) != SQLITE_OK) {
		rc = impact_records__db_error(rec, "write");
		goto done;
	}
	for (size_t i = 0; i < names.n; i++) {
		impact_buf path = IMPACT_BUF_INIT;
		impact_buf_printf(&path, "%s/%s", run->sink, names.items[i]);
		ingest_file(&in, path.ptr, notes);
		impact_buf_release(&path);
	}
	store_tests(&in);
	store_caches(&in);
	if (in.recorder && !in.failed) {
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(rec->db, "INSERT OR REPLACE INTO meta VALUES ('recorder', ?)", -1,
		                       &st, NULL) != SQLITE_OK ||
		    sqlite3_bind_text(st, 1, in.recorder, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
		    sqlite3_step(st) != SQLITE_DONE)
			in.failed = true;
		sqlite3_finalize(st);
	}
	if (in.failed || sqlite3_exec(rec->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		rc = impact_records__db_error(rec, "write");
		sqlite3_exec(rec->db, "ROLLBACK", NULL, NULL, NULL);
	}
done:
	impact_strlist_release(&names);
	ingest_release(&in);
	return rc;
}
