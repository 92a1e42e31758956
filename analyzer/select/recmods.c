/*
 * recmods.c - the modules each recorded test file's process had imported,
 * and the soft import-time seeds they rule out (see recmods.h).
 *
 * Why it is safe: a test whose process never imported M (M was not in
 * sys.modules by its end, no module body of M began under the tracer, no
 * child of it ran M's body, nothing read M's source) never ran a line of
 * M's module code, so nothing M does at import time reached it. The record
 * must still describe the old side (recselect.c judges that first), and
 * whatever else the change touches is seeded on its own: a module the test
 * did import that now imports M is an import-time change of that module; a
 * function it ran that now imports M lazily is a call-time change it
 * executed. What the record cannot speak for stays hard: a module pytest
 * itself loads (conftest, pytest_plugins, -p, test and doctest modules),
 * a module that did not exist or no longer does, a file impact could not
 * read. A test file or conftest naming M in an import of its own keeps the
 * test too (an import the record may not have seen run), as does a set
 * that lacks the test file or one of its conftests (not a set to trust).
 *
 * Deliberately not here: sets never add tests (an earlier test file of
 * the same process may have imported M), and data-file readers stay hard.
 */
#include "recmods.h"

#include "path.h"
#include "records_private.h"

/* More soft seeds than this: all hard (each soft one costs a graph walk). */
#define MAX_SOFT_SEEDS 64

int64_t impact_records__set_id(sqlite3 *db, const char *table, const impact_u32vec *v)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	sqlite3_stmt *st = NULL;
	impact_buf sql = IMPACT_BUF_INIT;
	int64_t id = -1;
	for (size_t i = 0; i < v->n; i++) {
		h ^= v->v[i];
		h *= 0x100000001b3ULL;
	}
	impact_buf_printf(&sql, "INSERT OR IGNORE INTO %s (digest, ids) VALUES (?, ?)", table);
	if (sqlite3_prepare_v2(db, sql.ptr, -1, &st, NULL) != SQLITE_OK)
		goto done;
	sqlite3_bind_int64(st, 1, (int64_t)h);
	sqlite3_bind_blob(st, 2, v->n ? (const void *)v->v : "", (int)(v->n * sizeof(uint32_t)),
	                  SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_DONE) {
		sqlite3_finalize(st);
		st = NULL;
		impact_buf_clear(&sql);
		impact_buf_printf(&sql, "SELECT id FROM %s WHERE digest = ?", table);
		if (sqlite3_prepare_v2(db, sql.ptr, -1, &st, NULL) == SQLITE_OK) {
			sqlite3_bind_int64(st, 1, (int64_t)h);
			if (sqlite3_step(st) == SQLITE_ROW)
				id = sqlite3_column_int64(st, 0);
		}
	}
done:
	sqlite3_finalize(st);
	impact_buf_release(&sql);
	return id;
}

static bool has(const uint32_t *ids, size_t n, uint32_t x)
{
	return x && n && bsearch(&x, ids, n, sizeof(uint32_t), impact_u32_cmp);
}

/* ---- ingest ---------------------------------------------------------------- */

typedef struct file_mods {
	impact_u32vec ids;   /* mpath ids, unsorted until stored */
	bool unknown;
} file_mods;

struct impact_recmods_ingest {
	sqlite3 *db;
	const char *workdir;
	sqlite3_stmt *ins, *get;
	/* the current sink file: path number -> mpath id (0: outside the work tree) */
	uint32_t *paths;
	size_t npaths;
	impact_u32vec *sets; /* set number -> mpath ids */
	bool *have;          /* set number seen */
	size_t nsets;
	json_t *index;       /* test file -> index in files */
	file_mods *files;
	size_t nfiles, afiles;
	bool failed;
};

impact_recmods_ingest *impact_recmods_ingest_new(sqlite3 *db, const char *workdir)
{
	impact_recmods_ingest *m = impact_xcalloc(1, sizeof(*m));
	m->db = db;
	m->workdir = workdir;
	m->index = json_object();
	if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO mpath (path) VALUES (?)", -1, &m->ins,
	                       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT id FROM mpath WHERE path = ?", -1, &m->get,
	                       NULL) != SQLITE_OK)
		m->failed = true;
	return m;
}

void impact_recmods_ingest_end_file(impact_recmods_ingest *m)
{
	for (size_t i = 0; i < m->nsets; i++)
		impact_u32vec_release(&m->sets[i]);
	free(m->sets);
	free(m->have);
	free(m->paths);
	m->sets = NULL;
	m->have = NULL;
	m->paths = NULL;
	m->nsets = m->npaths = 0;
}

