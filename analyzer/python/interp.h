/*
 * interp.h - which Python runs the tests, and why.
 *
 * Owns the interpreter choice, in this order: $IMPACT_PYTHON; the
 * configured `python`; .venv/bin/python at the work tree root; `uv run
 * python` when the project has uv.lock and uv is on PATH; $VIRTUAL_ENV's
 * python; and last the first `python3` (then `python`) on PATH that can
 * import pytest, so a machine whose first python3 lacks pytest still
 * works. The choice comes with a one-line reason for the user.
 */
#ifndef IMPACT_INTERP_H
#define IMPACT_INTERP_H

#include "pytestcfg.h"

typedef struct impact_python {
	impact_strlist argv; /* the command prefix: {"/w/.venv/bin/python"} or {"uv", "run", "python"} */
	char *why;           /* one line: which and why; owned */
} impact_python;

/*
 * Choose for the work tree at `workdir`. `configured` is the config's
 * `python` value or NULL. Fails with IMPACT_EPYTHON and a message saying
 * what to install or set when nothing usable exists.
 */
int impact_python_choose(impact_python *out, const char *workdir,
                         const char *configured);
void impact_python_release(impact_python *py);

#endif
