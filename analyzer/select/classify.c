/*
 * classify.c - what each change is, by the rules (the first phase of
 * impact_select, see select.h), and the names of change classes and
 * statuses.
 *
 * Classification follows the configuration (config.h): `full-suite-on`
 * first, then `ignore`, then what the file is: a Python module follows the
 * import graph, a test selects itself, anything else is covered by a
 * mapping rule, collected by a pytest_collect_file hook, read as data by
 * the modules that name it in a string, another tool's file that nothing
 * names (`tool-files`: selects nothing), or falls to `unmatched` (default:
 * the full suite, with its reason). A rename is as strong as its stronger
 * side. It decides what a change is and where the walk starts; the walk
 * and the list of tests are select.c.
 */
#include "select_private.h"

#include <git2.h>

#include "path.h"
#include "settings.h"

static void describe_pattern(impact_buf *out, const char *list, const impact_pattern *pat)
{
	impact_buf_printf(out, "matches %s '%s' (", list, pat->text);
	impact_config_where_format(out, &pat->where);
	impact_buf_puts(out, ")");
}

static const impact_rule *first_rule(const impact_config *cfg, const char *path)
{
	for (size_t i = 0; i < cfg->nrules; i++)
		if (impact_patterns_match(&cfg->rules[i].paths, path))
			return &cfg->rules[i];
	return NULL;
}

static void set_unmatched(impact_change_info *info, const impact_config *cfg, const char *what)
{
	impact_buf why = IMPACT_BUF_INIT;
	switch (cfg->unmatched) {
	case IMPACT_UNMATCHED_FULL:
		info->cls = IMPACT_CLASS_OTHER;
		impact_buf_printf(&why, "%s: running the full suite to be safe", what);
		break;
	case IMPACT_UNMATCHED_IGNORE:
		info->cls = IMPACT_CLASS_IGNORED;
		impact_buf_printf(&why, "%s; unmatched = \"ignore\"", what);
		break;
	case IMPACT_UNMATCHED_WARN:
		info->cls = IMPACT_CLASS_UNMATCHED;
		impact_buf_printf(&why, "%s; unmatched = \"warn\": nothing selected for it", what);
		break;
	}
	if (cfg->where_unmatched.file) {
		impact_buf_puts(&why, " (unmatched set at ");
		impact_config_where_format(&why, &cfg->where_unmatched);
		impact_buf_puts(&why, ")");
	}
	free(info->reason);
	info->reason = impact_buf_detach(&why);
}

/* What classifying needs besides the change: borrowed, but `texts`, read when first needed. */
typedef struct classifier {
	const impact_project *p;
	const impact_config *cfg;
	const impact_select_opts *o;   /* no_smart; repo for the old side of a configuration
	                                  file (or NULL); the run's own pytest arguments */
	impact_u32vec *readers, *lines;
	impact_strlist texts;          /* settings.h: the configuration files' texts */
	bool texts_read;
} classifier;

/*
 * Where a pytest plugin's option can be set: the new sides of the
 * configuration files, default-args, and the run's own arguments.
 */
static void read_config_texts(classifier *k)
{
	static const char *const files[] = { "pyproject.toml", "setup.cfg", "tox.ini", "pytest.ini",
	                                     ".pytest.ini", ".impact.toml", NULL };
	k->texts_read = true;
	for (size_t i = 0; files[i]; i++) {
		const impact_entry *e = impact_snapshot_find(k->p->snap, files[i]);
		impact_buf b = IMPACT_BUF_INIT;
		if (e && impact_snapshot_read(&b, k->p->snap, e) == 0 && b.ptr)
			impact_strlist_push(&k->texts, b.ptr);
		else
			impact_error_clear();
		impact_buf_release(&b);
	}
	for (size_t i = 0; i < k->cfg->default_args.n; i++)
		impact_strlist_push(&k->texts, k->cfg->default_args.items[i]);
	for (size_t i = 0; i < k->o->nrun_args; i++)
		if (k->o->run_args[i])
			impact_strlist_push(&k->texts, k->o->run_args[i]);
}

/*
 * Did configuration file `path` (change `c`, modified in place) change in
 * settings no pytest run reads only (settings.c)? `what` names them.
 * False when a side cannot be read.
 */
