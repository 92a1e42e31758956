/*
 * config.c - impact's own configuration: load, merge, check types, match
 * (see config.h).
 *
 * Loading order: the built-in set ("default"), the sets the project's
 * `extends` names (recursively, each before the file that extends it),
 * then the project's own keys. A set is loaded once however often it is
 * named; a cycle is an error. Every key is checked here, with its
 * position: an unknown key, a wrong type or a bad glob fails the load
 * with "file:line:col: what, and how to fix it" so that a typo can never
 * quietly shrink a selection.
 */
#include "config.h"

#include "buildinfo.h"
#include "toml.h"

#include "path.h"

#include <ctype.h>

extern const char impact_rules_default[];
extern const size_t impact_rules_default_len;
extern const char impact_rules_tractor[];
extern const size_t impact_rules_tractor_len;

#define MAX_EXTENDS_DEPTH 16
#define MAX_CONFIG_SIZE ((size_t)16 << 20)

typedef struct loader {
	impact_config *cfg;
	impact_file_reader read;
	void *payload;
	const char *rules_dir;
	impact_strlist loaded;  /* set names and repo paths already read */
	impact_strlist loading; /* the extends chain being read (cycles) */
} loader;

/* ---- small helpers ------------------------------------------------------ */

/* Keys compare with '-' and '_' as the same character. */
static bool key_is(const char *key, const char *name)
{
	for (; *key && *name; key++, name++) {
		char a = *key == '_' ? '-' : *key, b = *name == '_' ? '-' : *name;
		if (a != b)
			return false;
	}
	return !*key && !*name;
}

static bool list_has(const impact_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->items[i], s))
			return true;
	return false;
}

static impact_config_where where_of(const char *file, bool builtin, uint32_t line, uint32_t col)
{
	impact_config_where w = { file, line, col, builtin };
	return w;
}

