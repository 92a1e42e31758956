/*
 * run.h - pytest's command for the selected tests, and what surrounds it.
 *
 * Owns the command line (the configuration's test_command or `<python>
 * -m pytest`; the default flags `-x --tb=short --no-header` or the
 * configuration's default_args; the user's arguments after `--`; the
 * targets, files or node ids), what impact adds for itself behind them
 * (its pytest plugin, --junitxml), the environment of the run (the
 * IMPACT_RUN_ID marker, the plugin's event file and folder), the default
 * time limit, and where the plugin is installed. Starting the command,
 * bounding it and cleaning up are cli/runner.c's, with child.c and reap.c.
 */
#ifndef IMPACT_RUN_H
#define IMPACT_RUN_H

#include "config.h"
#include "interp.h"

/* The plugin's module name, for `-p`. */
#define IMPACT_RUN_PLUGIN "impact_pytest_plugin"

typedef struct impact_run_opts {
	const impact_python *python;
	const impact_strlist *test_command; /* NULL or empty: <python> -m pytest */
	const char *const *flags;           /* the default flags chosen */
	size_t nflags;
	const char *const *extra;           /* after `--` */
	size_t nextra;
	const char *const *targets;         /* files or node ids; none = pytest's own collection */
	size_t ntargets;
	const char *workdir;                /* where pytest runs (impact_run_target_args) */
} impact_run_opts;

/*
 * The one way targets (repository paths, or node ids "path::rest") become
 * arguments of pytest run in `workdir`, appended to `out`: each path is
 * what pytest reads as that file. A path starting with '-' or '@' gets
 * "./" (else an option, or an argument file for pytest >= 8.2). pytest
 * has no escape for "::" (node id separator) or "[" (start of a parameter
 * id) in a path: such a target becomes the nearest folder above it that
 * pytest can take ("." at worst), once, which runs more and never less;
 * the original target is appended to `unsafe` (may be NULL) for the
 * caller to say so, and other targets inside that folder are left out
 * (pytest would run them twice). `workdir` (may be NULL) tells which "::"
 * ends the file part when a file's own name holds one. Cannot fail.
 */
void impact_run_target_args(impact_strlist *out, impact_strlist *unsafe, const char *workdir,
                            const char *const *targets, size_t ntargets);

/* `<python> -m pytest`, or the configured test_command, appended to `out`. */
void impact_run_pytest(impact_strlist *out, const impact_python *python,
                       const impact_strlist *test_command);

/*
 * The command as the user should see it, appended to `out`: pytest, the
 * default flags, the user's arguments, then the targets (after the user's
 * flags, behind no "--", so pytest takes them as paths), each through
 * impact_run_target_args.
 */
void impact_run_argv(impact_strlist *out, const impact_run_opts *opts);

/*
 * What impact appends for itself: `-p impact_pytest_plugin` when
 * `plugin_dir` is not NULL, and `--junitxml=<junit_path>` (last, so it
 * wins over a user's own --junitxml, which the runner honours itself)
 * when `junit_path` is not NULL.
 */
void impact_run_argv_private(impact_strlist *out, const char *plugin_dir,
                             const char *junit_path);

/*
 * The default flags: none with `none` (--no-default-flags), else the
 * configuration's default_args when it sets them, else -x --tb=short
 * --no-header. Appended to `out`.
 */
void impact_run_default_flags(impact_strlist *out, const impact_config *config, bool none);

/*
 * The run's time limit in seconds: `option` (--timeout) if not 0, else
 * the configuration's timeout, else 120 s for one test file and 600 s for
 * more (or for the whole suite, `ntargets` 0). Node ids of one file count
 * as one file.
 */
unsigned impact_run_time_limit(unsigned option, const impact_config *config,
                               const char *const *targets, size_t ntargets);

/*
 * The folder holding the plugin (impact_pytest_plugin.py), or NULL when
 * it is not installed: $IMPACT_DATA_DIR/python when that variable is set,
 * else the installed data folder, else the source tree's (an uninstalled
 * build). Caller frees.
 */
char *impact_run_plugin_dir(void);

/*
 * IMPACT_RECORD_CTRACE_DIR=<build tree's share/impact/python> (appended to
 * `out`) when `plugin_dir` is the source tree's and the build made the
 * recorder's C tracer there: an uninstalled build records with it too.
 * Nothing otherwise (an installed one sits beside the recorder), nor when
 * the variable is set already.
 */
void impact_run_ctrace_env(impact_strlist *out, const char *plugin_dir);

/*
 * Environment entries ("NAME=value", appended to `out`) for a run:
 * IMPACT_RUN_ID=<run_id>; with a plugin, IMPACT_EVENTS=<events_path> and
 * PYTHONPATH with `plugin_dir` after what the user already has there.
 */
void impact_run_env(impact_strlist *out, const char *run_id,
                    const char *plugin_dir, const char *events_path);

#endif
