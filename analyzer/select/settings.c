/*
 * settings.c - which settings a change of a project configuration file
 * touches (pyproject.toml, setup.cfg, tox.ini at the root), and whether a
 * test run reads any of them (see settings.h).
 *
 * Those files force the full suite (rules/default.toml: full-suite-on),
 * because they hold pytest's configuration and the dependencies. Most of
 * their commits touch neither: a version bump, classifiers, a linter's
 * table, tox's environments. Both sides are parsed (the TOML and INI
 * readers that load the configuration), flattened into key paths with
 * their values, and compared; the change is settings-only when every key
 * path that differs is one of the known ones below, which no pytest run
 * reads. Anything else (an unknown table, pytest's, coverage's, the
 * dependencies, the build system, entry points, a side that does not
 * parse) keeps the full suite: unsure means more.
 *
 * A linter's table (ruff, mypy, flake8...) is read by a pytest plugin
 * when that plugin's option is on (pytest-mypy's --mypy, pytest-ruff's
 * --ruff...): it counts as settings-only only while no configuration
 * file of the snapshot nor impact's default-args mentions that option.
 * With a test-command (tox, nox, hatch may run the tests, and they read
 * these files) nothing is settings-only.
 */
#include "settings.h"

#include <git2.h>

#include "ini.h"
#include "toml.h"

/* Key paths no pytest run reads (a prefix ends at a '.' or the path's end). */
static const char *const toml_quiet[] = {
	"project.version", "project.description", "project.readme", "project.license",
	"project.license-files", "project.authors", "project.maintainers", "project.keywords",
	"project.classifiers", "project.urls", "project.requires-python",
	"tool.bumpversion", "tool.bumpver", "tool.tbump", "tool.towncrier", "tool.commitizen",
	"tool.cibuildwheel", "tool.check-manifest", "tool.pyproject-fmt", "tool.gha-update",
	"tool.tox", "tool.semantic_release", "tool.scriv", "tool.repo-review", "tool.cruft",
	"tool.codespell", "tool.typos", "tool.docformatter", "tool.interrogate", "tool.zizmor",
	NULL,
};

/* Linters a pytest plugin runs as tests when its option is given: table, options. */
static const char *const linters[][3] = {
	{ "ruff", "--ruff", NULL }, { "black", "--black", NULL }, { "isort", "--isort", NULL },
	{ "mypy", "--mypy", NULL }, { "pylint", "--pylint", NULL }, { "flake8", "--flake8", NULL },
	{ "pycodestyle", "--pycodestyle", "--codestyle" },
	{ "pydocstyle", "--pydocstyle", "--docstyle" }, { "pyright", "--pyright", NULL },
};

/* INI sections (setup.cfg, tox.ini) no pytest run reads; "x:*" = every "x:..." section. */
static const char *const ini_quiet[] = {
	"tox", "testenv", "testenv:*", "gh-actions", "gh", "bumpversion", "bumpversion:*",
	"bdist_wheel", "sdist", "check-manifest", "codespell", NULL,
};
/* [metadata] keys of setup.cfg no pytest run reads. */
static const char *const metadata_quiet[] = {
	"version", "description", "long_description", "long_description_content_type",
	"author", "author_email", "maintainer", "maintainer_email", "url", "project_urls",
	"license", "license_files", "classifiers", "keywords", "platforms", NULL,
};

typedef struct setting {
	char *key;   /* dotted path (TOML) or "section\nkey" (INI) */
	char *value; /* serialised */
} setting;

typedef struct settings {
	setting *v;
	size_t n, alloc;
} settings;

static void settings_release(settings *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].key);
		free(s->v[i].value);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static void add(settings *s, const char *key, const char *value)
{
	setting one = { impact_xstrdup(key), impact_xstrdup(value) };
	IMPACT_PUSH(s->v, s->n, s->alloc, one);
}

