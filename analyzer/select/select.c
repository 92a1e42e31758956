/*
 * select.c - walk the graph back to tests from the classified changes
 * (classify.c classifies them by the rules), add what the rules name,
 * order them (see select.h).
 *
 * Mapping rules add their tests on top of smart mode, or alone with
 * --no-smart. TYPE_CHECKING-only imports are not followed: they never
 * execute, so they cannot break a test at run time.
 */
#include "select_private.h"
#include "state.h"
#include "textdoctest.h"

#include "path.h"
#include "precise.h"
#include "testfiles.h"

enum { GROUP_RULE = 0, GROUP_CHANGED, GROUP_GRAPH, GROUP_REST };

/* ---- the list being built ------------------------------------------------ */

typedef struct builder {
	impact_selection *sel;
	const impact_project *p;
	uint32_t *whole;      /* per file id: index+1 of its whole-file entry, 0 none */
	uint32_t seq;
} builder;

static void add(builder *b, uint32_t file, const char *target, impact_select_reason reason,
                uint8_t group, int32_t rule, const impact_change *by, const impact_testspec *spec,
                bool nodeid)
{
	impact_selection *sel = b->sel;
	impact_selected s = { 0 };

	if (file != IMPACT_STRPOOL_NONE && b->whole[file]) {
		impact_selected *e = &sel->tests[b->whole[file] - 1];
		if (group < e->group) { /* e.g. a rule names a test the graph reached */
			e->group = group;
			e->reason = reason;
			e->rule = rule;
			e->by = by;
			e->spec = spec;
			e->seq = b->seq++;
		}
		return;
	}
	if (nodeid || file == IMPACT_STRPOOL_NONE) {
		for (size_t i = 0; i < sel->ntests; i++)
			if (!strcmp(sel->tests[i].target, target))
				return;
	}
	s.file = file;
	s.anchor = file;
	s.target = target;
	s.dist = file != IMPACT_STRPOOL_NONE && file < sel->reach.n ? sel->reach.dist[file] : UINT32_MAX;
	s.reason = reason;
	s.group = group;
	s.rule = rule;
	s.by = by;
	s.spec = spec;
	s.seq = b->seq++;
	IMPACT_PUSH(sel->tests, sel->ntests, sel->alloc, s);
	if (file != IMPACT_STRPOOL_NONE && !nodeid)
		b->whole[file] = (uint32_t)sel->ntests;
}

static void warn_missing(impact_selection *sel, const impact_testspec *spec, const char *who)
{
	impact_buf w = IMPACT_BUF_INIT;
	impact_config_where_format(&w, &spec->where);
	impact_buf_printf(&w, ": %s names '%s', which matches no file of the repository; "
	                  "fix the entry (`impact rules check` lists them all)", who, spec->text);
	for (size_t i = 0; i < sel->warnings.n; i++)
		if (!strcmp(sel->warnings.items[i], w.ptr)) {
			impact_buf_release(&w);
			return;
		}
	impact_strlist_push(&sel->warnings, w.ptr);
	impact_buf_release(&w);
}

static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return !strncmp(path, dir, n) && path[n] == '/';
}

/* Add what `spec` names; false when it names nothing. */
static bool add_spec(builder *b, const impact_testspec *spec, impact_select_reason reason,
                     uint8_t group, int32_t rule, const impact_change *by)
{
	const impact_project *p = b->p;
	bool any = false;

	switch (spec->kind) {
	case IMPACT_TESTSPEC_NODEID: {
		size_t flen = (size_t)(strstr(spec->text, "::") - spec->text);
		char *file = impact_xstrndup(spec->text, flen);
		uint32_t id = impact_project_find(p, file);
		if (id != IMPACT_STRPOOL_NONE && !(p->files[id].flags & IMPACT_PF_GHOST)) {
			add(b, id, spec->text, reason, group, rule, by, spec, true);
			any = true;
		} else if (impact_snapshot_find(p->snap, file)) {
			add(b, IMPACT_STRPOOL_NONE, spec->text, reason, group, rule, by, spec, true);
			any = true;
		}
		free(file);
		break;
	}
	case IMPACT_TESTSPEC_PATH: {
		uint32_t id = impact_project_find(p, spec->text);
		if (id != IMPACT_STRPOOL_NONE) {
			if (!(p->files[id].flags & IMPACT_PF_GHOST)) {
				add(b, id, p->files[id].path, reason, group, rule, by, spec, false);
				any = true;
			}
			break;
		}
		if (impact_snapshot_find(p->snap, spec->text)) {
			add(b, IMPACT_STRPOOL_NONE, spec->text, reason, group, rule, by, spec, false);
			any = true;
			break;
		}
		if (impact_snapshot_has_dir(p->snap, spec->text)) {
			for (uint32_t i = 0; i < p->nfiles; i++)
				if ((p->files[i].flags & IMPACT_PF_TEST) && !(p->files[i].flags & IMPACT_PF_GHOST) &&
				    under(p->files[i].path, spec->text)) {
					add(b, i, p->files[i].path, reason, group, rule, by, spec, false);
					any = true;
				}
			if (!any) /* no Python test in it: let pytest collect what is there */
				add(b, IMPACT_STRPOOL_NONE, spec->text, reason, group, rule, by, spec, false);
			any = true;
		}
		break;
	}
	case IMPACT_TESTSPEC_GLOB:
		for (uint32_t i = 0; i < p->nfiles; i++)
			if ((p->files[i].flags & IMPACT_PF_TEST) && !(p->files[i].flags & IMPACT_PF_GHOST) &&
			    impact_glob_matches(spec->glob, p->files[i].path)) {
				add(b, i, p->files[i].path, reason, group, rule, by, spec, false);
				any = true;
			}
		break;
	}
	return any;
}

