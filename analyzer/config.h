/*
 * config.h - impact's own configuration: rules the import graph cannot see.
 *
 * Read from `.impact.toml` at the repository root, or `[tool.impact]` in
 * `pyproject.toml` (.impact.toml wins when both exist), through the same
 * reader callback as pytest's configuration, so it comes from the side of
 * the change being analysed. `extends = ["default", "tractor"]` pulls in
 * shipped rule sets from the rules directory. Every value remembers where
 * it was written, for `impact rules check` and --explain.
 */
#ifndef IMPACT_CONFIG_H
#define IMPACT_CONFIG_H

#include "pytestcfg.h"

typedef struct impact_config_where {
	const char *file; /* ".impact.toml", "pyproject.toml", "rules/tractor.toml"; borrowed from the config */
	uint32_t line, col;
} impact_config_where;

/* [[tool.impact.rule]]: when a changed path matches `paths`, run `tests` (first). */
typedef struct impact_rule {
	impact_strlist paths;  /* .gitignore-style globs */
	impact_strlist tests;  /* files, directories, node ids or globs */
	char *name;            /* optional `name`, else NULL */
	impact_config_where where;
} impact_rule;

/* [[tool.impact.flaky]]: a known-flaky test and the errors it is known for. */
typedef struct impact_flaky {
	char *test;            /* node id or glob ("tests/test_x.py::test_y*") */
	impact_strlist errors; /* substrings of the failure text; empty = any error */
	char *reason;          /* optional note, else NULL */
	impact_config_where where;
} impact_flaky;

typedef enum impact_unmatched {
	IMPACT_UNMATCHED_FULL = 0, /* default: run the full suite */
	IMPACT_UNMATCHED_IGNORE,
	IMPACT_UNMATCHED_WARN,     /* select nothing for it, but say so */
} impact_unmatched;

typedef struct impact_config {
	impact_strlist sources;      /* files read, in order (extends first) */
	impact_rule *rules;
	size_t nrules;
	impact_strlist full_suite_on;   /* globs */
	impact_strlist ignore;          /* globs */
	impact_strlist always;          /* tests always selected */
	impact_unmatched unmatched;
	impact_flaky *flaky;
	size_t nflaky;
	/* Run settings; empty/0 = not set. */
	char *python;
	impact_strlist default_args;
	bool has_default_args;          /* set, possibly to an empty list */
	unsigned timeout;               /* seconds */
	impact_strlist test_command;    /* argv replacing `python -m pytest` */
	/* Where each top-level key was written, for messages. */
	impact_config_where where_python, where_timeout, where_unmatched;
	void *priv;                     /* private */
} impact_config;

/*
 * Load the configuration through `read` (repo-relative paths), with shipped
 * rule sets looked up in `rules_dir` (NULL: the installed one). With no
 * configuration at all, *out holds the built-in defaults (rules/default.toml).
 * Malformed TOML, unknown keys and wrong types fail with IMPACT_EINVALID,
 * "file:line:col: what is wrong (and how to fix it)". Returns 0 and *out
 * (free with impact_config_free).
 */
int impact_config_load(impact_config **out, impact_file_reader read,
                       void *payload, const char *rules_dir);
void impact_config_free(impact_config *cfg);

/*
 * The known-flaky entry that matches test `nodeid` failing with
 * `failure_text` (the error and traceback), or NULL.
 */
const impact_flaky *impact_config_match_flaky(const impact_config *cfg,
                                              const char *nodeid,
                                              const char *failure_text);

/* The directory of installed rule sets, baked in at build time. */
const char *impact_config_rules_dir(void);

#endif
