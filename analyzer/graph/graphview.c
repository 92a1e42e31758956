/*
 * graphview.c - the selection as a graph of files (see graphview.h).
 *
 * The graph is a JSON document of its own ({"nodes": [...], "edges":
 * [...]}), built from the report and rendered from there: the JSON
 * format prints it, dot walks it, and the HTML page (share/impact/
 * graph.html, compiled in) carries it inline and draws it with a script
 * of its own, so the page needs no network and no file beside it.
 *
 * Chains come from the report's `chain` (one edge per hop, labelled with
 * its `via` and line) or, for a test chosen through references (precise
 * mode), from its `references` text ("a.py:f -> b.py:g (body changed)").
 */
#include "graphview.h"

#include <jansson.h>

extern const char impact_graph_html[];
extern const size_t impact_graph_html_len;

#define HTML_SLOT "/*IMPACT_GRAPH*/null"

typedef struct graph {
	json_t *nodes;  /* array of {id, kind, status?, note?, rule?} */
	json_t *index;  /* id -> position in nodes */
	json_t *edges;  /* array of {from, to, label} */
	json_t *seen;   /* "from\tto\tlabel" -> true */
} graph;

int impact_graphview_format_parse(impact_graphview_format *out, const char *name)
{
	if (!strcmp(name, "dot"))
		*out = IMPACT_GRAPHVIEW_DOT;
	else if (!strcmp(name, "json"))
		*out = IMPACT_GRAPHVIEW_JSON;
	else if (!strcmp(name, "html"))
		*out = IMPACT_GRAPHVIEW_HTML;
	else
		return impact_error_set(IMPACT_EINVALID, "unknown graph format '%s': use dot, json "
		                        "or html", name);
	return 0;
}

/* The node `id`, added with `kind` when new. Borrowed from g. */
static json_t *node(graph *g, const char *id, const char *kind)
{
	json_t *at = json_object_get(g->index, id), *n;
	if (at)
		return json_array_get(g->nodes, (size_t)json_integer_value(at));
	n = json_pack("{s:s, s:s}", "id", id, "kind", kind);
	json_object_set_new(g->index, id, json_integer((json_int_t)json_array_size(g->nodes)));
	json_array_append_new(g->nodes, n);
	return n;
}

static void edge(graph *g, const char *from, const char *to, const char *label)
{
	impact_buf key = IMPACT_BUF_INIT;
	if (!strcmp(from, to))
		return;
	impact_buf_printf(&key, "%s\t%s\t%s", from, to, label);
	if (!json_object_get(g->seen, key.ptr)) {
		json_object_set_new(g->seen, key.ptr, json_true());
		json_array_append_new(g->edges, json_pack("{s:s, s:s, s:s}", "from", from,
		                                          "to", to, "label", label));
	}
	impact_buf_release(&key);
}

static const char *str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : "";
}

static void add_references(graph *g, const char *text);

/*
 * One test's chain, hop by hop: importer -> imported, labelled "via, line
 * N". A hop that "runs changed code: a.py:<module> -> b.py:f (body
 * changed)" continues through those references.
 */
static void add_chain(graph *g, const json_t *chain)
{
	impact_buf label = IMPACT_BUF_INIT;
	for (size_t i = 1; i < json_array_size(chain); i++) {
		const json_t *prev = json_array_get(chain, i - 1), *hop = json_array_get(chain, i);
		json_t *n = node(g, str(hop, "path"), "module");
		json_t *line = json_object_get(hop, "line");
		impact_buf_sets(&label, *str(hop, "via") ? str(hop, "via") : "import");
		if (json_is_integer(line))
			impact_buf_printf(&label, ", line %lld", (long long)json_integer_value(line));
		if (*str(hop, "status") && !strcmp(str(n, "kind"), "module"))
			json_object_set_new(n, "note", json_string(str(hop, "status")));
		edge(g, str(prev, "path"), str(hop, "path"), label.ptr);
		if (strstr(str(hop, "status"), " -> ") && strchr(str(hop, "status"), ':'))
			add_references(g, strchr(str(hop, "status"), ':') + 2);
	}
	impact_buf_release(&label);
}

