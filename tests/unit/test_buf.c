/*
 * test_buf.c - the small foundations: impact_buf, the string pool, the
 * graph and its backward walk, the error convention, sorted id sets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "buf.h"
#include "jsonw.h"
#include "graph.h"
#include "path.h"
#include "strpool.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void buf__grow_and_print(void **state)
{
	impact_buf b = IMPACT_BUF_INIT;
	(void)state;
	assert_string_equal(b.ptr, "");
	for (int i = 0; i < 1000; i++)
		assert_int_equal(impact_buf_printf(&b, "%d,", i), 0);
	assert_int_equal(b.size, strlen(b.ptr));
	assert_memory_equal(b.ptr, "0,1,2,", 6);
	impact_buf_truncate(&b, 2);
	assert_string_equal(b.ptr, "0,");
	impact_buf_put(&b, "a\0b", 3);
	assert_int_equal(b.size, 5);
	impact_buf_sets(&b, "x");
	assert_string_equal(b.ptr, "x");
	char *d = impact_buf_detach(&b);
	assert_string_equal(d, "x");
	assert_string_equal(b.ptr, "");
	free(d);
	impact_buf_release(&b);
}

static void buf__cap(void **state)
{
	impact_buf b = IMPACT_BUF_INIT;
	(void)state;
	impact_buf_puts(&b, "keep");
	assert_int_equal(impact_buf_grow(&b, IMPACT_BUF_MAX), IMPACT_ERROR);
	assert_string_equal(b.ptr, "keep");
	assert_non_null(strstr(impact_error_last(), "too large"));
	impact_buf_release(&b);
}

static void buf__read_file(void **state)
{
	char path[] = "/tmp/impact-test-buf-XXXXXX";
	int fd = mkstemp(path);
	impact_buf b = IMPACT_BUF_INIT;
	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello\n", 6), 6);
	close(fd);
	assert_int_equal(impact_buf_read_file(&b, path, 100), 0);
	assert_string_equal(b.ptr, "hello\n");
	impact_buf_clear(&b);
	assert_int_equal(impact_buf_read_file(&b, path, 3), IMPACT_ERROR);
	assert_int_equal(b.size, 0);
	unlink(path);
	assert_int_equal(impact_buf_read_file(&b, path, 100), IMPACT_ENOTFOUND);
	assert_int_equal(impact_buf_read_file(&b, "/tmp", 100), IMPACT_ERROR);
	impact_buf_release(&b);
}

static void strpool__intern(void **state)
{
	impact_strpool *p = impact_strpool_new();
	char name[32];
	(void)state;
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "pkg/mod%d.py", i);
		assert_int_equal(impact_strpool_interns(p, name), (uint32_t)i);
	}
	assert_int_equal(impact_strpool_interns(p, "pkg/mod42.py"), 42);
	assert_string_equal(impact_strpool_get(p, 4999), "pkg/mod4999.py");
	assert_int_equal(impact_strpool_find(p, "nope", 4), IMPACT_STRPOOL_NONE);
	assert_int_equal(impact_strpool_intern(p, "a\xff\n", 3), 5000);
	assert_int_equal(impact_strpool_len(p, 5000), 3);
	assert_int_equal(impact_strpool_count(p), 5001);
	assert_null(impact_strpool_get(p, 9999));
	impact_strpool_free(p);
	impact_strpool_free(NULL);
}

/*
 * 0 test_a -> 1 conftest -> 2 pkg/__init__ ; 0 -> 3 mod ; 3 -> 4 util ;
 * 5 test_b -> 4 (TYPE_CHECKING only) ; 6 test_c -> 6 (self, dropped)
 */
