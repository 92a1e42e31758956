/*
 * pyextract.c - the extraction entry, impact_pyfacts_extract: scan the
 * source for string evidence, index its keywords, cut it into pieces
 * (pypieces.c), parse each within one CPU-time budget (pyparser.c), walk
 * each tree for imports (pyimports.c) and for symbols and references
 * (pysymbols.c), read again the imports a syntax error hid (pyrecover.c),
 * and give each function-level import to its function. It sequences the
 * steps; each step lives in its own file.
 */
#include "pyimports_private.h"

/* Each import inside a function or method body belongs to it. */
static void attribute_imports(impact_pyfacts *f)
{
	for (size_t i = 0; i < f->nimports; i++) {
		impact_import *imp = &f->imports[i];
		imp->symbol = IMPACT_SYMBOL_NONE;
		if (!(imp->flags & IMPACT_IMPORT_IN_FUNCTION))
			continue;
		for (size_t k = 0; k < f->nsymbols; k++) {
			const impact_symbol *s = &f->symbols[k];
			if ((s->kind == IMPACT_SYMBOL_FUNCTION || s->kind == IMPACT_SYMBOL_METHOD) &&
			    s->def_line <= imp->line && imp->line <= s->end_line)
				imp->symbol = (uint32_t)k;
		}
	}
}

/*
 * Parse piece `pc` of the source within what is left of the budget, walk
 * its tree for imports and symbols, and read again what a syntax error
 * hid. Sets *gave_up when the budget ran out (nothing more is parsed),
 * *error_found with the first syntax error's place. Fails only on a
 * tree-sitter refusal (a bug).
 */
static int parse_piece(walker *w, impact_pyparser *parser, const piece *pc, size_t len,
                       uint64_t started, uint64_t budget, bool *gave_up, bool *error_found)
{
	TSTree *tree;
	TSNode root;
	TSPoint at;
	uint64_t spent;
	bool whole = pc->start.off == 0 && pc->end.off == len;

	if (pc->skip)
		return 0;
	if (!whole) {
		TSRange r;
		r.start_byte = pc->start.off;
		r.start_point = (TSPoint){ pc->start.row, 0 };
		if (pc->end.off == len) {
			r.end_byte = UINT32_MAX;
			r.end_point = (TSPoint){ UINT32_MAX, UINT32_MAX };
		} else {
			r.end_byte = pc->end.off;
			r.end_point = (TSPoint){ pc->end.row, 0 };
		}
		if (!ts_parser_set_included_ranges(parser->ts, &r, 1)) {
			return impact_error_set(IMPACT_ERROR,
			                        "tree-sitter refused the range %u..%u; "
			                        "this is a bug in impact",
			                        pc->start.off, pc->end.off);
		}
	} else {
		ts_parser_set_included_ranges(parser->ts, NULL, 0);
	}
	/* One budget for the file, however many pieces it is cut in. */
	spent = pyi_now_us() - started;
	if (spent >= budget) {
		*gave_up = true;
		return 0;
	}
	tree = pyi_parse_within(parser->ts, w->src, len, started + budget);
	if (!tree) {
		/* Timed out: forget the half-done parse for the next file. */
		ts_parser_reset(parser->ts);
		*gave_up = true;
		return 0;
	}
	root = ts_tree_root_node(tree);
	w->piece_first = w->facts->nimports;
	w->whole = whole;
	pyi_walk(w, root);
	pyi_collect_symbols(w, root);
	if (ts_node_has_error(root)) {
		w->facts->flags |= IMPACT_PYFACTS_SYNTAX_ERROR;
		if (!*error_found && pyi_first_error(root, &at)) {
			*error_found = true;
			w->facts->error_line = at.row + 1;
			w->facts->error_col = at.column + 1;
		}
		pyi_recover(w, root, pc->start, pc->end.off);
	}
	ts_tree_delete(tree);
	return 0;
}

int impact_pyfacts_extract(impact_pyfacts **out, impact_pyparser *parser,
                           const char *src, size_t len)
{
	impact_pyfacts *facts = impact_xcalloc(1, sizeof(*facts));
	walker w;
	piece *pieces = NULL;
	size_t npieces = 0;
	uint32_t *kw = NULL;
	bool too_large = false, gave_up = false, error_found = false;
	uint64_t budget, started;
	int err = 0;

	*out = NULL;
	memset(&w, 0, sizeof(w));
	facts->arena = impact_xcalloc(1, sizeof(arena));
	impact_buf_init(&w.module);
	impact_buf_init(&w.text);
	impact_buf_init(&w.alias);

	if (!src)
		len = 0;
	if (len > IMPACT_PYFACTS_MAX_SOURCE) {
		facts->flags = IMPACT_PYFACTS_TOO_LARGE;
		goto done;
	}
	if (len && memmem(src, len, ">>> ", 4))
		facts->flags |= IMPACT_PYFACTS_DOCTEST;
	pyi_scan_strings(facts, facts->arena, src, len);

	w.p = parser;
	w.src = src ? src : "";
	w.len = len;
	w.facts = facts;
	w.arena = facts->arena;
	pyi_index_keywords(w.src, len, &kw, &w.nkw);
	w.kw = kw;

	budget = parser->timeout_us ? parser->timeout_us
	                            : DEFAULT_TIMEOUT_BASE_US + DEFAULT_TIMEOUT_PER_MIB_US * (len >> 20);
	started = pyi_now_us();
	pyi_plan_pieces(&w, &pieces, &npieces, &too_large);
	for (size_t i = 0; !too_large && !gave_up && i < npieces; i++) {
		err = parse_piece(&w, parser, &pieces[i], len, started, budget, &gave_up, &error_found);
		if (err)
			goto done;
	}
	ts_parser_set_included_ranges(parser->ts, NULL, 0);

	if (too_large || gave_up) {
		/* Unknown: nothing half-read is reported. */
		facts->nimports = 0;
		facts->nsymbols = 0;
		facts->nrefs = 0;
		facts->flags = IMPACT_PYFACTS_TOO_LARGE | (facts->flags & IMPACT_PYFACTS_DOCTEST);
		facts->error_line = facts->error_col = 0;
	}
	attribute_imports(facts);
	if (facts->nimports < w.alloc) {
		facts->imports = facts->nimports
			? impact_xreallocarray(facts->imports, facts->nimports, sizeof(*facts->imports))
			: (free(facts->imports), NULL);
	}

done:
	for (size_t i = 0; i < w.ncursors_made; i++) {
		ts_tree_cursor_delete(w.cursors[i]);
		free(w.cursors[i]);
	}
	free(w.cursors);
	free(w.frames);
	free(w.work);
	free(kw);
	free(pieces);
	impact_buf_release(&w.module);
	impact_buf_release(&w.text);
	impact_buf_release(&w.alias);
	if (err) {
		impact_pyfacts_free(facts);
		return err;
	}
	*out = facts;
	return 0;
}