static int fail_at(const impact_config_where *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail_at(const impact_config_where *w, const char *fmt, ...)
{
	impact_buf msg = IMPACT_BUF_INIT;
	va_list ap;
	int rc;
	impact_config_where_format(&msg, w);
	impact_buf_puts(&msg, ": ");
	va_start(ap, fmt);
	impact_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	rc = impact_error_set(IMPACT_EINVALID, "%s", msg.ptr);
	impact_buf_release(&msg);
	return rc;
}

void impact_config_where_format(impact_buf *out, const impact_config_where *where)
{
	if (!where || !where->file)
		impact_buf_puts(out, "built-in default");
	else
		impact_buf_printf(out, "%s:%u:%u", where->file, where->line, where->col);
}

static const char *type_name(const impact_toml_value *v)
{
	return impact_toml_kind_name(v->kind);
}

/* ---- values ------------------------------------------------------------- */

typedef struct ctx {
	loader *ld;
	const char *file; /* borrowed from cfg->sources */
	bool builtin;
} ctx;

static impact_config_where at(const ctx *c, const impact_toml_value *v)
{
	return where_of(c->file, c->builtin, v->line, v->col);
}

static impact_config_where at_key(const ctx *c, const impact_toml_kv *kv)
{
	return where_of(c->file, c->builtin, kv->line, kv->col);
}

static int want_string(const ctx *c, const impact_toml_kv *kv, const char **out)
{
	impact_config_where w = at(c, kv->value);
	if (kv->value->kind != IMPACT_TOML_STRING)
		return fail_at(&w, "'%s' must be a string, not %s", kv->key, type_name(kv->value));
	*out = kv->value->u.s;
	return 0;
}

/* A string or an array of strings; each string's value is passed to `each`. */
typedef int (*string_fn)(const ctx *c, const impact_toml_value *v, void *payload);

static int each_string(const ctx *c, const impact_toml_kv *kv, bool allow_single,
                       string_fn each, void *payload)
{
	const impact_toml_value *v = kv->value;
	impact_config_where w = at(c, v);
	int rc;
	if (v->kind == IMPACT_TOML_STRING && allow_single)
		return each(c, v, payload);
	if (v->kind != IMPACT_TOML_ARRAY)
		return fail_at(&w, "'%s' must be %s, not %s", kv->key,
		               allow_single ? "a string or an array of strings" : "an array of strings",
		               type_name(v));
	for (size_t i = 0; i < v->u.arr.n; i++) {
		const impact_toml_value *item = v->u.arr.items[i];
		if (item->kind != IMPACT_TOML_STRING) {
			w = at(c, item);
			return fail_at(&w, "'%s' must hold strings only; item %zu is %s", kv->key,
			               i + 1, type_name(item));
		}
		if ((rc = each(c, item, payload)) < 0)
			return rc;
	}
	return 0;
}

static int add_pattern(const ctx *c, const impact_toml_value *v, void *payload)
{
	impact_patterns *list = payload;
	impact_pattern p = { 0 };
	impact_config_where w = at(c, v);
	if (impact_glob_compile(&p.glob, v->u.s) < 0)
		return fail_at(&w, "%s", impact_error_last());
	p.text = impact_xstrdup(v->u.s);
	p.where = w;
	IMPACT_PUSH(list->v, list->n, list->alloc, p);
	return 0;
}

typedef struct spec_list {
	impact_testspec **v;
	size_t *n, *alloc;
} spec_list;

static bool has_wildcard(const char *s)
{
	return !impact_glob_is_literal(s);
}

static int add_testspec(const ctx *c, const impact_toml_value *v, void *payload)
{
	spec_list *list = payload;
	impact_testspec t = { 0 };
	impact_config_where w = at(c, v);
	const char *s = v->u.s;
	size_t len = strlen(s);

	if (!len)
		return fail_at(&w, "an empty test entry; name a file, a directory, a node id or a glob");
	if (s[0] == '/' || !strncmp(s, "../", 3) || !strcmp(s, ".."))
		return fail_at(&w, "test '%s' must be relative to the repository root, inside it", s);
	if (strstr(s, "::")) {
		t.kind = IMPACT_TESTSPEC_NODEID;
		t.text = impact_xstrdup(s);
	} else {
		while (len > 1 && s[len - 1] == '/')
			len--;
		t.text = impact_xstrndup(s, len);
		if (has_wildcard(t.text)) {
			if (impact_glob_compile(&t.glob, t.text) < 0) {
				free(t.text);
				return fail_at(&w, "%s", impact_error_last());
			}
			t.kind = IMPACT_TESTSPEC_GLOB;
		}
	}
	t.where = w;
	IMPACT_PUSH(*list->v, *list->n, *list->alloc, t);
	return 0;
}

static int add_string(const ctx *c, const impact_toml_value *v, void *payload)
{
	IMPACT_UNUSED(c);
	impact_strlist_push(payload, v->u.s);
	return 0;
}

/* exact-copy: a path inside the work tree, written relative to its root. */
static int add_copy_path(const ctx *c, const impact_toml_value *v, void *payload)
{
	impact_config_where w = at(c, v);
	const char *s = v->u.s;
	size_t n = strlen(s);
	while (n > 1 && s[n - 1] == '/')
		n--;
	if (!n || s[0] == '/' || !strcmp(s, ".") || !strncmp(s, "../", 3) || !strcmp(s, "..") ||
	    strstr(s, "/../") || (n >= 3 && !strncmp(s + n - 3, "/..", 3)) ||
	    !strncmp(s, ".git/", 5) || !strcmp(s, ".git"))
		return fail_at(&w, "'exact-copy' entry \"%s\" must be a path inside the work tree, "
		               "relative to its root (\"local_settings.py\", \"config/.env\")", s);
	{
		char *trimmed = impact_xstrndup(s, n);
		impact_strlist_push(payload, trimmed);
		free(trimmed);
	}
	return 0;
}

static void testspec_release(impact_testspec *t)
{
	free(t->text);
	impact_glob_free(t->glob);
}

static void patterns_release(impact_patterns *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].text);
		impact_glob_free(l->v[i].glob);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* ---- tables ------------------------------------------------------------- */

static int unknown_key(const ctx *c, const impact_toml_kv *kv, const char *where,
                       const char *known)
{
	impact_config_where w = at_key(c, kv);
	return fail_at(&w, "unknown key '%s' in %s (known keys: %s)", kv->key, where, known);
}

