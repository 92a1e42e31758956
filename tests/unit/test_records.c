/*
 * test_records.c - the user's test filter as a records key
 * (impact_records_filter): which arguments make a record speak only for
 * runs with the same filter, and which make a run record nothing; and
 * the module sets of the recorder's sink (recmods.c's ingest): per test
 * file the union over its tests and processes, stored once, unknown when
 * a test of it says nothing or names a damaged set.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "records.h"
#include "recmods.h"

#include <jansson.h>
#include <sqlite3.h>

typedef struct filter_case {
	const char *args[6]; /* NULL-terminated */
	const char *key;     /* the expected key, '|' for the separator */
	const char *partial; /* the argument that makes the run partial, or NULL */
} filter_case;

static const filter_case cases[] = {
	{ { NULL }, "", NULL },
	{ { "-x", "--tb=short", NULL }, "", NULL },
	{ { "-k", "not slow", NULL }, "-k not slow", NULL },
	{ { "-knot slow", NULL }, "-k not slow", NULL },
	{ { "-k=fast", NULL }, "-k fast", NULL },
	{ { "-m", "db", "-k", "x", NULL }, "-m db|-k x", NULL },
	{ { "-k", NULL }, "-k ", NULL },
	{ { "--lf", NULL }, "", "--lf" },
	{ { "-k", "a", "--last-failed", NULL }, "-k a", "--last-failed" },
	{ { "--deselect=tests/t.py::a", NULL }, "", "--deselect=tests/t.py::a" },
	{ { "--sw", NULL }, "", "--sw" },
	{ { "tests/t.py::test_a", NULL }, "", "tests/t.py::test_a" },
	{ { "--", "tests/t.py::test_a", NULL }, "", "tests/t.py::test_a" },
	{ { "--", "-k", NULL }, "", NULL },  /* after "--": file names */
	{ { "tests/t.py", "-v", NULL }, "", NULL },
	{ { "--lfx", NULL }, "", NULL },     /* not --lf */
	/* A warning filter is no node id, as -W's value or on its own. */
	{ { "-W", "ignore::DeprecationWarning", NULL }, "", NULL },
	{ { "--pythonwarnings", "error::pkg.MyWarning", "-k", "x", NULL }, "-k x", NULL },
	{ { "-o", "filterwarnings=ignore::UserWarning", NULL }, "", NULL },
	{ { "ignore::DeprecationWarning", NULL }, "", NULL },
	{ { "--", "ignore::DeprecationWarning", NULL }, "", NULL },
	{ { "-W", "ignore::DeprecationWarning", "t.py::test_a", NULL }, "", "t.py::test_a" },
	{ { "docs/usage.rst::usage.rst", NULL }, "", "docs/usage.rst::usage.rst" },
};

static void test_filter(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const filter_case *fc = &cases[c];
		impact_buf key = IMPACT_BUF_INIT, want = IMPACT_BUF_INIT;
		const char *why = NULL;
		size_t n = 0;
		int rc;
		while (fc->args[n])
			n++;
		rc = impact_records_filter(&key, &why, fc->args, n);
		impact_buf_puts(&want, fc->key);
		for (char *p = want.ptr; p && *p; p++)
			if (*p == '|')
				*p = '\x1f';
		assert_string_equal(key.ptr ? key.ptr : "", want.ptr ? want.ptr : "");
		if (fc->partial) {
			assert_int_equal(rc, IMPACT_ENOTFOUND);
			assert_non_null(why);
			assert_string_equal(why, fc->partial);
		} else {
			assert_int_equal(rc, 0);
			assert_null(why);
		}
		impact_buf_release(&key);
		impact_buf_release(&want);
	}
}


/* One sink file per string, its lines separated by '\n'; "/w" is the work tree. */
typedef struct modset_case {
	const char *sinks[3];
	const char *file;  /* a test file */
	const char *want;  /* its stored set as "a.py b.py" (in order of first sight), NULL: unknown */
} modset_case;

static const char *const sink_a =
	"{\"kind\":\"modules\",\"paths\":[\"/elsewhere/x.py\",\"/w/p/a.py\",\"/w/p/b.py\",\"/w/t/test_a.py\"]}\n"
	"{\"kind\":\"modset\",\"n\":0,\"mods\":[0,1,1]}\n"
	"{\"kind\":\"modset\",\"n\":1,\"mods\":[1,1,1]}\n"
	"{\"kind\":\"modset\",\"n\":2,\"mods\":[1,5]}\n"
	"{\"kind\":\"test\",\"path\":\"/w/t/test_a.py\",\"mset\":0}\n"
	"{\"kind\":\"test\",\"path\":\"/w/t/test_b.py\",\"mset\":1}\n"
	"{\"kind\":\"test\",\"path\":\"/w/t/test_c.py\",\"mset\":1}\n"
	"{\"kind\":\"test\",\"path\":\"/w/t/test_c.py\"}\n"
	"{\"kind\":\"test\",\"path\":\"/w/t/test_d.py\",\"mset\":2}\n";