void impact_recmods_ingest_free(impact_recmods_ingest *m)
{
	if (!m)
		return;
	impact_recmods_ingest_end_file(m);
	for (size_t i = 0; i < m->nfiles; i++)
		impact_u32vec_release(&m->files[i].ids);
	free(m->files);
	json_decref(m->index);
	sqlite3_finalize(m->ins);
	sqlite3_finalize(m->get);
	free(m);
}

/* The mpath id of absolute `abs`, 0 when outside the work tree or on failure. */
static uint32_t mpath_id(impact_recmods_ingest *m, const char *abs)
{
	size_t n = strlen(m->workdir);
	uint32_t id = 0;
	if (m->failed || strncmp(abs, m->workdir, n) || abs[n] != '/' || !abs[n + 1])
		return 0;
	sqlite3_reset(m->ins);
	sqlite3_bind_text(m->ins, 1, abs + n + 1, -1, SQLITE_TRANSIENT);
	sqlite3_reset(m->get);
	sqlite3_bind_text(m->get, 1, abs + n + 1, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(m->ins) != SQLITE_DONE || sqlite3_step(m->get) != SQLITE_ROW)
		m->failed = true;
	else
		id = (uint32_t)sqlite3_column_int64(m->get, 0);
	return id;
}

/* {"kind":"modset","n":N,"mods":[path numbers as ascending deltas]} */
static void ingest_modset(impact_recmods_ingest *m, json_t *line)
{
	json_t *n = json_object_get(line, "n"), *mods = json_object_get(line, "mods"), *e;
	size_t i, k;
	int64_t at = 0;
	if (!json_is_integer(n) || json_integer_value(n) < 0 || json_integer_value(n) > (1 << 24) ||
	    !json_is_array(mods))
		return;
	k = (size_t)json_integer_value(n);
	if (k >= m->nsets) {
		m->sets = impact_xrealloc(m->sets, (k + 1) * sizeof(*m->sets));
		m->have = impact_xrealloc(m->have, (k + 1) * sizeof(*m->have));
		memset(m->sets + m->nsets, 0, (k + 1 - m->nsets) * sizeof(*m->sets));
		memset(m->have + m->nsets, 0, (k + 1 - m->nsets) * sizeof(*m->have));
		m->nsets = k + 1;
	}
	m->sets[k].n = 0;
	json_array_foreach(mods, i, e) {
		at += json_integer_value(e);
		if (!json_is_integer(e) || at < 0 || (size_t)at >= m->npaths)
			return; /* damaged: the set stays unknown */
		if (m->paths[at])
			impact_u32vec_push(&m->sets[k], m->paths[at]);
	}
	m->have[k] = true;
}

bool impact_recmods_ingest_line(impact_recmods_ingest *m, const char *kind, json_t *line)
{
	if (!strcmp(kind, "modules")) {
		json_t *paths = json_object_get(line, "paths"), *e;
		size_t i;
		impact_recmods_ingest_end_file(m);
		if (!json_is_array(paths))
			return true;
		m->paths = impact_xcalloc(json_array_size(paths) + 1, sizeof(*m->paths));
		json_array_foreach(paths, i, e)
			m->paths[m->npaths++] = json_string_value(e) ? mpath_id(m, json_string_value(e)) : 0;
		return true;
	}
	if (!strcmp(kind, "modset")) {
		ingest_modset(m, line);
		return true;
	}
	return false;
}

void impact_recmods_ingest_test(impact_recmods_ingest *m, const char *rel, json_t *line)
{
	json_t *ix = json_object_get(m->index, rel), *n = json_object_get(line, "mset");
	file_mods *f, z = { 0 };
	size_t k;
	if (!ix) {
		IMPACT_PUSH(m->files, m->nfiles, m->afiles, z);
		json_object_set_new(m->index, rel, json_integer((json_int_t)m->nfiles - 1));
		ix = json_object_get(m->index, rel);
	}
	f = &m->files[json_integer_value(ix)];
	if (!json_is_integer(n) || json_integer_value(n) < 0 ||
	    (k = (size_t)json_integer_value(n)) >= m->nsets || !m->have[k]) {
		f->unknown = true;
		return;
	}
	for (size_t i = 0; i < m->sets[k].n; i++)
		impact_u32vec_push(&f->ids, m->sets[k].v[i]);
	/* One process's sets only grow: keep the union small as it goes. */
	if (f->ids.n > 4 * m->sets[k].n + 64)
		impact_u32vec_sort_unique(&f->ids);
}

