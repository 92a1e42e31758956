/*
 * test_pytestcfg.c - pytest's configuration: which file wins, each key in
 * INI and TOML form, addopts, pythonpath, defaults and errors. Files are
 * served from an in-memory table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "buf.h"
#include "pytestcfg.h"

typedef struct file {
	const char *path, *content;
} file;

static int serve(impact_buf *out, const char *path, void *payload)
{
	for (const file *f = payload; f->path; f++)
		if (!strcmp(f->path, path))
			return impact_buf_puts(out, f->content);
	return impact_error_set(IMPACT_ENOTFOUND, "'%s' does not exist", path);
}

static void join(impact_buf *b, const impact_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		impact_buf_printf(b, "%s%s", i ? "|" : "", l->items[i]);
}

typedef struct pcase {
	const char *name;
	file files[4];
	/* Expected: inifile; python_files; testpaths; pythonpath; plugins; doctest. */
	const char *inifile, *python_files, *testpaths, *pythonpath, *plugins;
	bool doctest;
	const char *error; /* prefix of the message, or NULL */
} pcase;

static const pcase cases[] = {
	{ "defaults", { { NULL, NULL } }, NULL, "test_*.py|*_test.py", "", "", "", false, NULL },
	{ "pytest_ini", { { "pytest.ini", "[pytest]\npython_files = check_*.py \"a b.py\"\ntestpaths = t1\n  t2\n" }, { NULL, NULL } },
	  "pytest.ini", "check_*.py|a b.py", "t1|t2", "", "", false, NULL },
	{ "empty_pytest_ini_wins", { { "pytest.ini", "" }, { "pyproject.toml", "[tool.pytest.ini_options]\ntestpaths = [\"x\"]\n" }, { NULL, NULL } },
	  "pytest.ini", "test_*.py|*_test.py", "", "", "", false, NULL },
	{ "pyproject_ini_options", { { "pyproject.toml", "[tool.pytest.ini_options]\ntestpaths = [\"tests\"]\npythonpath = \"src ./lib/ a/../b\"\naddopts = \"-p myplug -pother -p no:cacheprovider --doctest-modules --import-mode=importlib\"\n" }, { NULL, NULL } },
	  "pyproject.toml", "test_*.py|*_test.py", "tests", "src|lib|b", "myplug|other", true, NULL },
	{ "pyproject_without_table_skipped", { { "pyproject.toml", "[project]\nname = \"p\"\n" }, { "tox.ini", "[pytest]\ntestpaths = tt\n" }, { NULL, NULL } },
	  "tox.ini", "test_*.py|*_test.py", "tt", "", "", false, NULL },
	{ "pyproject_native_table", { { "pyproject.toml", "[tool.pytest]\npython_files = [\"t_*.py\"]\n" }, { NULL, NULL } },
	  "pyproject.toml", "t_*.py", "", "", "", false, NULL },
	{ "pytest_toml_first", { { "pytest.toml", "[pytest]\ntestpaths = [\"a\"]\n" }, { "pytest.ini", "[pytest]\ntestpaths = b\n" }, { NULL, NULL } },
	  "pytest.toml", "test_*.py|*_test.py", "a", "", "", false, NULL },
	{ "setup_cfg", { { "setup.cfg", "[metadata]\nname = x\n[tool:pytest]\nnorecursedirs = build\npythonpath = . ../outside\n" }, { NULL, NULL } },
	  "setup.cfg", "test_*.py|*_test.py", "", "", "", false, NULL },
	{ "tox_without_section_skipped", { { "tox.ini", "[tox]\nenvlist = py3\n" }, { NULL, NULL } },
	  NULL, "test_*.py|*_test.py", "", "", "", false, NULL },
	{ "type_error", { { "pyproject.toml", "[tool.pytest.ini_options]\npython_files = 5\n" }, { NULL, NULL } },
	  NULL, NULL, NULL, NULL, NULL, false, "pyproject.toml:2:16: 'python_files' must be a string or a list of strings, not an integer" },
	{ "list_type_error", { { "pyproject.toml", "[tool.pytest.ini_options]\ntestpaths = [\"a\", 1]\n" }, { NULL, NULL } },
	  NULL, NULL, NULL, NULL, NULL, false, "pyproject.toml:2:19: 'testpaths' must be a list of strings, not of an integer" },
	{ "malformed_toml", { { "pyproject.toml", "[tool.pytest.ini_options\n" }, { NULL, NULL } },
	  NULL, NULL, NULL, NULL, NULL, false, "pyproject.toml:1:" },
	{ "malformed_ini", { { "pytest.ini", "[pytest]\nnonsense line\n" }, { NULL, NULL } },
	  NULL, NULL, NULL, NULL, NULL, false, "pytest.ini:2: expected" },
	{ "unterminated_quote", { { "pytest.ini", "[pytest]\naddopts = -k \"oops\n" }, { NULL, NULL } },
	  NULL, NULL, NULL, NULL, NULL, false, "pytest.ini:2: 'addopts': no closing quotation" },
};

