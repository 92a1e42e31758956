/*
 * select.c - classify changes, walk the graph back to tests, order them
 * (see select.h).
 *
 * The built-in classification is deliberately conservative: dependency
 * and configuration files force the full suite, a short list of
 * documentation is ignored, and any other non-Python change also forces
 * the full suite with its reason. TYPE_CHECKING-only imports are not
 * followed: they never execute, so they cannot break a test at run time.
 */
#include "select.h"

#include "path.h"

#include <fnmatch.h>



/* Files whose change can alter any test's outcome: dependencies, packaging, pytest config. */
static const char *const full_suite_names[] = {
	"pyproject.toml", "setup.cfg", "setup.py", "tox.ini", "pytest.ini",
	".pytest.ini", "pytest.toml", ".pytest.toml", "requirements*.txt",
	"constraints*.txt", "*.lock", "Pipfile", ".python-version",
};

static const char *const doc_names[] = {
	"*.md", "*.rst", "*.adoc", "LICENSE*", "LICENCE*", "COPYING*",
	"AUTHORS*", "CHANGELOG*", "CHANGES*", "NEWS*", "HISTORY*",
};

static bool match_any(const char *const *pats, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (fnmatch(pats[i], name, 0) == 0)
			return true;
	return false;
}

static impact_change_class classify_path(const impact_project *p, const char *path,
                                         const char **reason)
{
	const char *base = impact_path_base(path);
	bool py = impact_path_has_suffix(path, ".py");

	if (!strcmp(path, "conftest.py")) {
		*reason = "the root conftest.py applies to every test";
		return IMPACT_CLASS_FULL;
	}
	if (match_any(full_suite_names, IMPACT_ARRAY_SIZE(full_suite_names), base) ||
	    (!strncmp(path, "requirements/", 13) && impact_path_has_suffix(path, ".txt"))) {
		*reason = "dependency or configuration file: every test may be affected";
		return IMPACT_CLASS_FULL;
	}
	if (py) {
		uint32_t id = impact_project_find(p, path);
		if (id != IMPACT_STRPOOL_NONE && (p->files[id].flags & IMPACT_PF_TEST)) {
			*reason = "test module";
			return IMPACT_CLASS_TEST;
		}
		*reason = "Python module";
		return IMPACT_CLASS_MODULE;
	}
	if (match_any(doc_names, IMPACT_ARRAY_SIZE(doc_names), base) ||
	    !strncmp(path, "docs/", 5) || !strncmp(path, "doc/", 4)) {
		*reason = "documentation: no test runs it";
		return IMPACT_CLASS_IGNORED;
	}
	*reason = "not Python and no rule covers it: running the full suite to be safe";
	return IMPACT_CLASS_OTHER;
}

static void classify(impact_change_info *info, const impact_project *p)
{
	const impact_change *c = info->change;
	const char *path = impact_change_path(c);
	const char *r1 = NULL, *r2 = NULL;
	impact_change_class k1, k2;

	if (c->old_mode == IMPACT_MODE_GITLINK || c->new_mode == IMPACT_MODE_GITLINK) {
		info->cls = IMPACT_CLASS_SUBMODULE;
		info->reason = "submodule changed: impact does not look inside submodules, running the full suite";
		return;
	}
	k1 = classify_path(p, path, &r1);
	info->cls = k1;
	info->reason = r1;
	/* A rename is as strong as its stronger side (moving a doc into the code counts). */
	if (c->old_path && c->new_path && strcmp(c->old_path, c->new_path)) {
		k2 = classify_path(p, c->old_path, &r2);
		if ((k2 == IMPACT_CLASS_FULL || k2 == IMPACT_CLASS_OTHER) &&
		    k1 != IMPACT_CLASS_FULL) {
			info->cls = k2;
			info->reason = r2;
		} else if (k1 == IMPACT_CLASS_IGNORED && k2 != IMPACT_CLASS_IGNORED) {
			info->cls = k2;
			info->reason = r2;
		}
	}
}