int64_t impact_recmods_ingest_set(impact_recmods_ingest *m, const char *rel)
{
	json_t *ix = json_object_get(m->index, rel);
	file_mods *f;
	if (m->failed)
		return -1;
	if (!ix)
		return 0;
	f = &m->files[json_integer_value(ix)];
	if (f->unknown)
		return 0;
	impact_u32vec_sort_unique(&f->ids);
	return impact_records__set_id(m->db, "mset", &f->ids);
}

/* ---- selection ------------------------------------------------------------- */

typedef struct mset {
	int64_t id;
	uint32_t *ids;      /* sorted mpath ids */
	size_t n;
} mset;

struct impact_recmods {
	impact_records *rec;
	const impact_project *p;
	impact_u32vec soft;     /* project ids */
	uint32_t *soft_mp;      /* their mpath ids (0: no record has it) */
	impact_reach *reach;    /* one walk per soft seed */
	mset *sets;             /* loaded on demand */
	size_t nsets, asets;
	sqlite3_stmt *get_path, *get_set;
};

/* Whether an import-time change of `id` may be ruled out by module sets. */
static bool ordinary(const impact_project *p, uint32_t id)
{
	const uint32_t special = IMPACT_PF_TEST | IMPACT_PF_CONFTEST | IMPACT_PF_GHOST |
	                         IMPACT_PF_UNKNOWN | IMPACT_PF_VIRTUAL | IMPACT_PF_DOCTEST |
	                         IMPACT_PF_SYMLINK;
	impact_graph_arrays a;
	if (id >= p->nfiles || (p->files[id].flags & special) ||
	    !impact_path_has_suffix(p->files[id].path, ".py") ||
	    !strcmp(impact_path_base(p->files[id].path), "conftest.py"))
		return false;
	impact_graph_get_arrays(p->graph, &a);
	/* pytest loads a plugin module itself (pytest_plugins, -p in addopts). */
	for (uint32_t k = id < a.n ? a.in_start[id] : 0; id < a.n && k < a.in_start[id + 1]; k++) {
		uint8_t kind = a.edges[a.in_edges[k]].kind;
		if (kind == IMPACT_EDGE_PLUGIN || kind == IMPACT_EDGE_ADDOPTS_PLUGIN)
			return false;
	}
	return true;
}

static uint32_t lookup_path(impact_recmods *m, const char *path)
{
	uint32_t id = 0;
	if (!m->get_path)
		return 0;
	sqlite3_reset(m->get_path);
	sqlite3_bind_text(m->get_path, 1, path, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(m->get_path) == SQLITE_ROW)
		id = (uint32_t)sqlite3_column_int64(m->get_path, 0);
	return id;
}

impact_recmods *impact_recmods_new(impact_records *rec, const impact_project *p,
                                   impact_u32vec *hard, const impact_u32vec *soft)
{
	impact_recmods *m = impact_xcalloc(1, sizeof(*m));
	impact_u32vec cand = { 0 };
	m->rec = rec;
	m->p = p;
	for (size_t i = 0; i < soft->n; i++)
		impact_u32vec_push(&cand, soft->v[i]);
	impact_u32vec_sort_unique(&cand);
	impact_u32vec_sort_unique(hard);
	for (size_t i = 0; i < cand.n; i++) {
		uint32_t id = cand.v[i];
		if (hard->n && bsearch(&id, hard->v, hard->n, sizeof(uint32_t), impact_u32_cmp))
			continue; /* hard already */
		if (ordinary(p, id))
			impact_u32vec_push(&m->soft, id);
		else
			impact_u32vec_push(hard, id);
	}
	impact_u32vec_release(&cand);
	if (m->soft.n > MAX_SOFT_SEEDS) {
		for (size_t i = 0; i < m->soft.n; i++)
			impact_u32vec_push(hard, m->soft.v[i]);
		m->soft.n = 0;
	}
	if (sqlite3_prepare_v2(rec->db, "SELECT id FROM mpath WHERE path = ?", -1, &m->get_path,
	                       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(rec->db, "SELECT ids FROM mset WHERE id = ?", -1, &m->get_set,
	                       NULL) != SQLITE_OK)
		m->soft.n = 0; /* what cannot be read stays static */
	m->soft_mp = impact_xcalloc(m->soft.n + 1, sizeof(uint32_t));
	m->reach = impact_xcalloc(m->soft.n + 1, sizeof(impact_reach));
	for (size_t i = 0; i < m->soft.n; i++) {
		m->soft_mp[i] = lookup_path(m, p->files[m->soft.v[i]].path);
		impact_graph_dependents(&m->reach[i], p->graph, &m->soft.v[i], 1, 0);
	}
	return m;
}

void impact_recmods_free(impact_recmods *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->soft.n; i++)
		impact_reach_release(&m->reach[i]);
	free(m->reach);
	free(m->soft_mp);
	impact_u32vec_release(&m->soft);
	for (size_t i = 0; i < m->nsets; i++)
		free(m->sets[i].ids);
	free(m->sets);
	sqlite3_finalize(m->get_path);
	sqlite3_finalize(m->get_set);
	free(m);
}

