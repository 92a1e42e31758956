/*
 * testfiles.c - pytest's rules for which files are tests (see testfiles.h).
 *
 * Python's fnmatch lets `*` match '/', so patterns are matched without
 * FNM_PATHNAME, as pytest's fnmatch_ex does. Virtualenv detection
 * (pyvenv.cfg) is left out: environments are not committed, and untracked
 * ones are ignored by git or named by norecursedirs' defaults. pytest
 * collects a path given on its command line even when --ignore names it,
 * so a file the configuration's --ignore or --ignore-glob, or a conftest's
 * collect_ignore or collect_ignore_glob (collectignore.h), leaves out of a
 * whole run is not a test here: impact never hands it to pytest.
 */
#include "testfiles.h"

#include "path.h"

#include <fnmatch.h>


static bool match_pattern(const char *pattern, const char *path)
{
	if (!strchr(pattern, '/'))
		return fnmatch(pattern, impact_path_base(path), 0) == 0;
	/* pytest matches such patterns against the absolute path as "*<sep>pattern". */
	if (fnmatch(pattern, path, 0) == 0)
		return true;
	{
		size_t n = strlen(pattern);
		char *p = impact_xmalloc(n + 3);
		int rc;
		p[0] = '*';
		p[1] = '/';
		memcpy(p + 2, pattern, n + 1);
		rc = fnmatch(p, path, 0);
		free(p);
		return rc == 0;
	}
}

bool impact_testfiles_in_ignored_dir(const impact_pytestcfg *cfg, const char *path)
{
	const char *start = path, *slash;
	char *comp;
	bool hit = false;

	while (!hit && (slash = strchr(start, '/'))) {
		comp = impact_xstrndup(start, (size_t)(slash - start));
		if (!strcmp(comp, "__pycache__"))
			hit = true;
		for (size_t i = 0; !hit && i < cfg->norecursedirs.n; i++)
			hit = match_pattern(cfg->norecursedirs.items[i], comp);
		free(comp);
		start = slash + 1;
	}
	return hit;
}

/* Does `path` or one of its folders equal an --ignore path or match an --ignore-glob? */
static bool ignored_by_option(const impact_pytestcfg *cfg, const char *path)
{
	char *prefix;
	bool hit = false;
	if (!cfg->ignore.n && !cfg->ignore_glob.n)
		return false;
	prefix = impact_xstrdup(path);
	for (char *s = prefix + strlen(prefix); !hit;) {
		for (size_t i = 0; !hit && i < cfg->ignore.n; i++)
			hit = !strcmp(cfg->ignore.items[i], prefix);
		/* pytest's fnmatch: '*' crosses '/' */
		for (size_t i = 0; !hit && i < cfg->ignore_glob.n; i++)
			hit = fnmatch(cfg->ignore_glob.items[i], prefix, 0) == 0;
		while (s > prefix && *s != '/')
			s--;
		if (s == prefix)
			break;
		*s = '\0';
	}
	free(prefix);
	return hit;
}

bool impact_testfiles_ignored(const impact_pytestcfg *cfg, const char *path)
{
	return impact_testfiles_in_ignored_dir(cfg, path) || ignored_by_option(cfg, path) ||
	       impact_conftest_ignores_match(&cfg->conftest_ignores, path);
}

static bool under_testpaths(const impact_pytestcfg *cfg, const char *path)
{
	if (!cfg->testpaths.n)
		return true;
	for (size_t i = 0; i < cfg->testpaths.n; i++) {
		const char *t = cfg->testpaths.items[i];
		size_t n = strlen(t);
		if (!n || !strcmp(t, "."))
			return true;
		if (!strncmp(path, t, n) && (path[n] == '/' || path[n] == '\0'))
			return true;
		if (strpbrk(t, "*?[")) {
			/* A glob: does it match the path or one of its directories? */
			char *prefix = impact_xstrdup(path);
			bool hit = false;
			for (char *s = prefix + strlen(prefix); !hit; ) {
				hit = fnmatch(t, prefix, FNM_PATHNAME) == 0;
				while (s > prefix && *s != '/')
					s--;
				if (s == prefix)
					break;
				*s = '\0';
			}
			free(prefix);
			if (hit)
				return true;
		}
	}
	return false;
}

static bool is_python(const char *path)
{
	size_t n = strlen(path);
	return n > 3 && !strcmp(path + n - 3, ".py");
}

bool impact_testfiles_is_test(const impact_pytestcfg *cfg, const char *path)
{
	const char *base = impact_path_base(path);
	bool hit = false;

	if (!is_python(path) || !strcmp(base, "conftest.py") ||
	    !strcmp(base, "__init__.py"))
		return false;
	for (size_t i = 0; !hit && i < cfg->python_files.n; i++)
		hit = match_pattern(cfg->python_files.items[i], path);
	return hit && under_testpaths(cfg, path) && !impact_testfiles_ignored(cfg, path);
}

bool impact_testfiles_is_doctest_module(const impact_pytestcfg *cfg, const char *path)
{
	const char *base = impact_path_base(path);
	return cfg->doctest_modules && is_python(path) && strcmp(base, "setup.py") &&
	       strcmp(base, "__main__.py") && strcmp(base, "conftest.py") &&
	       under_testpaths(cfg, path) && !impact_testfiles_ignored(cfg, path);
}

bool impact_testfiles_is_text_doctest(const impact_pytestcfg *cfg, const char *path)
{
	bool hit = false;
	if (is_python(path))
		return false;
	if (!cfg->doctest_glob.n)
		hit = match_pattern("test*.txt", path);
	for (size_t i = 0; !hit && i < cfg->doctest_glob.n; i++)
		hit = match_pattern(cfg->doctest_glob.items[i], path);
	return hit && under_testpaths(cfg, path) && !impact_testfiles_ignored(cfg, path);
}

bool impact_testfiles_is_conftest(const impact_pytestcfg *cfg, const char *path)
{
	return !strcmp(impact_path_base(path), "conftest.py") &&
	       !impact_testfiles_ignored(cfg, path);
}