static void pytestcfg__cases(void **state)
{
	int failures = 0;
	(void)state;
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(cases); i++) {
		const pcase *c = &cases[i];
		impact_pytestcfg cfg;
		impact_buf got = IMPACT_BUF_INIT, want = IMPACT_BUF_INIT;
		int rc = impact_pytestcfg_load(&cfg, serve, (void *)c->files);
		if (rc < 0) {
			impact_buf_printf(&got, "ERR %s", impact_error_last());
		} else {
			impact_buf_printf(&got, "%s;", cfg.inifile ? cfg.inifile : "-");
			join(&got, &cfg.python_files);
			impact_buf_putc(&got, ';');
			join(&got, &cfg.testpaths);
			impact_buf_putc(&got, ';');
			join(&got, &cfg.pythonpath);
			impact_buf_putc(&got, ';');
			join(&got, &cfg.plugins);
			impact_buf_printf(&got, ";%d", cfg.doctest_modules);
			impact_pytestcfg_release(&cfg);
		}
		if (c->error)
			impact_buf_printf(&want, "ERR %s", c->error);
		else
			impact_buf_printf(&want, "%s;%s;%s;%s;%s;%d", c->inifile ? c->inifile : "-",
			                  c->python_files, c->testpaths, c->pythonpath, c->plugins, c->doctest);
		if (c->error ? strncmp(got.ptr, want.ptr, want.size) : strcmp(got.ptr, want.ptr)) {
			print_error("case %s:\n  want %s\n  got  %s\n", c->name, want.ptr, got.ptr);
			failures++;
		}
		impact_buf_release(&got);
		impact_buf_release(&want);
	}
	assert_int_equal(failures, 0);
}

static void pytestcfg__import_mode_and_norecurse(void **state)
{
	file files[] = { { "pytest.ini", "[pytest]\naddopts = --import-mode append\nnorecursedirs = a b\n" }, { NULL, NULL } };
	impact_pytestcfg cfg;
	(void)state;
	assert_int_equal(impact_pytestcfg_load(&cfg, serve, files), 0);
	assert_int_equal(cfg.import_mode, IMPACT_IMPORT_MODE_APPEND);
	assert_int_equal(cfg.norecursedirs.n, 2);
	assert_string_equal(cfg.norecursedirs.items[1], "b");
	impact_pytestcfg_release(&cfg);
}

typedef struct scase {
	const char *in, *out; /* words joined by '|'; out NULL = error */
} scase;

static const scase shlex_cases[] = {
	{ "a b  c", "a|b|c" },
	{ "'a b' \"c d\"", "a b|c d" },
	{ "x\\ y", "x y" },
	{ "\"q\\\"uote\" 'lit\\n'", "q\"uote|lit\\n" },
	{ "a#b # c", "a#b|#|c" },
	{ "", "" },
	{ "  ", "" },
	{ "'open", NULL },
	{ "end\\", NULL },
};

static void shlex__cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(shlex_cases); i++) {
		impact_strlist l = { 0 };
		impact_buf got = IMPACT_BUF_INIT;
		int rc = impact_shlex_split(&l, shlex_cases[i].in);
		if (!shlex_cases[i].out) {
			assert_int_equal(rc, IMPACT_EINVALID);
		} else {
			assert_int_equal(rc, 0);
			join(&got, &l);
			assert_string_equal(got.ptr, shlex_cases[i].out);
		}
		impact_strlist_release(&l);
		impact_buf_release(&got);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pytestcfg__cases),
		cmocka_unit_test(pytestcfg__import_mode_and_norecurse),
		cmocka_unit_test(shlex__cases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
