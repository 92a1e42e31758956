/*
 * pytestcfg.c - pytest's own configuration (see pytestcfg.h).
 *
 * The first file in pytest's order of precedence wins: pytest.toml,
 * .pytest.toml (pytest 9, native TOML in [pytest]), pytest.ini, .pytest.ini
 * (used even when empty), pyproject.toml with [tool.pytest.ini_options]
 * (INI-style values: a string or a list of strings) or pytest 9's
 * [tool.pytest], tox.ini with [pytest], setup.cfg with [tool:pytest]. Only
 * the repository root is searched. INI "args" values are split as
 * shlex.split does; "paths" (pythonpath) on white space.
 */
#include "pytestcfg.h"

#include <ctype.h>

#include "ini.h"
#include "path.h"
#include "toml.h"

bool impact_pytestcfg_is_config_name(const char *base)
{
	/* Every file impact_pytestcfg_load may read (keep in step with it). */
	static const char *const names[] = { "pytest.toml", ".pytest.toml", "pytest.ini",
	                                     ".pytest.ini", "pyproject.toml", "tox.ini",
	                                     "setup.cfg" };
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(names); i++)
		if (!strcmp(base, names[i]))
			return true;
	return false;
}

static void strlist_clear(impact_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	l->n = 0;
}

int impact_shlex_split(impact_strlist *out, const char *s)
{
	impact_buf word = IMPACT_BUF_INIT;
	bool in_word = false;
	int rc = 0;

	while (*s) {
		char c = *s;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			if (in_word) {
				impact_strlist_push(out, word.ptr);
				impact_buf_clear(&word);
				in_word = false;
			}
			s++;
			continue;
		}
		in_word = true;
		if (c == '\\') {
			if (s[1]) {
				impact_buf_putc(&word, s[1]);
				s += 2;
			} else {
				rc = impact_error_set(IMPACT_EINVALID, "no escaped character after a final backslash");
				break;
			}
			continue;
		}
		if (c == '\'' || c == '"') {
			const char *p = s + 1;
			while (*p && *p != c) {
				if (c == '"' && *p == '\\' && (p[1] == '"' || p[1] == '\\')) {
					impact_buf_putc(&word, p[1]);
					p += 2;
					continue;
				}
				impact_buf_putc(&word, *p++);
			}
			if (!*p) {
				rc = impact_error_set(IMPACT_EINVALID, "no closing quotation (%c)", c);
				break;
			}
			s = p + 1;
			continue;
		}
		impact_buf_putc(&word, c);
		s++;
	}
	if (!rc && in_word)
		impact_strlist_push(out, word.ptr);
	impact_buf_release(&word);
	return rc;
}

static void whitespace_split(impact_strlist *out, const char *s)
{
	while (*s) {
		size_t n;
		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			s++;
		n = strcspn(s, " \t\r\n");
		if (n) {
			char *w = impact_xstrndup(s, n);
			impact_strlist_push(out, w);
			free(w);
		}
		s += n;
	}
}


static void set_defaults(impact_pytestcfg *cfg)
{
	static const char *const norecurse[] = { "*.egg", ".*", "_darcs", "build", "CVS",
	                                         "dist", "node_modules", "venv", "{arch}" };
	memset(cfg, 0, sizeof(*cfg));
	impact_strlist_push(&cfg->python_files, "test_*.py");
	impact_strlist_push(&cfg->python_files, "*_test.py");
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(norecurse); i++)
		impact_strlist_push(&cfg->norecursedirs, norecurse[i]);
}

enum kind { ARGS, PATHS };

/* A TOML value (string or list of strings) into `out`. */
static int from_toml(impact_strlist *out, const impact_toml_kv *kv, enum kind kind,
                     const char *file, bool native)
{
	const impact_toml_value *v = kv->value;
	strlist_clear(out);
	if (v->kind == IMPACT_TOML_STRING && !native) {
		if (kind == PATHS) {
			whitespace_split(out, v->u.s);
			return 0;
		}
		if (impact_shlex_split(out, v->u.s) < 0)
			return impact_error_set(IMPACT_EINVALID, "%s:%u:%u: '%s': %s", file, v->line,
			                        v->col, kv->key, impact_error_last());
		return 0;
	}
	if (v->kind == IMPACT_TOML_ARRAY) {
		for (size_t i = 0; i < v->u.arr.n; i++) {
			const impact_toml_value *it = v->u.arr.items[i];
			if (it->kind != IMPACT_TOML_STRING)
				return impact_error_set(IMPACT_EINVALID,
				                        "%s:%u:%u: '%s' must be a list of strings, not of %s",
				                        file, it->line, it->col, kv->key,
				                        impact_toml_kind_name(it->kind));
			impact_strlist_push(out, it->u.s);
		}
		return 0;
	}
	return impact_error_set(IMPACT_EINVALID, "%s:%u:%u: '%s' must be %s, not %s",
	                        file, v->line, v->col, kv->key,
	                        native ? "a list of strings" : "a string or a list of strings",
	                        impact_toml_kind_name(v->kind));
}

