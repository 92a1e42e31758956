/*
 * report.c - --list, --explain and --json renderings (see report.h).
 *
 * JSON is written as the selection is walked (jsonw.h), not built as a
 * tree first. Strings in JSON must be UTF-8, and git paths need not be:
 * such paths are written with each invalid byte replaced by U+FFFD, and
 * the entry gets "path_escaped" with the \xNN form, so no information is
 * lost and the document stays valid.
 */
#include "report.h"

#include "jsonw.h"
#include "precise.h"

#include <jansson.h>

bool impact_report_is_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t n; *p; p += n) {
		if (*p < 0x80) { /* plain ASCII: most of every path */
			n = 1;
			continue;
		}
		if ((n = impact_utf8_len(p)) == 0)
			return false;
	}
	return true;
}

void impact_report_quote_path(impact_buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = impact_utf8_len(p);
		if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f))) {
			impact_buf_printf(out, "\\x%02x", *p);
			p++;
		} else if (*p == '\\') {
			impact_buf_puts(out, "\\\\");
			p++;
		} else {
			impact_buf_put(out, p, n);
			p += n;
		}
	}
}

/* `path` under `key`; a path that is not UTF-8 also as "<key>_escaped", its \xNN form. */
static void put_path(impact_jsonw *w, const char *key, const char *path)
{
	impact_jsonw_key(w, key);
	impact_jsonw_string(w, path);
	if (path && !impact_report_is_utf8(path)) {
		impact_buf esc = IMPACT_BUF_INIT;
		impact_buf k = IMPACT_BUF_INIT;
		impact_report_quote_path(&esc, path);
		impact_buf_printf(&k, "%s_escaped", key);
		impact_jsonw_key(w, k.ptr);
		impact_jsonw_string(w, esc.ptr);
		impact_buf_release(&esc);
		impact_buf_release(&k);
	}
}

static void put_str(impact_jsonw *w, const char *key, const char *value)
{
	impact_jsonw_key(w, key);
	impact_jsonw_string(w, value);
}

static void put_int(impact_jsonw *w, const char *key, long long value)
{
	impact_jsonw_key(w, key);
	impact_jsonw_int(w, value);
}

/* Where a rule or pattern was written: file, line, column, built in or not. */
static void put_where(impact_jsonw *w, const impact_config_where *where)
{
	if (!where->file)
		return;
	put_str(w, "file", where->file);
	put_int(w, "line", where->line);
	put_int(w, "col", where->col);
	impact_jsonw_key(w, "builtin");
	impact_jsonw_bool(w, where->builtin);
}

int impact_report_list(impact_buf *out, const impact_report_ctx *ctx, bool nul)
{
	const impact_selection *sel = ctx->selection;
	for (size_t i = 0; i < sel->ntests; i++) {
		impact_buf_puts(out, sel->tests[i].target);
		impact_buf_putc(out, nul ? '\0' : '\n');
	}
	return 0;
}

/* The change that a seed file stands for, to print its status. */
static const impact_change *change_of(const impact_report_ctx *ctx, const char *path)
{
	for (size_t i = 0; i < ctx->changes->n; i++) {
		const impact_change *c = &ctx->changes->changes[i];
		if ((c->new_path && !strcmp(c->new_path, path)) ||
		    (c->old_path && !strcmp(c->old_path, path)))
			return c;
	}
	return NULL;
}

static const char *seed_status(const impact_report_ctx *ctx, const char *path)
{
	const impact_change *c = change_of(ctx, path);
	if (!c)
		return "changed";
	if (c->status == IMPACT_CHANGE_RENAMED && c->old_path && !strcmp(c->old_path, path))
		return "renamed away";
	if (c->status == IMPACT_CHANGE_RENAMED)
		return "renamed here";
	return impact_change_status_name(c->status);
}

/* Why seed `id` started the walk: its change, or a note (a data file it names). */
static const char *seed_label(const impact_report_ctx *ctx, uint32_t id)
{
	const impact_selection *sel = ctx->selection;
	if (sel->seed_notes && sel->seed_notes[id])
		return sel->seed_notes[id];
	return seed_status(ctx, ctx->project->files[id].path);
}

