/*
 * mutate.c - the audit's mutant of a Python module (see mutate.h).
 *
 * One tree-sitter parse finds every function_definition's body; the
 * insertions are planned as (offset, form) pairs, then the mutant is
 * written in one pass that copies the source between them. The mutant is
 * parsed again before it is handed out: it must parse without an error,
 * hold as many functions as the original, and each of their bodies must
 * start (after its docstring) with exactly the raise, so a layout this
 * code gets wrong is reported, never run.
 *
 * Where the raise goes, for a body whose first statement (after the
 * docstring, if any) is S:
 *  - S starts its physical line (only blanks before it, and the line
 *    before does not end in a backslash): a line of its own before S,
 *    ending like the line before it ends and indented with S's own
 *    indentation bytes, so tabs and form feeds stay what they were;
 *  - else (a one-line body, or S after `;`): `raise ...; ` before S.
 *    S is then a simple statement, since Python allows nothing else there;
 *  - a body that is only a docstring: `; raise ...` right after it.
 *
 * Debian's libtree-sitter 0.20.7 corrupts its heap on a node with 65536
 * or more children (see pyimports.c). pyimports.c cuts such sources into
 * pieces; a mutant needs the whole tree, so a source whose token bound
 * could reach that is skipped with a reason instead (IMPACT_TS_CHILD_COUNT_GUARD
 * off drops the check). The bound is pyimports.c's count_units, simplified
 * to be coarser and still an upper bound.
 */
#include "mutate.h"

#include "pyimports.h"

#include <tree_sitter/api.h>

const TSLanguage *tree_sitter_python(void);

#define TS_ERROR_SYMBOL ((TSSymbol)-1)

/* Tokens (upper bound) one parse may see while the guard is on. */
#define GUARD_MAX_UNITS 60000u

/* Parse time budget: base plus a share per MiB. */
#define TIMEOUT_BASE_US 3000000ull
#define TIMEOUT_PER_MIB_US 1000000ull

struct impact_mutator {
	TSParser *ts;
};

typedef enum form {
	FORM_LINE = 0,      /* "raise X" EOL indent, before S */
	FORM_BEFORE,        /* "raise X; " before S */
	FORM_AFTER,         /* "; raise X" after the docstring */
} form;

typedef struct insertion {
	uint32_t at;          /* byte offset in the source */
	uint32_t line_start;  /* FORM_LINE: where S's line starts */
	uint32_t eol_start;   /* FORM_LINE: the line ending before it, [eol_start, line_start) */
	form how;
} insertion;

typedef struct plan {
	insertion *v;
	size_t n, alloc;
} plan;

impact_mutator *impact_mutator_new(void)
{
	const TSLanguage *lang = tree_sitter_python();
	impact_mutator *m = impact_xcalloc(1, sizeof(*m));
	m->ts = ts_parser_new();
	if (!ts_parser_set_language(m->ts, lang)) {
		impact_error_set(IMPACT_ERROR,
		                 "the python grammar (ABI %u) does not fit this tree-sitter "
		                 "library; rebuild impact against a matching libtree-sitter",
		                 ts_language_version(lang));
		impact_mutator_free(m);
		return NULL;
	}
	return m;
}

void impact_mutator_free(impact_mutator *m)
{
	if (!m)
		return;
	if (m->ts)
		ts_parser_delete(m->ts);
	free(m);
}

static bool is_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c >= 0x80;
}

/*
 * An upper bound of the tokens tree-sitter can make of `s`: a word or a
 * number is at most two per digit/letter switch (counted per character
 * here), every other non-blank byte one, a line three (newline, indent,
 * dedent). Comments are counted byte by byte: coarser than pyimports.c,
 * never lower.
 */
static size_t token_bound(const char *s, size_t len)
{
	size_t units = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f')
			continue;
		if (ch == '\n') {
			units += 3;
		} else if (is_word(ch)) {
			units++;
			while (i + 1 < len && is_word((unsigned char)s[i + 1])) {
				bool digit = s[i + 1] >= '0' && s[i + 1] <= '9';
				bool prev = s[i] >= '0' && s[i] <= '9';
				units += digit != prev;
				i++;
			}
		} else {
			units++;
		}
	}
	return units;
}

static bool marker_ok(const char *marker)
{
	size_t n = strlen(marker);
	if (!n || n > 200)
		return false;
	for (const char *p = marker; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.' || c == ':'))
			return false;
	}
	return true;
}

