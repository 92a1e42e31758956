/*
 * test_settings.c - which changes of pyproject.toml, setup.cfg and tox.ini
 * touch only settings no pytest run reads (analyzer/select/settings.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "settings.h"

typedef struct scase {
	const char *path, *old_text, *new_text;
	bool quiet;
	const char *what; /* when quiet */
} scase;

static const char PY[] =
	"[project]\nname = \"pkg\"\nversion = \"1.0\"\ndependencies = [\"attrs\"]\n\n"
	"[tool.ruff]\nline-length = 99\n\n[[tool.mypy.overrides]]\nmodule = \"a\"\n\n"
	"[tool.pytest.ini_options]\naddopts = \"-q\"\n";

static const scase cases[] = {
	{ "pyproject.toml", PY, PY, true, "comments or layout only" },
	{ "pyproject.toml", "[project]\nversion = \"1\"\n", "[project]\nversion = \"2\"\n", true,
	  "project.version" },
	/* a table added whole, and an array of tables changed */
	{ "pyproject.toml", "[project]\nname = \"p\"\n",
	  "[project]\nname = \"p\"\n[tool.towncrier]\ndirectory = \"changes\"\n", true, "tool.towncrier" },
	{ "pyproject.toml", "[[tool.mypy.overrides]]\nmodule = \"a\"\n",
	  "[[tool.mypy.overrides]]\nmodule = \"b\"\n", true, "tool.mypy" },
	/* more names than are listed */
	{ "pyproject.toml", "[project]\nversion = \"1\"\n",
	  "[project]\nversion = \"2\"\ndescription = \"d\"\nkeywords = [\"k\"]\nreadme = \"R\"\n"
	  "urls = {a = \"b\"}\n", true, "project.description, project.keywords, project.readme, "
	  "project.urls, ..." },
	{ "pyproject.toml", "[project]\ndependencies = []\n", "[project]\ndependencies = [\"x\"]\n", false, NULL },
	{ "pyproject.toml", "[tool.pytest.ini_options]\naddopts = \"-q\"\n",
	  "[tool.pytest.ini_options]\naddopts = \"-x\"\n", false, NULL },
	{ "pyproject.toml", "", "[tool.unknown]\nx = 1\n", false, NULL },
	{ "pyproject.toml", "[project]\nversion = \"1\"\n", "[project]\nversion = \"1\n", false, NULL },
	/* a linter's table is read by its pytest plugin when that option is on */
	{ "pyproject.toml", "[tool.ruff]\nx = 1\n", "[tool.ruff]\nx = 2\n", true, "tool.ruff" },
	{ "pyproject.toml", "[tool.black]\nx = 1\n", "[tool.black]\nx = 2\n", false, NULL },
	{ "tox.ini", "[pycodestyle]\nx = 1\n", "[pycodestyle]\nx = 2\n", false, NULL },
	{ "tox.ini", "[pydocstyle]\nx = 1\n", "[pydocstyle]\nx = 2\n", true, "[pydocstyle]" },
	{ "tox.ini", "[tox]\nenvlist = a\n", "[tox]\nenvlist = b\n", true, "[tox]" },
	{ "tox.ini", "[testenv:lint]\ndeps = a\n", "[testenv:lint]\ndeps = b\n", true, "[testenv:lint]" },
	{ "tox.ini", "[tox]\n", "[tox]\n[pytest]\n", false, NULL },
	{ "tox.ini", "[pytest]\naddopts = -q\n", "[pytest]\naddopts = -x\n", false, NULL },
	{ "tox.ini", "[coverage:run]\nbranch = true\n", "[coverage:run]\nbranch = false\n", false, NULL },
	{ "setup.cfg", "[metadata]\nversion = 1\n", "[metadata]\nversion = 2\n", true, "[metadata]" },
	{ "setup.cfg", "[metadata]\nname = a\n", "[metadata]\nname = b\n", false, NULL },
	{ "setup.cfg", "[mypy-pkg.*]\nstrict = true\n", "[mypy-pkg.*]\nstrict = false\n", true, "[mypy-pkg.*]" },
	{ "setup.cfg", "[options]\ninstall_requires = a\n", "[options]\ninstall_requires = b\n", false, NULL },
	{ "setup.cfg", "[s]\nk = v\n", "key before a section\n", false, NULL },
	{ "pytest.ini", "[pytest]\n", "[pytest]\n", false, NULL },
	{ "sub/pyproject.toml", "", "", false, NULL },
};

static void settings__cases(void **state)
{
	static const char *const texts[] = { "addopts = --black", "--codestyle", NULL };
	impact_settings_ctx ctx = { false, texts, 2 };
	(void)state;
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(cases); i++) {
		const scase *c = &cases[i];
		impact_buf what = IMPACT_BUF_INIT;
		bool q = impact_settings_quiet(&ctx, c->path, c->old_text, strlen(c->old_text), c->new_text,
		                               strlen(c->new_text), &what);
		if (q != c->quiet)
			fail_msg("case %zu (%s): quiet is %d", i, c->path, q);
		if (c->quiet)
			assert_string_equal(what.ptr, c->what);
		impact_buf_release(&what);
	}
	/* A parse error is cleared, not left for the caller. */
	assert_string_equal(impact_error_last(), "");
}

static void settings__test_command_reads_everything(void **state)
{
	impact_settings_ctx ctx = { true, NULL, 0 };
	impact_buf what = IMPACT_BUF_INIT;
	(void)state;
	assert_false(impact_settings_quiet(&ctx, "tox.ini", "[tox]\nenvlist = a\n", 17,
	                                   "[tox]\nenvlist = b\n", 17, &what));
	impact_buf_release(&what);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(settings__cases),
		cmocka_unit_test(settings__test_command_reads_everything),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