static int cmp_selected(const void *a, const void *b, void *payload)
{
	const impact_selected *x = a, *y = b;
	const impact_project *p = payload;
	if (x->dist != y->dist)
		return x->dist < y->dist ? -1 : 1;
	return strcmp(p->files[x->file].path, p->files[y->file].path);
}

int impact_select(impact_selection **out, const impact_project *p,
                  const impact_changeset *changes, const impact_config *config,
                  const impact_select_opts *opts)
{
	impact_selection *sel = impact_xcalloc(1, sizeof(*sel));
	impact_u32vec seeds = { 0 };
	size_t talloc = 0;
	double t0 = impact_now_ms();

	IMPACT_UNUSED(config);
	IMPACT_UNUSED(opts);
	sel->nchanges = changes->n;
	sel->changes = impact_xcalloc(changes->n ? changes->n : 1, sizeof(*sel->changes));
	for (size_t i = 0; i < changes->n; i++) {
		impact_change_info *info = &sel->changes[i];
		const impact_change *c = &changes->changes[i];
		info->change = c;
		classify(info, p);
		if ((info->cls == IMPACT_CLASS_FULL || info->cls == IMPACT_CLASS_OTHER ||
		     info->cls == IMPACT_CLASS_SUBMODULE) && !sel->full_suite) {
			impact_buf why = IMPACT_BUF_INIT;
			impact_buf_printf(&why, "%s: %s", impact_change_path(c), info->reason);
			sel->full_suite = true;
			sel->full_reason = impact_buf_detach(&why);
		}
		/* Every changed Python path on either side seeds the walk. */
		if (c->new_path && c->new_mode != IMPACT_MODE_GITLINK) {
			uint32_t id = impact_project_find(p, c->new_path);
			if (id != IMPACT_STRPOOL_NONE)
				impact_u32vec_push(&seeds, id);
		}
		if (c->old_path && (!c->new_path || strcmp(c->old_path, c->new_path))) {
			uint32_t id = impact_project_find(p, c->old_path);
			if (id != IMPACT_STRPOOL_NONE && (p->files[id].flags & IMPACT_PF_GHOST))
				impact_u32vec_push(&seeds, id);
		}
	}

	impact_graph_dependents(&sel->reach, p->graph, seeds.v, seeds.n,
	                        1u << IMPACT_EDGE_TYPE_CHECKING);

	for (uint32_t id = 0; id < p->nfiles; id++) {
		impact_selected s;
		if (!(p->files[id].flags & IMPACT_PF_TEST))
			continue;
		s.file = id;
		s.dist = sel->reach.dist[id];
		if (s.dist == UINT32_MAX && !sel->full_suite)
			continue;
		s.reason = s.dist == 0 ? IMPACT_SELECT_CHANGED_TEST :
		           s.dist == UINT32_MAX ? IMPACT_SELECT_FULL_SUITE :
		           IMPACT_SELECT_REACHES;
		IMPACT_PUSH(sel->tests, sel->ntests, talloc, s);
	}
	if (sel->ntests)
		qsort_r(sel->tests, sel->ntests, sizeof(*sel->tests), cmp_selected, (void *)p);

	/* Count, per change, the tests whose chain ends at it. */
	{
		impact_u32vec chain = { 0 };
		for (size_t t = 0; t < sel->ntests; t++) {
			uint32_t seed;
			if (sel->tests[t].dist == UINT32_MAX)
				continue;
			impact_selection_chain(sel, sel->tests[t].file, &chain);
			seed = chain.v[chain.n - 1];
			for (size_t i = 0; i < sel->nchanges; i++) {
				const impact_change *c = sel->changes[i].change;
				const char *sp = p->files[seed].path;
				if ((c->new_path && !strcmp(c->new_path, sp)) ||
				    (c->old_path && !strcmp(c->old_path, sp))) {
					sel->changes[i].ntests++;
					break;
				}
			}
		}
		impact_u32vec_release(&chain);
	}

	impact_u32vec_release(&seeds);
	sel->ms_select = impact_now_ms() - t0;
	*out = sel;
	return 0;
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
	free(sel->changes);
	free(sel->tests);
	free(sel->full_reason);
	impact_reach_release(&sel->reach);
	free(sel);
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
