/*
 * test_config.c - impact's own configuration: where it is read from, how
 * sets merge, every key's type check, glob lists with '!', test entries,
 * known-flaky naming. Files are served from an in-memory table; shipped
 * sets come from the copies compiled into the binary (rules_dir points at
 * a directory that does not exist).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "buf.h"
#include "config.h"

#define NO_DIR "/nonexistent/impact-rules"

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

static impact_config *load_ok(const file *files)
{
	impact_config *cfg = NULL;
	int rc = impact_config_load(&cfg, serve, (void *)files, NO_DIR);
	if (rc < 0)
		fail_msg("load failed: %s", impact_error_last());
	return cfg;
}

static void test_defaults_only(void **state)
{
	static const file files[] = { { NULL, NULL } };
	impact_config *cfg = load_ok(files);
	(void)state;
	assert_false(cfg->project_config);
	assert_int_equal(cfg->sources.n, 1);
	assert_string_equal(cfg->sources.items[0], "default.toml (built in)");
	assert_non_null(impact_patterns_match(&cfg->full_suite_on, "setup.cfg"));
	assert_non_null(impact_patterns_match(&cfg->full_suite_on, "sub/requirements-dev.txt"));
	assert_non_null(impact_patterns_match(&cfg->full_suite_on, "conftest.py"));
	assert_null(impact_patterns_match(&cfg->full_suite_on, "tests/conftest.py"));
	assert_non_null(impact_patterns_match(&cfg->ignore, "docs/index.rst"));
	assert_null(impact_patterns_match(&cfg->ignore, "docs/conf.py"));
	assert_int_equal(cfg->unmatched, IMPACT_UNMATCHED_FULL);
	assert_int_equal(cfg->nrules, 0);
	impact_config_free(cfg);
}

static void test_impact_toml_wins(void **state)
{
	static const file files[] = {
		{ ".impact.toml", "unmatched = \"warn\"\n" },
		{ "pyproject.toml", "[tool.impact]\nunmatched = \"ignore\"\n" },
		{ NULL, NULL } };
	impact_config *cfg = load_ok(files);
	(void)state;
	assert_true(cfg->project_config);
	assert_int_equal(cfg->unmatched, IMPACT_UNMATCHED_WARN);
	assert_string_equal(cfg->where_unmatched.file, ".impact.toml");
	assert_int_equal(cfg->where_unmatched.line, 1);
	assert_int_equal(cfg->where_unmatched.col, 13);
	impact_config_free(cfg);
}

static void test_pyproject_without_tool_impact(void **state)
{
	static const file files[] = {
		{ "pyproject.toml", "[project]\nname = \"x\"\n" }, { NULL, NULL } };
	impact_config *cfg = load_ok(files);
	(void)state;
	assert_false(cfg->project_config);
	assert_int_equal(cfg->sources.n, 1);
	impact_config_free(cfg);
}

static void test_rules_and_specs(void **state)
{
	static const file files[] = {
		{ "pyproject.toml",
		  "[[tool.impact.rule]]\nname = \"ipc\"\npaths = [\"pkg/ipc/\", \"!pkg/ipc/_version.py\"]\n"
		  "tests = [\"tests/ipc/\", \"tests/test_2way.py::test_x[a-b]\", \"tests/test_*.py\"]\n"
		  "[[tool.impact.rule]]\npaths = \"*.json\"\ntests = \"tests/test_data.py\"\nfirst = false\n" },
		{ NULL, NULL } };
	impact_config *cfg = load_ok(files);
	(void)state;
	assert_int_equal(cfg->nrules, 2);
	assert_string_equal(cfg->rules[0].name, "ipc");
	assert_true(cfg->rules[0].first);
	assert_non_null(impact_patterns_match(&cfg->rules[0].paths, "pkg/ipc/_chan.py"));
	assert_null(impact_patterns_match(&cfg->rules[0].paths, "pkg/ipc/_version.py"));
	assert_int_equal(cfg->rules[0].ntests, 3);
	assert_int_equal(cfg->rules[0].tests[0].kind, IMPACT_TESTSPEC_PATH);
	assert_string_equal(cfg->rules[0].tests[0].text, "tests/ipc");
	assert_int_equal(cfg->rules[0].tests[1].kind, IMPACT_TESTSPEC_NODEID);
	assert_int_equal(cfg->rules[0].tests[2].kind, IMPACT_TESTSPEC_GLOB);
	assert_string_equal(cfg->rules[0].where.file, "pyproject.toml");
	assert_int_equal(cfg->rules[0].where.line, 1);
	assert_string_equal(cfg->rules[1].name, "rule 2");
	assert_false(cfg->rules[1].first);
	assert_non_null(impact_patterns_match(&cfg->rules[1].paths, "a/b/c.json"));
	impact_config_free(cfg);
}

static void test_extends_order_and_negation(void **state)
{
	static const file files[] = {
		{ ".impact.toml", "full-suite-on = [\"!setup.cfg\", \"tools/*.sh\"]\nextends = [\"tractor\", \"ci/more.toml\"]\n" },
		{ "ci/more.toml", "ignore = [\"*.txt\"]\nextends = \"tractor\"\n" },
		{ NULL, NULL } };
	impact_config *cfg = load_ok(files);
	(void)state;
	/* default, tractor, ci/more.toml (tractor only once), .impact.toml */
	assert_int_equal(cfg->sources.n, 4);
	assert_string_equal(cfg->sources.items[1], "tractor.toml (built in)");
	assert_string_equal(cfg->sources.items[2], "ci/more.toml");
	assert_string_equal(cfg->sources.items[3], ".impact.toml");
	assert_null(impact_patterns_match(&cfg->full_suite_on, "setup.cfg"));
	assert_non_null(impact_patterns_match(&cfg->full_suite_on, "setup.py"));
	assert_non_null(impact_patterns_match(&cfg->full_suite_on, "tools/x.sh"));
	assert_non_null(impact_patterns_match(&cfg->ignore, "a/notes.txt"));
	assert_true(cfg->nrules >= 10);
	assert_true(cfg->nflaky >= 4);
	assert_true(cfg->rules[0].where.builtin);
	impact_config_free(cfg);
}