static int load_rule(const ctx *c, const impact_toml_value *t, size_t index)
{
	impact_config *cfg = c->ld->cfg;
	impact_rule r = { 0 };
	impact_config_where w = at(c, t);
	bool have_paths = false, have_tests = false;
	size_t talloc = 0;
	spec_list specs = { &r.tests, &r.ntests, &talloc };
	int rc = 0;

	r.first = true;
	r.where = w;
	if (t->kind != IMPACT_TOML_TABLE)
		return fail_at(&w, "each 'rule' must be a table ([[rule]] or {paths = [...], tests = [...]}), not %s",
		               type_name(t));
	for (size_t i = 0; i < t->u.tbl.n && rc == 0; i++) {
		const impact_toml_kv *kv = &t->u.tbl.kv[i];
		const char *s;
		if (key_is(kv->key, "paths")) {
			have_paths = true;
			rc = each_string(c, kv, true, add_pattern, &r.paths);
		} else if (key_is(kv->key, "tests")) {
			have_tests = true;
			rc = each_string(c, kv, true, add_testspec, &specs);
		} else if (key_is(kv->key, "name")) {
			if ((rc = want_string(c, kv, &s)) == 0) {
				free(r.name);
				r.name = impact_xstrdup(s);
			}
		} else if (key_is(kv->key, "first")) {
			if (kv->value->kind != IMPACT_TOML_BOOL) {
				impact_config_where vw = at(c, kv->value);
				rc = fail_at(&vw, "'first' must be true or false, not %s", type_name(kv->value));
			} else {
				r.first = kv->value->u.b;
			}
		} else {
			rc = unknown_key(c, kv, "a rule", "name, paths, tests, first");
		}
	}
	if (rc == 0 && (!have_paths || !r.paths.n))
		rc = fail_at(&w, "this rule has no 'paths': add the globs of the files whose change it reacts to");
	if (rc == 0 && (!have_tests || !r.ntests))
		rc = fail_at(&w, "this rule has no 'tests': add the test files, directories or node ids it selects");
	if (rc < 0) {
		patterns_release(&r.paths);
		for (size_t i = 0; i < r.ntests; i++)
			testspec_release(&r.tests[i]);
		free(r.tests);
		free(r.name);
		return rc;
	}
	if (!r.name) {
		impact_buf name = IMPACT_BUF_INIT;
		impact_buf_printf(&name, "rule %zu", index);
		r.name = impact_buf_detach(&name);
	}
	IMPACT_PUSH(cfg->rules, cfg->nrules, cfg->alloc_rules, r);
	return 0;
}

static int load_flaky(const ctx *c, const impact_toml_value *t)
{
	impact_config *cfg = c->ld->cfg;
	impact_flaky f = { 0 };
	impact_config_where w = at(c, t);
	int rc = 0;

	f.where = w;
	if (t->kind != IMPACT_TOML_TABLE)
		return fail_at(&w, "each 'flaky' must be a table ([[flaky]] with test = \"...\"), not %s",
		               type_name(t));
	for (size_t i = 0; i < t->u.tbl.n && rc == 0; i++) {
		const impact_toml_kv *kv = &t->u.tbl.kv[i];
		const char *s;
		if (key_is(kv->key, "test")) {
			if ((rc = want_string(c, kv, &s)) == 0) {
				free(f.test);
				f.test = impact_xstrdup(s);
			}
		} else if (key_is(kv->key, "errors")) {
			rc = each_string(c, kv, true, add_string, &f.errors);
		} else if (key_is(kv->key, "reason")) {
			if ((rc = want_string(c, kv, &s)) == 0) {
				free(f.reason);
				f.reason = impact_xstrdup(s);
			}
		} else {
			rc = unknown_key(c, kv, "a flaky entry", "test, errors, reason");
		}
	}
	if (rc == 0 && (!f.test || !*f.test))
		rc = fail_at(&w, "this flaky entry has no 'test': give the node id (or a glob) of the flaky test");
	if (rc < 0) {
		free(f.test);
		free(f.reason);
		impact_strlist_release(&f.errors);
		return rc;
	}
	IMPACT_PUSH(cfg->flaky, cfg->nflaky, cfg->alloc_flaky, f);
	return 0;
}

static int each_table(const ctx *c, const impact_toml_kv *kv,
                      int (*fn)(const ctx *, const impact_toml_value *, size_t))
{
	const impact_toml_value *v = kv->value;
	int rc;
	if (v->kind == IMPACT_TOML_TABLE)
		return fn(c, v, c->ld->cfg->nrules + 1);
	if (v->kind != IMPACT_TOML_ARRAY) {
		impact_config_where w = at(c, v);
		return fail_at(&w, "'%s' must be an array of tables ([[%s]]), not %s", kv->key, kv->key,
		               type_name(v));
	}
	for (size_t i = 0; i < v->u.arr.n; i++)
		if ((rc = fn(c, v->u.arr.items[i], c->ld->cfg->nrules + 1)) < 0)
			return rc;
	return 0;
}