typedef struct key_spec {
	const char *name;
	enum kind kind;
	size_t offset;
} key_spec;

static const key_spec keys[] = {
	{ "python_files", ARGS, offsetof(impact_pytestcfg, python_files) },
	{ "testpaths", ARGS, offsetof(impact_pytestcfg, testpaths) },
	{ "pythonpath", PATHS, offsetof(impact_pytestcfg, pythonpath) },
	{ "norecursedirs", ARGS, offsetof(impact_pytestcfg, norecursedirs) },
	{ "addopts", ARGS, offsetof(impact_pytestcfg, addopts) },
};

static impact_strlist *field(impact_pytestcfg *cfg, const key_spec *k)
{
	return (impact_strlist *)((char *)cfg + k->offset);
}

static int load_toml_table(impact_pytestcfg *cfg, const impact_toml_value *tbl,
                           const char *file, bool native)
{
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(keys); i++) {
		const impact_toml_kv *kv = impact_toml_find(tbl, keys[i].name);
		int rc;
		if (!kv)
			continue;
		rc = from_toml(field(cfg, &keys[i]), kv, keys[i].kind, file, native);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int load_ini_section(impact_pytestcfg *cfg, const impact_ini *ini,
                            const char *section, const char *file)
{
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(keys); i++) {
		uint32_t line = 0;
		const char *v = impact_ini_get(ini, section, keys[i].name, &line);
		impact_strlist *l = field(cfg, &keys[i]);
		if (!v)
			continue;
		strlist_clear(l);
		if (keys[i].kind == PATHS)
			whitespace_split(l, v);
		else if (impact_shlex_split(l, v) < 0)
			return impact_error_set(IMPACT_EINVALID, "%s:%u: '%s': %s (fix the quoting)",
			                        file, line, keys[i].name, impact_error_last());
	}
	return 0;
}

/*
 * The value of option `name` at addopts[*i] ("--name VALUE" or
 * "--name=VALUE"), NULL when addopts[*i] is another option.
 */
static const char *opt_value(const impact_pytestcfg *cfg, size_t *i, const char *name)
{
	const char *a = cfg->addopts.items[*i];
	size_t n = strlen(name);
	if (strncmp(a, name, n))
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (!a[n] && *i + 1 < cfg->addopts.n)
		return cfg->addopts.items[++*i];
	return NULL;
}

/* An --ignore path as a repository path: no "./" in front, no '/' behind. */
static void push_ignored(impact_strlist *l, const char *v)
{
	size_t n;
	char *s;
	while (v[0] == '.' && v[1] == '/')
		v += 2;
	n = strlen(v);
	while (n > 1 && v[n - 1] == '/')
		n--;
	s = impact_xstrndup(v, n);
	impact_strlist_push(l, s);
	free(s);
}

static void read_addopts(impact_pytestcfg *cfg)
{
	for (size_t i = 0; i < cfg->addopts.n; i++) {
		const char *a = cfg->addopts.items[i];
		const char *plugin = NULL, *mode = NULL, *v;
		if ((v = opt_value(cfg, &i, "--doctest-glob")))
			impact_strlist_push(&cfg->doctest_glob, v);
		else if ((v = opt_value(cfg, &i, "--ignore-glob")))
			push_ignored(&cfg->ignore_glob, v);
		else if ((v = opt_value(cfg, &i, "--ignore")))
			push_ignored(&cfg->ignore, v);
		else if (!strcmp(a, "-p") && i + 1 < cfg->addopts.n)
			plugin = cfg->addopts.items[++i];
		else if (!strncmp(a, "-p", 2) && a[2] && a[2] != '-')
			plugin = a + 2;
		else if (!strcmp(a, "--doctest-modules"))
			cfg->doctest_modules = true;
		else if (!strncmp(a, "--import-mode=", 14))
			mode = a + 14;
		else if (!strcmp(a, "--import-mode") && i + 1 < cfg->addopts.n)
			mode = cfg->addopts.items[++i];
		if (plugin && strncmp(plugin, "no:", 3))
			impact_strlist_push(&cfg->plugins, plugin);
		if (mode)
			cfg->import_mode = !strcmp(mode, "importlib") ? IMPACT_IMPORT_MODE_IMPORTLIB :
			                   !strcmp(mode, "append") ? IMPACT_IMPORT_MODE_APPEND :
			                   IMPACT_IMPORT_MODE_PREPEND;
	}
}

