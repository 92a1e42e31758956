/*
 * configkeys.c - every key of impact's configuration, checked with its
 * position and stored into the impact_config being loaded: the top-level
 * keys, [[rule]], [[flaky]], [audit], string and glob lists, test specs.
 * An unknown key, a wrong type or a bad glob fails the load with
 * "file:line:col: what, and how to fix it". Where a configuration comes
 * from and in which order files apply is config.c.
 */
#include "config_private.h"

#include "path.h"

static const char *type_name(const impact_toml_value *v)
{
	return impact_toml_kind_name(v->kind);
}

/* ---- values ------------------------------------------------------------- */

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

void config_testspec_release(impact_testspec *t)
{
	free(t->text);
	impact_glob_free(t->glob);
}

void config_patterns_release(impact_patterns *l)
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
		config_patterns_release(&r.paths);
		for (size_t i = 0; i < r.ntests; i++)
			config_testspec_release(&r.tests[i]);
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

static int do_extends(const ctx *c, const impact_toml_value *v, void *payload)
{
	impact_config_where w = at(c, v);
	const char *s = v->u.s;
	IMPACT_UNUSED(payload);
	if (!*s)
		return fail_at(&w, "an empty name in 'extends'; name a shipped set (\"tractor\") or a .toml file");
	if (strchr(s, '/') || impact_path_has_suffix(s, ".toml"))
		return config_load_repo_file(c->ld, s, &w);
	return config_load_set(c->ld, s, &w);
}

#define TOP_KEYS "extends, defaults, rule, flaky, full-suite-on, ignore, tool-files, always, " \
                 "unmatched, python, default-args, timeout, test-command, exact, exact-copy, audit"

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
int config_load_table(const ctx *c, const impact_toml_value *t, const char *where)
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
		} else if (key_is(kv->key, "tool-files")) {
			rc = each_string(c, kv, true, add_pattern, &cfg->tool_files);
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