static void explain_chain(impact_buf *out, const impact_report_ctx *ctx,
                          const impact_u32vec *chain)
{
	const impact_project *p = ctx->project;
	const impact_selection *sel = ctx->selection;
	for (size_t k = 0; k < chain->n; k++) {
		uint32_t id = chain->v[k];
		if (k) {
			const impact_edge *e = sel->reach.via[chain->v[k - 1]];
			impact_buf_puts(out, " <- ");
			impact_report_quote_path(out, p->files[id].path);
			if (e && e->kind != IMPACT_EDGE_IMPORT)
				impact_buf_printf(out, " [%s]", impact_edge_kind_name(e->kind));
		} else {
			impact_report_quote_path(out, p->files[id].path);
		}
	}
	impact_buf_puts(out, " (");
	impact_report_quote_path(out, seed_label(ctx, chain->v[chain->n - 1]));
	impact_buf_puts(out, ")");
}

/* " (rule 'name' at file:line:col: matched by path)" */
static void explain_rule(impact_buf *out, const impact_report_ctx *ctx, const impact_selected *s)
{
	if (s->reason == IMPACT_SELECT_ALWAYS) {
		impact_buf_puts(out, " (always: ");
		impact_config_where_format(out, &s->spec->where);
		impact_buf_puts(out, ")");
		return;
	}
	impact_buf_printf(out, " (rule '%s', ", ctx->config ? ctx->config->rules[s->rule].name : "?");
	if (ctx->config)
		impact_config_where_format(out, &ctx->config->rules[s->rule].where);
	if (s->by) {
		impact_buf_puts(out, ": ");
		impact_report_quote_path(out, impact_change_path(s->by));
		impact_buf_printf(out, " %s", impact_change_status_name(s->by->status));
	}
	impact_buf_puts(out, ")");
}

/* One selected test file's line(s) of --explain: why the static walk, a rule or a record chose it. */
static void explain_test(impact_buf *out, const impact_report_ctx *ctx, const impact_selected *s,
                         impact_u32vec *chain)
{
	const impact_selection *sel = ctx->selection;
	const impact_project *p = ctx->project;

	if (s->anchor != IMPACT_STRPOOL_NONE)
		impact_selection_chain(sel, s->anchor, chain);
	else
		chain->n = 0;
	if (s->collector) {
		impact_report_quote_path(out, s->target);
		impact_buf_puts(out, " [collected by ");
		impact_report_quote_path(out, p->files[s->collector->module].path);
		impact_buf_printf(out, ":%u pytest_collect_file]", s->collector->hook_line);
		if (s->evidence) {
			impact_buf_puts(out, " (");
			impact_report_quote_path(out, s->evidence);
			impact_buf_puts(out, ")\n");
			return;
		}
		if (s->reason == IMPACT_SELECT_CHANGED_TEST) {
			impact_buf_printf(out, " (changed: %s)\n", seed_status(ctx, s->target));
			return;
		}
		if (chain->n) {
			impact_buf_puts(out, " <- ");
			explain_chain(out, ctx, chain);
		}
		impact_buf_puts(out, "\n");
		return;
	}
	if (s->evidence) {
		impact_report_quote_path(out, s->target);
		impact_buf_puts(out, " (");
		impact_report_quote_path(out, s->evidence);
		impact_buf_puts(out, ")\n");
		return;
	}
	if (s->reason == IMPACT_SELECT_REACHES && sel->precise && s->file != IMPACT_STRPOOL_NONE &&
	    sel->precise->why[s->file] && (!chain->n || sel->precise->hops[s->file] <= s->dist)) {
		impact_report_quote_path(out, s->target);
		impact_buf_puts(out, " (references: ");
		impact_report_quote_path(out, sel->precise->why[s->file]);
		impact_buf_puts(out, ")\n");
		return;
	}
	if (s->reason == IMPACT_SELECT_REACHES && chain->n) {
		explain_chain(out, ctx, chain);
		impact_buf_puts(out, "\n");
		return;
	}
	impact_report_quote_path(out, s->target);
	if (s->reason == IMPACT_SELECT_RULE || s->reason == IMPACT_SELECT_ALWAYS) {
		explain_rule(out, ctx, s);
		if (chain->n > 1) {
			impact_buf_puts(out, "; also reaches it: ");
			explain_chain(out, ctx, chain);
		}
		impact_buf_puts(out, "\n");
		return;
	}
	if (s->reason == IMPACT_SELECT_CHANGED_TEST) {
		impact_buf_printf(out, " (changed test file: %s)\n", seed_status(ctx, s->target));
		return;
	}
	if (s->reason == IMPACT_SELECT_TEXT_DOCTEST) {
		impact_buf_puts(out, " (a doctest text file pytest collects: impact cannot tell "
		                "all its examples import, so any change may reach it)\n");
		return;
	}
	impact_buf_puts(out, "\n");
}