/* Set `id`, loaded once; NULL when it cannot be read (unknown). */
static const mset *set_of(impact_recmods *m, int64_t id)
{
	mset s = { 0 };
	for (size_t i = 0; i < m->nsets; i++)
		if (m->sets[i].id == id)
			return &m->sets[i];
	sqlite3_reset(m->get_set);
	sqlite3_bind_int64(m->get_set, 1, id);
	if (sqlite3_step(m->get_set) != SQLITE_ROW)
		return NULL;
	s.id = id;
	s.n = (size_t)sqlite3_column_bytes(m->get_set, 0) / sizeof(uint32_t);
	s.ids = impact_xmalloc(s.n * sizeof(uint32_t) + 1);
	if (s.n)
		memcpy(s.ids, sqlite3_column_blob(m->get_set, 0), s.n * sizeof(uint32_t));
	IMPACT_PUSH(m->sets, m->nsets, m->asets, s);
	return &m->sets[m->nsets - 1];
}

/*
 * Whether the set speaks for test file `file`: it holds the test module
 * and each conftest.py in its scope (pytest imported them before any of
 * its tests ran; a set without them was not made by that run).
 */
static bool set_covers(impact_recmods *m, const mset *s, uint32_t file)
{
	size_t n;
	const impact_edge *e;
	if (!has(s->ids, s->n, lookup_path(m, m->p->files[file].path)))
		return false;
	e = impact_graph_out(m->p->graph, file, &n);
	for (size_t i = 0; i < n; i++)
		if (e[i].kind == IMPACT_EDGE_CONFTEST &&
		    !has(s->ids, s->n, lookup_path(m, m->p->files[e[i].to].path)))
			return false;
	return true;
}

/* Whether `file` or a conftest.py in its scope names `seed` in an import of its own. */
static bool imports_directly(const impact_recmods *m, uint32_t file, uint32_t seed)
{
	size_t n, nc;
	const impact_edge *e = impact_graph_out(m->p->graph, file, &n), *c;
	for (size_t i = 0; i < n; i++) {
		if (e[i].to == seed)
			return true;
		if (e[i].kind != IMPACT_EDGE_CONFTEST)
			continue;
		c = impact_graph_out(m->p->graph, e[i].to, &nc);
		for (size_t k = 0; k < nc; k++)
			if (c[k].to == seed)
				return true;
	}
	return false;
}

impact_recmods_verdict impact_recmods_judge(impact_recmods *m, uint32_t file, int64_t mset_id,
                                            const char **seed, bool *imported)
{
	const mset *s = NULL;
	bool reached = false, checked = false;
	*seed = NULL;
	*imported = false;
	for (size_t i = 0; i < m->soft.n; i++) {
		const char *path = m->p->files[m->soft.v[i]].path;
		if (file >= m->reach[i].n || m->reach[i].dist[file] == UINT32_MAX)
			continue;
		if (!checked) {
			checked = true;
			s = mset_id > 0 ? set_of(m, mset_id) : NULL;
			if (s && !set_covers(m, s, file))
				s = NULL;
		}
		if (s && has(s->ids, s->n, m->soft_mp[i])) {
			*seed = path;
			*imported = true;
			return IMPACT_RECMODS_KEEP;
		}
		if (!s || imports_directly(m, file, m->soft.v[i])) {
			*seed = path;
			return IMPACT_RECMODS_KEEP;
		}
		if (!reached)
			*seed = path;
		reached = true;
	}
	return reached ? IMPACT_RECMODS_NEVER : IMPACT_RECMODS_UNREACHED;
}