/* "name = module[:attr]" (an entry point): the module into `plugins`. */
static void entry_point(impact_strlist *plugins, const char *s, size_t n)
{
	const char *eq = memchr(s, '=', n), *end = s + n, *m;
	impact_buf mod = IMPACT_BUF_INIT;
	if (!eq)
		return;
	for (m = eq + 1; m < end && (*m == ' ' || *m == '\t' || *m == '"' || *m == '\''); m++)
		;
	while (m < end && (isalnum((unsigned char)*m) || *m == '_' || *m == '.'))
		impact_buf_putc(&mod, *m++);
	if (mod.size && mod.ptr[0] != '.')
		impact_strlist_push(plugins, mod.ptr);
	impact_buf_release(&mod);
}

/*
 * The project's own pytest plugins, declared as `pytest11` entry points:
 * pytest loads them in every session once the project is installed (an
 * editable install, or the plugin under test on the path), so every test
 * depends on them as on a -p plugin. Read from pyproject.toml
 * ([project.entry-points.pytest11], [tool.poetry.plugins.pytest11]),
 * setup.cfg ([options.entry_points] pytest11 = ...) and setup.py (the
 * "name = module" strings after a "pytest11" key). Unreadable files add
 * nothing: their own readers report them.
 */
static void read_entry_points(impact_pytestcfg *cfg, impact_file_reader read, void *payload)
{
	static const char *const tables[] = { "project.entry-points.pytest11",
	                                      "tool.poetry.plugins.pytest11" };
	impact_buf text = IMPACT_BUF_INIT;
	impact_toml_doc *doc = NULL;
	impact_ini *ini = NULL;

	/* Both tables hold the word: without it nothing to parse (1.5 ms for a 5 KiB file). */
	if (read(&text, "pyproject.toml", payload) == 0 && text.ptr &&
	    memmem(text.ptr, text.size, "pytest11", 8) &&
	    impact_toml_parse(&doc, text.ptr, text.size, "pyproject.toml") == 0) {
		for (size_t t = 0; t < IMPACT_ARRAY_SIZE(tables); t++) {
			const impact_toml_value *v = impact_toml_get(doc->root, tables[t]);
			for (size_t i = 0; v && v->kind == IMPACT_TOML_TABLE && i < v->u.tbl.n; i++) {
				const impact_toml_value *m = v->u.tbl.kv[i].value;
				impact_buf line = IMPACT_BUF_INIT;
				if (m->kind != IMPACT_TOML_STRING)
					continue;
				impact_buf_printf(&line, "x = %s", m->u.s);
				entry_point(&cfg->plugins, line.ptr, line.size);
				impact_buf_release(&line);
			}
		}
	}
	impact_error_clear();
	impact_buf_clear(&text);
	if (read(&text, "setup.cfg", payload) == 0 &&
	    impact_ini_parse(&ini, text.ptr ? text.ptr : "", text.size, "setup.cfg") == 0) {
		const char *v = impact_ini_get(ini, "options.entry_points", "pytest11", NULL);
		while (v && *v) {
			const char *nl = strchr(v, '\n');
			size_t n = nl ? (size_t)(nl - v) : strlen(v);
			entry_point(&cfg->plugins, v, n);
			v = nl ? nl + 1 : v + n;
		}
	}
	impact_error_clear();
	impact_buf_clear(&text);
	if (read(&text, "setup.py", payload) == 0 && text.ptr) {
		const char *k = strstr(text.ptr, "pytest11");
		/* The strings of the list that follows: up to its closing bracket. */
		while (k) {
			const char *close = strpbrk(k, "]}");
			const char *q = k + 8;
			if (*q == '"' || *q == '\'')
				q++; /* the key's own closing quote */
			while (q && (!close || q < close) && (q = strpbrk(q, "\"'")) != NULL &&
			       (!close || q < close)) {
				const char *e = strchr(q + 1, *q);
				if (!e)
					break;
				entry_point(&cfg->plugins, q + 1, (size_t)(e - q - 1));
				q = e + 1;
			}
			k = strstr(k + 8, "pytest11");
		}
	}
	impact_error_clear();
	impact_toml_free(doc);
	impact_ini_free(ini);
	impact_buf_release(&text);
}

