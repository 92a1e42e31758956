/*
 * prepared.h - an interpreter started ahead of a run (impact watch).
 *
 * Owns one process of share/impact/python/impact_prepared.py: started
 * while the loop waits, it imports pytest and its installed plugins and,
 * when given test files, the project's modules they import; then it
 * reports what it imported (one JSON line on its stdout) and waits on its
 * stdin for the run it is to become. Handing a run over costs a pipe
 * write instead of an interpreter start and the imports.
 *
 * A module imported ahead goes stale when the user saves it: the report
 * says which repository files were imported (with their mtime and size as
 * imported) and the paths where a new file would shadow one of them, so
 * that the caller can ask, at each save, whether the process is stale
 * (impact_prepared_stale), and before handing it a run, whether any of
 * those files changed since (impact_prepared_changed). A stale process is
 * never to be used: the caller frees it.
 *
 * It takes only a run it can be exactly: `<its python> -m pytest <args>`,
 * output to a file; any other command line (a configured test_command, a
 * different interpreter) is refused and the caller starts the run itself.
 * The process leads its own session, so the runner's time limits, polite
 * stop and reaping apply to it as to any run.
 */
#ifndef IMPACT_PREPARED_H
#define IMPACT_PREPARED_H

#include "buf.h"

#include <sys/types.h>

typedef struct impact_prepared impact_prepared;

/*
 * Start `python_argv` + `script` + `args` (NULL: none; "--tests FILE" and
 * "--root DIR" pairs: import the project's modules those test files
 * import) in `workdir`, in a session of its own, stdin a pipe, stdout the
 * report's pipe, stderr /dev/null until a run is handed over. Returns 0
 * and *out, or an IMPACT_E* code with the message set.
 */
int impact_prepared_start(impact_prepared **out, const impact_strlist *python_argv,
                          const char *script, const impact_strlist *args, const char *workdir);

/*
 * Read its report, waiting up to `wait_ms` for it. 1 ready, 0 not yet,
 * -1 unusable (its imports failed, printed or warned; it ended; its report
 * is unreadable): impact_prepared_why says why, and it is only to be freed.
 */
int impact_prepared_ready(impact_prepared *p, int wait_ms);
const char *impact_prepared_why(const impact_prepared *p);

/* The modules it imported ahead (dotted names), from its report. */
const impact_strlist *impact_prepared_modules(const impact_prepared *p);

/*
 * Does a save of `paths` (repository-relative; a folder ends with '/')
 * make it stale? The first path that does, or NULL: a file it imported or
 * a folder above one, a path where a new module would shadow one it
 * imported (any import root), a configuration file that can change what
 * an import finds (conftest.py, pyproject.toml, setup.cfg, setup.py,
 * pytest.ini, tox.ini, *.pth, site/usercustomize.py). Its report unread
 * (or unreadable): any Python file, folder or configuration file. For a
 * process that failed too (when to try again).
 */
const char *impact_prepared_stale(const impact_prepared *p, const impact_strlist *paths);

/* The first file it imported that changed since (mtime, size), or NULL. Not ready: changed. */
const char *impact_prepared_changed(const impact_prepared *p);

/*
 * Hand the run `argv` (with `env_add`, "NAME=value" entries, NULL-
 * terminated; output appended to `output`) to the prepared process.
 * Returns 0 and *pid (the caller waits for it; `p` is spent and only to be
 * freed), or IMPACT_ENOTFOUND when the run is not one it can be or the
 * process is gone.
 */
int impact_prepared_take(impact_prepared *p, pid_t *pid, const char *const *argv,
                         const char *const *env_add, const char *output);

/* Stop the process (SIGKILL to its session, reaped), keeping its report. */
void impact_prepared_stop(impact_prepared *p);

/* Its pid while it waits (for reaping to leave it alone), else 0. */
pid_t impact_prepared_pid(const impact_prepared *p);

/* True when the process was handed a run. */
bool impact_prepared_spent(const impact_prepared *p);

/* Stop an unused process (SIGKILL to its session, reaped) and free. NULL-safe. */
void impact_prepared_free(impact_prepared *p);

#endif