static void test_defaults_false(void **state)
{
	static const file files[] = {
		{ ".impact.toml", "defaults = false\n" }, { NULL, NULL } };
	impact_config *cfg = load_ok(files);
	(void)state;
	assert_int_equal(cfg->sources.n, 1);
	assert_int_equal(cfg->full_suite_on.n, 0);
	impact_config_free(cfg);
}

static void test_run_settings(void **state)
{
	static const file files[] = {
		{ ".impact.toml",
		  "python = \".venv/bin/python\"\ndefault_args = \"-x -q 'a b'\"\ntimeout = 90\n"
		  "test-command = [\"uv\", \"run\", \"pytest\"]\n"
		  "exact = false\nexact-copy = [\"local_settings.py\", \"conf/.env/\"]\n" },
		{ NULL, NULL } };
	impact_config *cfg = load_ok(files);
	(void)state;
	assert_true(cfg->exact_off);
	assert_int_equal(cfg->exact_copy.n, 2);
	assert_string_equal(cfg->exact_copy.items[1], "conf/.env");
	assert_string_equal(cfg->python, ".venv/bin/python");
	assert_true(cfg->has_default_args);
	assert_int_equal(cfg->default_args.n, 3);
	assert_string_equal(cfg->default_args.items[2], "a b");
	assert_int_equal(cfg->timeout, 90);
	assert_int_equal(cfg->test_command.n, 3);
	impact_config_free(cfg);
}

/* [tool.impact.audit]: what `impact audit` runs with neither --mutate nor --full. */
static void test_audit_table(void **state)
{
	static const file files[] = {
		{ "pyproject.toml",
		  "[tool.impact]\ntimeout = 60\n\n[tool.impact.audit]\nmutate = 12\nfunctions = true\n"
		  "seed = 7\n" },
		{ NULL, NULL } };
	static const file none[] = { { ".impact.toml", "timeout = 60\n" }, { NULL, NULL } };
	impact_config *cfg = load_ok(files);
	(void)state;
	assert_int_equal(cfg->audit_mutate, 12);
	assert_true(cfg->audit_functions);
	assert_int_equal(cfg->audit_seed, 7);
	assert_int_equal(cfg->where_audit.line, 4);
	impact_config_free(cfg);
	cfg = load_ok(none);
	assert_int_equal(cfg->audit_mutate, 0);
	assert_false(cfg->audit_functions);
	impact_config_free(cfg);
}