static int load_rule_cb(const ctx *c, const impact_toml_value *t, size_t index)
{
	return load_rule(c, t, index);
}

static int load_flaky_cb(const ctx *c, const impact_toml_value *t, size_t index)
{
	IMPACT_UNUSED(index);
	return load_flaky(c, t);
}

static int load_set(loader *ld, const char *name, const impact_config_where *from);
static int load_repo_file(loader *ld, const char *path, const impact_config_where *from);

static int do_extends(const ctx *c, const impact_toml_value *v, void *payload)
{
	impact_config_where w = at(c, v);
	const char *s = v->u.s;
	IMPACT_UNUSED(payload);
	if (!*s)
		return fail_at(&w, "an empty name in 'extends'; name a shipped set (\"tractor\") or a .toml file");
	if (strchr(s, '/') || impact_path_has_suffix(s, ".toml"))
		return load_repo_file(c->ld, s, &w);
	return load_set(c->ld, s, &w);
}

#define TOP_KEYS "extends, defaults, rule, flaky, full-suite-on, ignore, always, unmatched, " \
                 "python, default-args, timeout, test-command, exact, exact-copy, audit"

/* [audit] (in pyproject.toml [tool.impact.audit]): `impact audit`'s own defaults. */
static int load_audit(const ctx *c, const impact_toml_value *t)
{
	impact_config *cfg = c->ld->cfg;
	impact_config_where w = at(c, t);
	int rc = 0;

	if (t->kind != IMPACT_TOML_TABLE)
		return fail_at(&w, "'audit' must be a table ([audit] with mutate, functions, seed), "
		               "not %s", type_name(t));
	cfg->where_audit = w;
	for (size_t i = 0; i < t->u.tbl.n && rc == 0; i++) {
		const impact_toml_kv *kv = &t->u.tbl.kv[i];
		const impact_toml_value *v = kv->value;
		impact_config_where vw = at(c, v);
		if (key_is(kv->key, "mutate")) {
			if (v->kind != IMPACT_TOML_INTEGER || v->u.i <= 0 || v->u.i > 1000000)
				rc = fail_at(&vw, "'audit.mutate' must be a number of mutants from 1 to 1000000");
			else
				cfg->audit_mutate = (unsigned)v->u.i;
		} else if (key_is(kv->key, "functions")) {
			if (v->kind != IMPACT_TOML_BOOL)
				rc = fail_at(&vw, "'audit.functions' must be true or false, not %s", type_name(v));
			else
				cfg->audit_functions = v->u.b;
		} else if (key_is(kv->key, "seed")) {
			if (v->kind != IMPACT_TOML_INTEGER || v->u.i < 0 || v->u.i > UINT32_MAX)
				rc = fail_at(&vw, "'audit.seed' must be a whole number from 0 to 4294967295");
			else
				cfg->audit_seed = (uint64_t)v->u.i;
		} else {
			rc = unknown_key(c, kv, "audit", "mutate, functions, seed");
		}
	}
	return rc;
}

/*
 * The keys of one configuration table. `extends` is handled first
 * whatever its position, so a file's own keys come after what it extends.
 */
