/*
 * testfiles.h - which files pytest treats as test modules and conftests.
 *
 * pytest's own rules from its configuration: `python_files` patterns
 * (matched against the base name, or the whole path when the pattern has
 * a '/'), `testpaths` (when set, tests live only below them), and
 * `norecursedirs` (directories pytest never enters), --ignore and
 * --ignore-glob in addopts, and --doctest-modules. Paths only.
 */
#ifndef IMPACT_TESTFILES_H
#define IMPACT_TESTFILES_H

#include "pytestcfg.h"

/* True if `path` (repo-relative) is a test module pytest would collect. */
bool impact_testfiles_is_test(const impact_pytestcfg *cfg, const char *path);
/*
 * True if pytest collects `path` as a doctest text file (DoctestTextfile):
 * a file that is not Python matching --doctest-glob (default test*.txt),
 * below testpaths, not ignored.
 */
bool impact_testfiles_is_text_doctest(const impact_pytestcfg *cfg, const char *path);
/* True if `path` is a conftest.py in a directory pytest would enter. */
bool impact_testfiles_is_conftest(const impact_pytestcfg *cfg, const char *path);
/* True if some directory of `path` matches norecursedirs. */
bool impact_testfiles_in_ignored_dir(const impact_pytestcfg *cfg, const char *path);
/* The above, or `path` (or a folder of it) named by --ignore or --ignore-glob. */
bool impact_testfiles_ignored(const impact_pytestcfg *cfg, const char *path);
/*
 * True if, under --doctest-modules, pytest imports `path` to look for
 * doctests (DoctestModule): any module below testpaths, not ignored, but
 * setup.py, __main__.py and conftest.py (those run as conftests).
 */
bool impact_testfiles_is_doctest_module(const impact_pytestcfg *cfg, const char *path);

#endif