/* A value as text: kind, then contents (tables and arrays whole, in order). */
static void serialise(impact_buf *out, const impact_toml_value *v)
{
	impact_buf_printf(out, "%d:", (int)v->kind);
	switch (v->kind) {
	case IMPACT_TOML_STRING: case IMPACT_TOML_DATETIME:
		impact_buf_printf(out, "%zu:%s", strlen(v->u.s), v->u.s);
		break;
	case IMPACT_TOML_INTEGER: impact_buf_printf(out, "%lld", (long long)v->u.i); break;
	case IMPACT_TOML_FLOAT: impact_buf_printf(out, "%.17g", v->u.f); break;
	case IMPACT_TOML_BOOL: impact_buf_puts(out, v->u.b ? "t" : "f"); break;
	case IMPACT_TOML_ARRAY:
		impact_buf_printf(out, "[%zu", v->u.arr.n);
		for (size_t i = 0; i < v->u.arr.n; i++) {
			impact_buf_putc(out, ',');
			serialise(out, v->u.arr.items[i]);
		}
		impact_buf_putc(out, ']');
		break;
	case IMPACT_TOML_TABLE:
		impact_buf_printf(out, "{%zu", v->u.tbl.n);
		for (size_t i = 0; i < v->u.tbl.n; i++) {
			impact_buf_printf(out, ",%zu:%s=", strlen(v->u.tbl.kv[i].key), v->u.tbl.kv[i].key);
			serialise(out, v->u.tbl.kv[i].value);
		}
		impact_buf_putc(out, '}');
		break;
	}
}

/* Every leaf under `t` (tables descended, arrays whole) as "a.b.c" -> value. */
static void flatten(settings *s, const impact_toml_value *t, impact_buf *path)
{
	for (size_t i = 0; i < t->u.tbl.n; i++) {
		const impact_toml_kv *kv = &t->u.tbl.kv[i];
		size_t at = path->size;
		if (at)
			impact_buf_putc(path, '.');
		impact_buf_puts(path, kv->key);
		if (kv->value->kind == IMPACT_TOML_TABLE && kv->value->u.tbl.n) {
			flatten(s, kv->value, path);
		} else {
			impact_buf v = IMPACT_BUF_INIT;
			serialise(&v, kv->value);
			add(s, path->ptr, v.ptr ? v.ptr : "");
			impact_buf_release(&v);
		}
		path->size = at;
		if (path->ptr)
			path->ptr[at] = '\0';
	}
}

static int by_key(const void *a, const void *b)
{
	return strcmp(((const setting *)a)->key, ((const setting *)b)->key);
}

static bool has_prefix_path(const char *key, const char *prefix)
{
	size_t n = strlen(prefix);
	return !strncmp(key, prefix, n) && (key[n] == '\0' || key[n] == '.');
}

static bool mentioned(const impact_settings_ctx *ctx, const char *option)
{
	for (size_t i = 0; i < ctx->ntexts; i++)
		if (ctx->texts[i] && strstr(ctx->texts[i], option))
			return true;
	return false;
}

/* A linter's section or table (`name`), quiet while its pytest plugin's option is off. */
static bool quiet_linter(const impact_settings_ctx *ctx, const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(linters) / sizeof(linters[0]); i++)
		if (strlen(linters[i][0]) == len && !strncmp(name, linters[i][0], len))
			return !mentioned(ctx, linters[i][1]) && !(linters[i][2] && mentioned(ctx, linters[i][2]));
	return false;
}

static bool quiet_toml_key(const impact_settings_ctx *ctx, const char *key)
{
	for (size_t i = 0; toml_quiet[i]; i++)
		if (has_prefix_path(key, toml_quiet[i]))
			return true;
	if (!strncmp(key, "tool.", 5)) {
		const char *name = key + 5, *dot = strchr(name, '.');
		return quiet_linter(ctx, name, dot ? (size_t)(dot - name) : strlen(name));
	}
	return false;
}

static bool quiet_ini_key(const impact_settings_ctx *ctx, const char *key, bool setup_cfg)
{
	const char *nl = strchr(key, '\n');
	size_t slen = nl ? (size_t)(nl - key) : strlen(key);
	const char *colon = memchr(key, ':', slen);
	for (size_t i = 0; ini_quiet[i]; i++) {
		const char *q = ini_quiet[i];
		size_t n = strlen(q);
		if (n > 2 && !strcmp(q + n - 2, ":*") ? (colon && (size_t)(colon - key) == n - 2 &&
		                                          !strncmp(key, q, n - 2))
		                                       : (slen == n && !strncmp(key, q, n)))
			return true;
	}
	/* [mypy], [mypy-pkg.*], [flake8], [isort]...: the linter's own sections */
	{
		size_t n = slen;
		const char *dash = memchr(key, '-', slen);
		if (dash && (size_t)(dash - key) == 4 && !strncmp(key, "mypy", 4))
			n = 4;
		if (quiet_linter(ctx, key, n))
			return true;
	}
	if (setup_cfg && nl && slen == 8 && !strncmp(key, "metadata", 8))
		for (size_t i = 0; metadata_quiet[i]; i++)
			if (!strcmp(nl + 1, metadata_quiet[i]))
				return true;
	return false;
}