static int load_table(const ctx *c, const impact_toml_value *t, const char *where)
{
	impact_config *cfg = c->ld->cfg;
	spec_list always = { &cfg->always, &cfg->nalways, &cfg->alloc_always };
	int rc = 0;

	for (size_t i = 0; i < t->u.tbl.n && rc == 0; i++) {
		const impact_toml_kv *kv = &t->u.tbl.kv[i];
		if (key_is(kv->key, "extends"))
			rc = each_string(c, kv, true, do_extends, NULL);
	}
	for (size_t i = 0; i < t->u.tbl.n && rc == 0; i++) {
		const impact_toml_kv *kv = &t->u.tbl.kv[i];
		const impact_toml_value *v = kv->value;
		impact_config_where vw = at(c, v);
		const char *s;

		if (key_is(kv->key, "extends")) {
			continue;
		} else if (key_is(kv->key, "defaults")) {
			/* Read before anything else by impact_config_load; checked here. */
			if (v->kind != IMPACT_TOML_BOOL)
				rc = fail_at(&vw, "'defaults' must be true or false, not %s", type_name(v));
		} else if (key_is(kv->key, "rule") || key_is(kv->key, "rules")) {
			rc = each_table(c, kv, load_rule_cb);
		} else if (key_is(kv->key, "flaky")) {
			rc = each_table(c, kv, load_flaky_cb);
		} else if (key_is(kv->key, "full-suite-on")) {
			rc = each_string(c, kv, true, add_pattern, &cfg->full_suite_on);
		} else if (key_is(kv->key, "ignore")) {
			rc = each_string(c, kv, true, add_pattern, &cfg->ignore);
		} else if (key_is(kv->key, "always")) {
			rc = each_string(c, kv, true, add_testspec, &always);
		} else if (key_is(kv->key, "unmatched")) {
			if ((rc = want_string(c, kv, &s)) < 0)
				break;
			if (!strcmp(s, "full"))
				cfg->unmatched = IMPACT_UNMATCHED_FULL;
			else if (!strcmp(s, "ignore"))
				cfg->unmatched = IMPACT_UNMATCHED_IGNORE;
			else if (!strcmp(s, "warn"))
				cfg->unmatched = IMPACT_UNMATCHED_WARN;
			else
				rc = fail_at(&vw, "'unmatched' is \"%s\"; use \"full\", \"ignore\" or \"warn\"", s);
			cfg->where_unmatched = vw;
		} else if (key_is(kv->key, "python")) {
			if ((rc = want_string(c, kv, &s)) < 0)
				break;
			if (!*s) {
				rc = fail_at(&vw, "'python' is empty; give an interpreter path or name, or remove the key");
				break;
			}
			free(cfg->python);
			cfg->python = impact_xstrdup(s);
			cfg->where_python = vw;
		} else if (key_is(kv->key, "default-args")) {
			impact_strlist_release(&cfg->default_args);
			cfg->has_default_args = true;
			cfg->where_default_args = vw;
			if (v->kind == IMPACT_TOML_STRING)
				rc = impact_shlex_split(&cfg->default_args, v->u.s) < 0 ?
				     fail_at(&vw, "'default-args': %s", impact_error_last()) : 0;
			else
				rc = each_string(c, kv, false, add_string, &cfg->default_args);
		} else if (key_is(kv->key, "timeout")) {
			if (v->kind != IMPACT_TOML_INTEGER || v->u.i <= 0 || v->u.i > 7 * 24 * 3600)
				rc = fail_at(&vw, "'timeout' must be a whole number of seconds between 1 and 604800");
			else
				cfg->timeout = (unsigned)v->u.i;
			cfg->where_timeout = vw;
		} else if (key_is(kv->key, "test-command")) {
			impact_strlist_release(&cfg->test_command);
			cfg->where_test_command = vw;
			if (v->kind == IMPACT_TOML_STRING) {
				rc = fail_at(&vw, "'test-command' must be an argv list such as [\"python\", \"-m\", \"pytest\"], not a string (impact runs no shell)");
				break;
			}
			rc = each_string(c, kv, false, add_string, &cfg->test_command);
			if (rc == 0 && !cfg->test_command.n)
				rc = fail_at(&vw, "'test-command' is empty; give the argv, e.g. [\"python\", \"-m\", \"pytest\"]");
		} else if (key_is(kv->key, "exact")) {
			if (v->kind != IMPACT_TOML_BOOL)
				rc = fail_at(&vw, "'exact' must be true or false, not %s", type_name(v));
			else
				cfg->exact_off = !v->u.b;
			cfg->where_exact = vw;
		} else if (key_is(kv->key, "exact-copy")) {
			rc = each_string(c, kv, true, add_copy_path, &cfg->exact_copy);
		} else if (key_is(kv->key, "audit")) {
			rc = load_audit(c, v);
		} else {
			rc = unknown_key(c, kv, where, TOP_KEYS);
		}
	}
	return rc;
}

/* ---- sources ------------------------------------------------------------ */

