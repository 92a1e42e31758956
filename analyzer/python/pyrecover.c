/*
 * pyrecover.c - imports a syntax error hid from the tree, read again from
 * the source line by line with a small lexer (see the comment below). Kept
 * apart from the walk (pyimports.c): it reads text, not nodes, and runs
 * only for trees with errors.
 */
#include "pyimports_private.h"

/* ---- imports hidden by syntax errors ---------------------------------- */

/*
 * Error recovery can leave an import statement as loose tokens in an ERROR
 * node, or read `import` as a name (`not\nimport b`). In a tree with errors,
 * every line that starts with `import` or `from` and that the tree does not
 * hold as an import statement, a string or a comment is read again with a
 * small line lexer. Its context is unknown, so its flags are 0: the
 * conservative reading, "runs at import".
 */

typedef struct linelex {
	const char *s;
	size_t i, end;
	int parens;
} linelex;

static bool is_name_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool is_name_char(unsigned char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

/* Skip blanks (and newlines inside parentheses); false at the statement's end. */
static bool lx_skip(linelex *lx)
{
	while (lx->i < lx->end) {
		char c = lx->s[lx->i];
		if (c == ' ' || c == '\t' || c == '\f' || c == '\r') {
			lx->i++;
		} else if (c == '\\' && lx->i + 1 < lx->end &&
		           (lx->s[lx->i + 1] == '\n' || lx->s[lx->i + 1] == '\r')) {
			lx->i += 2;
		} else if (c == '\n' && lx->parens) {
			lx->i++;
		} else if (c == '#' && lx->parens) {
			while (lx->i < lx->end && lx->s[lx->i] != '\n')
				lx->i++;
		} else {
			return c != '\n' && c != '#' && c != ';';
		}
	}
	return false;
}

static bool lx_char(linelex *lx, char c)
{
	if (!lx_skip(lx) || lx->s[lx->i] != c)
		return false;
	lx->i++;
	if (c == '(')
		lx->parens++;
	else if (c == ')' && lx->parens)
		lx->parens--;
	return true;
}

/* One identifier; its bytes at *name, its length returned (0: none). */
static size_t lx_name(linelex *lx, const char **name)
{
	size_t start;
	if (!lx_skip(lx) || !is_name_start((unsigned char)lx->s[lx->i]))
		return 0;
	start = lx->i;
	while (lx->i < lx->end && is_name_char((unsigned char)lx->s[lx->i]))
		lx->i++;
	*name = lx->s + start;
	return lx->i - start;
}

static bool lx_word(linelex *lx, const char *word)
{
	size_t save = lx->i, len;
	const char *name;
	len = lx_name(lx, &name);
	if (len == strlen(word) && !memcmp(name, word, len))
		return true;
	lx->i = save;
	return false;
}

static bool lx_dotted(linelex *lx, impact_buf *out)
{
	const char *name;
	size_t len;
	impact_buf_clear(out);
	while ((len = lx_name(lx, &name))) {
		if (out->size)
			impact_buf_putc(out, '.');
		impact_buf_put(out, name, len);
		if (!lx_char(lx, '.'))
			break;
	}
	return out->size > 0;
}

/* `NAME [as NAME]` into w->text / w->alias. */
static bool lx_alias(linelex *lx, walker *w, bool dotted, bool *has_alias)
{
	const char *name;
	size_t len;
	*has_alias = false;
	if (dotted) {
		if (!lx_dotted(lx, &w->text))
			return false;
	} else {
		if (!(len = lx_name(lx, &name)))
			return false;
		impact_buf_clear(&w->text);
		impact_buf_put(&w->text, name, len);
	}
	if (lx_word(lx, "as")) {
		if (!(len = lx_name(lx, &name)))
			return false;
		impact_buf_clear(&w->alias);
		impact_buf_put(&w->alias, name, len);
		*has_alias = true;
	}
	return true;
}

static void recover_statement(walker *w, size_t off, size_t end, uint32_t line)
{
	linelex lx = { w->src, off, end, 0 };
	bool has_alias;

	if (lx_word(&lx, "import")) {
		do {
			if (!lx_alias(&lx, w, true, &has_alias))
				return;
			pyi_emit(w, IMPACT_IMPORT_MODULE, w->text.ptr, w->text.size, NULL,
			         0, has_alias ? w->alias.ptr : NULL, w->alias.size, line, 0, 0);
		} while (lx_char(&lx, ','));
		return;
	}
	if (!lx_word(&lx, "from"))
		return;
	unsigned level = 0;
	while (lx_char(&lx, '.'))
		level++;
	impact_buf_clear(&w->module);
	if (!lx_word(&lx, "import")) {
		if (!lx_dotted(&lx, &w->module) || !lx_word(&lx, "import"))
			return;
	}
	if (!level && !strcmp(w->module.ptr, "__future__"))
		return;
	if (lx_char(&lx, '*')) {
		pyi_emit(w, IMPACT_IMPORT_FROM, w->module.ptr, w->module.size, "*", 1,
		         NULL, 0, line, level, 0);
		return;
	}
	lx_char(&lx, '(');
	do {
		if (!lx_alias(&lx, w, false, &has_alias))
			return;
		pyi_emit(w, IMPACT_IMPORT_FROM, w->module.ptr, w->module.size,
		         w->text.ptr, w->text.size, has_alias ? w->alias.ptr : NULL,
		         w->alias.size, line, level, 0);
	} while (lx_char(&lx, ','));
}

/* Is the keyword at `off` read by the tree as it should be, or as text? */
static bool tree_holds(walker *w, TSNode root, uint32_t off, uint32_t len)
{
	TSNode leaf = ts_node_descendant_for_byte_range(root, off, off + len);
	TSNode parent;
	uint8_t k = kind_of(w, leaf);
	if (k == K_STRING || k == K_STRING_CONTENT || k == K_COMMENT)
		return true;
	parent = ts_node_parent(leaf);
	if (ts_node_is_null(parent))
		return false;
	k = kind_of(w, parent);
	if (k == K_STRING || k == K_STRING_CONTENT)
		return true;
	return !ts_node_is_named(leaf) &&
	       (k == K_IMPORT || k == K_IMPORT_FROM || k == K_FUTURE_IMPORT);
}

/* Recover the imports of lines in [from, end) that `root` lost to errors. */
void pyi_recover(walker *w, TSNode root, mark from, uint32_t end)
{
	size_t first = w->facts->nimports, at = from.off;
	size_t prev = from.off, ls = from.off; /* last offset seen, its line */
	bool line_done = false;
	uint32_t row = from.row;

	for (size_t k = kw_first(w, from.off); k < w->nkw && w->kw[k] < end; k++) {
		size_t o = w->kw[k], kw;
		const char *nl = memrchr(w->src + prev, '\n', o - prev);
		/* Each byte is searched once: offsets only increase. */
		prev = o;
		if (nl) {
			ls = (size_t)(nl - w->src) + 1;
			line_done = false;
		}
		if (line_done)
			continue;
		line_done = true;
		for (kw = ls; kw < end && (w->src[kw] == ' ' || w->src[kw] == '\t' ||
		                           w->src[kw] == '\f' || w->src[kw] == '\r');
		     kw++)
			;
		if (!starts_keyword(w->src + kw, end - kw, "import") &&
		    !starts_keyword(w->src + kw, end - kw, "from"))
			continue;
		if (tree_holds(w, root, (uint32_t)kw, w->src[kw] == 'i' ? 6 : 4))
			continue;
		/* Rows by counting newlines forward: line starts only increase. */
		for (const char *eol; at < ls && (eol = memchr(w->src + at, '\n', ls - at));) {
			row++;
			at = (size_t)(eol - w->src) + 1;
		}
		at = ls;
		recover_statement(w, kw, end, row + 1);
	}
	if (w->facts->nimports > first) {
		/*
		 * Put the recovered records in source order among the walk's
		 * (already in order): a merge, by line.
		 */
		impact_import *all = w->facts->imports;
		size_t n = w->facts->nimports, mid = first, a, b, o = 0;
		size_t piece_first = w->piece_first;
		impact_import *tmp = impact_xreallocarray(NULL, n - piece_first, sizeof(*tmp));
		for (a = piece_first, b = mid; a < mid || b < n;) {
			if (b >= n || (a < mid && all[a].line <= all[b].line))
				tmp[o++] = all[a++];
			else
				tmp[o++] = all[b++];
		}
		memcpy(all + piece_first, tmp, o * sizeof(*tmp));
		free(tmp);
	}
}
