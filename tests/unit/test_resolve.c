/*
 * test_resolve.c - import resolution, as data: a file layout, an importing
 * file, an import, and the files it must resolve to (in order).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "buf.h"
#include "resolve.h"

/* One repository layout shared by the cases. */
static const char *const layout[] = {
	"pkg/__init__.py",
	"pkg/core.py",
	"pkg/mod.py",
	"pkg/p.py",
	"pkg/sub/__init__.py",
	"pkg/sub/mod.py",
	"pkg/sub/deep/__init__.py",
	"pkg/sub/deep/leaf.py",
	"pkg/_tests/__init__.py",
	"pkg/_tests/test_core.py",
	"both/__init__.py",
	"both.py",
	"both/b.py",
	"src/lib/__init__.py",
	"src/lib/util.py",
	"ns/a.py",
	"ns/inner/b.py",
	"tests/conftest.py",
	"tests/helpers.py",
	"tests/test_x.py",
	"tests/unit/test_a.py",
	"tests/common/shared_helpers.py",
	"tests/pkgd/__init__.py",
	"tests/pkgd/test_p.py",
	"top.py",
	"examples/run.py",
	"examples/examplelib.py",
};

typedef struct rcase {
	const char *name;
	const char *importer;
	int kind;            /* impact_import_kind */
	unsigned level;
	const char *module;
	const char *iname;   /* FROM name */
	const char *expect;  /* resolved paths joined by ' ', "" for none */
	unsigned how;        /* expected flags */
} rcase;

static const rcase cases[] = {
	{ "absolute_chain", "top.py", IMPACT_IMPORT_MODULE, 0, "pkg.sub.mod", NULL,
	  "pkg/__init__.py pkg/sub/__init__.py pkg/sub/mod.py", 0 },
	{ "from_submodule", "top.py", IMPACT_IMPORT_FROM, 0, "pkg", "mod",
	  "pkg/__init__.py pkg/mod.py", 0 },
	{ "from_subpackage", "top.py", IMPACT_IMPORT_FROM, 0, "pkg", "sub",
	  "pkg/__init__.py pkg/sub/__init__.py", 0 },
	{ "from_name", "top.py", IMPACT_IMPORT_FROM, 0, "pkg", "VERSION",
	  "pkg/__init__.py", 0 },
	{ "from_star", "top.py", IMPACT_IMPORT_FROM, 0, "pkg.sub", "*",
	  "pkg/__init__.py pkg/sub/__init__.py", 0 },
	{ "module_then_attribute", "top.py", IMPACT_IMPORT_MODULE, 0, "pkg.mod.attr", NULL,
	  "pkg/__init__.py pkg/mod.py", 0 },
	{ "from_module_name_is_attribute", "top.py", IMPACT_IMPORT_FROM, 0, "pkg.mod", "thing",
	  "pkg/__init__.py pkg/mod.py", 0 },
	{ "package_beats_module", "top.py", IMPACT_IMPORT_MODULE, 0, "both.b", NULL,
	  "both/__init__.py both/b.py", 0 },
	{ "relative_dot", "pkg/mod.py", IMPACT_IMPORT_FROM, 1, "", "core",
	  "pkg/__init__.py pkg/core.py", 0 },
	{ "relative_dot_module", "pkg/sub/mod.py", IMPACT_IMPORT_FROM, 1, "deep", "leaf",
	  "pkg/sub/__init__.py pkg/sub/deep/__init__.py pkg/sub/deep/leaf.py", 0 },
	{ "relative_dotdot", "pkg/sub/mod.py", IMPACT_IMPORT_FROM, 2, "p", "y",
	  "pkg/__init__.py pkg/p.py", 0 },
	{ "relative_from_init", "pkg/sub/__init__.py", IMPACT_IMPORT_FROM, 1, "mod", "x",
	  "pkg/sub/__init__.py pkg/sub/mod.py", 0 },
	{ "relative_in_test_package", "pkg/_tests/test_core.py", IMPACT_IMPORT_FROM, 2, "", "core",
	  "pkg/__init__.py pkg/core.py", 0 },
	{ "relative_beyond_top", "top.py", IMPACT_IMPORT_FROM, 2, "x", "y", "", 0 },
	{ "src_layout", "tests/test_x.py", IMPACT_IMPORT_FROM, 0, "lib.util", "f",
	  "src/lib/__init__.py src/lib/util.py", 0 },
	{ "test_basedir", "tests/test_x.py", IMPACT_IMPORT_MODULE, 0, "helpers", NULL,
	  "tests/helpers.py", 0 },
	{ "package_test_basedir_is_parent", "tests/pkgd/test_p.py", IMPACT_IMPORT_MODULE, 0,
	  "helpers", NULL, "tests/helpers.py", 0 },
	{ "from_tests_package", "top.py", IMPACT_IMPORT_FROM, 0, "tests", "helpers",
	  "tests/helpers.py", 0 },
	{ "namespace_package", "top.py", IMPACT_IMPORT_MODULE, 0, "ns.a", NULL, "ns/a.py", 0 },
	{ "namespace_nested", "top.py", IMPACT_IMPORT_FROM, 0, "ns.inner", "b", "ns/inner/b.py", 0 },
	{ "external", "top.py", IMPACT_IMPORT_MODULE, 0, "os.path", NULL, "", 0 },
	{ "external_from", "pkg/mod.py", IMPACT_IMPORT_FROM, 0, "collections", "abc", "", 0 },
	{ "fallback_other_basedir", "tests/unit/test_a.py", IMPACT_IMPORT_MODULE, 0,
	  "shared_helpers", NULL, "tests/common/shared_helpers.py", IMPACT_RESOLVED_FALLBACK },
	{ "script_dir_root", "examples/run.py", IMPACT_IMPORT_MODULE, 0, "examplelib", NULL,
	  "examples/examplelib.py", 0 },
	{ "dynamic_literal", "top.py", IMPACT_IMPORT_DYNAMIC, 0, "pkg.core", NULL,
	  "pkg/__init__.py pkg/core.py", 0 },
	{ "plugin", "tests/conftest.py", IMPACT_IMPORT_PLUGIN, 0, "pkg.sub.deep.leaf", NULL,
	  "pkg/__init__.py pkg/sub/__init__.py pkg/sub/deep/__init__.py pkg/sub/deep/leaf.py", 0 },
	{ "bad_component", "top.py", IMPACT_IMPORT_DYNAMIC, 0, "pkg..core", NULL,
	  "pkg/__init__.py", 0 },
	{ "empty_module", "top.py", IMPACT_IMPORT_DYNAMIC, 0, "", NULL, "", 0 },
	{ "slash_in_name", "top.py", IMPACT_IMPORT_DYNAMIC, 0, "pkg/core", NULL, "", 0 },
};