const char *impact_config_builtin_set(const char *name, size_t *len)
{
	if (!strcmp(name, "default")) {
		*len = impact_rules_default_len;
		return impact_rules_default;
	}
	if (!strcmp(name, "tractor")) {
		*len = impact_rules_tractor_len;
		return impact_rules_tractor;
	}
	return NULL;
}

/*
 * Parse a configuration file's `text`: refused past MAX_CONFIG_SIZE (a
 * rule set that large is a mistake, and would only make every run slow).
 */
static int parse_config(impact_toml_doc **doc, const char *label, const char *text, size_t len)
{
	*doc = NULL;
	if (len > MAX_CONFIG_SIZE)
		return impact_error_set(IMPACT_EINVALID,
		                        "'%s' is %zu MiB: impact reads configurations up to %zu MiB; "
		                        "write rules as globs rather than one per file",
		                        label, len >> 20, MAX_CONFIG_SIZE >> 20);
	return impact_toml_parse(doc, text, len, label);
}

/* Load parsed `doc` as a whole rule set (top-level keys, or a [tool.impact] table). */
static int load_doc(loader *ld, const char *label, bool builtin, const impact_toml_doc *doc,
                    bool pyproject)
{
	const impact_toml_value *t;
	ctx c;
	int rc;

	impact_strlist_push(&ld->cfg->sources, label);
	c.ld = ld;
	c.file = ld->cfg->sources.items[ld->cfg->sources.n - 1];
	c.builtin = builtin;
	t = doc->root;
	if (pyproject || impact_toml_get(doc->root, "tool.impact"))
		t = impact_toml_get(doc->root, "tool.impact");
	if (!t) {
		rc = 0;
	} else if (t->kind != IMPACT_TOML_TABLE) {
		impact_config_where w = at(&c, t);
		rc = fail_at(&w, "'tool.impact' must be a table");
	} else {
		rc = load_table(&c, t, pyproject || t != doc->root ? "[tool.impact]" : c.file);
	}
	/* Sources list in the order they apply: what this file extends came first. */
	{
		impact_strlist *src = &ld->cfg->sources;
		size_t i = 0;
		while (i < src->n && src->items[i] != c.file)
			i++;
		if (i < src->n) {
			char *self = src->items[i];
			memmove(&src->items[i], &src->items[i + 1], (src->n - i - 1) * sizeof(char *));
			src->items[src->n - 1] = self;
		}
	}
	return rc;
}

/* Parse `text` and load it as a whole rule set. */
static int load_text(loader *ld, const char *label, bool builtin, const char *text, size_t len,
                     bool pyproject)
{
	impact_toml_doc *doc = NULL;
	int rc = parse_config(&doc, label, text, len);
	if (rc == 0)
		rc = load_doc(ld, label, builtin, doc, pyproject);
	impact_toml_free(doc);
	return rc;
}

static int chain_guard(loader *ld, const char *id, const impact_config_where *from, bool *skip)
{
	*skip = false;
	if (list_has(&ld->loading, id))
		return fail_at(from, "'%s' extends itself through a cycle; remove one of the 'extends'", id);
	if (ld->loading.n >= MAX_EXTENDS_DEPTH)
		return fail_at(from, "'extends' nests more than %d deep", MAX_EXTENDS_DEPTH);
	if (list_has(&ld->loaded, id)) {
		*skip = true; /* already in: lists would repeat */
		return 0;
	}
	impact_strlist_push(&ld->loaded, id);
	impact_strlist_push(&ld->loading, id);
	return 0;
}

static void chain_pop(loader *ld)
{
	free(ld->loading.items[--ld->loading.n]);
}

static bool set_name_ok(const char *name)
{
	for (const char *p = name; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '.'))
			return false;
	return *name && *name != '.';
}

/*
 * A shipped set: from the given dir or $IMPACT_RULES_DIR when one is named
 * (it replaces the installed dir, so a build tree's tests never read an
 * older installed copy), else from the installed dir; then the compiled-in
 * copy.
 */