int impact_report_explain(impact_buf *out, const impact_report_ctx *ctx)
{
	const impact_selection *sel = ctx->selection;
	const impact_project *p = ctx->project;
	impact_u32vec chain = { 0 };
	size_t nfull = 0;

	impact_buf_printf(out, "%zu changed file%s, %zu test file%s selected",
	                  ctx->changes->n, ctx->changes->n == 1 ? "" : "s",
	                  sel->ntests, sel->ntests == 1 ? "" : "s");
	if (ctx->range)
		impact_buf_printf(out, " (%s..%s)", ctx->range->old_label, ctx->range->new_label);
	impact_buf_puts(out, "\n");
	if (sel->full_suite) {
		impact_buf_puts(out, "full suite: ");
		impact_report_quote_path(out, sel->full_reason);
		impact_buf_puts(out, "\n");
	}
	for (size_t i = 0; i < sel->ntests; i++) {
		const impact_selected *s = &sel->tests[i];
		if (s->reason == IMPACT_SELECT_FULL_SUITE) {
			nfull++;
			continue;
		}
		explain_test(out, ctx, s, &chain);
		if (s->record_note) {
			impact_buf_puts(out, "  ");
			impact_report_quote_path(out, s->record_note);
			impact_buf_puts(out, "\n");
		}
	}
	if (nfull)
		impact_buf_printf(out, "%zu more test file%s run only because of the full suite\n",
		                  nfull, nfull == 1 ? "" : "s");
	if (sel->records_used)
		impact_buf_printf(out, "records: %zu test file%s decided by what they executed at their "
		                  "last run (%zu dropped, %zu added; --no-records for static only)\n",
		                  sel->records_used, sel->records_used == 1 ? "" : "s",
		                  sel->records_dropped, sel->records_added);
	for (size_t i = 0; i < sel->dropped.n; i++) {
		impact_buf_puts(out, "dropped: ");
		impact_report_quote_path(out, sel->dropped.items[i]);
		impact_buf_puts(out, " (");
		impact_report_quote_path(out, sel->dropped_why.items[i]);
		impact_buf_puts(out, ")\n");
	}
	for (size_t i = 0; i < sel->nchanges; i++) {
		const impact_change_info *info = &sel->changes[i];
		const char *path = impact_change_path(info->change);
		if (info->precise) {
			impact_buf_puts(out, "change: ");
			impact_report_quote_path(out, path);
			impact_buf_puts(out, ": ");
			impact_report_quote_path(out, info->precise);
			impact_buf_puts(out, "\n");
		}
		if (info->cls == IMPACT_CLASS_MODULE && !info->ntests) {
			impact_buf_puts(out, "note: no test reaches ");
			impact_report_quote_path(out, path);
			impact_buf_printf(out, " (%s)\n", impact_change_status_name(info->change->status));
		} else if (info->cls == IMPACT_CLASS_IGNORED) {
			impact_buf_puts(out, "ignored: ");
			impact_report_quote_path(out, path);
			impact_buf_printf(out, " (%s)\n", info->reason);
		} else if ((info->cls == IMPACT_CLASS_FULL || info->cls == IMPACT_CLASS_OTHER ||
		            info->cls == IMPACT_CLASS_SUBMODULE) && sel->full_change != info) {
			impact_buf_puts(out, "also full suite: ");
			impact_report_quote_path(out, path);
			impact_buf_printf(out, " (%s)\n", info->reason);
		}
	}
	for (size_t i = 0; i < p->warnings.n; i++) {
		impact_buf_puts(out, "warning: ");
		impact_report_quote_path(out, p->warnings.items[i]);
		impact_buf_puts(out, "\n");
	}
	for (size_t i = 0; i < sel->warnings.n; i++) {
		impact_buf_puts(out, "warning: ");
		impact_report_quote_path(out, sel->warnings.items[i]);
		impact_buf_puts(out, "\n");
	}
	impact_u32vec_release(&chain);
	return 0;
}