static void test_empty_default_args(void **state)
{
	static const file files[] = { { ".impact.toml", "default-args = []\n" }, { NULL, NULL } };
	impact_config *cfg = load_ok(files);
	(void)state;
	assert_true(cfg->has_default_args);
	assert_int_equal(cfg->default_args.n, 0);
	impact_config_free(cfg);
}

typedef struct ecase {
	const char *name, *text, *error;
} ecase;

static const ecase errors[] = {
	{ "bad_toml", "rule = [\n", ".impact.toml:" },
	{ "unknown_key", "\ncolour = 1\n", ".impact.toml:2:1: unknown key 'colour' in .impact.toml" },
	{ "wrong_type_list", "ignore = [1]\n", ".impact.toml:1:11: 'ignore' must hold strings only; item 1 is an integer" },
	{ "wrong_type_scalar", "ignore = true\n", "'ignore' must be a string or an array of strings, not a boolean" },
	{ "bad_glob", "ignore = [\"a/[b\"]\n", ".impact.toml:1:11:" },
	{ "rule_not_table", "rule = [1]\n", "each 'rule' must be a table" },
	{ "rule_no_tests", "[[rule]]\npaths = [\"a\"]\n", ".impact.toml:1:1: this rule has no 'tests'" },
	{ "rule_empty_test", "[[rule]]\npaths = [\"a\"]\ntests = [\"\"]\n", "an empty test entry" },
	{ "rule_absolute_test", "[[rule]]\npaths = [\"a\"]\ntests = [\"/etc/x\"]\n", "must be relative to the repository root" },
	{ "rule_first_type", "[[rule]]\npaths = [\"a\"]\ntests = [\"t\"]\nfirst = \"yes\"\n", "'first' must be true or false" },
	{ "flaky_unknown", "[[flaky]]\ntest = \"a::b\"\nwhy = \"x\"\n", "unknown key 'why' in a flaky entry" },
	{ "unmatched_value", "unmatched = \"maybe\"\n", "'unmatched' is \"maybe\"" },
	{ "timeout_zero", "timeout = 0\n", "'timeout' must be a whole number" },
	{ "timeout_float", "timeout = 1.5\n", "'timeout' must be a whole number" },
	{ "python_empty", "python = \"\"\n", "'python' is empty" },
	{ "audit_not_table", "audit = 3\n", "'audit' must be a table" },
	{ "audit_mutate_zero", "[audit]\nmutate = 0\n", "'audit.mutate' must be a number of mutants" },
	{ "audit_functions_type", "[audit]\nfunctions = \"yes\"\n", "'audit.functions' must be true or false" },
	{ "audit_seed_negative", "[audit]\nseed = -1\n", "'audit.seed' must be a whole number" },
	{ "audit_unknown", "[audit]\nfunction = true\n", ".impact.toml:2:1: unknown key 'function' in audit (known keys: mutate, functions, seed)" },
	{ "command_string", "test-command = \"pytest\"\n", "impact runs no shell" },
	{ "command_empty", "test-command = []\n", "'test-command' is empty" },
	{ "exact_type", "exact = \"no\"\n", "'exact' must be true or false" },
	{ "exact_copy_outside", "exact-copy = [\"../secrets\"]\n", "must be a path inside the work tree" },
	{ "exact_copy_absolute", "exact-copy = [\"/etc/passwd\"]\n", "must be a path inside the work tree" },
	{ "exact_copy_git", "exact-copy = [\".git/config\"]\n", "must be a path inside the work tree" },
	{ "extends_missing_set", "extends = [\"nope\"]\n", "no rule set named 'nope'" },
	{ "extends_bad_name", "extends = [\"a b\"]\n", "is not a rule set name" },
	{ "extends_missing_file", "extends = [\"ci/x.toml\"]\n", "'ci/x.toml' does not exist in the repository" },
	{ "extends_outside", "extends = [\"../x.toml\"]\n", "relative to the repository root" },
	{ "extends_self", "extends = [\".impact.toml\"]\n", "cycle" },
	{ "defaults_type", "defaults = 1\n", "'defaults' must be true or false" },
	{ "shlex_error", "default-args = \"-k 'x\"\n", "'default-args':" },
};