typedef struct fixture {
	impact_strpool *pool;
	impact_resolver *r;
} fixture;

static int setup(void **state)
{
	static const char *const roots[] = { "", "src" };
	fixture *f = impact_xcalloc(1, sizeof(*f));
	f->pool = impact_strpool_new();
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(layout); i++)
		impact_strpool_interns(f->pool, layout[i]);
	f->r = impact_resolver_new(f->pool, (uint32_t)IMPACT_ARRAY_SIZE(layout), roots, 2);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	impact_resolver_free(f->r);
	impact_strpool_free(f->pool);
	free(f);
	return 0;
}

static void resolve__cases(void **state)
{
	fixture *f = *state;
	int failures = 0;

	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(cases); i++) {
		const rcase *c = &cases[i];
		impact_import imp = { 0 };
		impact_u32vec out = { 0 };
		impact_buf got = IMPACT_BUF_INIT;
		unsigned how = 0;
		uint32_t importer = impact_resolver_file(f->r, c->importer);

		assert_int_not_equal(importer, IMPACT_STRPOOL_NONE);
		imp.kind = (uint8_t)c->kind;
		imp.level = (uint16_t)c->level;
		imp.module = c->module;
		imp.name = c->iname;
		impact_resolver_resolve(f->r, importer, &imp, &out, &how);
		for (size_t k = 0; k < out.n; k++)
			impact_buf_printf(&got, "%s%s", k ? " " : "",
			                  impact_strpool_get(f->pool, out.v[k]));
		if (strcmp(got.ptr, c->expect) || how != c->how) {
			print_error("case %s: expected '%s' (how %u), got '%s' (how %u)\n",
			            c->name, c->expect, c->how, got.ptr, how);
			failures++;
		}
		impact_buf_release(&got);
		impact_u32vec_release(&out);
	}
	assert_int_equal(failures, 0);
}

static void resolve__basedir(void **state)
{
	fixture *f = *state;
	static const struct { const char *file, *basedir; } b[] = {
		{ "pkg/sub/deep/leaf.py", "" },
		{ "pkg/__init__.py", "" },
		{ "tests/test_x.py", "tests" },
		{ "tests/pkgd/test_p.py", "tests" },
		{ "src/lib/util.py", "src" },
		{ "ns/inner/b.py", "ns/inner" },
		{ "top.py", "" },
	};
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(b); i++) {
		uint32_t id = impact_resolver_file(f->r, b[i].file);
		assert_string_equal(impact_resolver_basedir(f->r, id), b[i].basedir);
	}
}

static void resolve__dirs(void **state)
{
	fixture *f = *state;
	assert_true(impact_resolver_is_dir(f->r, ""));
	assert_true(impact_resolver_is_dir(f->r, "pkg/sub/deep"));
	assert_true(impact_resolver_is_dir(f->r, "ns"));
	assert_false(impact_resolver_is_dir(f->r, "pkg/sub/dee"));
	assert_false(impact_resolver_is_dir(f->r, "pkg/core.py"));
	assert_int_equal(impact_resolver_file(f->r, "pkg"), IMPACT_STRPOOL_NONE);
}

static void resolve__name(void **state)
{
	fixture *f = *state;
	impact_u32vec out = { 0 };
	assert_int_equal(impact_resolver_resolve_name(f->r, "lib.util", &out), 2);
	assert_string_equal(impact_strpool_get(f->pool, out.v[1]), "src/lib/util.py");
	out.n = 0;
	assert_int_equal(impact_resolver_resolve_name(f->r, "nonexistent.plugin", &out), 0);
	impact_u32vec_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(resolve__cases),
		cmocka_unit_test(resolve__basedir),
		cmocka_unit_test(resolve__dirs),
		cmocka_unit_test(resolve__name),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
