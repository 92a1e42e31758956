/*
 * preflight.c - import and collection checks before a run (see preflight.h).
 *
 * The interpreter check is one Python start (a few tens of milliseconds
 * plus the packages' own import time), printing one JSON object per line.
 * pytest is looked up, not imported (importing it costs ~150 ms; a pytest
 * that is found but broken fails the collection check, which says why).
 * Where a package comes from is asked with importlib.util.find_spec, which
 * locates a top-level module without running it, after dropping the
 * current folder from sys.path: what answers then is what the environment
 * provides (site-packages, .pth files, editable-install finders,
 * PYTHONPATH), which is what a subprocess started elsewhere would import.
 * A package that is not found at all is no error: pytest may put its
 * folder on sys.path itself, and the collection check will tell.
 */
#include "preflight.h"

#include <dirent.h>
#include <jansson.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

static const char python_script[] =
	"import importlib, importlib.util, json, os, sys\n"
	"def out(**kw):\n"
	"    print(json.dumps(kw), flush=True)\n"
	"def text(s):\n"
	"    return ' '.join(str(s).encode('utf-8', 'surrogateescape').decode('utf-8', 'replace').split())\n"
	"def err(e):\n"
	"    return text('%s: %s' % (type(e).__name__, e))\n"
	"out(k='version', v='%d%d' % sys.version_info[:2])\n"
	"mode, names = sys.argv[1], sys.argv[2:]\n"
	"if 'p' in mode:\n"
	"    try:\n"
	"        found = importlib.util.find_spec('pytest') is not None\n"
	"    except BaseException:\n"
	"        found = False\n"
	"    out(k='pytest' if found else 'nopytest', v='' if found else 'No module named pytest')\n"
	"if 'w' in mode or 'x' in mode:\n"
	"    saved, here = list(sys.path), os.getcwd()\n"
	"    drop = ('', '.', here) if 'w' in mode else ('', '.')\n"
	"    sys.path[:] = [p for p in sys.path if p not in drop]\n"
	"    for name in names:\n"
	"        try:\n"
	"            spec = importlib.util.find_spec(name)\n"
	"        except BaseException:\n"
	"            spec = None\n"
	"        where = ''\n"
	"        if spec is not None:\n"
	"            where = spec.origin if spec.origin not in (None, 'namespace') else ''\n"
	"            if not where and spec.submodule_search_locations:\n"
	"                where = list(spec.submodule_search_locations)[0]\n"
	"        if where:\n"
	"            where = os.path.realpath(where)\n"
	"        out(k='where', n=name, v=text(where) if where else '')\n"
	"    sys.path[:] = saved\n"
	"    importlib.invalidate_caches()\n"
	"if 's' in mode:\n"
	"    for name in names:\n"
	"        try:\n"
	"            importlib.import_module(name)\n"
	"            out(k='import', n=name, v='')\n"
	"        except ModuleNotFoundError as e:\n"
	"            out(k='import', n=name, v='' if e.name == name else err(e), missing=e.name == name)\n"
	"        except BaseException as e:\n"
	"            out(k='import', n=name, v=err(e))\n";

bool impact_preflight_missing_top(const char *text, char *name, size_t size)
{
	static const char needle[] = "No module named '";
	const char *at = NULL, *end;
	size_t n;
	for (const char *s = text ? strstr(text, needle) : NULL; s; s = strstr(s + 1, needle))
		at = s + sizeof(needle) - 1;
	if (!at || !(end = strchr(at, '\'')))
		return false;
	n = (size_t)(end - at);
	if (!n || n >= size || memchr(at, '.', n))
		return false;
	memcpy(name, at, n);
	name[n] = '\0';
	return true;
}

