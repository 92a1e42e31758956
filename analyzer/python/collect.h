/*
 * collect.h - what custom collectors turn into tests.
 *
 * A conftest.py (or a plugin it or pytest's addopts loads) that defines
 * pytest_collect_file makes pytest collect files that are not Python test
 * modules: YAML specs, .txt snippets, example files. Those files are test
 * targets, and their code is whatever the collecting module reaches.
 *
 * Owns finding the collectors of a project and deciding which files each
 * collects: under the conftest's folder (the root for a -p plugin), with
 * the suffixes the hook's code names (".yaml", "*.txt", endswith("_spec.md"));
 * when the code names none, every non-Python file there (safety first).
 * The hook's source is read once per collecting module; there are few.
 */
#ifndef IMPACT_COLLECT_H
#define IMPACT_COLLECT_H

#include "common.h"
#include "pytestcfg.h"

typedef struct impact_project impact_project;

typedef struct impact_collector {
	uint32_t module;         /* project file id of the module defining the hook */
	uint32_t scope;          /* the conftest that brings it in (== module for a conftest) */
	uint32_t hook_line;      /* 1-based line of `def pytest_collect_file` */
	char *dir;               /* folder it collects under, "" = the root */
	impact_strlist suffixes; /* file name endings; empty = every non-Python file */
} impact_collector;

typedef struct impact_collectors {
	impact_collector *v;
	size_t n, alloc;
} impact_collectors;

/*
 * Find the collectors of `p` (modules flagged IMPACT_PYFACTS_COLLECT_HOOK;
 * the project's graph must be frozen). Unreadable sources give a
 * collector of every non-Python file under its folder. Appends to *out.
 */
void impact_collectors_find(impact_collectors *out, impact_project *p);
void impact_collectors_release(impact_collectors *c);

/* True when collector `c` collects repo-relative `path` (never a .py file). */
bool impact_collector_collects(const impact_collector *c, const char *path);

/*
 * The suffixes named in the body of `def pytest_collect_file` found at
 * 1-based `line` of `src`: string literals ".ext", "*.ext", and the
 * argument of endswith(...). Appended to `out`. Exposed for tests.
 */
void impact_collect_suffixes(impact_strlist *out, const char *src, size_t len, uint32_t line);

#endif
