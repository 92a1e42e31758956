/*
 * pycodestr.c - strings the symbol walk (pysymbols.c) reads as code: the
 * literal argument of exec/eval, and a string holding import statements
 * (code a test runs with `python -c CODE`). Their names become the
 * reading function's references, so the precise walk follows them as it
 * follows code. Split from the walk: parsing a string again is its own
 * concern (a nested tree-sitter parse under a time budget).
 */
#include "pysymwalk.h"

/*
 * A string literal read as code: the literal argument of exec/eval, or a
 * string holding import statements (`python -c CODE`): its names are
 * `owner`'s references. False when it is not plain text or does not parse.
 */
bool pycs_read_code_string(symwalk *sw, TSNode str, const sctx *c)
{
	walker *w = sw->w;
	TSNode content = { 0 };
	const char *src, *saved_src = w->src;
	size_t len, saved_len = w->len, floor = sw->n;
	uint32_t parts = 0;
	TSTree *tree;
	TSNode root;
	sctx top = *c;
	if (sw->code_depth || kind_of(w, str) != K_STRING)
		return false;
	for (uint32_t i = 0, m = ts_node_named_child_count(str); i < m; i++) {
		TSNode ch = ts_node_named_child(str, i);
		const char *type = ts_node_type(ch);
		if (!strcmp(type, "string_start") || !strcmp(type, "string_end"))
			continue;
		if (strcmp(type, "string_content") || parts++)
			return false; /* an escape, an interpolation: not plain text */
		content = ch;
	}
	if (!parts)
		return false;
	{
		size_t pre;
		const char *t = node_text(w, str, &pre);
		for (size_t i = 0; i < pre && t[i] != '"' && t[i] != '\''; i++)
			if (t[i] == 'f' || t[i] == 'F' || t[i] == 'b' || t[i] == 'B')
				return false;
	}
	src = node_text(w, content, &len);
	if (!len || len > 65536)
		return false;
	ts_parser_set_included_ranges(w->p->ts, NULL, 0);
	tree = pyi_parse_within(w->p->ts, src, len, pyi_now_us() + 200000);
	if (!tree) {
		ts_parser_reset(w->p->ts);
		return false;
	}
	root = ts_tree_root_node(tree);
	if (ts_node_has_error(root)) {
		ts_tree_delete(tree);
		return false;
	}
	w->src = src;
	w->len = len;
	sw->code_depth++;
	top.in_function = c->owner != IMPACT_SYMBOL_NONE || c->in_function;
	top.cls = IMPACT_SYMBOL_NONE;
	top.param_of = IMPACT_SYMBOL_NONE;
	top.start_row = UINT32_MAX;
	top.guard = IMPACT_SYMBOL_NONE;
	top.fixture = 0;
	top.cached = 0;
	pysw_push(sw, root, &top);
	pysw_run(sw, floor);
	sw->code_depth--;
	w->src = saved_src;
	w->len = saved_len;
	ts_tree_delete(tree);
	return true;
}

/* A string that holds an import statement, so may be code run elsewhere (`python -c`). */
bool pycs_looks_like_code(const char *t, size_t len)
{
	for (size_t i = 0; i + 7 < len; i++) {
		bool start = i == 0 || t[i - 1] == '\n' || t[i - 1] == ';' ||
		             (t[i - 1] == ' ' && i >= 2 && t[i - 2] == ';');
		if (start && (!strncmp(t + i, "import ", 7) || !strncmp(t + i, "from ", 5)))
			return true;
	}
	return false;
}