static int read_toml(settings *s, const char *text, size_t len, const char *path)
{
	impact_toml_doc *doc = NULL;
	impact_buf p = IMPACT_BUF_INIT;
	int rc = impact_toml_parse(&doc, text, len, path);
	if (rc < 0)
		return rc;
	flatten(s, doc->root, &p);
	impact_buf_release(&p);
	impact_toml_free(doc);
	return 0;
}

static int read_ini(settings *s, const char *text, size_t len, const char *path)
{
	impact_ini *ini = NULL;
	int rc = impact_ini_parse(&ini, text, len, path);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < impact_ini_count(ini); i++) {
		const char *section, *key, *value;
		impact_buf k = IMPACT_BUF_INIT;
		impact_ini_at(ini, i, &section, &key, &value);
		impact_buf_printf(&k, "%s\n%s", section, key);
		add(s, k.ptr, value);
		impact_buf_release(&k);
	}
	/* An empty section is a setting too: [pytest] alone makes tox.ini pytest's file. */
	for (size_t i = 0; i < impact_ini_nsections(ini); i++) {
		impact_buf k = IMPACT_BUF_INIT;
		impact_buf_printf(&k, "%s\n", impact_ini_section_at(ini, i));
		add(s, k.ptr, "");
		impact_buf_release(&k);
	}
	impact_ini_free(ini);
	return 0;
}

/* "tool.ruff.lint.select" -> "tool.ruff"; "metadata\nversion" -> "[metadata]". */
static void name_setting(impact_buf *out, const char *key, bool toml)
{
	const char *end;
	if (toml) {
		const char *dot = strchr(key, '.');
		end = dot ? strchr(dot + 1, '.') : NULL;
		impact_buf_printf(out, "%.*s", end ? (int)(end - key) : (int)strlen(key), key);
	} else {
		end = strchr(key, '\n');
		impact_buf_printf(out, "[%.*s]", end ? (int)(end - key) : (int)strlen(key), key);
	}
}

/* Is `name` one of the ", "-separated names in `list` already? */
static bool named_already(const impact_buf *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *s = list->ptr; s && (s = strstr(s, name)); s += n)
		if ((s == list->ptr || s[-1] == ' ') && (s[n] == ',' || s[n] == '\0'))
			return true;
	return false;
}

bool impact_settings_quiet(const impact_settings_ctx *ctx, const char *path, const char *old_text,
                           size_t old_len, const char *new_text, size_t new_len, impact_buf *what)
{
	bool toml = !strcmp(path, "pyproject.toml");
	bool setup_cfg = !strcmp(path, "setup.cfg");
	settings a = { 0 }, b = { 0 };
	size_t i = 0, j = 0, named = 0;
	bool quiet = true;

	if (ctx->test_command || (!toml && !setup_cfg && strcmp(path, "tox.ini")))
		return false;
	if ((toml ? read_toml(&a, old_text, old_len, path) : read_ini(&a, old_text, old_len, path)) < 0 ||
	    (toml ? read_toml(&b, new_text, new_len, path) : read_ini(&b, new_text, new_len, path)) < 0) {
		impact_error_clear();
		settings_release(&a);
		settings_release(&b);
		return false;
	}
	if (a.n)
		qsort(a.v, a.n, sizeof(*a.v), by_key);
	if (b.n)
		qsort(b.v, b.n, sizeof(*b.v), by_key);
	while (quiet && (i < a.n || j < b.n)) {
		int c = i == a.n ? 1 : j == b.n ? -1 : strcmp(a.v[i].key, b.v[j].key);
		const char *key = c <= 0 ? a.v[i].key : b.v[j].key;
		bool differs = c != 0 || strcmp(a.v[i].value, b.v[j].value) != 0;
		if (differs) {
			impact_buf name = IMPACT_BUF_INIT;
			quiet = toml ? quiet_toml_key(ctx, key) : quiet_ini_key(ctx, key, setup_cfg);
			name_setting(&name, key, toml);
			if (quiet && named < 4 && !named_already(what, name.ptr)) {
				impact_buf_printf(what, "%s%s", what->size ? ", " : "", name.ptr);
				named++;
			} else if (quiet && named == 4) {
				impact_buf_puts(what, ", ...");
				named++;
			}
			impact_buf_release(&name);
		}
		i += c <= 0;
		j += c >= 0;
	}
	settings_release(&a);
	settings_release(&b);
	if (quiet && !what->size)
		impact_buf_puts(what, "comments or layout only");
	return quiet;
}