static void graph__dependents(void **state)
{
	impact_graph *g = impact_graph_new(7);
	impact_reach r;
	uint32_t seed = 4;
	size_t n;
	(void)state;
	impact_graph_add(g, 0, 1, IMPACT_EDGE_CONFTEST, 0);
	impact_graph_add(g, 1, 2, IMPACT_EDGE_IMPORT, 3);
	impact_graph_add(g, 0, 3, IMPACT_EDGE_LAZY, 9);
	impact_graph_add(g, 0, 3, IMPACT_EDGE_IMPORT, 1); /* stronger duplicate */
	impact_graph_add(g, 3, 4, IMPACT_EDGE_IMPORT, 2);
	impact_graph_add(g, 5, 4, IMPACT_EDGE_TYPE_CHECKING, 5);
	impact_graph_add(g, 6, 6, IMPACT_EDGE_IMPORT, 1);
	impact_graph_add(g, 99, 1, IMPACT_EDGE_IMPORT, 1); /* out of range: ignored */
	impact_graph_freeze(g);
	assert_int_equal(impact_graph_edge_count(g), 5);
	const impact_edge *out = impact_graph_out(g, 0, &n);
	assert_int_equal(n, 2);
	assert_int_equal(out[1].to, 3);
	assert_int_equal(out[1].kind, IMPACT_EDGE_IMPORT);
	assert_int_equal(out[1].line, 1);

	impact_graph_dependents(&r, g, &seed, 1, 1u << IMPACT_EDGE_TYPE_CHECKING);
	assert_int_equal(r.dist[4], 0);
	assert_int_equal(r.dist[3], 1);
	assert_int_equal(r.dist[0], 2);
	assert_int_equal(r.dist[5], UINT32_MAX); /* TYPE_CHECKING skipped */
	assert_int_equal(r.dist[1], UINT32_MAX);
	assert_int_equal(r.via[0]->to, 3);
	assert_null(r.via[4]);
	impact_reach_release(&r);

	impact_graph_dependents(&r, g, &seed, 1, 0);
	assert_int_equal(r.dist[5], 1);
	impact_reach_release(&r);
	impact_graph_free(g);
}

static void graph__cycle(void **state)
{
	impact_graph *g = impact_graph_new(3);
	impact_reach r;
	uint32_t seeds[] = { 2, 2 };
	(void)state;
	impact_graph_add(g, 0, 1, IMPACT_EDGE_IMPORT, 1);
	impact_graph_add(g, 1, 2, IMPACT_EDGE_IMPORT, 1);
	impact_graph_add(g, 2, 0, IMPACT_EDGE_IMPORT, 1);
	impact_graph_freeze(g);
	impact_graph_dependents(&r, g, seeds, 2, 0);
	assert_int_equal(r.dist[2], 0);
	assert_int_equal(r.dist[1], 1);
	assert_int_equal(r.dist[0], 2);
	impact_reach_release(&r);
	impact_graph_free(g);
}

/*
 * A borrowed graph (a cached graph file's arrays) is checked edge by edge:
 * a file with a right checksum but an edge outside the graph, in another
 * row or of no known kind is refused, never walked (found by
 * fuzz-projcache); an in-edge listed under another node is skipped by the
 * walk, so no chain goes in circles.
 */
static void graph__borrow_checks_edges(void **state)
{
	impact_graph *g = impact_graph_new(3), *b;
	impact_graph_arrays a;
	impact_edge edges[2];
	uint32_t in_edges[2];
	(void)state;
	impact_graph_add(g, 0, 1, IMPACT_EDGE_IMPORT, 1);
	impact_graph_add(g, 1, 2, IMPACT_EDGE_LAZY, 2);
	impact_graph_freeze(g);
	impact_graph_get_arrays(g, &a);
	assert_int_equal(a.nedges, 2);
	assert_non_null(b = impact_graph_borrow(&a));
	impact_graph_free(b);

	memcpy(edges, a.edges, sizeof(edges));
	memcpy(in_edges, a.in_edges, sizeof(in_edges));
	a.edges = edges;
	a.in_edges = in_edges;
	edges[1].to = 7; /* outside the graph */
	assert_null(impact_graph_borrow(&a));
	edges[1].to = 2;
	edges[1].from = 0; /* in node 1's row */
	assert_null(impact_graph_borrow(&a));
	edges[1].from = 1;
	edges[1].kind = 200; /* no such kind: `1u << kind` in a walk */
	assert_null(impact_graph_borrow(&a));
	edges[1].kind = IMPACT_EDGE_LAZY;
	in_edges[0] = 5; /* past the edges */
	assert_null(impact_graph_borrow(&a));
	in_edges[0] = 1; /* rows swapped: each lists the other's edge */
	in_edges[1] = 0;
	assert_non_null(b = impact_graph_borrow(&a));
	{
		/* ... which a walk skips: no chain through an edge not to its node. */
		impact_reach r;
		uint32_t seed = 2;
		impact_graph_dependents(&r, b, &seed, 1, 0);
		assert_int_equal(r.dist[1], UINT32_MAX);
		assert_int_equal(r.dist[0], UINT32_MAX);
		impact_reach_release(&r);
	}
	impact_graph_free(b);
	impact_graph_free(g);
}

