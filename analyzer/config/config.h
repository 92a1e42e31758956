/*
 * config.h - impact's own configuration: rules the import graph cannot see.
 *
 * Read from `.impact.toml` at the repository root, or `[tool.impact]` in
 * `pyproject.toml` (.impact.toml wins when both exist), through the same
 * reader callback as pytest's configuration, so it comes from the side of
 * the change being analysed. Before it come the built-in rules
 * (rules/default.toml, unless `defaults = false`) and the sets named in
 * `extends` ("tractor": a shipped set; "ci/impact.toml": a file of the
 * repository). Lists append in that order; in a list of globs the last
 * match wins, so "!x" takes x back out; single values are overridden.
 * Every value remembers where it was written, for `impact rules check`,
 * --explain and --json.
 *
 * Keys may be spelled with '-' or '_' (`full-suite-on`, `full_suite_on`).
 */
#ifndef IMPACT_CONFIG_H
#define IMPACT_CONFIG_H

#include "glob.h"
#include "pytestcfg.h"

typedef struct impact_config_where {
	const char *file; /* ".impact.toml", "pyproject.toml", "tractor.toml (shipped)"; borrowed from the config */
	uint32_t line, col;
	bool builtin;     /* from a shipped rule set rather than the project */
} impact_config_where;

/* One glob of a list (paths, full-suite-on, ignore), compiled. */
typedef struct impact_pattern {
	char *text;          /* as written, a leading '!' included */
	impact_glob *glob;
	impact_config_where where;
} impact_pattern;

typedef struct impact_patterns {
	impact_pattern *v;
	size_t n, alloc;
} impact_patterns;

/* What a test entry of a rule or of `always` names. */
typedef enum impact_testspec_kind {
	IMPACT_TESTSPEC_PATH = 0, /* a file or a directory ("tests/ipc/") */
	IMPACT_TESTSPEC_NODEID,   /* "tests/test_x.py::test_y[param]" */
	IMPACT_TESTSPEC_GLOB,     /* a glob ("tests/unit/test_slow*.py"): the test files it matches */
} impact_testspec_kind;

typedef struct impact_testspec {
	char *text;          /* as written, less a trailing '/' */
	impact_testspec_kind kind;
	impact_glob *glob;   /* GLOB only */
	impact_config_where where;
} impact_testspec;

/* [[tool.impact.rule]]: when a changed path matches `paths`, run `tests` (first). */
typedef struct impact_rule {
	impact_patterns paths;   /* .gitignore-style globs, '!' excludes */
	impact_testspec *tests;
	size_t ntests;
	char *name;              /* `name`, else "rule N" (1-based, in load order) */
	bool first;              /* `first = true` (default): run before the rest */
	impact_config_where where;
} impact_rule;

/* [[tool.impact.flaky]]: a known-flaky test and the errors it is known for. */
typedef struct impact_flaky {
	char *test;            /* node id; without [..] covers every parametrization; '*' '?' wildcards */
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
	impact_strlist sources;      /* files read, in order (built-in and extends first) */
	impact_rule *rules;
	size_t nrules;
	impact_patterns full_suite_on;
	impact_patterns ignore;
	impact_patterns tool_files;  /* other tools' files: only what names them */
	impact_testspec *always;     /* tests selected whenever anything changed */
	size_t nalways;
	impact_unmatched unmatched;
	impact_flaky *flaky;
	size_t nflaky;
	/* Run settings; empty/0 = not set. */
	char *python;
	impact_strlist default_args;
	bool has_default_args;          /* set, possibly to an empty list */
	unsigned timeout;               /* seconds */
	impact_strlist test_command;    /* argv replacing `python -m pytest` */
	/*
	 * Exact-tree runs (hooks, --gate, --exact): `exact = false` keeps them
	 * in the work tree (exact_off); exact_copy lists untracked files of the
	 * work tree copied into the private checkout (repo-relative paths).
	 */
	bool exact_off;
	impact_strlist exact_copy;
	/*
	 * [audit]: what `impact audit` runs when the command line names
	 * neither --mutate nor --full. audit_mutate 0 = not set.
	 */
	unsigned audit_mutate;
	bool audit_functions;
	uint64_t audit_seed;
	impact_config_where where_audit;
	/* Where each single value was written, for messages (file NULL: default). */
	impact_config_where where_python, where_timeout, where_unmatched,
	                    where_default_args, where_test_command,
	                    where_exact;
	bool project_config;            /* the project has a configuration of its own */
	size_t alloc_rules, alloc_flaky, alloc_always; /* private */
} impact_config;

/*
 * Load the configuration through `read` (repo-relative paths), with shipped
 * rule sets looked up in `rules_dir` (NULL: $IMPACT_RULES_DIR, or when that
 * is unset the installed directory), then in the copies compiled into impact. With no
 * configuration at all, *out holds the built-in defaults (rules/default.toml).
 * Malformed TOML, unknown keys and wrong types fail with IMPACT_EINVALID,
 * "file:line:col: what is wrong (and how to fix it)". Returns 0 and *out
 * (free with impact_config_free).
 */
int impact_config_load(impact_config **out, impact_file_reader read,
                       void *payload, const char *rules_dir);
void impact_config_free(impact_config *cfg);

/*
 * The pattern of `list` that decides `path`: the last one that matches.
 * NULL when none matches or when that last match is an exclusion ("!x").
 */
const impact_pattern *impact_patterns_match(const impact_patterns *list,
                                            const char *path);

/*
 * The known-flaky entry that matches test `nodeid` failing with
 * `failure_text` (the error and traceback), or NULL.
 */
const impact_flaky *impact_config_match_flaky(const impact_config *cfg,
                                              const char *nodeid,
                                              const char *failure_text);

/* True when flaky entry `test` names `nodeid` (see impact_flaky.test). */
bool impact_config_flaky_names(const char *test, const char *nodeid);

/*
 * "file:line:col" of `where` into `out` (appended); "built-in default"
 * when it has no file.
 */
void impact_config_where_format(impact_buf *out, const impact_config_where *where);

/* The directory of installed rule sets, baked in at build time. */
const char *impact_config_rules_dir(void);

/*
 * The text of shipped rule set `name` ("default", "tractor") as compiled
 * into impact, or NULL.
 */
const char *impact_config_builtin_set(const char *name, size_t *len);

#endif