static bool is_identifier(const char *s)
{
	if (!*s || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

static bool is_test_name(const char *name)
{
	static const char *const skip[] = { "docs", "doc", "examples", "example", "benchmarks", "bench" };
	size_t n = strlen(name);
	if (!strncmp(name, "test", 4) || !strncmp(name, "_test", 5))
		return true;
	if (n > 5 && !strcmp(name + n - 5, "_test"))
		return true;
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(skip); i++)
		if (!strcmp(name, skip[i]))
			return true;
	return false;
}

/* Does folder `dir` hold non-test code: a module other than tests and conftest, or a non-empty __init__.py? */
static bool has_code(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	bool code = false;
	impact_buf p = IMPACT_BUF_INIT;
	if (!d)
		return false;
	while (!code && (de = readdir(d)) != NULL) {
		const char *n = de->d_name;
		size_t len = strlen(n);
		struct stat st;
		if (len < 4 || strcmp(n + len - 3, ".py") || !strcmp(n, "conftest.py") ||
		    !strncmp(n, "test_", 5) || (len > 8 && !strcmp(n + len - 8, "_test.py")))
			continue;
		if (!strcmp(n, "__init__.py")) {
			impact_buf_clear(&p);
			impact_buf_printf(&p, "%s/%s", dir, n);
			code = stat(p.ptr, &st) == 0 && st.st_size > 0;
			continue;
		}
		code = true;
	}
	closedir(d);
	impact_buf_release(&p);
	return code;
}

static void packages_in(impact_strlist *out, const char *base)
{
	DIR *d = opendir(base);
	struct dirent *de;
	impact_buf p = IMPACT_BUF_INIT;
	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		const char *name = de->d_name;
		bool dup = false;
		if (!is_identifier(name) || is_test_name(name))
			continue;
		impact_buf_clear(&p);
		impact_buf_printf(&p, "%s/%s/__init__.py", base, name);
		if (access(p.ptr, F_OK) != 0)
			continue;
		impact_buf_truncate(&p, p.size - strlen("/__init__.py"));
		if (!has_code(p.ptr))
			continue;
		for (size_t k = 0; k < out->n && !dup; k++)
			dup = !strcmp(out->items[k], name);
		if (!dup)
			impact_strlist_push(out, name);
	}
	closedir(d);
	impact_buf_release(&p);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void impact_preflight_packages(impact_strlist *out, const char *workdir)
{
	impact_buf src = IMPACT_BUF_INIT;
	size_t first = out->n;
	packages_in(out, workdir);
	impact_buf_printf(&src, "%s/src", workdir);
	packages_in(out, src.ptr);
	impact_buf_release(&src);
	if (out->n > first) /* qsort(NULL, 0, ...) is undefined */
		qsort(out->items + first, out->n - first, sizeof(char *), cmp_str);
}

/* Does `path` (real) lie inside `dir` (real)? */
static bool inside(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

int impact_preflight_python_start(impact_preflight *pf, impact_preflight_job *job,
                                  const impact_strlist *pkgs, bool worktree, bool smoke)
{
	impact_strlist argv = { 0 };
	impact_buf mode = IMPACT_BUF_INIT;
	impact_child_opts co = { 0 };
	int rc = 0;

	memset(job, 0, sizeof(*job));
	job->child.fd = -1;
	if (!pf->custom_command)
		impact_buf_putc(&mode, 'p');
	if ((worktree || pf->exact) && pkgs->n)
		impact_buf_putc(&mode, pf->exact ? 'x' : 'w');
	if (smoke && pkgs->n)
		impact_buf_putc(&mode, 's');
	if (mode.size) {
		for (size_t i = 0; i < pf->python->argv.n; i++)
			impact_strlist_push(&argv, pf->python->argv.items[i]);
		impact_strlist_push(&argv, "-c");
		impact_strlist_push(&argv, python_script);
		impact_strlist_push(&argv, mode.ptr);
		for (size_t i = 0; i < pkgs->n; i++)
			impact_strlist_push(&argv, pkgs->items[i]);
		co.cwd = pf->workdir;
		co.env_add = pf->env_add;
		rc = impact_child_capture_start(&job->child, impact_child_argv(&argv), &co);
		if (rc == IMPACT_ENOTFOUND)
			rc = impact_error_set(IMPACT_EPYTHON, "cannot start '%s': it does not exist (set "
			                      "IMPACT_PYTHON to a Python that has pytest)", argv.items[0]);
		job->started = rc == 0;
	}
	impact_strlist_release(&argv);
	impact_buf_release(&mode);
	return rc;
}

bool impact_preflight_python_poll(impact_preflight_job *job)
{
	return !job->started || impact_child_capture_poll(&job->child);
}

void impact_preflight_job_release(impact_preflight_job *job)
{
	impact_child_job_release(&job->child);
	job->started = false;
}

int impact_preflight_python(impact_preflight *pf, const impact_strlist *pkgs,
                            bool worktree, bool smoke)
{
	impact_preflight_job job;
	int rc = impact_preflight_python_start(pf, &job, pkgs, worktree, smoke);
	if (rc == 0)
		rc = impact_preflight_python_finish(pf, &job);
	impact_preflight_job_release(&job);
	return rc;
}

int impact_preflight_python_finish(impact_preflight *pf, impact_preflight_job *job)
{
	impact_buf bad = IMPACT_BUF_INIT;
	const impact_buf *output = &job->child.out;
	char *realwd = NULL;
	const char *outside = NULL, *outside_where = NULL, *nopytest = NULL;
	json_t **docs = NULL;
	size_t ndocs = 0, adocs = 0;
	int status = 0, rc = 0;

	pf->end = IMPACT_CHILD_EXITED;
	if (!job->started)
		return 0; /* nothing to check */
	if ((rc = impact_child_capture_finish(&job->child, &status, &pf->end, pf->limits)) < 0)
		goto done;
	if (pf->end != IMPACT_CHILD_EXITED) {
		rc = impact_error_set(IMPACT_ERROR, "the pre-flight check was %s",
		                      pf->end == IMPACT_CHILD_TIMED_OUT ? "stopped at the time limit"
		                                                        : "interrupted");
		goto done;
	}
	if (!output->ptr)
		goto parse_done;

	realwd = realpath(pf->workdir, NULL);
	for (const char *line = output->ptr; *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		json_t *doc = len && *line == '{' ? json_loadb(line, len, 0, NULL) : NULL;
		const char *k = json_string_value(json_object_get(doc, "k"));
		const char *n = json_string_value(json_object_get(doc, "n"));
		const char *v = json_string_value(json_object_get(doc, "v"));
		line += len + (nl ? 1 : 0);
		if (!doc)
			continue;
		IMPACT_PUSH(docs, ndocs, adocs, doc);
		if (!k || !v)
			continue;
		if (!strcmp(k, "version"))
			snprintf(pf->version, sizeof(pf->version), "%s", v);
		else if (!strcmp(k, "nopytest"))
			nopytest = v;
		else if (!strcmp(k, "where") && n && *v && !outside &&
		         !inside(v, realwd ? realwd : pf->workdir)) {
			outside = n;
			outside_where = v;
		} else if (!strcmp(k, "import") && n && *v) {
			impact_buf_printf(&bad, "%s'%s' raises %s", bad.size ? "; " : "", n, v);
		}
	}
parse_done:
	if (!pf->version[0]) {
		impact_buf msg = IMPACT_BUF_INIT;
		const char *base = output->ptr ? output->ptr : "";
		const char *end = base + output->size, *start;
		while (end > base && (end[-1] == '\n' || end[-1] == ' '))
			end--;
		start = end;
		while (start > base && start[-1] != '\n')
			start--;
		impact_buf_put(&msg, start, (size_t)(end - start));
		rc = impact_error_set(IMPACT_EPYTHON, "'%s' does not run as a Python interpreter "
		                      "(exit %d%s%s): set IMPACT_PYTHON to a working one",
		                      pf->python->argv.items[0], status, msg.size ? ": " : "",
		                      msg.size ? msg.ptr : "");
		impact_buf_release(&msg);
	} else if (nopytest) {
		rc = impact_error_set(IMPACT_EPYTHON,
		                      "pytest is not importable in '%s' (%s): install it there "
		                      "('%s -m pip install pytest', or for Debian's python3 'apt-get "
		                      "install python3-pytest'), or set IMPACT_PYTHON to a Python that has it",
		                      pf->python->argv.items[0], nopytest, pf->python->argv.items[0]);
	} else if (outside && pf->exact) {
		rc = impact_error_set(IMPACT_EPYTHON,
		                      "in the private checkout '%s', package '%s' imports from '%s', "
		                      "outside it, although the checkout is first on PYTHONPATH: the "
		                      "tests would run that code, not the tree under test. Remove what "
		                      "puts it first (a sitecustomize, a .pth file that edits sys.path), "
		                      "or set exact = false to test the work tree",
		                      pf->workdir, outside, outside_where);
	} else if (outside) {
		const char *v = pf->version;
		rc = impact_error_set(IMPACT_EPYTHON,
		                      "in this linked worktree '%s', package '%s' imports from '%s', "
		                      "outside it (most likely the main checkout's editable install): "
		                      "tests and the subprocesses they start would run that code, not "
		                      "this branch's. Create a worktree-local environment: "
		                      "UV_PROJECT_ENVIRONMENT=py%s uv sync, then run impact with "
		                      "IMPACT_PYTHON=py%s/bin/python (without uv: python3 -m venv .venv "
		                      "&& .venv/bin/pip install -e .)",
		                      pf->workdir, outside, outside_where, v, v);
	} else if (bad.size) {
		rc = impact_error_set(IMPACT_EPYTHON,
		                      "import check failed: %s (fix the import error, or install the "
		                      "project's dependencies in '%s'; --no-preflight skips this check)",
		                      bad.ptr, pf->python->argv.items[0]);
	}
done:
	for (size_t i = 0; i < ndocs; i++)
		json_decref(docs[i]);
	free(docs);
	free(realwd);
	impact_buf_release(&bad);
	return rc;
}