static void error__convention(void **state)
{
	(void)state;
	impact_error_clear();
	assert_string_equal(impact_error_last(), "");
	assert_int_equal(impact_error_set(IMPACT_EINVALID, "bad '%s'", "x"), IMPACT_EINVALID);
	assert_string_equal(impact_error_last(), "bad 'x'");
	assert_int_equal(impact_error_from_errno(2, "open '%s'", "f"), IMPACT_ERROR);
	assert_string_equal(impact_error_last(), "open 'f': No such file or directory");
	/* A message may quote the last one. */
	impact_error_set(IMPACT_ERROR, "inner");
	impact_error_set(IMPACT_ERROR, "outer: %s (x)", impact_error_last());
	assert_string_equal(impact_error_last(), "outer: inner (x)");
}

static void path__join_base_suffix(void **state)
{
	static const struct { const char *dir, *rel, *out; } j[] = {
		{ "", "a/b.py", "a/b.py" },
		{ "pkg/sub", "../x.py", "pkg/x.py" },
		{ "pkg", "./data//schema.json", "pkg/data/schema.json" },
		{ "a/b", "../../c", "c" },
		{ "a", "..", "" },
		{ "a", "../..", NULL },
		{ "", "/etc/passwd", NULL },
		{ "x", "", "x" },
	};
	impact_buf b = IMPACT_BUF_INIT;
	(void)state;
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(j); i++) {
		bool ok = impact_path_join(&b, j[i].dir, j[i].rel);
		if (!j[i].out) {
			assert_false(ok);
			continue;
		}
		assert_true(ok);
		assert_string_equal(b.ptr, j[i].out);
	}
	impact_path_dir(&b, "a/b/c.py");
	assert_string_equal(b.ptr, "a/b");
	impact_path_dir(&b, "top.py");
	assert_string_equal(b.ptr, "");
	assert_string_equal(impact_path_base("a/b/c.py"), "c.py");
	assert_string_equal(impact_path_base("c.py"), "c.py");
	assert_true(impact_path_has_suffix("x/conftest.py", ".py"));
	assert_false(impact_path_has_suffix("py", ".py"));
	impact_buf_release(&b);
}

static void u32vec__sort_unique(void **state)
{
	impact_u32vec v = { 0 };
	const uint32_t in[] = { 7, 3, 7, 0, UINT32_MAX, 3, 3 }, out[] = { 0, 3, 7, UINT32_MAX };
	(void)state;
	impact_u32vec_sort_unique(&v); /* empty: nothing to sort, no crash */
	assert_int_equal(v.n, 0);
	impact_u32vec_push(&v, 5);
	impact_u32vec_sort_unique(&v);
	assert_int_equal(v.n, 1);
	v.n = 0;
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(in); i++)
		impact_u32vec_push(&v, in[i]);
	impact_u32vec_sort_unique(&v);
	assert_int_equal(v.n, IMPACT_ARRAY_SIZE(out));
	for (size_t i = 0; i < v.n; i++)
		assert_int_equal(v.v[i], out[i]);
	assert_non_null(bsearch(&out[3], v.v, v.n, sizeof(uint32_t), impact_u32_cmp));
	assert_null(bsearch(&in[0], v.v, v.n - 2, sizeof(uint32_t), impact_u32_cmp));
	impact_u32vec_release(&v);
}