/*
 * "a.py:f -> b.py:g -> c.py:h (body changed)": an edge between each two
 * hops in different files, labelled "references: f -> g".
 */
static void add_references(graph *g, const char *text)
{
	impact_buf prev_file = IMPACT_BUF_INIT, prev_sym = IMPACT_BUF_INIT,
	           file = IMPACT_BUF_INIT, sym = IMPACT_BUF_INIT, label = IMPACT_BUF_INIT;
	const char *p = text;
	while (*p) {
		const char *end = strstr(p, " -> "), *colon, *paren;
		size_t len = end ? (size_t)(end - p) : strlen(p);
		impact_buf_clear(&file);
		impact_buf_clear(&sym);
		colon = memchr(p, ':', len);
		paren = strstr(p, " (");
		if (paren && paren - p < (ptrdiff_t)len)
			len = (size_t)(paren - p);
		if (colon && colon - p < (ptrdiff_t)len) {
			impact_buf_put(&file, p, (size_t)(colon - p));
			impact_buf_put(&sym, colon + 1, len - (size_t)(colon - p) - 1);
		} else {
			impact_buf_put(&file, p, len);
		}
		if (file.size) {
			node(g, file.ptr, "module");
			if (prev_file.size && strcmp(prev_file.ptr, file.ptr)) {
				impact_buf_clear(&label);
				impact_buf_printf(&label, "references: %s -> %s", prev_sym.ptr, sym.ptr);
				edge(g, prev_file.ptr, file.ptr, label.ptr);
			}
			impact_buf_sets(&prev_file, file.ptr);
			impact_buf_sets(&prev_sym, sym.ptr);
		}
		p = end ? end + 4 : p + strlen(p);
	}
	impact_buf_release(&prev_file);
	impact_buf_release(&prev_sym);
	impact_buf_release(&file);
	impact_buf_release(&sym);
	impact_buf_release(&label);
}

/* The graph document of `report`, or NULL (message set). Caller decrefs. */
static json_t *build(const char *report)
{
	json_error_t err;
	json_t *doc = json_loads(report, 0, &err), *out = NULL, *v;
	graph g = { json_array(), json_object(), json_array(), json_object() };
	size_t i;

	if (!doc || json_integer_value(json_object_get(doc, "version")) != 1 ||
	    !json_is_array(json_object_get(doc, "changed")) ||
	    !json_is_array(json_object_get(doc, "selected"))) {
		impact_error_set(IMPACT_EINVALID, "cannot read the selection's report (%s): "
		                 "expected impact's --json, version 1", doc ? "wrong shape" : err.text);
		goto done;
	}
	json_array_foreach(json_object_get(doc, "changed"), i, v) {
		json_t *n = node(&g, str(v, "path"), !strcmp(str(v, "class"), "test") ? "test" : "changed");
		json_object_set_new(n, "status", json_string(str(v, "status")));
	}
	json_array_foreach(json_object_get(doc, "selected"), i, v) {
		json_t *n = node(&g, str(v, "path"), "test");
		json_t *rule = json_object_get(v, "rule");
		if (!strcmp(str(n, "kind"), "module"))
			json_object_set_new(n, "kind", json_string("test"));
		if (rule)
			json_object_set_new(n, "rule", json_string(str(rule, "name")));
		if (*str(v, "reason"))
			json_object_set_new(n, "reason", json_string(str(v, "reason")));
		add_chain(&g, json_object_get(v, "chain"));
		if (*str(v, "references"))
			add_references(&g, str(v, "references"));
	}
	out = json_pack("{s:i, s:O?, s:O?, s:O?, s:O, s:O}", "version", 1,
	                "range", json_object_get(doc, "range"),
	                "full_suite", json_object_get(doc, "full_suite"),
	                "full_suite_reason", json_object_get(doc, "full_suite_reason"),
	                "nodes", g.nodes, "edges", g.edges);
	if (!out)
		impact_error_set(IMPACT_ERROR, "cannot build the graph document");
done:
	json_decref(doc);
	json_decref(g.nodes);
	json_decref(g.index);
	json_decref(g.edges);
	json_decref(g.seen);
	return out;
}

