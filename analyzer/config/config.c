/*
 * config.c - impact's own configuration: load, merge, match (see
 * config.h).
 *
 * Loading order: the built-in set ("default"), the sets the project's
 * `extends` names (recursively, each before the file that extends it),
 * then the project's own keys. A set is loaded once however often it is
 * named; a cycle is an error. Every key is checked in configkeys.c, with
 * its position: an unknown key, a wrong type or a bad glob fails the load
 * with "file:line:col: what, and how to fix it" so that a typo can never
 * quietly shrink a selection.
 */
#include "config_private.h"

#include "buildinfo.h"

#include "path.h"

#include <ctype.h>

extern const char impact_rules_default[];
extern const size_t impact_rules_default_len;
extern const char impact_rules_tractor[];
extern const size_t impact_rules_tractor_len;

#define MAX_EXTENDS_DEPTH 16
#define MAX_CONFIG_SIZE ((size_t)16 << 20)

/* ---- small helpers ------------------------------------------------------ */

static bool list_has(const impact_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->items[i], s))
			return true;
	return false;
}

void impact_config_where_format(impact_buf *out, const impact_config_where *where)
{
	if (!where || !where->file)
		impact_buf_puts(out, "built-in default");
	else
		impact_buf_printf(out, "%s:%u:%u", where->file, where->line, where->col);
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
		rc = config_load_table(&c, t, pyproject || t != doc->root ? "[tool.impact]" : c.file);
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
int config_load_set(loader *ld, const char *name, const impact_config_where *from)
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

int config_load_repo_file(loader *ld, const char *path, const impact_config_where *from)
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
			/*
			 * Only a pyproject with [tool.impact] configures impact; a
			 * file without the word cannot have it, and is not parsed
			 * (every run reads this file; a parse costs 1.5 ms for 5 KiB).
			 */
			if (text.ptr && memmem(text.ptr, text.size, "impact", 6) &&
			    parse_config(&doc, "pyproject.toml", text.ptr, text.size) == 0 &&
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
		if ((rc = config_load_set(&ld, "default", &w)) < 0)
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
		config_patterns_release(&r->paths);
		for (size_t k = 0; k < r->ntests; k++)
			config_testspec_release(&r->tests[k]);
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
		config_testspec_release(&cfg->always[i]);
	free(cfg->always);
	config_patterns_release(&cfg->full_suite_on);
	config_patterns_release(&cfg->ignore);
	config_patterns_release(&cfg->tool_files);
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
