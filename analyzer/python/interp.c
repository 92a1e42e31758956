/*
 * interp.c - choose the interpreter (see interp.h).
 *
 * Explicit choices ($IMPACT_PYTHON, config, a project venv) are taken as
 * they are: if they lack pytest, the pre-flight check says so rather than
 * silently running another Python. Only the last resort, PATH, is probed.
 * A relative $IMPACT_PYTHON is taken from impact's current directory, a
 * relative configured one from the work tree root (where the
 * configuration lives).
 */
#include "interp.h"

#include "child.h"

#include <unistd.h>

static bool is_executable(const char *path)
{
	return access(path, X_OK) == 0;
}

static void set(impact_python *out, const char *why, const char *a0,
                const char *a1, const char *a2)
{
	impact_strlist_push(&out->argv, a0);
	if (a1)
		impact_strlist_push(&out->argv, a1);
	if (a2)
		impact_strlist_push(&out->argv, a2);
	out->why = impact_xstrdup(why);
}

/*
 * `path` made absolute against `base` when it is relative and has a '/'
 * (a bare name is looked up in PATH when started). The child starts in
 * the work tree, so "py313/bin/python" must not be left to mean
 * something else there. Into `out` (cleared first).
 */
static void absolute(impact_buf *out, const char *path, const char *base)
{
	impact_buf_clear(out);
	if (path[0] != '/' && strchr(path, '/') && base)
		impact_buf_printf(out, "%s/", base);
	impact_buf_puts(out, path);
}

/* Does `python -c "import pytest"` succeed? */
static bool has_pytest(const char *python)
{
	const char *argv[] = { python, "-c", "import pytest", NULL };
	impact_child_opts o = { 0 };
	int status = 1;
	o.quiet = true;
	return impact_child_run(&status, argv, &o) == 0 && status == 0;
}

/* Every executable `name` on PATH, in order, appended to `out`. */
static void path_candidates(impact_strlist *out, const char *name)
{
	const char *path = getenv("PATH");
	impact_buf cand = IMPACT_BUF_INIT;
	while (path && *path) {
		const char *colon = strchr(path, ':');
		size_t len = colon ? (size_t)(colon - path) : strlen(path);
		impact_buf_clear(&cand);
		impact_buf_put(&cand, len ? path : ".", len ? len : 1);
		impact_buf_printf(&cand, "/%s", name);
		if (is_executable(cand.ptr))
			impact_strlist_push(out, cand.ptr);
		path = colon ? colon + 1 : NULL;
	}
	impact_buf_release(&cand);
}

int impact_python_choose(impact_python *out, const char *workdir,
                         const char *configured)
{
	impact_buf path = IMPACT_BUF_INIT, why = IMPACT_BUF_INIT;
	impact_strlist cands = { 0 };
	const char *env;
	char *cwd = NULL;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if ((env = getenv("IMPACT_PYTHON")) && *env) {
		cwd = getcwd(NULL, 0);
		absolute(&path, env, cwd);
		impact_buf_printf(&why, "%s (from $IMPACT_PYTHON)", path.ptr);
		set(out, why.ptr, path.ptr, NULL, NULL);
		goto done;
	}
	if (configured && *configured) {
		absolute(&path, configured, workdir);
		impact_buf_printf(&why, "%s (from the configuration's 'python')", path.ptr);
		set(out, why.ptr, path.ptr, NULL, NULL);
		goto done;
	}
	if (workdir) {
		impact_buf_clear(&path);
		impact_buf_printf(&path, "%s/.venv/bin/python", workdir);
		if (is_executable(path.ptr)) {
			impact_buf_printf(&why, "%s (the work tree's .venv)", path.ptr);
			set(out, why.ptr, path.ptr, NULL, NULL);
			goto done;
		}
		impact_buf_clear(&path);
		impact_buf_printf(&path, "%s/uv.lock", workdir);
		if (access(path.ptr, F_OK) == 0) {
			path_candidates(&cands, "uv");
			if (cands.n) {
				set(out, "uv run python (the project has uv.lock and uv is on PATH)",
				    "uv", "run", "python");
				goto done;
			}
		}
	}
	if ((env = getenv("VIRTUAL_ENV")) && *env) {
		impact_buf_clear(&path);
		impact_buf_printf(&path, "%s/bin/python", env);
		if (is_executable(path.ptr)) {
			impact_buf_printf(&why, "%s (the active virtualenv, $VIRTUAL_ENV)", path.ptr);
			set(out, why.ptr, path.ptr, NULL, NULL);
			goto done;
		}
	}
	impact_strlist_release(&cands);
	path_candidates(&cands, "python3");
	path_candidates(&cands, "python");
	for (size_t i = 0; i < cands.n; i++) {
		if (has_pytest(cands.items[i])) {
			impact_buf_printf(&why, "%s (the first python on PATH that has pytest%s)",
			                  cands.items[i], i ? "; earlier ones lack it" : "");
			set(out, why.ptr, cands.items[i], NULL, NULL);
			goto done;
		}
	}
	if (cands.n) {
		/* None has pytest: take the first, the pre-flight check will say so. */
		impact_buf_printf(&why, "%s (first python3 on PATH; no python on PATH has pytest)",
		                  cands.items[0]);
		set(out, why.ptr, cands.items[0], NULL, NULL);
		goto done;
	}
	rc = impact_error_set(IMPACT_EPYTHON,
	                      "no Python interpreter found: create .venv in the work tree, "
	                      "activate a virtualenv, or set IMPACT_PYTHON=/path/to/python");
done:
	free(cwd);
	impact_strlist_release(&cands);
	impact_buf_release(&path);
	impact_buf_release(&why);
	return rc;
}

void impact_python_release(impact_python *py)
{
	impact_strlist_release(&py->argv);
	free(py->why);
	py->why = NULL;
}