/*
 * The folders holding what collector `col` collects, when its module (or
 * the conftest bringing it in) reaches a change: pytest collects them
 * through the hook. A folder below another one kept is left out.
 */
static void add_collected(builder *b, const impact_collector *col, bool full_suite)
{
	const impact_project *p = b->p;
	impact_selection *sel = b->sel;
	uint32_t anchor = col->module, dist = sel->reach.dist[col->module];
	impact_buf last = IMPACT_BUF_INIT, dir = IMPACT_BUF_INIT;
	size_t n;
	const impact_entry *aux = impact_project_aux(p, &n);

	if (sel->reach.dist[col->scope] < dist) {
		anchor = col->scope;
		dist = sel->reach.dist[col->scope];
	}
	if (dist == UINT32_MAX && !full_suite)
		return;
	for (size_t i = 0; i < n; i++) {
		const char *path = aux[i].path;
		const char *slash;
		if (!impact_collector_collects(col, path))
			continue;
		slash = strrchr(path, '/');
		impact_buf_clear(&dir);
		impact_buf_put(&dir, path, slash ? (size_t)(slash - path) : 0);
		if (!dir.size)
			impact_buf_puts(&dir, ".");
		/* Entries are sorted: a folder below the last kept one follows it. */
		if (last.size && (!strcmp(dir.ptr, last.ptr) || !strcmp(last.ptr, ".") ||
		                  (!strncmp(dir.ptr, last.ptr, last.size) && dir.ptr[last.size] == '/')))
			continue;
		impact_buf_sets(&last, dir.ptr);
		impact_strlist_push(&sel->owned, dir.ptr);
		add(b, IMPACT_STRPOOL_NONE, sel->owned.items[sel->owned.n - 1],
		    dist == UINT32_MAX ? IMPACT_SELECT_FULL_SUITE : IMPACT_SELECT_REACHES,
		    dist == UINT32_MAX ? GROUP_REST : GROUP_GRAPH, -1, NULL, NULL, false);
		sel->tests[sel->ntests - 1].anchor = anchor;
		sel->tests[sel->ntests - 1].dist = dist == UINT32_MAX ? dist : dist + 1;
		sel->tests[sel->ntests - 1].collector = col;
	}
	impact_buf_release(&last);
	impact_buf_release(&dir);
}