static int load_set(loader *ld, const char *name, const impact_config_where *from)
{
	const char *dir;
	const char *env = getenv("IMPACT_RULES_DIR");
	impact_buf path = IMPACT_BUF_INIT, text = IMPACT_BUF_INIT, label = IMPACT_BUF_INIT;
	const char *builtin;
	size_t blen = 0;
	bool skip;
	int rc;

	if (!set_name_ok(name))
		return fail_at(from, "'%s' is not a rule set name (letters, digits, '-', '_'); a file of "
		               "the repository must contain '/' or end in .toml", name);
	if ((rc = chain_guard(ld, name, from, &skip)) < 0 || skip)
		return rc;
	dir = ld->rules_dir ? ld->rules_dir : env && *env ? env : impact_config_rules_dir();
	impact_buf_printf(&path, "%s/%s.toml", dir, name);
	if ((rc = impact_buf_read_file(&text, path.ptr, MAX_CONFIG_SIZE)) == 0)
		impact_buf_sets(&label, path.ptr);
	if (rc == IMPACT_ENOTFOUND && (builtin = impact_config_builtin_set(name, &blen))) {
		impact_buf_clear(&text);
		impact_buf_put(&text, builtin, blen);
		impact_buf_printf(&label, "%s.toml (built in)", name);
		rc = 0;
	}
	if (rc == IMPACT_ENOTFOUND)
		rc = fail_at(from, "no rule set named '%s' (shipped sets: default, tractor; or name a "
		             ".toml file of the repository with its path)", name);
	if (rc == 0)
		rc = load_text(ld, label.ptr, true, text.ptr ? text.ptr : "", text.size, false);
	chain_pop(ld);
	impact_buf_release(&path);
	impact_buf_release(&text);
	impact_buf_release(&label);
	return rc;
}

static int load_repo_file(loader *ld, const char *path, const impact_config_where *from)
{
	impact_buf text = IMPACT_BUF_INIT;
	bool skip;
	int rc;

	if (path[0] == '/' || !strncmp(path, "../", 3))
		return fail_at(from, "'%s': extends takes a path relative to the repository root", path);
	if ((rc = chain_guard(ld, path, from, &skip)) < 0 || skip)
		return rc;
	rc = ld->read(&text, path, ld->payload);
	if (rc == IMPACT_ENOTFOUND)
		rc = fail_at(from, "'%s' does not exist in the repository; fix the path in 'extends'", path);
	if (rc == 0)
		rc = load_text(ld, path, false, text.ptr ? text.ptr : "", text.size,
		               !strcmp(impact_path_base(path), "pyproject.toml"));
	chain_pop(ld);
	impact_buf_release(&text);
	return rc;
}

/* `defaults = false` in the project's table, read before anything is loaded. */
static bool wants_defaults(const impact_toml_doc *doc, bool pyproject)
{
	const impact_toml_value *t;
	bool yes = true;
	t = pyproject || impact_toml_get(doc->root, "tool.impact") ?
	    impact_toml_get(doc->root, "tool.impact") : doc->root;
	if (t && t->kind == IMPACT_TOML_TABLE)
		for (size_t i = 0; i < t->u.tbl.n; i++)
			if (key_is(t->u.tbl.kv[i].key, "defaults") &&
			    t->u.tbl.kv[i].value->kind == IMPACT_TOML_BOOL)
				yes = t->u.tbl.kv[i].value->u.b;
	return yes;
}

int impact_config_load(impact_config **out, impact_file_reader read,
                       void *payload, const char *rules_dir)
{
	loader ld = { 0 };
	impact_buf text = IMPACT_BUF_INIT;
	impact_toml_doc *doc = NULL; /* the project's own file, parsed once */
	const char *own = NULL;
	bool pyproject = false;
	int rc;

	*out = NULL;
	ld.cfg = impact_xcalloc(1, sizeof(*ld.cfg));
	ld.read = read;
	ld.payload = payload;
	ld.rules_dir = rules_dir;

	/* The project's own file: .impact.toml, else [tool.impact] in pyproject.toml. */
	rc = read(&text, ".impact.toml", payload);
	if (rc == 0) {
		own = ".impact.toml";
	} else if (rc == IMPACT_ENOTFOUND) {
		impact_buf_clear(&text);
		rc = read(&text, "pyproject.toml", payload);
		if (rc == 0) {
			/* Only a pyproject with [tool.impact] configures impact. */
			if (parse_config(&doc, "pyproject.toml", text.ptr ? text.ptr : "", text.size) == 0 &&
			    impact_toml_get(doc->root, "tool.impact")) {
				own = "pyproject.toml";
				pyproject = true;
			} else {
				/* Malformed: pytest's configuration reader reports it. */
				impact_error_clear();
				impact_toml_free(doc);
				doc = NULL;
			}
		}
		if (rc == IMPACT_ENOTFOUND)
			rc = 0;
	}
	if (rc < 0) {
		rc = impact_error_set(rc, "cannot read impact's configuration: %s", impact_error_last());
		goto done;
	}

	if (own && !doc && (rc = parse_config(&doc, own, text.ptr ? text.ptr : "", text.size)) < 0)
		goto done;
	if (!own || wants_defaults(doc, pyproject)) {
		impact_config_where w = where_of(NULL, true, 0, 0);
		if ((rc = load_set(&ld, "default", &w)) < 0)
			goto done;
	}
	if (own) {
		ld.cfg->project_config = true;
		impact_strlist_push(&ld.loaded, own);
		impact_strlist_push(&ld.loading, own);
		rc = load_doc(&ld, own, false, doc, pyproject);
		chain_pop(&ld);
	}
done:
	impact_toml_free(doc);
	impact_buf_release(&text);
	impact_strlist_release(&ld.loaded);
	impact_strlist_release(&ld.loading);
	if (rc < 0) {
		impact_config_free(ld.cfg);
		return rc;
	}
	*out = ld.cfg;
	return 0;
}

