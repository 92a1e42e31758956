/*
 * test_ini.c - INI as configparser reads pytest.ini, tox.ini, setup.cfg.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "ini.h"

static void ini__values_and_lines(void **state)
{
	static const char src[] =
		"\xef\xbb\xbf# comment\n"
		"[pytest]\n"
		"; another\n"
		"testpaths = tests\n"
		"    integration\n"
		"\n"
		"Python_Files: check_*.py  ; not a comment in configparser\n"
		"addopts = -p plug --long-option-that-makes-this-line-longer-than-two-hundred-bytes-"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
		"[tool:pytest]\n"
		"empty =\n";
	impact_ini *ini = NULL;
	uint32_t line = 0;
	(void)state;
	assert_int_equal(impact_ini_parse(&ini, src, sizeof(src) - 1, "pytest.ini"), 0);
	assert_true(impact_ini_has_section(ini, "pytest"));
	assert_true(impact_ini_has_section(ini, "tool:pytest"));
	assert_false(impact_ini_has_section(ini, "nope"));
	assert_string_equal(impact_ini_get(ini, "pytest", "testpaths", &line), "tests\nintegration");
	assert_int_equal(line, 4);
	assert_string_equal(impact_ini_get(ini, "pytest", "python_files", &line),
	                    "check_*.py  ; not a comment in configparser");
	assert_int_equal(line, 7);
	assert_true(strlen(impact_ini_get(ini, "pytest", "addopts", NULL)) > 200);
	assert_string_equal(impact_ini_get(ini, "tool:pytest", "empty", NULL), "");
	assert_null(impact_ini_get(ini, "pytest", "missing", NULL));
	impact_ini_free(ini);
	impact_ini_free(NULL);
}

typedef struct ecase {
	const char *src, *message;
} ecase;

static const ecase errors[] = {
	{ "key = 1\n", "x.ini:1: a key before any [section]" },
	{ "[s\nk = v\n", "x.ini:1: a section header needs its ']'" },
	{ "[s]\njust words\n", "x.ini:2: expected 'key = value' or a [section]" },
	{ "[s]\na = 1\nA = 2\n", "x.ini:3: 'a' is set twice in [s] (keep one)" },
};

static void ini__errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(errors); i++) {
		impact_ini *ini = NULL;
		assert_int_equal(impact_ini_parse(&ini, errors[i].src, strlen(errors[i].src), "x.ini"),
		                 IMPACT_EINVALID);
		assert_null(ini);
		assert_string_equal(impact_error_last(), errors[i].message);
	}
	/* A NUL byte. */
	impact_ini *ini = NULL;
	assert_int_equal(impact_ini_parse(&ini, "[s]\na\0=1\n", 9, "x.ini"), IMPACT_EINVALID);
	assert_string_equal(impact_error_last(), "x.ini:2: a NUL byte (is this a text file?)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ini__values_and_lines),
		cmocka_unit_test(ini__errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
