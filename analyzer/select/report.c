/*
 * report.c - --list, --explain and --json renderings (see report.h).
 *
 * JSON goes through jansson. Strings in JSON must be UTF-8, and git paths
 * need not be: such paths are written with each invalid byte replaced by
 * U+FFFD, and the entry gets "path_escaped" with the \xNN form, so no
 * information is lost and the document stays valid.
 */
#include "report.h"

#include "precise.h"

#include <jansson.h>

/* Length of the valid UTF-8 sequence at s, or 0 if invalid. */
static size_t utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf && (s[1] & 0xc0) == 0x80)
		return 2;
	if (s[0] >= 0xe0 && s[0] <= 0xef && (s[1] & 0xc0) == 0x80 &&
	    (s[2] & 0xc0) == 0x80) {
		if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f))
			return 0;
		return 3;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4 && (s[1] & 0xc0) == 0x80 &&
	    (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80) {
		if ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

bool impact_report_is_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t n; *p; p += n)
		if ((n = utf8_len(p)) == 0)
			return false;
	return true;
}

void impact_report_quote_path(impact_buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = utf8_len(p);
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

static bool is_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = utf8_len(p);
		if (!n)
			return false;
		p += n;
	}
	return true;
}

static json_t *json_str(const char *s)
{
	impact_buf b = IMPACT_BUF_INIT;
	const unsigned char *p = (const unsigned char *)s;
	json_t *j;
	if (!s)
		return json_null();
	if (is_utf8(s))
		return json_string(s);
	while (*p) {
		size_t n = utf8_len(p);
		if (!n) {
			impact_buf_puts(&b, "\xef\xbf\xbd");
			p++;
		} else {
			impact_buf_put(&b, p, n);
			p += n;
		}
	}
	j = json_string(b.ptr);
	impact_buf_release(&b);
	return j;
}

static void set_path(json_t *obj, const char *key, const char *path)
{
	json_object_set_new(obj, key, json_str(path));
	if (path && !is_utf8(path)) {
		impact_buf esc = IMPACT_BUF_INIT;
		impact_buf k = IMPACT_BUF_INIT;
		impact_report_quote_path(&esc, path);
		impact_buf_printf(&k, "%s_escaped", key);
		json_object_set_new(obj, k.ptr, json_string(esc.ptr));
		impact_buf_release(&esc);
		impact_buf_release(&k);
	}
}