static void test_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		file files[] = { { ".impact.toml", errors[i].text }, { NULL, NULL } };
		impact_config *cfg = (impact_config *)1;
		int rc = impact_config_load(&cfg, serve, files, NO_DIR);
		if (rc != IMPACT_EINVALID || !strstr(impact_error_last(), errors[i].error))
			fail_msg("%s: rc %d, message '%s', wanted '%s'", errors[i].name, rc,
			         impact_error_last(), errors[i].error);
		assert_null(cfg);
	}
}

static void test_flaky_naming(void **state)
{
	static const struct { const char *test, *nodeid; bool yes; } cases[] = {
		{ "t.py::test_a", "t.py::test_a", true },
		{ "t.py::test_a", "t.py::test_a[1-2]", true },
		{ "t.py::test_a", "t.py::test_ab", false },
		{ "t.py::test_a[1]", "t.py::test_a[1]", true },
		{ "t.py::test_a[1]", "t.py::test_a[2]", false },
		{ "t.py::test_example[we_are_processes.py]", "t.py::test_example[we_are_processes.py]", true },
		{ "t.py::test_t*", "t.py::test_timing", true },
		{ "t.py::test_t*", "u.py::test_timing", false },
		{ "*::test_?", "a/b.py::test_x", true },
		{ "*::test_?", "a/b.py::test_xy", false },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (impact_config_flaky_names(cases[i].test, cases[i].nodeid) != cases[i].yes)
			fail_msg("'%s' vs '%s': expected %d", cases[i].test, cases[i].nodeid, cases[i].yes);
}

static void test_flaky_match_errors(void **state)
{
	static const file files[] = {
		{ ".impact.toml",
		  "[[flaky]]\ntest = \"t.py::a\"\nerrors = [\"TooSlowError\", \"pexpect.TIMEOUT\"]\nreason = \"slow\"\n"
		  "[[flaky]]\ntest = \"t.py::b\"\n" },
		{ NULL, NULL } };
	impact_config *cfg = load_ok(files);
	(void)state;
	assert_non_null(impact_config_match_flaky(cfg, "t.py::a", "E trio.TooSlowError"));
	assert_null(impact_config_match_flaky(cfg, "t.py::a", "E ValueError"));
	assert_null(impact_config_match_flaky(cfg, "t.py::a", NULL));
	assert_non_null(impact_config_match_flaky(cfg, "t.py::b", "anything"));
	assert_null(impact_config_match_flaky(cfg, "t.py::c", "TooSlowError"));
	assert_string_equal(impact_config_match_flaky(cfg, "t.py::a[x]", "TooSlowError")->reason, "slow");
	impact_config_free(cfg);
}

static void test_dash_and_underscore(void **state)
{
	static const file files[] = {
		{ ".impact.toml", "full_suite_on = [\"x\"]\n\"full-suite-on\" = [\"y\"]\n" }, { NULL, NULL } };
	impact_config *cfg = load_ok(files);
	(void)state;
	assert_non_null(impact_patterns_match(&cfg->full_suite_on, "x"));
	assert_non_null(impact_patterns_match(&cfg->full_suite_on, "y"));
	impact_config_free(cfg);
}

static void test_builtin_sets_parse(void **state)
{
	(void)state;
	for (const char *const *n = (const char *const[]){ "default", "tractor", NULL }; *n; n++) {
		size_t len = 0;
		assert_non_null(impact_config_builtin_set(*n, &len));
		assert_true(len > 100);
	}
	assert_null(impact_config_builtin_set("nope", &(size_t){ 0 }));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_only),
		cmocka_unit_test(test_impact_toml_wins),
		cmocka_unit_test(test_pyproject_without_tool_impact),
		cmocka_unit_test(test_rules_and_specs),
		cmocka_unit_test(test_extends_order_and_negation),
		cmocka_unit_test(test_defaults_false),
		cmocka_unit_test(test_run_settings),
		cmocka_unit_test(test_empty_default_args),
		cmocka_unit_test(test_audit_table),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_flaky_naming),
		cmocka_unit_test(test_flaky_match_errors),
		cmocka_unit_test(test_dash_and_underscore),
		cmocka_unit_test(test_builtin_sets_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