static bool is_type(TSNode n, const char *type)
{
	return !strcmp(ts_node_type(n), type);
}

/* A string literal without interpolation (f-strings are not docstrings). */
static bool plain_string(TSNode s)
{
	uint32_t n = ts_node_named_child_count(s);
	if (is_type(s, "concatenated_string")) {
		for (uint32_t i = 0; i < n; i++)
			if (!plain_string(ts_node_named_child(s, i)))
				return false;
		return n > 0;
	}
	if (!is_type(s, "string"))
		return false;
	for (uint32_t i = 0; i < n; i++)
		if (is_type(ts_node_named_child(s, i), "interpolation"))
			return false;
	return true;
}

static bool is_docstring(TSNode stmt)
{
	return is_type(stmt, "expression_statement") && ts_node_named_child_count(stmt) == 1 &&
	       plain_string(ts_node_named_child(stmt, 0));
}

/*
 * True when the statement at `at` starts its physical line, which does
 * not continue the line before (a backslash). Sets where the line starts
 * and where the line ending before it starts.
 */
static bool starts_line(const char *s, uint32_t at, uint32_t *line_start, uint32_t *eol_start)
{
	uint32_t i = at, e;
	while (i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t' || s[i - 1] == '\f'))
		i--;
	if (i == 0 || (s[i - 1] != '\n' && s[i - 1] != '\r'))
		return false;
	e = i - 1;
	if (s[e] == '\n' && e > 0 && s[e - 1] == '\r')
		e--;
	if (e > 0 && s[e - 1] == '\\')
		return false;
	*line_start = i;
	*eol_start = e;
	return true;
}

/*
 * The first statement of `fn`'s body after the docstring (*first), and the
 * docstring (*doc); either may be a null node. False when there is no body.
 */
static bool body_parts(TSNode fn, TSNode *first, TSNode *doc)
{
	TSNode body = ts_node_child_by_field_name(fn, "body", 4);
	uint32_t n;

	*first = *doc = (TSNode){ 0 };
	if (ts_node_is_null(body))
		return false;
	n = ts_node_named_child_count(body);
	for (uint32_t i = 0; i < n; i++) {
		TSNode c = ts_node_named_child(body, i);
		if (ts_node_is_extra(c))
			continue; /* comments, line continuations */
		if (ts_node_is_null(*doc) && is_docstring(c)) {
			*doc = c;
			continue;
		}
		*first = c;
		break;
	}
	return !ts_node_is_null(*first) || !ts_node_is_null(*doc);
}

/* Plan the raise for the function definition `fn`. False if its body is not there. */
static bool plan_function(plan *p, TSNode fn, const char *src)
{
	TSNode first, doc;
	insertion ins = { 0 };

	if (!body_parts(fn, &first, &doc))
		return false;
	if (!ts_node_is_null(first)) {
		ins.at = ts_node_start_byte(first);
		ins.how = starts_line(src, ins.at, &ins.line_start, &ins.eol_start) ? FORM_LINE : FORM_BEFORE;
	} else {
		ins.at = ts_node_end_byte(doc);
		ins.how = FORM_AFTER;
	}
	IMPACT_PUSH(p->v, p->n, p->alloc, ins);
	return true;
}

/* In the mutant: does `fn`'s body start (after its docstring) with exactly `raise`? */
static bool starts_with_raise(TSNode fn, const char *src, const char *raise)
{
	TSNode first, doc;
	size_t n = strlen(raise);
	if (!body_parts(fn, &first, &doc) || ts_node_is_null(first) ||
	    !is_type(first, "raise_statement"))
		return false;
	return ts_node_end_byte(first) - ts_node_start_byte(first) == n &&
	       !memcmp(src + ts_node_start_byte(first), raise, n);
}

/*
 * Every function_definition of the tree, in source order: planned into
 * `p`, or with `p` NULL checked to start with `raise` (*nbad counts those
 * that do not). *nfound counts them all.
 */
static void walk_functions(plan *p, size_t *nfound, size_t *nbad, TSNode root,
                           const char *src, const char *raise)
{
	TSTreeCursor cur = ts_tree_cursor_new(root);
	*nfound = *nbad = 0;
	for (;;) {
		TSNode node = ts_tree_cursor_current_node(&cur);
		if (is_type(node, "function_definition")) {
			(*nfound)++;
			if (p ? !plan_function(p, node, src) : !starts_with_raise(node, src, raise))
				(*nbad)++;
		}
		if (ts_tree_cursor_goto_first_child(&cur))
			continue;
		while (!ts_tree_cursor_goto_next_sibling(&cur)) {
			if (!ts_tree_cursor_goto_parent(&cur)) {
				ts_tree_cursor_delete(&cur);
				return;
			}
		}
	}
}

/* Where the first syntax error is, as "line L, column C" (1-based, columns in bytes). */
static void error_where(impact_buf *out, TSNode root)
{
	TSNode node = root;
	for (;;) {
		uint32_t n = ts_node_child_count(node);
		bool deeper = false;
		if (ts_node_symbol(node) == TS_ERROR_SYMBOL || ts_node_is_missing(node))
			break;
		for (uint32_t i = 0; i < n; i++) {
			TSNode c = ts_node_child(node, i);
			if (ts_node_has_error(c) || ts_node_is_missing(c)) {
				node = c;
				deeper = true;
				break;
			}
		}
		if (!deeper)
			break;
	}
	{
		TSPoint pt = ts_node_start_point(node);
		impact_buf_printf(out, "line %u, column %u%s", pt.row + 1, pt.column + 1,
		                  ts_node_is_missing(node) ? " (something is missing there)" : "");
	}
}

static int cmp_insertion(const void *a, const void *b)
{
	const insertion *x = a, *y = b;
	return x->at < y->at ? -1 : x->at > y->at;
}

/* Parse `src`; NULL with IMPACT_EINVALID set when the parser gives up. */
static TSTree *parse(impact_mutator *m, const char *src, size_t len)
{
	uint64_t budget = TIMEOUT_BASE_US + TIMEOUT_PER_MIB_US * (len >> 20);
	TSTree *tree;
	ts_parser_set_timeout_micros(m->ts, budget);
	tree = ts_parser_parse_string(m->ts, NULL, src, (uint32_t)len);
	if (!tree) {
		ts_parser_reset(m->ts);
		impact_error_set(IMPACT_EINVALID, "the parser gave up after %llu s",
		                 (unsigned long long)(budget / 1000000));
	}
	return tree;
}

/* Write the mutant of `src` following `p` (sorted) into `out`. */
static void write_mutant(impact_buf *out, const plan *p, const char *src, size_t len,
                         const char *raise)
{
	size_t at = 0;
	for (size_t i = 0; i < p->n; i++) {
		const insertion *ins = &p->v[i];
		impact_buf_put(out, src + at, ins->at - at);
		at = ins->at;
		switch (ins->how) {
		case FORM_LINE:
			impact_buf_puts(out, raise);
			impact_buf_put(out, src + ins->eol_start, ins->line_start - ins->eol_start);
			impact_buf_put(out, src + ins->line_start, ins->at - ins->line_start);
			break;
		case FORM_BEFORE:
			impact_buf_puts(out, raise);
			impact_buf_puts(out, "; ");
			break;
		case FORM_AFTER:
			impact_buf_puts(out, "; ");
			impact_buf_puts(out, raise);
			break;
		}
	}
	impact_buf_put(out, src + at, len - at);
}

/*
 * Check `src` can be mutated (size, the tree-sitter guard) and parse it
 * without an error into *tree (the caller's). IMPACT_EINVALID with the
 * report's reason when it cannot.
 */
static int parse_clean(impact_mutator *m, TSTree **tree, const char *src, size_t len)
{
	impact_buf where = IMPACT_BUF_INIT;
	int rc = 0;

	*tree = NULL;
	if (len > IMPACT_MUTATE_MAX_SOURCE) {
		rc = impact_error_set(IMPACT_EINVALID, "too large to mutate (%zu bytes, over %zu)",
		                      len, IMPACT_MUTATE_MAX_SOURCE);
		goto done;
	}
	if (IMPACT_TS_CHILD_COUNT_GUARD && token_bound(src, len) > GUARD_MAX_UNITS) {
		rc = impact_error_set(IMPACT_EINVALID, "too large to mutate safely with this "
		                      "tree-sitter runtime (up to %zu tokens, over %u)",
		                      token_bound(src, len), GUARD_MAX_UNITS);
		goto done;
	}
	if (!(*tree = parse(m, src, len))) {
		rc = IMPACT_EINVALID;
		goto done;
	}
	if (ts_node_has_error(ts_tree_root_node(*tree))) {
		error_where(&where, ts_tree_root_node(*tree));
		rc = impact_error_set(IMPACT_EINVALID, "syntax error at %s", where.ptr);
		ts_tree_delete(*tree);
		*tree = NULL;
	}
done:
	impact_buf_release(&where);
	return rc;
}

int impact_mutate(impact_mutator *m, impact_buf *out, size_t *nfunctions,
                  const char *src, size_t len, const char *marker)
{
	impact_buf raise = IMPACT_BUF_INIT, mutant = IMPACT_BUF_INIT, where = IMPACT_BUF_INIT;
	TSTree *tree = NULL, *check = NULL;
	plan p = { 0 };
	size_t nfound = 0, nbad = 0, nfound_again = 0;
	int rc = 0;

	*nfunctions = 0;
	if (!marker_ok(marker)) {
		rc = impact_error_set(IMPACT_EINVALID, "bad marker '%s': letters, digits and '-_.:' only",
		                      marker);
		goto done;
	}
	if ((rc = parse_clean(m, &tree, src, len)) < 0)
		goto done;
	impact_buf_printf(&raise, "raise RuntimeError(\"%s\")", marker);
	walk_functions(&p, &nfound, &nbad, ts_tree_root_node(tree), src, raise.ptr);
	if (nbad) {
		rc = impact_error_set(IMPACT_ERROR, "%zu of %zu functions have no body impact can find",
		                      nbad, nfound);
		goto done;
	}
	if (p.n) /* qsort(NULL, 0, ...) is undefined */
		qsort(p.v, p.n, sizeof(*p.v), cmp_insertion);
	write_mutant(&mutant, &p, src, len, raise.ptr);

	/* The mutant must parse, with as many functions, each now starting with the raise. */
	if (p.n) {
		if (!(check = parse(m, mutant.ptr, mutant.size))) {
			rc = IMPACT_EINVALID;
			goto done;
		}
		if (ts_node_has_error(ts_tree_root_node(check))) {
			error_where(&where, ts_tree_root_node(check));
			rc = impact_error_set(IMPACT_ERROR, "the mutant would not parse (at %s of the "
			                      "mutant): a layout impact does not handle", where.ptr);
			goto done;
		}
		walk_functions(NULL, &nfound_again, &nbad, ts_tree_root_node(check), mutant.ptr,
		               raise.ptr);
		if (nfound_again != nfound || nbad) {
			rc = impact_error_set(IMPACT_ERROR, "the mutant holds %zu functions (%zu not "
			                      "starting with the raise), the module %zu: a layout impact "
			                      "does not handle", nfound_again, nbad, nfound);
			goto done;
		}
	}
	if ((rc = impact_buf_put(out, mutant.ptr, mutant.size)) < 0)
		goto done;
	*nfunctions = p.n;
done:
	if (tree)
		ts_tree_delete(tree);
	if (check)
		ts_tree_delete(check);
	free(p.v);
	impact_buf_release(&raise);
	impact_buf_release(&mutant);
	impact_buf_release(&where);
	return rc;
}

/* --- one function at a time -------------------------------------------------- */

typedef struct nodes {
	TSNode *v;
	size_t n, alloc;
} nodes;

/*
 * The candidates of the tree, in source order: every function_definition
 * with no function_definition above it (module-level functions, methods
 * of classes at any depth of classes, those under `if`/`try` at module
 * level), never one nested in a function.
 */
static void candidate_nodes(nodes *out, TSNode root)
{
	TSTreeCursor cur = ts_tree_cursor_new(root);
	for (;;) {
		TSNode node = ts_tree_cursor_current_node(&cur);
		bool fn = is_type(node, "function_definition");
		if (fn)
			IMPACT_PUSH(out->v, out->n, out->alloc, node);
		if (!fn && ts_tree_cursor_goto_first_child(&cur))
			continue;
		while (!ts_tree_cursor_goto_next_sibling(&cur)) {
			if (!ts_tree_cursor_goto_parent(&cur)) {
				ts_tree_cursor_delete(&cur);
				return;
			}
		}
	}
}

static void append_name(impact_buf *out, TSNode def, const char *src)
{
	TSNode name = ts_node_child_by_field_name(def, "name", 4);
	if (ts_node_is_null(name))
		impact_buf_puts(out, "?");
	else
		impact_buf_put(out, src + ts_node_start_byte(name),
		               ts_node_end_byte(name) - ts_node_start_byte(name));
}

/* "Outer.Inner.method": the enclosing classes' names, then the function's. Caller frees. */
static char *qualified_name(TSNode fn, const char *src)
{
	impact_buf q = IMPACT_BUF_INIT, part = IMPACT_BUF_INIT;
	append_name(&q, fn, src);
	for (TSNode p = ts_node_parent(fn); !ts_node_is_null(p); p = ts_node_parent(p)) {
		if (!is_type(p, "class_definition"))
			continue;
		impact_buf_clear(&part);
		append_name(&part, p, src);
		impact_buf_putc(&part, '.');
		impact_buf_put(&part, q.ptr, q.size);
		impact_buf_clear(&q);
		impact_buf_put(&q, part.ptr, part.size);
	}
	impact_buf_release(&part);
	return impact_buf_detach(&q);
}

int impact_mutate_functions(impact_mutator *m, impact_mutate_fns *out, const char *src,
                            size_t len)
{
	TSTree *tree = NULL;
	nodes c = { 0 };
	int rc;

	if ((rc = parse_clean(m, &tree, src, len)) < 0)
		goto done;
	candidate_nodes(&c, ts_tree_root_node(tree));
	for (size_t i = 0; i < c.n; i++) {
		impact_mutate_fn f;
		f.qualname = qualified_name(c.v[i], src);
		f.line = ts_node_start_point(c.v[i]).row + 1;
		IMPACT_PUSH(out->v, out->n, out->alloc, f);
	}
done:
	if (tree)
		ts_tree_delete(tree);
	free(c.v);
	return rc;
}

void impact_mutate_fns_release(impact_mutate_fns *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].qualname);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