static void set_where(json_t *obj, const impact_config_where *w)
{
	if (!w->file)
		return;
	json_object_set_new(obj, "file", json_str(w->file));
	json_object_set_new(obj, "line", json_integer(w->line));
	json_object_set_new(obj, "col", json_integer(w->col));
	json_object_set_new(obj, "builtin", json_boolean(w->builtin));
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
static json_t *json_selected(const impact_report_ctx *ctx, const impact_selected *s,
                             impact_u32vec *chain)
{
	const impact_selection *sel = ctx->selection;
	const impact_project *p = ctx->project;
	json_t *o = json_object(), *jc = json_array();
	set_path(o, "path", impact_selected_path(p, s));
	if (strcmp(s->target, impact_selected_path(p, s)))
		set_path(o, "target", s->target);
	json_object_set_new(o, "reason", json_string(reason_name(s->reason)));
	if (s->evidence)
		json_object_set_new(o, "evidence", json_str(s->evidence));
	if (s->record_note)
		json_object_set_new(o, "record_not_used", json_str(s->record_note));
	if (s->reason == IMPACT_SELECT_RULE && ctx->config) {
		json_t *r = json_object();
		json_object_set_new(r, "name", json_str(ctx->config->rules[s->rule].name));
		set_where(r, &ctx->config->rules[s->rule].where);
		if (s->by)
			set_path(r, "matched", impact_change_path(s->by));
		json_object_set_new(o, "rule", r);
	} else if (s->reason == IMPACT_SELECT_ALWAYS) {
		json_t *r = json_object();
		set_where(r, &s->spec->where);
		json_object_set_new(o, "always", r);
	}
	if (s->dist == UINT32_MAX)
		json_object_set_new(o, "distance", json_null());
	else
		json_object_set_new(o, "distance", json_integer(s->dist));
	if (s->anchor != IMPACT_STRPOOL_NONE)
		impact_selection_chain(sel, s->anchor, chain);
	else
		chain->n = 0;
	if (sel->precise && s->file != IMPACT_STRPOOL_NONE && sel->precise->why[s->file])
		json_object_set_new(o, "references", json_str(sel->precise->why[s->file]));
	if (s->collector) {
		json_t *cb = json_object();
		set_path(cb, "path", p->files[s->collector->module].path);
		json_object_set_new(cb, "line", json_integer(s->collector->hook_line));
		json_object_set_new(o, "collected_by", cb);
	}
	for (size_t k = 0; k < chain->n; k++) {
		json_t *hop = json_object();
		set_path(hop, "path", p->files[chain->v[k]].path);
		if (k) {
			const impact_edge *e = sel->reach.via[chain->v[k - 1]];
			json_object_set_new(hop, "via", json_string(impact_edge_kind_name(e->kind)));
			if (e->line)
				json_object_set_new(hop, "line", json_integer(e->line));
		}
		if (k + 1 == chain->n)
			json_object_set_new(hop, "status",
			                    json_str(seed_label(ctx, chain->v[k])));
		json_array_append_new(jc, hop);
	}
	json_object_set_new(o, "chain", jc);
	return o;
}

json_t *impact_report_json_doc(const impact_report_ctx *ctx)
{
	const impact_selection *sel = ctx->selection;
	const impact_project *p = ctx->project;
	json_t *root = json_object(), *changed = json_array(), *tests = json_array();
	json_t *warnings = json_array(), *timings = json_object(), *counts = json_object();
	impact_u32vec chain = { 0 };

	json_object_set_new(root, "version", json_integer(1));
	if (ctx->range) {
		json_t *range = json_object();
		json_object_set_new(range, "old", json_str(ctx->range->old_label));
		json_object_set_new(range, "new", json_str(ctx->range->new_label));
		json_object_set_new(root, "range", range);
	}
	for (size_t i = 0; i < sel->nchanges; i++) {
		const impact_change_info *info = &sel->changes[i];
		const impact_change *c = info->change;
		json_t *o = json_object();
		set_path(o, "path", impact_change_path(c));
		if (c->old_path && c->new_path && strcmp(c->old_path, c->new_path))
			set_path(o, "old_path", c->old_path);
		json_object_set_new(o, "status", json_string(impact_change_status_name(c->status)));
		json_object_set_new(o, "class", json_string(impact_change_class_name(info->cls)));
		json_object_set_new(o, "reason", json_string(info->reason));
		json_object_set_new(o, "tests", json_integer(info->ntests));
		if (info->precise)
			json_object_set_new(o, "precise", json_str(info->precise));
		if (info->pattern) {
			json_t *pat = json_object();
			json_object_set_new(pat, "glob", json_str(info->pattern->text));
			set_where(pat, &info->pattern->where);
			json_object_set_new(o, "pattern", pat);
		}
		json_array_append_new(changed, o);
	}
	json_object_set_new(root, "changed", changed);
	json_object_set_new(root, "full_suite", json_boolean(sel->full_suite));
	json_object_set_new(root, "full_suite_reason", json_str(sel->full_reason));

	for (size_t i = 0; i < sel->ntests; i++) {
		json_array_append_new(tests, json_selected(ctx, &sel->tests[i], &chain));
	}
	json_object_set_new(root, "selected", tests);
	if (sel->dropped.n) {
		json_t *dropped = json_array();
		for (size_t i = 0; i < sel->dropped.n; i++) {
			json_t *o = json_object();
			set_path(o, "path", sel->dropped.items[i]);
			json_object_set_new(o, "why", json_str(sel->dropped_why.items[i]));
			json_array_append_new(dropped, o);
		}
		json_object_set_new(root, "dropped", dropped);
	}
	for (size_t i = 0; i < p->warnings.n; i++)
		json_array_append_new(warnings, json_str(p->warnings.items[i]));
	for (size_t i = 0; i < sel->warnings.n; i++)
		json_array_append_new(warnings, json_str(sel->warnings.items[i]));
	json_object_set_new(root, "warnings", warnings);

	{
		uint32_t ntest = 0;
		for (uint32_t i = 0; i < p->nfiles; i++)
			ntest += !!(p->files[i].flags & IMPACT_PF_TEST);
		json_object_set_new(counts, "python_files", json_integer(p->nfiles));
		json_object_set_new(counts, "test_files", json_integer(ntest));
		json_object_set_new(counts, "edges", json_integer((json_int_t)impact_graph_edge_count(p->graph)));
	}
	json_object_set_new(root, "counts", counts);
	json_object_set_new(timings, "diff", json_real(ctx->ms_diff));
	json_object_set_new(timings, "parse", json_real(p->ms_parse));
	json_object_set_new(timings, "graph", json_real(p->ms_graph));
	json_object_set_new(timings, "select", json_real(sel->ms_select));
	json_object_set_new(timings, "total", json_real(ctx->ms_total));
	/*
	 * With the costs, not the counts: files whose symbols were loaded to
	 * answer (a warm run loads only what its walk needs), which differs
	 * with and without the cache while the answer does not.
	 */
	json_object_set_new(timings, "facts_loaded", json_integer((json_int_t)p->facts_loaded));
	json_object_set_new(root, "timings_ms", timings);
	impact_u32vec_release(&chain);
	return root;
}

int impact_report_json(impact_buf *out, const impact_report_ctx *ctx, bool pretty)
{
	json_t *root = impact_report_json_doc(ctx);
	char *text = json_dumps(root, (pretty ? JSON_INDENT(2) : JSON_COMPACT) | JSON_PRESERVE_ORDER);
	int rc = 0;
	if (!text) {
		rc = impact_error_set(IMPACT_ERROR, "cannot render the JSON report");
	} else {
		impact_buf_puts(out, text);
		impact_buf_putc(out, '\n');
		free(text);
	}
	json_decref(root);
	return rc;
}