static const char *reason_name(impact_select_reason r)
{
	switch (r) {
	case IMPACT_SELECT_CHANGED_TEST: return "changed-test";
	case IMPACT_SELECT_REACHES: return "reaches-change";
	case IMPACT_SELECT_FULL_SUITE: return "full-suite";
	case IMPACT_SELECT_RULE: return "rule";
	case IMPACT_SELECT_ALWAYS: return "always";
	case IMPACT_SELECT_TEXT_DOCTEST: return "doctest-text";
	}
	return "?";
}

/* One selected test file as JSON: why, how far, through which chain (`chain` is scratch). */
static void json_selected(impact_jsonw *w, const impact_report_ctx *ctx, const impact_selected *s,
                          impact_u32vec *chain)
{
	const impact_selection *sel = ctx->selection;
	const impact_project *p = ctx->project;
	impact_jsonw_object(w);
	put_path(w, "path", impact_selected_path(p, s));
	if (strcmp(s->target, impact_selected_path(p, s)))
		put_path(w, "target", s->target);
	put_str(w, "reason", reason_name(s->reason));
	if (s->evidence)
		put_str(w, "evidence", s->evidence);
	if (s->record_note)
		put_str(w, "record_not_used", s->record_note);
	if (s->reason == IMPACT_SELECT_RULE && ctx->config) {
		impact_jsonw_key(w, "rule");
		impact_jsonw_object(w);
		put_str(w, "name", ctx->config->rules[s->rule].name);
		put_where(w, &ctx->config->rules[s->rule].where);
		if (s->by)
			put_path(w, "matched", impact_change_path(s->by));
		impact_jsonw_end(w);
	} else if (s->reason == IMPACT_SELECT_ALWAYS) {
		impact_jsonw_key(w, "always");
		impact_jsonw_object(w);
		put_where(w, &s->spec->where);
		impact_jsonw_end(w);
	}
	impact_jsonw_key(w, "distance");
	if (s->dist == UINT32_MAX)
		impact_jsonw_null(w);
	else
		impact_jsonw_int(w, s->dist);
	if (s->anchor != IMPACT_STRPOOL_NONE)
		impact_selection_chain(sel, s->anchor, chain);
	else
		chain->n = 0;
	if (sel->precise && s->file != IMPACT_STRPOOL_NONE && sel->precise->why[s->file])
		put_str(w, "references", sel->precise->why[s->file]);
	if (s->collector) {
		impact_jsonw_key(w, "collected_by");
		impact_jsonw_object(w);
		put_path(w, "path", p->files[s->collector->module].path);
		put_int(w, "line", s->collector->hook_line);
		impact_jsonw_end(w);
	}
	impact_jsonw_key(w, "chain");
	impact_jsonw_array(w);
	for (size_t k = 0; k < chain->n; k++) {
		impact_jsonw_object(w);
		put_path(w, "path", p->files[chain->v[k]].path);
		if (k) {
			const impact_edge *e = sel->reach.via[chain->v[k - 1]];
			put_str(w, "via", impact_edge_kind_name(e->kind));
			if (e->line)
				put_int(w, "line", e->line);
		}
		if (k + 1 == chain->n)
			put_str(w, "status", seed_label(ctx, chain->v[k]));
		impact_jsonw_end(w);
	}
	impact_jsonw_end(w);
	impact_jsonw_end(w);
}

static void json_changed(impact_jsonw *w, const impact_selection *sel)
{
	impact_jsonw_key(w, "changed");
	impact_jsonw_array(w);
	for (size_t i = 0; i < sel->nchanges; i++) {
		const impact_change_info *info = &sel->changes[i];
		const impact_change *c = info->change;
		impact_jsonw_object(w);
		put_path(w, "path", impact_change_path(c));
		if (c->old_path && c->new_path && strcmp(c->old_path, c->new_path))
			put_path(w, "old_path", c->old_path);
		put_str(w, "status", impact_change_status_name(c->status));
		put_str(w, "class", impact_change_class_name(info->cls));
		put_str(w, "reason", info->reason);
		put_int(w, "tests", info->ntests);
		if (info->precise)
			put_str(w, "precise", info->precise);
		if (info->pattern) {
			impact_jsonw_key(w, "pattern");
			impact_jsonw_object(w);
			put_str(w, "glob", info->pattern->text);
			put_where(w, &info->pattern->where);
			impact_jsonw_end(w);
		}
		impact_jsonw_end(w);
	}
	impact_jsonw_end(w);
}

