/*
 * prepared.h - an interpreter started ahead of a run (impact watch).
 *
 * Owns one process of share/impact/python/impact_prepared.py: started
 * while the loop waits, it imports pytest and its installed plugins (never
 * the project's modules, which the next save may change), then waits on
 * its stdin for the run it is to become. Handing a run over costs a pipe
 * write instead of an interpreter start and pytest's imports.
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
 * Start `python_argv` + `script` in `workdir`, in a session of its own,
 * stdin a pipe, output to /dev/null until a run is handed over. Returns 0
 * and *out, or an IMPACT_E* code with the message set.
 */
int impact_prepared_start(impact_prepared **out, const impact_strlist *python_argv,
                          const char *script, const char *workdir);

/*
 * Hand the run `argv` (with `env_add`, "NAME=value" entries, NULL-
 * terminated; output appended to `output`) to the prepared process.
 * Returns 0 and *pid (the caller waits for it; `p` is spent and only to be
 * freed), or IMPACT_ENOTFOUND when the run is not one it can be or the
 * process is gone.
 */
int impact_prepared_take(impact_prepared *p, pid_t *pid, const char *const *argv,
                         const char *const *env_add, const char *output);

/* Its pid while it waits (for reaping to leave it alone), else 0. */
pid_t impact_prepared_pid(const impact_prepared *p);

/* True when the process was handed a run. */
bool impact_prepared_spent(const impact_prepared *p);

/* Stop an unused process (SIGKILL to its session, reaped) and free. NULL-safe. */
void impact_prepared_free(impact_prepared *p);

#endif