void impact_config_free(impact_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->nrules; i++) {
		impact_rule *r = &cfg->rules[i];
		patterns_release(&r->paths);
		for (size_t k = 0; k < r->ntests; k++)
			testspec_release(&r->tests[k]);
		free(r->tests);
		free(r->name);
	}
	free(cfg->rules);
	for (size_t i = 0; i < cfg->nflaky; i++) {
		free(cfg->flaky[i].test);
		free(cfg->flaky[i].reason);
		impact_strlist_release(&cfg->flaky[i].errors);
	}
	free(cfg->flaky);
	for (size_t i = 0; i < cfg->nalways; i++)
		testspec_release(&cfg->always[i]);
	free(cfg->always);
	patterns_release(&cfg->full_suite_on);
	patterns_release(&cfg->ignore);
	free(cfg->python);
	impact_strlist_release(&cfg->default_args);
	impact_strlist_release(&cfg->test_command);
	impact_strlist_release(&cfg->exact_copy);
	impact_strlist_release(&cfg->sources);
	free(cfg);
}

/* ---- matching ----------------------------------------------------------- */

const impact_pattern *impact_patterns_match(const impact_patterns *list, const char *path)
{
	for (size_t i = list->n; i-- > 0;)
		if (impact_glob_matches(list->v[i].glob, path))
			return impact_glob_negated(list->v[i].glob) ? NULL : &list->v[i];
	return NULL;
}

/* '*' (any run of bytes) and '?' (one byte); everything else literal, '[' included. */
static bool wild_match(const char *pat, const char *s)
{
	const char *star = NULL, *back = NULL;
	while (*s) {
		if (*pat == '*') {
			star = pat++;
			back = s;
		} else if (*pat == '?' || *pat == *s) {
			pat++;
			s++;
		} else if (star) {
			pat = star + 1;
			s = ++back;
		} else {
			return false;
		}
	}
	while (*pat == '*')
		pat++;
	return !*pat;
}

bool impact_config_flaky_names(const char *test, const char *nodeid)
{
	size_t n = strlen(test);
	if (strchr(test, '*') || strchr(test, '?'))
		return wild_match(test, nodeid);
	if (!strcmp(test, nodeid))
		return true;
	/* "file::test" covers "file::test[param]" */
	return !strncmp(test, nodeid, n) && nodeid[n] == '[' && !strchr(test, '[');
}

const impact_flaky *impact_config_match_flaky(const impact_config *cfg,
                                              const char *nodeid,
                                              const char *failure_text)
{
	if (!cfg || !nodeid)
		return NULL;
	for (size_t i = 0; i < cfg->nflaky; i++) {
		const impact_flaky *f = &cfg->flaky[i];
		bool hit = !f->errors.n;
		if (!impact_config_flaky_names(f->test, nodeid))
			continue;
		for (size_t k = 0; k < f->errors.n && !hit; k++)
			hit = failure_text && strstr(failure_text, f->errors.items[k]);
		if (hit)
			return f;
	}
	return NULL;
}

const char *impact_config_rules_dir(void)
{
	return IMPACT_RULES_DIR;
}
