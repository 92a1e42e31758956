/*
 * pytestcfg.h - the parts of pytest's configuration that decide which files
 * are tests and what they can import.
 *
 * Reads, in pytest's order of precedence, the first of: pytest.toml /
 * .pytest.toml (pytest 9), pytest.ini / .pytest.ini, pyproject.toml with
 * [tool.pytest.ini_options] (or pytest 9's native [tool.pytest]),
 * tox.ini with [pytest], setup.cfg with [tool:pytest], at the repository
 * root. Missing keys keep pytest's defaults. Files are read through a
 * callback so the configuration comes from the snapshot being analysed, not
 * necessarily from the disk.
 */
#ifndef IMPACT_PYTESTCFG_H
#define IMPACT_PYTESTCFG_H

#include "buf.h"
#include "collectignore.h"

/*
 * Append the content of repo-relative `path` to `out`. Return 0,
 * IMPACT_ENOTFOUND when there is no such file, or another error.
 */
typedef int (*impact_file_reader)(impact_buf *out, const char *path,
                                  void *payload);

typedef enum impact_import_mode {
	IMPACT_IMPORT_MODE_PREPEND = 0,
	IMPACT_IMPORT_MODE_APPEND,
	IMPACT_IMPORT_MODE_IMPORTLIB,
} impact_import_mode;

typedef struct impact_pytestcfg {
	char *inifile;               /* the file used ("pyproject.toml"), NULL if none; owned */
	impact_strlist python_files; /* default: test_*.py *_test.py */
	impact_strlist testpaths;    /* default: empty (= rootdir) */
	impact_strlist pythonpath;   /* default: empty; repo-relative, normalised */
	impact_strlist norecursedirs;/* default: pytest's list */
	impact_strlist addopts;      /* split like a shell would (shlex) */
	impact_strlist plugins;      /* modules named by -p in addopts (not "no:x"), and the
	                                project's own pytest11 entry points */
	impact_strlist ignore;       /* --ignore paths in addopts, repo-relative */
	impact_strlist ignore_glob;  /* --ignore-glob patterns in addopts */
	impact_strlist doctest_glob; /* --doctest-glob patterns in addopts; none: test*.txt */
	impact_import_mode import_mode; /* from --import-mode in addopts */
	bool doctest_modules;        /* --doctest-modules in addopts: every module is collected */
	impact_conftest_ignores conftest_ignores; /* conftest.py collect_ignore(_glob); filled by
	                                             the project (impact_project_build), not the load */
} impact_pytestcfg;

/*
 * Load the configuration through `read`. A malformed config file gives
 * IMPACT_EINVALID with "file:line:col: what" (never a silent default).
 * Returns 0 and fills *out (release with impact_pytestcfg_release);
 * with no config file at all, *out holds pytest's defaults.
 */
int impact_pytestcfg_load(impact_pytestcfg *out, impact_file_reader read,
                          void *payload);
void impact_pytestcfg_release(impact_pytestcfg *cfg);

/*
 * Split `s` into words like Python's shlex.split (quotes, backslashes),
 * appending to `out`. IMPACT_EINVALID on an unterminated quote.
 */
int impact_shlex_split(impact_strlist *out, const char *s);

/*
 * Whether a file of this base name can hold pytest's configuration (any
 * folder: a change to one may change what impact_pytestcfg_load reads).
 */
bool impact_pytestcfg_is_config_name(const char *base);

#endif