static void json_costs(impact_jsonw *w, const impact_report_ctx *ctx)
{
	const impact_project *p = ctx->project;
	static const char *const names[] = { "diff", "parse", "graph", "select", "total" };
	double ms[5] = { ctx->ms_diff, p->ms_parse, p->ms_graph, ctx->selection->ms_select,
	                 ctx->ms_total };
	uint32_t ntest = 0;

	impact_jsonw_key(w, "counts");
	impact_jsonw_object(w);
	for (uint32_t i = 0; i < p->nfiles; i++)
		ntest += !!(p->files[i].flags & IMPACT_PF_TEST);
	put_int(w, "python_files", p->nfiles);
	put_int(w, "test_files", ntest);
	put_int(w, "edges", (long long)impact_graph_edge_count(p->graph));
	impact_jsonw_end(w);
	impact_jsonw_key(w, "timings_ms");
	impact_jsonw_object(w);
	for (size_t i = 0; i < 5; i++) {
		impact_jsonw_key(w, names[i]);
		impact_jsonw_real(w, ms[i]);
	}
	/*
	 * With the costs, not the counts: files whose symbols were loaded to
	 * answer (a warm run loads only what its walk needs), which differs
	 * with and without the cache while the answer does not.
	 */
	put_int(w, "facts_loaded", (long long)p->facts_loaded);
	/* How the graph was made: read back, the old tree's patched, or built. */
	impact_jsonw_key(w, "graph_from");
	impact_jsonw_string(w, p->graph_patched ? "patched" : p->graph_cached ? "cached" : "built");
	impact_jsonw_end(w);
}

/* The whole report, written as it is walked (see jsonw.h). */
static void json_report(impact_buf *out, const impact_report_ctx *ctx, bool pretty)
{
	const impact_selection *sel = ctx->selection;
	const impact_project *p = ctx->project;
	impact_u32vec chain = { 0 };
	impact_jsonw w;

	impact_jsonw_init(&w, out, pretty);
	impact_jsonw_object(&w);
	put_int(&w, "version", 1);
	if (ctx->range) {
		impact_jsonw_key(&w, "range");
		impact_jsonw_object(&w);
		put_str(&w, "old", ctx->range->old_label);
		put_str(&w, "new", ctx->range->new_label);
		impact_jsonw_end(&w);
	}
	json_changed(&w, sel);
	impact_jsonw_key(&w, "full_suite");
	impact_jsonw_bool(&w, sel->full_suite);
	put_str(&w, "full_suite_reason", sel->full_reason);
	impact_jsonw_key(&w, "selected");
	impact_jsonw_array(&w);
	for (size_t i = 0; i < sel->ntests; i++)
		json_selected(&w, ctx, &sel->tests[i], &chain);
	impact_jsonw_end(&w);
	if (sel->dropped.n) {
		impact_jsonw_key(&w, "dropped");
		impact_jsonw_array(&w);
		for (size_t i = 0; i < sel->dropped.n; i++) {
			impact_jsonw_object(&w);
			put_path(&w, "path", sel->dropped.items[i]);
			put_str(&w, "why", sel->dropped_why.items[i]);
			impact_jsonw_end(&w);
		}
		impact_jsonw_end(&w);
	}
	impact_jsonw_key(&w, "warnings");
	impact_jsonw_array(&w);
	for (size_t i = 0; i < p->warnings.n; i++)
		impact_jsonw_string(&w, p->warnings.items[i]);
	for (size_t i = 0; i < sel->warnings.n; i++)
		impact_jsonw_string(&w, sel->warnings.items[i]);
	impact_jsonw_end(&w);
	json_costs(&w, ctx);
	impact_jsonw_end(&w);
	impact_u32vec_release(&chain);
}

json_t *impact_report_json_doc(const impact_report_ctx *ctx)
{
	impact_buf text = IMPACT_BUF_INIT;
	json_t *doc;
	json_report(&text, ctx, false);
	/* Read back: the writer's output is valid JSON by construction. */
	doc = json_loadb(text.ptr, text.size, 0, NULL);
	impact_buf_release(&text);
	return doc ? doc : json_object();
}

int impact_report_json(impact_buf *out, const impact_report_ctx *ctx, bool pretty)
{
	json_report(out, ctx, pretty);
	impact_buf_putc(out, '\n');
	return 0;
}