static int cmp_selected(const void *a, const void *b, void *payload)
{
	const impact_selected *x = a, *y = b;
	const impact_project *p = payload;
	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if (x->group == GROUP_RULE && x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	if (x->dist != y->dist)
		return x->dist < y->dist ? -1 : 1;
	{
		int c = strcmp(impact_selected_path(p, x), impact_selected_path(p, y));
		return c ? c : strcmp(x->target, y->target);
	}
}

void impact_selection_set_record_note(impact_selection *sel, size_t index, const char *note)
{
	impact_strlist_push(&sel->owned, note);
	sel->tests[index].record_note = sel->owned.items[sel->owned.n - 1];
}

void impact_selection_set_evidence(impact_selection *sel, size_t index, const char *evidence)
{
	impact_strlist_push(&sel->owned, evidence);
	sel->tests[index].evidence = sel->owned.items[sel->owned.n - 1];
}

void impact_selection_add_reached(impact_selection *sel, const impact_project *p,
                                  uint32_t file, const char *evidence)
{
	impact_selected s = { 0 };
	s.file = file;
	s.anchor = file;
	s.target = p->files[file].path;
	s.dist = UINT32_MAX - 1;
	s.reason = IMPACT_SELECT_REACHES;
	s.group = GROUP_GRAPH;
	s.rule = -1;
	IMPACT_PUSH(sel->tests, sel->ntests, sel->alloc, s);
	impact_selection_set_evidence(sel, sel->ntests - 1, evidence);
}

void impact_selection_add_collected(impact_selection *sel, const char *target,
                                    const impact_collector *col, uint32_t anchor, uint32_t dist,
                                    const char *evidence)
{
	impact_selected s = { 0 };
	impact_strlist_push(&sel->owned, target);
	s.file = IMPACT_STRPOOL_NONE;
	s.anchor = anchor;
	s.target = sel->owned.items[sel->owned.n - 1];
	s.dist = dist;
	s.reason = IMPACT_SELECT_REACHES;
	s.group = GROUP_GRAPH;
	s.rule = -1;
	s.collector = col;
	IMPACT_PUSH(sel->tests, sel->ntests, sel->alloc, s);
	impact_selection_set_evidence(sel, sel->ntests - 1, evidence);
}

void impact_selection_note_dropped(impact_selection *sel, const char *path, const char *why)
{
	impact_strlist_push(&sel->dropped, path);
	impact_strlist_push(&sel->dropped_why, why);
}

void impact_selection_remove(impact_selection *sel, size_t index)
{
	memmove(&sel->tests[index], &sel->tests[index + 1],
	        (sel->ntests - index - 1) * sizeof(sel->tests[0]));
	sel->ntests--;
}

void impact_selection_reorder(impact_selection *sel, const impact_project *p)
{
	if (sel->ntests < 2)
		return; /* qsort_r must not see a NULL array */
	qsort_r(sel->tests, sel->ntests, sizeof(sel->tests[0]), cmp_selected, (void *)p);
}

static int no_file(impact_buf *out, const char *path, void *payload)
{
	IMPACT_UNUSED(out);
	IMPACT_UNUSED(path);
	IMPACT_UNUSED(payload);
	return IMPACT_ENOTFOUND;
}

/*
 * Does module `id` import (itself, not through its package) a module a
 * change reaches, symbol by symbol or at import time? Its doctest
 * examples, not read, may call any name it imports.
 */
static bool imports_touched(const impact_project *p, const impact_precise *pr, uint32_t id)
{
	size_t ne;
	const impact_edge *e = impact_graph_out(p->graph, id, &ne);
	if (!pr->touched || pr->gave_up)
		return true;
	for (size_t i = 0; i < ne; i++) {
		uint32_t to = e[i].to;
		if (e[i].kind == IMPACT_EDGE_PACKAGE || e[i].kind == IMPACT_EDGE_TYPE_CHECKING ||
		    e[i].kind == IMPACT_EDGE_CONFTEST || to >= pr->nfiles)
			continue;
		if (pr->touched[to] || (pr->seed && pr->seed[to]))
			return true;
	}
	return false;
}

/*
 * Could a change make a doctest example fail? Not one the rules ignore,
 * nor a Python change of comments and layout only.
 */
static bool may_reach_doctests(const impact_selection *sel, size_t nchanges)
{
	for (size_t i = 0; i < nchanges; i++) {
		const impact_change_info *c = &sel->changes[i];
		if (c->cls == IMPACT_CLASS_IGNORED)
			continue;
		if ((c->cls == IMPACT_CLASS_MODULE || c->cls == IMPACT_CLASS_TEST) && c->precise &&
		    !strcmp(c->precise, "comments/layout only"))
			continue;
		return true;
	}
	return false;
}

/*
 * Can the examples' imports (textdoctest.h) decide? Only when every
 * change is a Python module or test modified or added in place: a data
 * file, configuration, a conftest.py (its doctest_namespace), a deleted
 * or renamed module may reach examples in ways no import shows.
 */
static bool imports_decide(const impact_selection *sel, const impact_changeset *changes)
{
	for (size_t i = 0; i < changes->n; i++) {
		const impact_change_info *c = &sel->changes[i];
		const char *path = changes->changes[i].new_path;
		if (c->cls == IMPACT_CLASS_IGNORED)
			continue;
		if ((c->cls != IMPACT_CLASS_MODULE && c->cls != IMPACT_CLASS_TEST) || !path ||
		    (changes->changes[i].status != IMPACT_CHANGE_MODIFIED &&
		     changes->changes[i].status != IMPACT_CHANGE_ADDED) ||
		    !strcmp(impact_path_base(path), "conftest.py"))
			return false;
	}
	return true;
}

/*
 * The first module a doctest text's examples import that the change
 * reaches (`reach`: whole modules), into `why`; false when none is.
 * True, with `why` empty, when impact cannot tell what they import.
 */
static bool examples_reached(impact_buf *why, const impact_project *p, const uint32_t *reach,
                             impact_textdoctest_set *set, size_t i)
{
	impact_u32vec ids = { 0 };
	bool hit = false;
	impact_buf_clear(why);
	if (!impact_textdoctest_set_imports(&ids, set, p, i)) {
		impact_u32vec_release(&ids);
		return true;
	}
	for (size_t i = 0; i < ids.n && !hit; i++)
		if (ids.v[i] < p->nfiles && reach[ids.v[i]] != UINT32_MAX) {
			impact_buf_puts(why, "its examples import ");
			impact_buf_puts(why, p->files[ids.v[i]].path);
			impact_buf_puts(why, ", which a change reaches");
			hit = true;
		}
	impact_u32vec_release(&ids);
	return hit;
}

/*
 * The doctest text files of the snapshot (see impact_testfiles_is_text_doctest)
 * that hold an example (">>>"). A changed one always; the others when a
 * change may reach them: when only Python modules changed, when a module
 * their examples import is reached (`reach`, whole modules, NULL for
 * --no-smart), else whenever anything but comments and layout changed.
 * One that cannot be read is taken.
 */
static void add_text_doctests(builder *b, const impact_project *p, const impact_changeset *changes,
                              const uint32_t *reach)
{
	bool any = b->sel->full_suite || may_reach_doctests(b->sel, changes->n);
	bool narrow = !b->sel->full_suite && reach && imports_decide(b->sel, changes);
	impact_buf why = IMPACT_BUF_INIT;
	impact_textdoctest_set set;
	/* One read transaction for the memo of every file (pygments has 587). */
	impact_cache_read_begin(p->cache);
	impact_textdoctest_set_load(&set, p);
	for (size_t i = 0; i < set.n; i++) {
		const impact_entry *e = set.entries[i];
		bool changed = false;
		size_t before;
		int has;
		for (size_t k = 0; !changed && k < changes->n; k++)
			changed = changes->changes[k].new_path && !strcmp(changes->changes[k].new_path, e->path);
		if (!changed && !any)
			continue;
		impact_buf_clear(&why);
		if (!(has = impact_textdoctest_set_has(&set, p, i)))
			continue;
		if (has > 0 && !changed && narrow && !examples_reached(&why, p, reach, &set, i))
			continue;
		impact_error_clear();
		before = b->sel->ntests;
		add(b, IMPACT_STRPOOL_NONE, e->path, IMPACT_SELECT_TEXT_DOCTEST, GROUP_REST, -1, NULL,
		    NULL, false);
		if (b->sel->ntests == before)
			continue; /* already selected (a rule named it) */
		if (changed)
			impact_selection_set_evidence(b->sel, b->sel->ntests - 1,
			                              "a doctest text file pytest collects, changed");
		else if (why.size)
			impact_selection_set_evidence(b->sel, b->sel->ntests - 1, why.ptr);
		b->sel->tests[b->sel->ntests - 1].by_examples = has > 0 && narrow && why.size;
	}
	impact_cache_read_end(p->cache);
	impact_textdoctest_set_save(&set, p);
	impact_textdoctest_set_release(&set);
	impact_buf_release(&why);
}

/* The least budget of drop_unloaded's walk, in targets. */
#define LOAD_MIN_TARGETS 8

/*
 * The reference walk matches names across modules that do not import each
 * other (a method name many classes share, a delegating __getattr__): a
 * test reached that way, which cannot load any changed module at all
 * (impact_precise_load_reach), never runs the change. Left out, and the
 * changes' notes say how many.
 */
static void drop_unloaded(impact_selection *sel, const impact_project *p,
                          const impact_changeset *sub, const uint32_t *extra, size_t nextra,
                          const uint32_t *bound)
{
	bool *load = NULL, *want = impact_xcalloc((size_t)p->nfiles + 1, sizeof(bool)), any = false;
	size_t dropped = 0;

	for (uint32_t id = 0; id < p->nfiles; id++)
		if ((p->files[id].flags & IMPACT_PF_TEST) &&
		    (sel->reach.dist[id] != UINT32_MAX || sel->precise->hops[id] != UINT32_MAX))
			any = want[id] = true;
	/*
	 * A narrowing, never needed for safety: the walk may cost about twice
	 * what the call-time walk did, past that it gives up and narrows
	 * nothing (on click, a change of _termui_impl: 7 call-time targets, an
	 * import-time walk of more than 78 that leaves every test in; on
	 * cachetools, 48 and 4).
	 */
	if (!any || impact_precise_load_reach(&load, p, sub, 1u << IMPACT_EDGE_TYPE_CHECKING, extra,
	                                      nextra, bound, want,
	                                      2 * sel->precise->targets + LOAD_MIN_TARGETS) < 0 ||
	    !load) {
		impact_error_clear();
		free(want);
		return;
	}
	for (uint32_t id = 0; id < p->nfiles; id++) {
		if (!want[id] || load[id])
			continue;
		dropped++;
		sel->reach.dist[id] = UINT32_MAX;
		sel->precise->hops[id] = UINT32_MAX;
	}
	free(load);
	free(want);
	for (size_t k = 0; dropped && k < sub->n; k++) {
		char *note = sel->precise->change_note[k];
		impact_buf b = IMPACT_BUF_INIT;
		if (!note || strncmp(note, "call-time change", 16))
			continue;
		impact_buf_printf(&b, "%s (%zu test file%s reached only by name left out: %s load%s no "
		                  "changed module)", note, dropped, dropped == 1 ? "" : "s",
		                  dropped == 1 ? "it" : "they", dropped == 1 ? "s" : "");
		free(note);
		sel->precise->change_note[k] = impact_buf_detach(&b);
	}
}

/*
 * Phase 2: what the seeds reach. --no-smart: the changed files alone;
 * precise: the modules and functions the changes reach (precise.h),
 * bounded by what whole-module selection reaches (`coarse`, kept for the
 * next phase); --coarse: whole modules.
 */
static void walk(impact_selection *sel, const impact_project *p, const impact_changeset *changes,
                 const impact_select_opts *opts, const impact_u32vec *seeds, impact_reach *coarse)
{
	/* --no-smart: the changed files themselves, no walk beyond them. */
	if (opts && opts->no_smart) {
		impact_graph_dependents(&sel->reach, p->graph, NULL, 0, 0);
		for (size_t i = 0; i < seeds->n; i++)
			if (p->files[seeds->v[i]].flags & IMPACT_PF_TEST)
				sel->reach.dist[seeds->v[i]] = 0;
	} else if (opts && opts->precise && opts->repo) {
		/* Precise: the modules and functions the changes reach (precise.h). */
		impact_changeset sub = { 0 };
		impact_u32vec extra = { 0 };
		sub.changes = impact_xcalloc(changes->n + 1, sizeof(*sub.changes));
		for (size_t i = 0; i < sel->nchanges; i++) {
			impact_change_class k = sel->changes[i].cls;
			if (k == IMPACT_CLASS_MODULE || k == IMPACT_CLASS_TEST)
				sub.changes[sub.n++] = changes->changes[i];
		}
		for (size_t i = 0; i < seeds->n; i++)
			if (sel->seed_notes && sel->seed_notes[seeds->v[i]])
				impact_u32vec_push(&extra, seeds->v[i]);
		/* What whole-module selection reaches bounds it: never more than --coarse. */
		impact_graph_dependents(coarse, p->graph, seeds->v, seeds->n,
		                        1u << IMPACT_EDGE_TYPE_CHECKING);
		impact_precise_run(&sel->precise, p, &sub, opts->repo, opts->cache,
		                   1u << IMPACT_EDGE_TYPE_CHECKING, extra.v, extra.n, coarse->dist,
		                   opts->records);
		if (sel->precise->gave_up) {
			/* Precise reached nearly everything: whole-module selection, said. */
			impact_strlist_push(&sel->warnings, sel->precise->facts_lost
			                    ? "a module could not be read again for its functions; whole "
			                      "modules decided (as --coarse)"
			                    : sel->precise->too_many_changes
			                    ? "too many changed modules for function-level selection; "
			                      "whole modules decided (as --coarse)"
			                    : "precise selection reached too many functions "
			                      "to be worth it; whole modules decided (as --coarse)");
			sel->reach = *coarse;
			memset(coarse, 0, sizeof(*coarse));
			for (uint32_t id = 0; id < p->nfiles; id++)
				sel->precise->hops[id] = UINT32_MAX;
		} else {
			sel->reach = sel->precise->reach;
			memset(&sel->precise->reach, 0, sizeof(sel->precise->reach));
			if (!sel->precise->seeds_cover)
				drop_unloaded(sel, p, &sub, extra.v, extra.n, coarse->dist);
		}
		/* Notes per change, in the selection's order. */
		for (size_t i = 0, k = 0; i < sel->nchanges && k < sub.n; i++)
			if (sel->changes[i].cls == IMPACT_CLASS_MODULE || sel->changes[i].cls == IMPACT_CLASS_TEST)
				sel->changes[i].precise = sel->precise->change_note[k++];
		free(sub.changes);
		impact_u32vec_release(&extra);
		/* Unchanged modules the precise walk made seeds: say why. */
		for (uint32_t id = 0; id < p->nfiles; id++) {
			if (!sel->precise->seed_why[id])
				continue;
			if (!sel->seed_notes) {
				sel->seed_notes = impact_xcalloc((size_t)p->nfiles + 1, sizeof(char *));
				sel->seed_data = impact_xcalloc((size_t)p->nfiles + 1, sizeof(char *));
			}
			if (!sel->seed_notes[id]) {
				sel->seed_notes[id] = impact_xstrdup(sel->precise->seed_why[id]);
				sel->seed_data[id] = p->files[sel->precise->seed_origin[id]].path;
			}
		}
	} else {
		impact_graph_dependents(&sel->reach, p->graph, seeds->v, seeds->n,
		                        1u << IMPACT_EDGE_TYPE_CHECKING);
	}
}

/*
 * Phase 3: the tests, in groups: the rules' tests in the configuration's
 * order, changed test files, what the walk reached (with its distance in
 * `tdist`), folders collected by a hook that reaches a change, `always`,
 * and the rest of the suite when it is forced.
 */
static void add_tests(builder *b, const impact_changeset *changes, const impact_config *config,
                      const impact_change **rule_by, const impact_reach *coarse,
                      const bool *is_changed, uint32_t *tdist, const impact_select_opts *opts)
{
	impact_selection *sel = b->sel;
	const impact_project *p = b->p;

	/* 1. Tests of matching rules, in the configuration's order. */
	for (size_t r = 0; r < config->nrules; r++) {
		const impact_rule *rule = &config->rules[r];
		if (!rule_by[r])
			continue;
		for (size_t k = 0; k < rule->ntests; k++)
			if (!add_spec(b, &rule->tests[k], IMPACT_SELECT_RULE,
			              rule->first ? GROUP_RULE : GROUP_GRAPH, (int32_t)r, rule_by[r]))
				warn_missing(sel, &rule->tests[k], "a rule");
	}
	/* 2. Changed files that are tests (collected ones too), then what the graph reaches, by distance. */
	for (size_t i = 0; i < sel->nchanges; i++) {
		const impact_change_info *info = &sel->changes[i];
		const impact_change *c = info->change;
		if (info->cls == IMPACT_CLASS_COLLECTED && c->new_path &&
		    c->status != IMPACT_CHANGE_DELETED) {
			add(b, IMPACT_STRPOOL_NONE, c->new_path, IMPACT_SELECT_CHANGED_TEST, GROUP_CHANGED,
			    -1, NULL, NULL, false);
			sel->tests[sel->ntests - 1].collector = collector_of(p, c->new_path);
		}
	}
	for (uint32_t id = 0; id < p->nfiles; id++) {
		uint32_t dist = sel->reach.dist[id];
		bool changed = dist == 0 && is_changed[id], doc_only;
		/* A seed the precise walk made is as far as its references from the change. */
		if (sel->precise && dist != UINT32_MAX && (p->files[id].flags & IMPACT_PF_TEST)) {
			impact_u32vec ch = { 0 };
			impact_selection_chain(sel, id, &ch);
			if (ch.n)
				dist += sel->precise->seed_hops[ch.v[ch.n - 1]];
			impact_u32vec_release(&ch);
		}
		if (sel->precise && sel->precise->hops[id] < dist)
			dist = sel->precise->hops[id];
		if (sel->precise && !sel->precise->gave_up && coarse->dist && coarse->dist[id] == UINT32_MAX)
			dist = UINT32_MAX;
		/*
		 * Doctest examples are not read symbol by symbol: they may call
		 * whatever their module imports, so its imports decide (--coarse).
		 */
		doc_only = sel->precise && dist == UINT32_MAX && coarse->dist &&
		           (p->files[id].flags & IMPACT_PF_HAS_DOCTESTS) && coarse->dist[id] != UINT32_MAX &&
		           imports_touched(p, sel->precise, id);
		if (doc_only)
			dist = coarse->dist[id];
		if (!(p->files[id].flags & IMPACT_PF_TEST) || (p->files[id].flags & IMPACT_PF_GHOST) ||
		    dist == UINT32_MAX)
			continue;
		add(b, id, p->files[id].path, changed ? IMPACT_SELECT_CHANGED_TEST : IMPACT_SELECT_REACHES,
		    changed ? GROUP_CHANGED : GROUP_GRAPH, -1, NULL, NULL, false);
		if (doc_only && b->whole[id])
			impact_selection_set_evidence(sel, b->whole[id] - 1,
			                              "its doctests may call anything it imports, and it "
			                              "imports a changed module");
		tdist[id] = dist;
	}
	/* Files collected by a hook whose module reaches a change: their folders. */
	for (size_t i = 0; i < p->collectors.n; i++)
		add_collected(b, &p->collectors.v[i], sel->full_suite);
	/* 3. `always`, whenever anything changed. */
	for (size_t k = 0; changes->n && k < config->nalways; k++)
		if (!add_spec(b, &config->always[k], IMPACT_SELECT_ALWAYS, GROUP_REST, -1, NULL))
			warn_missing(sel, &config->always[k], "'always'");
	/* 4. The rest of the suite when it is forced. */
	if (opts && opts->all && !sel->full_suite) {
		sel->full_suite = true;
		sel->full_reason = impact_xstrdup("--all: the whole suite was asked for");
	}
	if (sel->full_suite)
		for (uint32_t id = 0; id < p->nfiles; id++)
			if ((p->files[id].flags & IMPACT_PF_TEST) && !(p->files[id].flags & IMPACT_PF_GHOST))
				add(b, id, p->files[id].path, IMPACT_SELECT_FULL_SUITE, GROUP_REST, -1, NULL,
				    NULL, false);
	/*
	 * Doctest text files (--doctest-glob, test*.txt): by the modules their
	 * examples import (textdoctest.h), whole modules; records may narrow
	 * those chosen so (recselect.c).
	 */
	if (changes->n || sel->full_suite)
		add_text_doctests(b, p, changes,
		                  coarse->dist ? coarse->dist
		                               : opts && opts->no_smart ? NULL : sel->reach.dist);

}

/* Phase 4: distances as the precise walk measures them; node ids folded into whole files. */
static void fold_tests(builder *b, const uint32_t *tdist)
{
	impact_selection *sel = b->sel;

	/* Distances as the precise walk measures them (references, then imports). */
	for (size_t i = 0; sel->precise && i < sel->ntests; i++)
		if (sel->tests[i].file != IMPACT_STRPOOL_NONE && tdist[sel->tests[i].file] != UINT32_MAX)
			sel->tests[i].dist = tdist[sel->tests[i].file];
	/* A node id inside a file that is selected whole is redundant (its rank moves to the file). */
	{
		size_t w = 0;
		for (size_t i = 0; i < sel->ntests; i++) {
			impact_selected *s = &sel->tests[i], *whole;
			if (s->file == IMPACT_STRPOOL_NONE || !b->whole[s->file] || b->whole[s->file] - 1 == i)
				continue;
			whole = &sel->tests[b->whole[s->file] - 1];
			if (s->group < whole->group) {
				const char *target = whole->target;
				uint32_t dist = whole->dist;
				*whole = *s;
				whole->target = target;
				whole->dist = dist;
			}
		}
		for (size_t i = 0; i < sel->ntests; i++) {
			impact_selected *s = &sel->tests[i];
			if (s->file != IMPACT_STRPOOL_NONE && b->whole[s->file] &&
			    &sel->tests[b->whole[s->file] - 1] != s)
				continue;
			sel->tests[w++] = *s;
		}
		sel->ntests = w;
	}
}

/* Count one more test for the change of file `seed` (a file id), if one is. */
static void credit_change(impact_selection *sel, const impact_project *p, uint32_t seed)
{
	const char *sp;
	if (seed == IMPACT_STRPOOL_NONE || seed == UINT32_MAX)
		return;
	sp = p->files[seed].path;
	for (size_t i = 0; i < sel->nchanges; i++) {
		const impact_change *c = sel->changes[i].change;
		if ((c->new_path && !strcmp(c->new_path, sp)) || (c->old_path && !strcmp(c->old_path, sp))) {
			sel->changes[i].ntests++;
			return;
		}
	}
}

/*
 * Phase 5: count, per change, the tests whose evidence ends at it, for
 * --explain's note on changes no test reaches: the change its import
 * chain ends at and, when the precise walk reached it by references too,
 * the change that chain starts at (a test can reach two changes, one
 * each way: each is credited).
 */
static void count_per_change(impact_selection *sel, const impact_project *p)
{
	impact_u32vec chain = { 0 };
	for (size_t t = 0; t < sel->ntests; t++) {
		const impact_selected *s = &sel->tests[t];
		uint32_t by_import = IMPACT_STRPOOL_NONE, by_refs = IMPACT_STRPOOL_NONE;
		if (s->dist == UINT32_MAX || s->anchor == IMPACT_STRPOOL_NONE)
			continue;
		impact_selection_chain(sel, s->anchor, &chain);
		if (chain.n && sel->seed_data && sel->seed_data[chain.v[chain.n - 1]])
			by_import = impact_project_find(p, sel->seed_data[chain.v[chain.n - 1]]);
		else if (chain.n)
			by_import = chain.v[chain.n - 1];
		if (sel->precise && s->file != IMPACT_STRPOOL_NONE)
			by_refs = sel->precise->origin[s->file];
		credit_change(sel, p, by_import);
		if (by_refs != by_import)
			credit_change(sel, p, by_refs);
	}
	impact_u32vec_release(&chain);
}

/*
 * The repository's files pytest imported itself at the last run
 * (IMPACT_RUNNER_STATE), into `out`; none when no run wrote them. Lines
 * that are not plain relative paths are left out.
 */
static void read_runner_packages(impact_strlist *out, git_repository *repo)
{
	char *path = impact_state_path(repo, IMPACT_RUNNER_STATE);
	impact_buf text = IMPACT_BUF_INIT;
	if (impact_buf_read_file(&text, path, (size_t)1 << 20) == 0 && text.ptr) {
		for (char *line = text.ptr, *nl; *line; line = nl ? nl + 1 : line + strlen(line)) {
			if ((nl = strchr(line, '\n')))
				*nl = '\0';
			if (*line && line[0] != '/' && strncmp(line, "../", 3) && strcmp(line, "./"))
				impact_strlist_push(out, line);
			if (!nl)
				break;
		}
	}
	impact_error_clear();
	impact_buf_release(&text);
	free(path);
}

/* Mark every file whose path starts with `prefix` (len bytes). */
static void mark_prefix(bool *mark, const impact_project *p, const char *prefix, size_t len)
{
	for (uint32_t id = 0; id < p->nfiles; id++)
		if (!strncmp(p->files[id].path, prefix, len))
			mark[id] = true;
}

/*
 * The modules pytest runs on (IMPACT_RUNNER_STATE): those it imported
 * itself before any test, and every module of the repository they import,
 * at module level or in a function (pluggy's `_manager` imports `_compat`
 * only when the report header asks for it). A module that may import by
 * a computed name brings its whole folder. Per file id; caller frees.
 */
static bool *runner_modules(const impact_project *p, const impact_strlist *runner)
{
	bool *mark = impact_xcalloc((size_t)p->nfiles + 1, sizeof(bool));
	impact_u32vec todo = { 0 };
	for (size_t i = 0; i < runner->n; i++) {
		const char *r = runner->items[i];
		size_t n = strlen(r);
		uint32_t id;
		if (r[n - 1] == '/')
			mark_prefix(mark, p, r, n);
		else if ((id = impact_project_find(p, r)) != IMPACT_STRPOOL_NONE && !mark[id])
			mark[id] = true, impact_u32vec_push(&todo, id);
	}
	while (todo.n) {
		uint32_t id = todo.v[--todo.n];
		size_t ne;
		const impact_edge *e = impact_graph_out(p->graph, id, &ne);
		for (size_t k = 0; k < ne; k++) {
			uint8_t kind = e[k].kind;
			if (kind == IMPACT_EDGE_TYPE_CHECKING || kind == IMPACT_EDGE_STRING_MODULE ||
			    kind == IMPACT_EDGE_STRING_PATH || kind == IMPACT_EDGE_CONFTEST)
				continue;
			if (e[k].to >= p->nfiles) { /* any module: its folder */
				const char *slash = strrchr(p->files[id].path, '/');
				mark_prefix(mark, p, p->files[id].path,
				            slash ? (size_t)(slash - p->files[id].path) + 1 : 0);
				continue;
			}
			if (!mark[e[k].to])
				mark[e[k].to] = true, impact_u32vec_push(&todo, e[k].to);
		}
	}
	impact_u32vec_release(&todo);
	return mark;
}

int impact_select(impact_selection **out, const impact_project *p,
                  const impact_changeset *changes, const impact_config *config,
                  const impact_select_opts *opts)
{
	impact_selection *sel = impact_xcalloc(1, sizeof(*sel));
	impact_config *defaults = NULL;
	impact_u32vec seeds = { 0 };
	const impact_change **rule_by;
	builder b = { 0 };
	bool *is_changed = NULL;
	uint32_t *tdist = NULL;
	impact_reach coarse = { 0 };
	impact_strlist runner = { 0 };
	bool *runner_mark = NULL;
	double t0 = impact_now_ms();
	int rc;

	*out = NULL;
	if (!config) {
		if ((rc = impact_config_load(&defaults, no_file, NULL, NULL)) < 0) {
			free(sel);
			return rc;
		}
		config = defaults;
	}
	rule_by = impact_xcalloc(config->nrules + 1, sizeof(*rule_by));
	sel->nchanges = changes->n;
	sel->changes = impact_xcalloc(changes->n ? changes->n : 1, sizeof(*sel->changes));
	if (opts && opts->repo)
		read_runner_packages(&runner, opts->repo);
	if (runner.n)
		runner_mark = runner_modules(p, &runner);
	select_classify_changes(sel, p, changes, config, opts, runner_mark, rule_by, &seeds);
	impact_strlist_release(&runner);
	free(runner_mark);
	walk(sel, p, changes, opts, &seeds, &coarse);

	is_changed = impact_xcalloc((size_t)p->nfiles + 1, sizeof(bool));
	for (size_t i = 0; i < changes->n; i++) {
		const impact_change *c = &changes->changes[i];
		uint32_t id;
		if (c->new_path && (id = impact_project_find(p, c->new_path)) != IMPACT_STRPOOL_NONE)
			is_changed[id] = true;
		if (c->old_path && (id = impact_project_find(p, c->old_path)) != IMPACT_STRPOOL_NONE)
			is_changed[id] = true;
	}
	b.sel = sel;
	b.p = p;
	b.whole = impact_xcalloc((size_t)p->nfiles + 1, sizeof(*b.whole));
	tdist = impact_xmalloc(((size_t)p->nfiles + 1) * sizeof(uint32_t));
	memset(tdist, 0xff, ((size_t)p->nfiles + 1) * sizeof(uint32_t));
	add_tests(&b, changes, config, rule_by, &coarse, is_changed, tdist, opts);
	fold_tests(&b, tdist);
	if (sel->ntests)
		qsort_r(sel->tests, sel->ntests, sizeof(*sel->tests), cmp_selected, (void *)p);
	count_per_change(sel, p);

	free(b.whole);
	free(is_changed);
	free(tdist);
	impact_reach_release(&coarse);
	free(rule_by);
	impact_u32vec_release(&seeds);
	impact_config_free(defaults);
	sel->ms_select = impact_now_ms() - t0;
	*out = sel;
	return 0;
}

static const char *cause_of_chain(const impact_selection *sel, const impact_project *p,
                                  uint32_t id)
{
	impact_u32vec chain = { 0 };
	const char *cause = NULL;
	impact_selection_chain(sel, id, &chain);
	if (chain.n) {
		uint32_t seed = chain.v[chain.n - 1];
		cause = sel->seed_data && sel->seed_data[seed] ? sel->seed_data[seed] : p->files[seed].path;
	}
	impact_u32vec_release(&chain);
	return cause;
}

const char *impact_selection_cause(const impact_selection *sel, const impact_project *p,
                                   const char *file)
{
	uint32_t id = impact_project_find(p, file);
	if (id != IMPACT_STRPOOL_NONE) {
		const char *cause = cause_of_chain(sel, p, id);
		if (!cause && sel->precise && sel->precise->origin[id] != UINT32_MAX)
			cause = p->files[sel->precise->origin[id]].path;
		return cause;
	}
	for (size_t i = 0; i < sel->ntests; i++) {
		const impact_selected *s = &sel->tests[i];
		size_t n = strlen(s->target);
		if (s->file != IMPACT_STRPOOL_NONE || !s->collector)
			continue;
		if (!strcmp(s->target, file))
			return s->reason == IMPACT_SELECT_CHANGED_TEST ? s->target :
			       s->anchor != IMPACT_STRPOOL_NONE ? cause_of_chain(sel, p, s->anchor) : NULL;
		if ((!strcmp(s->target, ".") || (!strncmp(file, s->target, n) && file[n] == '/')) &&
		    s->anchor != IMPACT_STRPOOL_NONE)
			return cause_of_chain(sel, p, s->anchor);
	}
	return NULL;
}

const char *impact_selected_path(const impact_project *p, const impact_selected *s)
{
	return s->file != IMPACT_STRPOOL_NONE ? p->files[s->file].path : s->target;
}

void impact_selection_chain(const impact_selection *sel, uint32_t file,
                            impact_u32vec *out)
{
	out->n = 0;
	if (file >= sel->reach.n || sel->reach.dist[file] == UINT32_MAX)
		return;
	impact_u32vec_push(out, file);
	while (sel->reach.via[file]) {
		file = sel->reach.via[file]->to;
		impact_u32vec_push(out, file);
	}
}

void impact_selection_free(impact_selection *sel)
{
	if (!sel)
		return;
	for (size_t i = 0; i < sel->nchanges; i++)
		free(sel->changes[i].reason);
	free(sel->changes);
	impact_strlist_release(&sel->warnings);
	impact_strlist_release(&sel->owned);
	impact_strlist_release(&sel->dropped);
	impact_strlist_release(&sel->dropped_why);
	if (sel->seed_notes)
		for (size_t i = 0; i < sel->reach.n; i++)
			free(sel->seed_notes[i]);
	free(sel->seed_notes);
	impact_precise_free(sel->precise);
	free((void *)sel->seed_data);
	free(sel->tests);
	free(sel->full_reason);
	impact_reach_release(&sel->reach);
	free(sel);
}