static bool quiet_settings(classifier *k, const impact_change *c, const char *path, impact_buf *what)
{
	impact_settings_ctx ctx = { 0 };
	impact_buf old = IMPACT_BUF_INIT, new = IMPACT_BUF_INIT;
	const impact_entry *e;
	git_blob *blob = NULL;
	bool quiet = false;

	if (!k->o->repo || c->status != IMPACT_CHANGE_MODIFIED || !c->old_path || !c->new_path ||
	    strcmp(c->old_path, c->new_path) || strchr(path, '/') ||
	    (strcmp(path, "pyproject.toml") && strcmp(path, "setup.cfg") && strcmp(path, "tox.ini")))
		return false;
	if (!k->texts_read)
		read_config_texts(k);
	ctx.test_command = k->cfg->test_command.n > 0;
	ctx.texts = (const char *const *)k->texts.items;
	ctx.ntexts = k->texts.n;
	if (git_blob_lookup(&blob, k->o->repo, &c->old_oid) == 0 &&
	    (e = impact_snapshot_find(k->p->snap, path)) && impact_snapshot_read(&new, k->p->snap, e) == 0) {
		impact_buf_put(&old, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
		quiet = impact_settings_quiet(&ctx, path, old.ptr ? old.ptr : "", old.size,
		                              new.ptr ? new.ptr : "", new.size, what);
	} else {
		impact_error_clear();
	}
	git_blob_free(blob);
	impact_buf_release(&old);
	impact_buf_release(&new);
	return quiet;
}

/*
 * A non-Python file no rule or collector covers: data when a module names
 * it in a string (its readers go to k->readers), else nothing when
 * `unnamed` (a tool's file, settings no test reads: the reason given),
 * else `unmatched`. `why` is the reason so far (taken).
 */
static void named_or(impact_change_info *info, classifier *k, const char *path, impact_buf *why,
                     bool unnamed)
{
	size_t before = k->readers->n;
	if (!k->o->no_smart)
		impact_project_path_referrers(k->p, path, k->readers, k->lines);
	free(info->reason);
	info->reason = NULL;
	if (k->readers->n == before && unnamed && !k->o->no_smart) {
		info->cls = IMPACT_CLASS_IGNORED;
		impact_buf_puts(why, ", and no module names it in a string");
	} else if (k->readers->n == before) {
		info->pattern = NULL;
		set_unmatched(info, k->cfg, "not Python and no rule covers it");
		impact_buf_release(why);
		return;
	} else {
		info->cls = IMPACT_CLASS_DATA;
		info->pattern = NULL;
		info->nreaders = (uint32_t)(k->readers->n - before);
		impact_buf_clear(why);
		impact_buf_printf(why, "a data file: named in a string in %s:%u",
		                  k->p->files[k->readers->v[before]].path, k->lines->v[before]);
		if (info->nreaders > 1)
			impact_buf_printf(why, " and %u more module%s", info->nreaders - 1,
			                  info->nreaders == 2 ? "" : "s");
	}
	info->reason = impact_buf_detach(why);
}

/*
 * Classify one side's path of change `c` into `info` (cls, reason,
 * pattern). The modules that read a data file (string evidence) are
 * appended to k->readers.
 */
static void classify_path(impact_change_info *info, classifier *k, const impact_change *c,
                          const char *path)
{
	const impact_project *p = k->p;
	const impact_config *cfg = k->cfg;
	const impact_collector *col;
	impact_buf why = IMPACT_BUF_INIT, what = IMPACT_BUF_INIT;
	const impact_pattern *pat;
	const impact_rule *rule = first_rule(cfg, path);
	bool py = impact_path_has_suffix(path, ".py");

	info->pattern = NULL;
	if ((pat = impact_patterns_match(&cfg->full_suite_on, path))) {
		info->pattern = pat;
		if (!rule && !k->o->no_smart && quiet_settings(k, c, path, &what)) {
			/* Only settings no pytest run reads: as a tool's file. */
			impact_buf_printf(&why, "only settings no test run reads changed (%s)", what.ptr);
			impact_buf_release(&what);
			info->pattern = NULL;
			named_or(info, k, path, &why, true);
			return;
		}
		impact_buf_release(&what);
		info->cls = IMPACT_CLASS_FULL;
		describe_pattern(&why, "full-suite-on", pat);
	} else if ((pat = impact_patterns_match(&cfg->ignore, path))) {
		info->cls = IMPACT_CLASS_IGNORED;
		info->pattern = pat;
		describe_pattern(&why, "ignore", pat);
	} else if (py) {
		uint32_t id = impact_project_find(p, path);
		if (id != IMPACT_STRPOOL_NONE && (p->files[id].flags & IMPACT_PF_TEST)) {
			info->cls = IMPACT_CLASS_TEST;
			impact_buf_puts(&why, "test module");
		} else if (k->o->no_smart && !rule) {
			free(info->reason);
			info->reason = NULL;
			set_unmatched(info, cfg, "Python module no rule covers (--no-smart)");
			return;
		} else {
			info->cls = IMPACT_CLASS_MODULE;
			impact_buf_puts(&why, "Python module");
		}
	} else if (rule) {
		info->cls = IMPACT_CLASS_RULE;
		impact_buf_printf(&why, "covered by rule '%s' (", rule->name);
		impact_config_where_format(&why, &rule->where);
		impact_buf_puts(&why, ")");
	} else if ((col = collector_of(p, path))) {
		info->cls = IMPACT_CLASS_COLLECTED;
		impact_buf_puts(&why, "collected as a test by ");
		impact_buf_printf(&why, "%s:%u (pytest_collect_file)", p->files[col->module].path,
		                  col->hook_line);
	} else {
		/* Another tool's file (CI, pre-commit, an editor): no test reads it by itself. */
		if ((pat = impact_patterns_match(&cfg->tool_files, path))) {
			info->pattern = pat;
			describe_pattern(&why, "tool-files", pat);
		}
		named_or(info, k, path, &why, pat != NULL);
		return;
	}
	free(info->reason);
	info->reason = impact_buf_detach(&why);
}

/* How much a class forces: a rename is as strong as its stronger side. */
static int strength(impact_change_class cls)
{
	switch (cls) {
	case IMPACT_CLASS_FULL: case IMPACT_CLASS_OTHER: case IMPACT_CLASS_SUBMODULE: return 3;
	case IMPACT_CLASS_MODULE: case IMPACT_CLASS_TEST: case IMPACT_CLASS_RULE:
	case IMPACT_CLASS_COLLECTED: case IMPACT_CLASS_DATA: return 2;
	case IMPACT_CLASS_UNMATCHED: return 1;
	case IMPACT_CLASS_IGNORED: return 0;
	}
	return 3;
}

static void classify(impact_change_info *info, classifier *k)
{
	const impact_change *c = info->change;
	const char *path = impact_change_path(c);

	if (c->old_mode == IMPACT_MODE_GITLINK || c->new_mode == IMPACT_MODE_GITLINK) {
		info->cls = IMPACT_CLASS_SUBMODULE;
		info->reason = impact_xstrdup("submodule changed: impact does not look inside "
		                              "submodules, running the full suite");
		return;
	}
	classify_path(info, k, c, path);
	if (c->old_path && c->new_path && strcmp(c->old_path, c->new_path)) {
		impact_change_info old = { 0 };
		old.change = c;
		classify_path(&old, k, c, c->old_path);
		if (strength(old.cls) > strength(info->cls)) {
			free(info->reason);
			*info = old;
			info->change = c;
		} else {
			free(old.reason);
		}
	}
}

static bool runner_file(const impact_project *p, const bool *runner, const char *path)
{
	uint32_t id;
	return runner && path && (id = impact_project_find(p, path)) != IMPACT_STRPOOL_NONE && runner[id];
}

/*
 * A Python module pytest runs on (`runner`, per file id: imported by
 * pytest itself before any test at the last run, or imported by such a
 * module; pytest's own dependencies, when the repository is one): a
 * change there may break pytest for every test, whatever imports it.
 */
static void runner_change(impact_change_info *info, const impact_project *p, const bool *runner)
{
	const impact_change *c = info->change;
	if (info->cls != IMPACT_CLASS_MODULE ||
	    (!runner_file(p, runner, c->new_path) && !runner_file(p, runner, c->old_path)))
		return;
	free(info->reason);
	info->reason = impact_xstrdup("pytest itself imported it, or a module importing it, at the "
	                              "last run, before any test (it runs on this code): a change "
	                              "there may break every test");
	info->cls = IMPACT_CLASS_FULL;
}

/*
 * Phase 1: classify each change (module, test, data, full suite, ignored,
 * ...), note for each rule the first change it matched (`rule_by`), and
 * push the walk's seeds: changed Python files on either side, and modules
 * that name a changed data file in a string.
 */
void select_classify_changes(impact_selection *sel, const impact_project *p,
                             const impact_changeset *changes, const impact_config *config,
                             const impact_select_opts *opts, const bool *runner,
                             const impact_change **rule_by, impact_u32vec *seeds)
{
	static const impact_select_opts none = { 0 };
	impact_u32vec readers = { 0 }, lines = { 0 };
	classifier cl = { p, config, opts ? opts : &none, &readers, &lines, { 0 }, false };

	for (size_t i = 0; i < changes->n; i++) {
		impact_change_info *info = &sel->changes[i];
		const impact_change *c = &changes->changes[i];
		size_t r0 = readers.n;
		info->change = c;
		classify(info, &cl);
		runner_change(info, p, runner);
		if (info->cls != IMPACT_CLASS_DATA) { /* a stronger class won: not read as data */
			readers.n = r0;
			lines.n = r0;
		}
		for (size_t k = r0; k < readers.n; k++) {
			impact_buf note = IMPACT_BUF_INIT;
			if (!sel->seed_notes) {
				sel->seed_notes = impact_xcalloc((size_t)p->nfiles + 1, sizeof(char *));
				sel->seed_data = impact_xcalloc((size_t)p->nfiles + 1, sizeof(char *));
			}
			if (sel->seed_notes[readers.v[k]])
				continue;
			sel->seed_data[readers.v[k]] = impact_change_path(c);
			impact_buf_puts(&note, "names ");
			impact_buf_puts(&note, impact_change_path(c));
			impact_buf_printf(&note, " (%s) in a string, line %u",
			                  impact_change_status_name(c->status), lines.v[k]);
			sel->seed_notes[readers.v[k]] = impact_buf_detach(&note);
			impact_u32vec_push(seeds, readers.v[k]);
		}
		if (strength(info->cls) == 3 && !sel->full_suite) {
			impact_buf why = IMPACT_BUF_INIT;
			impact_buf_printf(&why, "%s: %s", impact_change_path(c), info->reason);
			sel->full_suite = true;
			sel->full_reason = impact_buf_detach(&why);
			sel->full_change = info;
		}
		if (info->cls == IMPACT_CLASS_UNMATCHED) {
			impact_buf w = IMPACT_BUF_INIT;
			impact_buf_printf(&w, "%s: %s", impact_change_path(c), info->reason);
			impact_strlist_push(&sel->warnings, w.ptr);
			impact_buf_release(&w);
		}
		/* Mapping rules, on either side of the change (not for ignored files). */
		if (info->cls != IMPACT_CLASS_IGNORED && info->cls != IMPACT_CLASS_SUBMODULE) {
			for (size_t r = 0; r < config->nrules; r++) {
				const impact_patterns *paths = &config->rules[r].paths;
				if ((c->new_path && impact_patterns_match(paths, c->new_path)) ||
				    (c->old_path && impact_patterns_match(paths, c->old_path))) {
					info->nrules++;
					if (!rule_by[r])
						rule_by[r] = c;
				}
			}
		}
		if (info->cls == IMPACT_CLASS_IGNORED || info->cls == IMPACT_CLASS_UNMATCHED)
			continue;
		/* Every changed Python path on either side seeds the walk. */
		if (c->new_path && c->new_mode != IMPACT_MODE_GITLINK) {
			uint32_t id = impact_project_find(p, c->new_path);
			if (id != IMPACT_STRPOOL_NONE)
				impact_u32vec_push(seeds, id);
		}
		if (c->old_path && (!c->new_path || strcmp(c->old_path, c->new_path))) {
			uint32_t id = impact_project_find(p, c->old_path);
			if (id != IMPACT_STRPOOL_NONE && (p->files[id].flags & IMPACT_PF_GHOST))
				impact_u32vec_push(seeds, id);
		}
	}
	impact_u32vec_release(&readers);
	impact_u32vec_release(&lines);
	impact_strlist_release(&cl.texts);
}

const char *impact_change_class_name(impact_change_class cls)
{
	switch (cls) {
	case IMPACT_CLASS_MODULE: return "module";
	case IMPACT_CLASS_TEST: return "test";
	case IMPACT_CLASS_FULL: return "full-suite";
	case IMPACT_CLASS_IGNORED: return "ignored";
	case IMPACT_CLASS_OTHER: return "other";
	case IMPACT_CLASS_SUBMODULE: return "submodule";
	case IMPACT_CLASS_RULE: return "rule";
	case IMPACT_CLASS_UNMATCHED: return "unmatched";
	case IMPACT_CLASS_COLLECTED: return "collected";
	case IMPACT_CLASS_DATA: return "data";
	}
	return "?";
}

const char *impact_change_status_name(impact_change_status status)
{
	switch (status) {
	case IMPACT_CHANGE_ADDED: return "added";
	case IMPACT_CHANGE_MODIFIED: return "modified";
	case IMPACT_CHANGE_DELETED: return "deleted";
	case IMPACT_CHANGE_RENAMED: return "renamed";
	case IMPACT_CHANGE_COPIED: return "copied";
	case IMPACT_CHANGE_TYPECHANGE: return "type changed";
	}
	return "changed";
}