/* another process (an xdist worker), numbering its own way */
static const char *const sink_b =
	"{\"kind\":\"modules\",\"paths\":[\"/w/p/c.py\",\"/w/t/test_a.py\"]}\n"
	"{\"kind\":\"modset\",\"n\":0,\"mods\":[0,1]}\n"
	"{\"kind\":\"test\",\"path\":\"/w/t/test_a.py\",\"mset\":0}\n"
	"{\"kind\":\"test\",\"path\":\"/w/t/test_e.py\",\"mset\":7}\n";

static const modset_case modset_cases[] = {
	{ { sink_a, NULL }, "t/test_a.py", "p/a.py p/b.py" },                /* outside the tree: left out */
	{ { sink_a, NULL }, "t/test_b.py", "p/a.py p/b.py t/test_a.py" },
	{ { sink_a, NULL }, "t/test_c.py", NULL },                           /* a test said nothing */
	{ { sink_a, NULL }, "t/test_d.py", NULL },                           /* a damaged set */
	{ { sink_a, sink_b, NULL }, "t/test_a.py", "p/a.py p/b.py t/test_a.py p/c.py" }, /* union */
	{ { sink_a, sink_b, NULL }, "t/test_e.py", NULL },                   /* no such set */
	{ { sink_a, NULL }, "t/test_z.py", NULL },                           /* never seen */
};

/* The paths of mset `id`, as "a b c" in id order. */
static void mset_paths(impact_buf *out, sqlite3 *db, int64_t id)
{
	sqlite3_stmt *st = NULL, *p = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT ids FROM mset WHERE id = ?", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT path FROM mpath WHERE id = ?", -1, &p, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, id);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	for (int i = 0; i < sqlite3_column_bytes(st, 0) / 4; i++) {
		uint32_t mid;
		memcpy(&mid, (const char *)sqlite3_column_blob(st, 0) + 4 * i, 4);
		sqlite3_reset(p);
		sqlite3_bind_int64(p, 1, mid);
		assert_int_equal(sqlite3_step(p), SQLITE_ROW);
		impact_buf_printf(out, "%s%s", out->size ? " " : "", sqlite3_column_text(p, 0));
	}
	sqlite3_finalize(st);
	sqlite3_finalize(p);
}

static void test_module_sets(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(modset_cases) / sizeof(modset_cases[0]); c++) {
		const modset_case *mc = &modset_cases[c];
		sqlite3 *db = NULL;
		impact_recmods_ingest *m;
		impact_buf got = IMPACT_BUF_INIT;
		int64_t id, again;
		assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, "CREATE TABLE mpath (id INTEGER PRIMARY KEY, path TEXT UNIQUE NOT NULL);"
		                              "CREATE TABLE mset (id INTEGER PRIMARY KEY, digest INTEGER UNIQUE NOT NULL,"
		                              " ids BLOB NOT NULL);", NULL, NULL, NULL), SQLITE_OK);
		m = impact_recmods_ingest_new(db, "/w");
		for (size_t k = 0; mc->sinks[k]; k++) {
			const char *l = mc->sinks[k], *nl;
			for (; (nl = strchr(l, '\n')); l = nl + 1) {
				json_t *line = json_loadb(l, (size_t)(nl - l), 0, NULL);
				const char *kind = json_string_value(json_object_get(line, "kind"));
				assert_non_null(line);
				if (!strcmp(kind, "test"))
					impact_recmods_ingest_test(m, json_string_value(json_object_get(line, "path")) + 3, line);
				else
					assert_true(impact_recmods_ingest_line(m, kind, line));
				json_decref(line);
			}
			impact_recmods_ingest_end_file(m);
		}
		id = impact_recmods_ingest_set(m, mc->file);
		if (!mc->want) {
			assert_int_equal(id, 0);
		} else {
			assert_true(id > 0);
			mset_paths(&got, db, id);
			assert_string_equal(got.ptr, mc->want);
			/* an identical set is the same row */
			again = impact_recmods_ingest_set(m, mc->file);
			assert_int_equal(again, id);
		}
		impact_buf_release(&got);
		impact_recmods_ingest_free(m);
		sqlite3_close(db);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_module_sets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