int impact_pytestcfg_load(impact_pytestcfg *out, impact_file_reader read, void *payload)
{
	static const char *const toml_files[] = { "pytest.toml", ".pytest.toml" };
	static const char *const ini_files[] = { "pytest.ini", ".pytest.ini" };
	impact_buf text = IMPACT_BUF_INIT, norm = IMPACT_BUF_INIT;
	impact_toml_doc *doc = NULL;
	impact_ini *ini = NULL;
	const char *used = NULL;
	int rc = 0;

	set_defaults(out);
	for (size_t i = 0; !used && i < IMPACT_ARRAY_SIZE(toml_files); i++) {
		impact_buf_clear(&text);
		rc = read(&text, toml_files[i], payload);
		if (rc == IMPACT_ENOTFOUND) {
			rc = 0;
			continue;
		}
		if (rc < 0 || (rc = impact_toml_parse(&doc, text.ptr, text.size, toml_files[i])) < 0)
			goto done;
		used = toml_files[i];
		{
			const impact_toml_value *t = impact_toml_get(doc->root, "pytest");
			if (t && t->kind == IMPACT_TOML_TABLE)
				rc = load_toml_table(out, t, used, true);
		}
	}
	for (size_t i = 0; !used && i < IMPACT_ARRAY_SIZE(ini_files); i++) {
		impact_buf_clear(&text);
		rc = read(&text, ini_files[i], payload);
		if (rc == IMPACT_ENOTFOUND) {
			rc = 0;
			continue;
		}
		if (rc < 0 || (rc = impact_ini_parse(&ini, text.ptr, text.size, ini_files[i])) < 0)
			goto done;
		used = ini_files[i];
		rc = load_ini_section(out, ini, "pytest", used);
	}
	if (!used) {
		impact_buf_clear(&text);
		rc = read(&text, "pyproject.toml", payload);
		if (rc == 0) {
			const impact_toml_value *t;
			if ((rc = impact_toml_parse(&doc, text.ptr, text.size, "pyproject.toml")) < 0)
				goto done;
			if ((t = impact_toml_get(doc->root, "tool.pytest.ini_options")) &&
			    t->kind == IMPACT_TOML_TABLE) {
				used = "pyproject.toml";
				rc = load_toml_table(out, t, used, false);
			} else if ((t = impact_toml_get(doc->root, "tool.pytest")) &&
			           t->kind == IMPACT_TOML_TABLE) {
				used = "pyproject.toml";
				rc = load_toml_table(out, t, used, true);
			}
		} else if (rc == IMPACT_ENOTFOUND) {
			rc = 0;
		}
		if (rc < 0)
			goto done;
	}
	{
		static const struct { const char *file, *section; } inis[] = {
			{ "tox.ini", "pytest" }, { "setup.cfg", "tool:pytest" },
		};
		for (size_t i = 0; !used && i < IMPACT_ARRAY_SIZE(inis); i++) {
			impact_buf_clear(&text);
			rc = read(&text, inis[i].file, payload);
			if (rc == IMPACT_ENOTFOUND) {
				rc = 0;
				continue;
			}
			if (rc < 0 || (rc = impact_ini_parse(&ini, text.ptr, text.size, inis[i].file)) < 0)
				goto done;
			if (impact_ini_has_section(ini, inis[i].section)) {
				used = inis[i].file;
				rc = load_ini_section(out, ini, inis[i].section, used);
			}
			impact_ini_free(ini);
			ini = NULL;
			if (rc < 0)
				goto done;
		}
	}
	if (rc < 0)
		goto done;
	if (used)
		out->inifile = impact_xstrdup(used);
	/* pythonpath entries are relative to the config file's folder: the root here. */
	{
		impact_strlist norm_paths = { 0 };
		for (size_t i = 0; i < out->pythonpath.n; i++)
			if (impact_path_join(&norm, "", out->pythonpath.items[i]))
				impact_strlist_push(&norm_paths, norm.ptr);
		impact_strlist_release(&out->pythonpath);
		out->pythonpath = norm_paths;
	}
	read_addopts(out);
	read_entry_points(out, read, payload);
done:
	impact_toml_free(doc);
	impact_ini_free(ini);
	impact_buf_release(&text);
	impact_buf_release(&norm);
	if (rc < 0)
		impact_pytestcfg_release(out);
	return rc;
}

void impact_pytestcfg_release(impact_pytestcfg *cfg)
{
	free(cfg->inifile);
	cfg->inifile = NULL;
	impact_strlist_release(&cfg->python_files);
	impact_strlist_release(&cfg->testpaths);
	impact_strlist_release(&cfg->pythonpath);
	impact_strlist_release(&cfg->norecursedirs);
	impact_strlist_release(&cfg->addopts);
	impact_strlist_release(&cfg->plugins);
	impact_strlist_release(&cfg->ignore);
	impact_strlist_release(&cfg->ignore_glob);
	impact_strlist_release(&cfg->doctest_glob);
	impact_conftest_ignores_release(&cfg->conftest_ignores);
}
