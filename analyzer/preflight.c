/*
 * preflight.c - import and collection checks before a run (see preflight.h).
 */
#include "preflight.h"

#include "child.h"
#include "path.h"

/*
 * Print each package's location, one "name<TAB>path" line, and the
 * version. With a first argument "-t", a package that does not import is
 * printed with an empty path instead of failing (the worktree check only
 * cares about packages installed in the environment).
 */
static const char import_script[] =
	"import importlib, sys\n"
	"print('version\\t%d%d' % sys.version_info[:2])\n"
	"tolerant = sys.argv[1] == '-t'\n"
	"for name in sys.argv[2:]:\n"
	"    try:\n"
	"        m = importlib.import_module(name)\n"
	"    except Exception:\n"
	"        if not tolerant:\n"
	"            raise\n"
	"        print('%s\\t' % name)\n"
	"        continue\n"
	"    f = getattr(m, '__file__', None) or next(iter(getattr(m, '__path__', [])), '')\n"
	"    print('%s\\t%s' % (name, f))\n";

static bool is_identifier(const char *s, size_t n)
{
	if (!n || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

void impact_preflight_packages(impact_strlist *out, const impact_project *p)
{
	for (uint32_t i = 0; i < p->nfiles; i++) {
		const char *path = p->files[i].path, *name;
		size_t n;
		if (p->files[i].flags & (IMPACT_PF_GHOST | IMPACT_PF_VIRTUAL))
			continue;
		if (!strncmp(path, "src/", 4))
			path += 4;
		name = path;
		n = strcspn(name, "/");
		if (strcmp(name + n, "/__init__.py") || !is_identifier(name, n))
			continue;
		if (!strncmp(name, "test", 4) || !strncmp(name, "_test", 5) ||
		    (n == 4 && !memcmp(name, "docs", 4)) || (n == 8 && !memcmp(name, "examples", 8)))
			continue;
		{
			char *pkg = impact_xstrndup(name, n);
			bool dup = false;
			for (size_t k = 0; k < out->n && !dup; k++)
				dup = !strcmp(out->items[k], pkg);
			if (!dup)
				impact_strlist_push(out, pkg);
			free(pkg);
		}
	}
}

/* argv = python prefix + rest, NULL-terminated, in `argv` (owned strings). */
static void build_argv(impact_strlist *argv, const impact_python *py,
                       const char *const *rest, size_t nrest)
{
	for (size_t i = 0; i < py->argv.n; i++)
		impact_strlist_push(argv, py->argv.items[i]);
	for (size_t i = 0; i < nrest; i++)
		impact_strlist_push(argv, rest[i]);
	impact_strlist_push(argv, "");
	free(argv->items[argv->n - 1]);
	argv->items[argv->n - 1] = NULL;
}

/* The last non-empty line of `text`, into `out`. */
static void last_line(impact_buf *out, const char *text)
{
	const char *end = text + strlen(text), *start;
	while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	start = end;
	while (start > text && start[-1] != '\n')
		start--;
	impact_buf_put(out, start, (size_t)(end - start));
}

int impact_preflight_import(const impact_python *py, const char *workdir,
                            const impact_strlist *pkgs, bool worktree)
{
	impact_strlist argv = { 0 }, rest = { 0 };
	impact_buf output = IMPACT_BUF_INIT, msg = IMPACT_BUF_INIT, prefix = IMPACT_BUF_INIT;
	impact_child_opts co = { 0 };
	char version[16] = "3";
	int status = 0, rc = 0;

	if (!pkgs->n)
		return 0;
	impact_strlist_push(&rest, "-c");
	impact_strlist_push(&rest, import_script);
	impact_strlist_push(&rest, worktree ? "-t" : "-s");
	for (size_t i = 0; i < pkgs->n; i++)
		impact_strlist_push(&rest, pkgs->items[i]);
	build_argv(&argv, py, (const char *const *)rest.items, rest.n);
	/*
	 * The smoke check runs where pytest will (the work tree on sys.path);
	 * the worktree check from a neutral folder, so only what is installed
	 * in the environment answers.
	 */
	co.cwd = worktree ? "/" : workdir;
	co.capture = &output;
	rc = impact_child_run(&status, (const char *const *)argv.items, &co);
	if (rc < 0)
		goto done;
	if (status != 0) {
		last_line(&msg, output.ptr);
		rc = impact_error_set(IMPACT_EPYTHON,
		                      "import check failed: %s (fix the import error, or install the "
		                      "project in %s; --no-preflight skips this check)",
		                      msg.size ? msg.ptr : "no output", py->argv.items[0]);
		goto done;
	}
	impact_buf_printf(&prefix, "%s/", workdir);
	for (const char *line = output.ptr; *line;) {
		const char *nl = strchr(line, '\n'), *tab = strchr(line, '\t');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		if (tab && tab < line + len) {
			char *name = impact_xstrndup(line, (size_t)(tab - line));
			char *where = impact_xstrndup(tab + 1, len - (size_t)(tab - line) - 1);
			if (!strcmp(name, "version"))
				snprintf(version, sizeof(version), "%s", where);
			else if (worktree && *where && strncmp(where, prefix.ptr, prefix.size) && !rc)
				rc = impact_error_set(IMPACT_EPYTHON,
				                      "'%s' imports from '%s', not from this worktree '%s': its "
				                      "tests would run the main checkout's code. Create a "
				                      "worktree-local environment: UV_PROJECT_ENVIRONMENT=py%s uv sync "
				                      "(then IMPACT_PYTHON=py%s/bin/python), or python3 -m venv .venv && "
				                      ".venv/bin/pip install -e .", name, where, workdir, version, version);
			free(name);
			free(where);
		}
		line += len + (nl ? 1 : 0);
	}
done:
	impact_strlist_release(&argv);
	impact_strlist_release(&rest);
	impact_buf_release(&output);
	impact_buf_release(&msg);
	impact_buf_release(&prefix);
	return rc;
}

int impact_preflight_collect(const impact_python *py, const char *workdir,
                             const char *const *targets, size_t ntargets,
                             const char *const *extra, size_t nextra)
{
	impact_strlist argv = { 0 }, rest = { 0 };
	impact_buf output = IMPACT_BUF_INIT, msg = IMPACT_BUF_INIT;
	impact_child_opts co = { 0 };
	int status = 0, rc;

	impact_strlist_push(&rest, "-m");
	impact_strlist_push(&rest, "pytest");
	impact_strlist_push(&rest, "--collect-only");
	impact_strlist_push(&rest, "-q");
	impact_strlist_push(&rest, "-p");
	impact_strlist_push(&rest, "no:cacheprovider");
	for (size_t i = 0; i < nextra; i++)
		impact_strlist_push(&rest, extra[i]);
	for (size_t i = 0; i < ntargets; i++)
		impact_strlist_push(&rest, targets[i]);
	build_argv(&argv, py, (const char *const *)rest.items, rest.n);
	co.cwd = workdir;
	co.capture = &output;
	rc = impact_child_run(&status, (const char *const *)argv.items, &co);
	if (rc < 0 || status == 0 || status == 5)
		goto done;
	if (strstr(output.ptr, "No module named pytest")) {
		rc = impact_error_set(IMPACT_EPYTHON,
		                      "pytest is not installed in '%s': install it there (python -m pip "
		                      "install pytest), or set IMPACT_PYTHON to a Python that has it",
		                      py->argv.items[0]);
		goto done;
	}
	/*
	 * Each "____ ERROR collecting tests/test_x.py ____" section ends with
	 * "E   <the error>" lines: report the file and its last such line.
	 */
	{
		impact_buf file = IMPACT_BUF_INIT, error = IMPACT_BUF_INIT;
		for (const char *line = output.ptr;; ) {
			const char *nl = strchr(line, '\n');
			size_t len = nl ? (size_t)(nl - line) : strlen(line);
			const char *coll = memmem(line, len, "ERROR collecting ", 17);
			bool section_end = !*line || coll || (len > 3 && !strncmp(line, "===", 3));
			if (section_end && file.size) {
				impact_buf_printf(&msg, "\n  %s: %s", file.ptr,
				                  error.size ? error.ptr : "cannot be collected");
				impact_buf_clear(&file);
				impact_buf_clear(&error);
			}
			if (!*line)
				break;
			if (coll) {
				const char *name = coll + 17, *stop = name;
				while (stop < line + len && *stop != ' ')
					stop++;
				impact_buf_put(&file, name, (size_t)(stop - name));
			} else if (file.size && len > 4 && !strncmp(line, "E   ", 4)) {
				impact_buf_clear(&error);
				impact_buf_put(&error, line + 4, len - 4);
			}
			line += len + (nl ? 1 : 0);
		}
		impact_buf_release(&file);
		impact_buf_release(&error);
	}
	if (!msg.size)
		last_line(&msg, output.ptr);
	rc = impact_error_set(IMPACT_EPYTHON,
	                      "collection failed (pytest exit %d), fix this before running tests "
	                      "(--no-preflight skips the check):%s%s", status,
	                      msg.ptr[0] == '\n' ? "" : " ", msg.ptr);
done:
	impact_strlist_release(&argv);
	impact_strlist_release(&rest);
	impact_buf_release(&output);
	impact_buf_release(&msg);
	return rc;
}