/* `s` as a dot string literal's content. */
static void dot_quoted(impact_buf *out, const char *s)
{
	impact_buf_putc(out, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			impact_buf_putc(out, '\\');
		if (*s == '\n')
			impact_buf_puts(out, "\\n");
		else
			impact_buf_putc(out, *s);
	}
	impact_buf_putc(out, '"');
}

static void render_dot(impact_buf *out, const json_t *g)
{
	const json_t *v;
	size_t i;
	impact_buf label = IMPACT_BUF_INIT;

	impact_buf_puts(out, "digraph impact {\n"
	                "\trankdir=LR;\n"
	                "\tnode [shape=box, style=\"rounded,filled\", fontname=\"monospace\", "
	                "fillcolor=\"#ffffff\"];\n"
	                "\tedge [fontname=\"monospace\", fontsize=10];\n");
	json_array_foreach(json_object_get(g, "nodes"), i, v) {
		const char *kind = str(v, "kind"), *status = str(v, "status");
		const char *fill = !strcmp(kind, "test") ? (*status ? "#fff3cd" : "#d4edda")
		                 : !strcmp(kind, "changed") ? "#f8d7da" : "#ffffff";
		impact_buf_sets(&label, str(v, "id"));
		if (*status)
			impact_buf_printf(&label, "\n(%s)", status);
		if (*str(v, "rule"))
			impact_buf_printf(&label, "\n[rule %s]", str(v, "rule"));
		impact_buf_putc(out, '\t');
		dot_quoted(out, str(v, "id"));
		impact_buf_puts(out, " [label=");
		dot_quoted(out, label.ptr);
		impact_buf_printf(out, ", fillcolor=\"%s\"];\n", fill);
	}
	json_array_foreach(json_object_get(g, "edges"), i, v) {
		impact_buf_putc(out, '\t');
		dot_quoted(out, str(v, "from"));
		impact_buf_puts(out, " -> ");
		dot_quoted(out, str(v, "to"));
		impact_buf_puts(out, " [label=");
		dot_quoted(out, str(v, "label"));
		impact_buf_puts(out, "];\n");
	}
	impact_buf_puts(out, "}\n");
	impact_buf_release(&label);
}

/* The page with the graph inline; "</" escaped so no path can end the script. */
static int render_html(impact_buf *out, const json_t *g)
{
	const char *slot = strstr(impact_graph_html, HTML_SLOT);
	char *text = json_dumps(g, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	if (!slot || !text) {
		free(text);
		return impact_error_set(IMPACT_ERROR, "the graph page's template has no slot");
	}
	impact_buf_put(out, impact_graph_html, (size_t)(slot - impact_graph_html));
	for (const char *p = text; *p; p++) {
		if (p[0] == '<' && p[1] == '/')
			impact_buf_puts(out, "<\\");
		else
			impact_buf_putc(out, *p);
	}
	impact_buf_puts(out, slot + strlen(HTML_SLOT));
	free(text);
	return 0;
}

int impact_graphview_render(impact_buf *out, const char *report,
                            impact_graphview_format format)
{
	json_t *g = build(report);
	char *text;
	int rc = 0;

	if (!g)
		return IMPACT_EINVALID;
	switch (format) {
	case IMPACT_GRAPHVIEW_DOT:
		render_dot(out, g);
		break;
	case IMPACT_GRAPHVIEW_JSON:
		text = json_dumps(g, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (text) {
			impact_buf_puts(out, text);
			impact_buf_putc(out, '\n');
		}
		free(text);
		break;
	case IMPACT_GRAPHVIEW_HTML:
		rc = render_html(out, g);
		break;
	}
	json_decref(g);
	return rc;
}