int impact_mutate_function(impact_mutator *m, impact_buf *out, const char *src, size_t len,
                           const char *marker, size_t index)
{
	impact_buf raise = IMPACT_BUF_INIT, mutant = IMPACT_BUF_INIT, where = IMPACT_BUF_INIT;
	TSTree *tree = NULL, *check = NULL;
	nodes before = { 0 }, after = { 0 };
	plan p = { 0 };
	size_t nfound = 0, nbad = 0, nfound_again = 0;
	int rc = 0;

	if (!marker_ok(marker)) {
		rc = impact_error_set(IMPACT_EINVALID, "bad marker '%s': letters, digits and '-_.:' only",
		                      marker);
		goto done;
	}
	if ((rc = parse_clean(m, &tree, src, len)) < 0)
		goto done;
	candidate_nodes(&before, ts_tree_root_node(tree));
	if (index >= before.n) {
		rc = impact_error_set(IMPACT_EINVALID, "no function %zu in the module (it has %zu)",
		                      index + 1, before.n);
		goto done;
	}
	impact_buf_printf(&raise, "raise RuntimeError(\"%s\")", marker);
	walk_functions(NULL, &nfound, &nbad, ts_tree_root_node(tree), src, raise.ptr);
	if (!plan_function(&p, before.v[index], src)) {
		rc = impact_error_set(IMPACT_ERROR, "the function has no body impact can find");
		goto done;
	}
	write_mutant(&mutant, &p, src, len, raise.ptr);

	/* The mutant must parse, with as many functions, only this one starting with the raise. */
	if (!(check = parse(m, mutant.ptr, mutant.size))) {
		rc = IMPACT_EINVALID;
		goto done;
	}
	if (ts_node_has_error(ts_tree_root_node(check))) {
		error_where(&where, ts_tree_root_node(check));
		rc = impact_error_set(IMPACT_ERROR, "the mutant would not parse (at %s of the "
		                      "mutant): a layout impact does not handle", where.ptr);
		goto done;
	}
	walk_functions(NULL, &nfound_again, &nbad, ts_tree_root_node(check), mutant.ptr, raise.ptr);
	candidate_nodes(&after, ts_tree_root_node(check));
	if (nfound_again != nfound || nfound_again - nbad != 1 || after.n != before.n ||
	    !starts_with_raise(after.v[index], mutant.ptr, raise.ptr)) {
		rc = impact_error_set(IMPACT_ERROR, "the mutant holds %zu functions (%zu starting "
		                      "with the raise), the module %zu: a layout impact does not "
		                      "handle", nfound_again, nfound_again - nbad, nfound);
		goto done;
	}
	rc = impact_buf_put(out, mutant.ptr, mutant.size);
done:
	if (tree)
		ts_tree_delete(tree);
	if (check)
		ts_tree_delete(check);
	free(before.v);
	free(after.v);
	free(p.v);
	impact_buf_release(&raise);
	impact_buf_release(&mutant);
	impact_buf_release(&where);
	return rc < 0 ? rc : 0;
}