/* The writer's document, against jansson's rendering of the same tree, pretty and compact. */
static void jsonw__matches_jansson(void **state)
{
	static const char *const strings[] = {
		"plain", "", "quote \" back \\ slash", "ctl \n\t\r\b\f \x01 \x1f end",
		"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x8d", "del \x7f / slash",
	};
	(void)state;
	for (int pretty = 0; pretty < 2; pretty++) {
		impact_buf b = IMPACT_BUF_INIT;
		impact_jsonw w;
		json_t *root = json_object(), *arr = json_array(), *nested = json_object();
		char *want;
		impact_jsonw_init(&w, &b, pretty);
		impact_jsonw_object(&w);
		impact_jsonw_key(&w, "strings");
		impact_jsonw_array(&w);
		for (size_t i = 0; i < sizeof(strings) / sizeof(*strings); i++) {
			impact_jsonw_string(&w, strings[i]);
			json_array_append_new(arr, json_string(strings[i]));
		}
		impact_jsonw_end(&w);
		json_object_set_new(root, "strings", arr);
		impact_jsonw_key(&w, "empty_array");
		impact_jsonw_array(&w);
		impact_jsonw_end(&w);
		json_object_set_new(root, "empty_array", json_array());
		impact_jsonw_key(&w, "empty_object");
		impact_jsonw_object(&w);
		impact_jsonw_end(&w);
		json_object_set_new(root, "empty_object", json_object());
		impact_jsonw_key(&w, "nested");
		impact_jsonw_object(&w);
		impact_jsonw_key(&w, "n");
		impact_jsonw_int(&w, -42);
		impact_jsonw_key(&w, "t");
		impact_jsonw_bool(&w, true);
		impact_jsonw_key(&w, "f");
		impact_jsonw_bool(&w, false);
		impact_jsonw_key(&w, "z");
		impact_jsonw_null(&w);
		impact_jsonw_key(&w, "s");
		impact_jsonw_string(&w, NULL);
		impact_jsonw_end(&w);
		json_object_set_new(nested, "n", json_integer(-42));
		json_object_set_new(nested, "t", json_true());
		json_object_set_new(nested, "f", json_false());
		json_object_set_new(nested, "z", json_null());
		json_object_set_new(nested, "s", json_null());
		json_object_set_new(root, "nested", nested);
		impact_jsonw_end(&w);
		want = json_dumps(root, (pretty ? JSON_INDENT(2) : JSON_COMPACT) | JSON_PRESERVE_ORDER);
		assert_string_equal(b.ptr, want);
		free(want);
		json_decref(root);
		impact_buf_release(&b);
	}
}

/* Bytes that are not UTF-8 become U+FFFD; reals read back as written and stay reals. */
static void jsonw__repairs_and_reals(void **state)
{
	impact_buf b = IMPACT_BUF_INIT;
	impact_jsonw w;
	json_t *doc;
	(void)state;
	impact_jsonw_init(&w, &b, false);
	impact_jsonw_array(&w);
	impact_jsonw_string(&w, "a\xff" "b\xc3");
	impact_jsonw_real(&w, 0.1);
	impact_jsonw_real(&w, 2.0);
	impact_jsonw_real(&w, 1.0 / 3.0);
	impact_jsonw_end(&w);
	assert_memory_equal(b.ptr, "[\"a\xef\xbf\xbd" "b\xef\xbf\xbd\",0.1,2.0,", 19);
	doc = json_loads(b.ptr, 0, NULL);
	assert_non_null(doc);
	assert_true(json_is_real(json_array_get(doc, 2)));
	assert_true(json_real_value(json_array_get(doc, 3)) == 1.0 / 3.0);
	json_decref(doc);
	impact_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buf__grow_and_print),
		cmocka_unit_test(buf__cap),
		cmocka_unit_test(buf__read_file),
		cmocka_unit_test(strpool__intern),
		cmocka_unit_test(graph__dependents),
		cmocka_unit_test(graph__cycle),
		cmocka_unit_test(graph__borrow_checks_edges),
		cmocka_unit_test(error__convention),
		cmocka_unit_test(path__join_base_suffix),
		cmocka_unit_test(u32vec__sort_unique),
		cmocka_unit_test(jsonw__matches_jansson),
		cmocka_unit_test(jsonw__repairs_and_reals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
