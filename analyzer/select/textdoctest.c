/*
 * textdoctest.c - the imports of a doctest text file (--doctest-glob:
 * README.rst, the .txt files under docs), so that a change selects it only when it may
 * reach a module its examples import, instead of on every change.
 *
 * The examples are Python behind prompts: a line whose text starts with
 * ">>>" opens a statement and "..." lines continue it, as doctest reads
 * them. The code after the prompts goes through impact's own extractor,
 * so every import form it knows (conditional, aliased, several names)
 * counts, and its absolute module names are resolved against the
 * project's import roots. Whatever the extractor marks as beyond it
 * (imports by a computed name, exec/eval, a syntax error) and relative
 * imports (a text file has no package) make the answer "cannot tell":
 * the caller then keeps the safe choice of selecting the file.
 */
#include "textdoctest.h"

#include "bytes.h"
#include "cache.h"
#include "pyimports.h"
#include "resolve.h"
#include "testfiles.h"

#include <string.h>

/* Does `line` (length n) start, after blanks, with `prompt` as doctest reads it? */
static const char *after_prompt(const char *line, size_t n, const char *prompt)
{
	size_t i = 0;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (n - i < 3 || memcmp(line + i, prompt, 3))
		return NULL;
	i += 3;
	if (i < n && line[i] == ' ')
		i++;
	else if (i < n && line[i] != '\r')
		return NULL; /* ">>>x" is not a prompt */
	return line + i;
}

/* The examples' code: each prompt's text on its own line, in order. */
static void example_code(impact_buf *code, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	bool open = false;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *c = after_prompt(p, n, ">>>");
		if (c)
			open = true;
		else if (open)
			c = after_prompt(p, n, "...");
		if (!c)
			open = false;
		else {
			size_t k = n - (size_t)(c - p);
			while (k && c[k - 1] == '\r')
				k--;
			impact_buf_put(code, c, k);
			impact_buf_putc(code, '\n');
		}
		p = nl ? nl + 1 : end;
	}
}

static void resolve_name(impact_u32vec *out, impact_resolver *r, const char *mod, const char *name)
{
	impact_buf dotted = IMPACT_BUF_INIT;
	impact_resolver_resolve_name(r, mod, out);
	/* `from a import b`: b may be a submodule. */
	if (*name && strcmp(name, "*")) {
		impact_buf_printf(&dotted, "%s.%s", mod, name);
		impact_resolver_resolve_name(r, dotted.ptr, out);
	}
	impact_buf_release(&dotted);
}

/*
 * What the examples import, by name, into `names`: "module\0name\0" per
 * import ("" for the name of a plain import). 1 when that is all they
 * can run, 0 when impact cannot tell (see impact_textdoctest_set_imports).
 */
static int example_names(impact_buf *names, const char *text, size_t len)
{
	impact_buf code = IMPACT_BUF_INIT;
	impact_pyparser *parser = NULL;
	impact_pyfacts *facts = NULL;
	int known = 0;

	example_code(&code, text, len);
	if (!code.size) {
		known = 1; /* no example: it imports nothing */
		goto done;
	}
	if (!(parser = impact_pyparser_new()) ||
	    impact_pyfacts_extract(&facts, parser, code.ptr, code.size) < 0)
		goto done;
	if (facts->flags & (IMPACT_PYFACTS_SYNTAX_ERROR | IMPACT_PYFACTS_DYNAMIC_IMPORT |
	                    IMPACT_PYFACTS_TOO_LARGE | IMPACT_PYFACTS_DYNAMIC_CODE))
		goto done;
	for (size_t i = 0; i < facts->nsymbols; i++)
		if (facts->symbols[i].flags & IMPACT_SYMBOL_DYNAMIC)
			goto done;
	for (size_t i = 0; i < facts->nimports; i++) {
		const impact_import *imp = &facts->imports[i];
		if (imp->level || imp->kind == IMPACT_IMPORT_DYNAMIC)
			goto done;
		impact_buf_put(names, imp->module, strlen(imp->module) + 1);
		if (imp->kind == IMPACT_IMPORT_FROM)
			impact_buf_put(names, imp->name, strlen(imp->name) + 1);
		else
			impact_buf_putc(names, '\0');
	}
	known = 1;
done:
	impact_error_clear();
	impact_pyfacts_free(facts);
	impact_pyparser_free(parser);
	impact_buf_release(&code);
	return known;
}

/* Resolve example_names' list against the project; 0 without a resolver. */
static int resolve_names(impact_u32vec *out, const impact_project *p, const char *names, size_t len)
{
	impact_resolver *r = impact_project_resolver(p);
	const char *at = names, *end = names + len;
	if (!r) {
		impact_error_clear();
		return 0;
	}
	while (at < end) {
		const char *mod = at, *name = mod + strlen(mod) + 1;
		if (name >= end)
			return 0; /* damaged */
		resolve_name(out, r, mod, name);
		at = name + strlen(name) + 1;
	}
	return 1;
}

/*
 * The parse cache remembers blobs that hold no example under a key of
 * their own: the hash of a fixed prefix and the blob id (never a real
 * blob's: no file starts so), with the one byte '0'. A suite with
 * hundreds of test*.txt data files (pygments' snippets) then reads none
 * of them again on a warm run.
 */
static void memo_key(git_oid *key, const char *prefix, const git_oid *blob)
{
	impact_buf buf = IMPACT_BUF_INIT;
	impact_buf_puts(&buf, prefix);
	impact_buf_put(&buf, blob->id, GIT_OID_RAWSZ);
	if (git_odb_hash(key, buf.ptr, buf.size, GIT_OBJECT_BLOB) < 0)
		memset(key, 0, sizeof(*key));
	impact_buf_release(&buf);
}

static void no_examples_key(git_oid *key, const git_oid *blob)
{
	memo_key(key, "impact: a doctest text without examples\n", blob);
}

static bool known_without_examples(const impact_project *p, const impact_entry *e)
{
	impact_buf v = IMPACT_BUF_INIT;
	git_oid key;
	bool known;
	if (!p->cache)
		return false;
	no_examples_key(&key, &e->oid);
	known = impact_cache_get(p->cache, &key, &v) == 0 && v.size == 1 && v.ptr[0] == '0';
	impact_buf_release(&v);
	impact_error_clear();
	return known;
}

/* Remember in the parse cache that entries `without` hold no example: one transaction. */
static void remember_without(const impact_project *p, const impact_entry *const *without,
                             size_t n)
{
	if (!n || !p->cache || impact_cache_begin(p->cache) < 0) {
		impact_error_clear();
		return;
	}
	for (size_t i = 0; i < n; i++) {
		git_oid key;
		no_examples_key(&key, &without[i]->oid);
		if (impact_cache_put(p->cache, &key, "0", 1) < 0)
			break;
	}
	impact_cache_commit(p->cache);
	impact_error_clear();
}

/* ---- the whole set ------------------------------------------------------- */

/*
 * One lookup for the snapshot's whole set of doctest texts: the parse
 * cache also keeps, under the hash of a prefix of its own and every
 * candidate's blob id in snapshot order, one byte per candidate ('0' no
 * example, '1' one at least, '?' not read). On a warm run where no doctest
 * text changed that is one lookup where there were one per file (587 on
 * pygments, each at a random page of the cache): the per-blob keys stay
 * for the run after a text file changed.
 */
static void set_key(git_oid *key, const impact_entry *const *entries, size_t n)
{
	static const char prefix[] = "impact: the doctest texts of a tree, with or without examples\n";
	impact_buf b = IMPACT_BUF_INIT;
	impact_buf_put(&b, prefix, sizeof(prefix) - 1);
	for (size_t i = 0; i < n; i++)
		impact_buf_put(&b, entries[i]->oid.id, GIT_OID_RAWSZ);
	if (git_odb_hash(key, b.ptr, b.size, GIT_OBJECT_BLOB) < 0)
		memset(key, 0, sizeof(*key));
	impact_buf_release(&b);
}

void impact_textdoctest_set_load(impact_textdoctest_set *s, const impact_project *p)
{
	size_t n, alloc = 0;
	const impact_entry *aux = impact_project_aux(p, &n);
	impact_buf v = IMPACT_BUF_INIT;

	memset(s, 0, sizeof(*s));
	/* The files beside the modules, as the graph keeps them: no listing of the tree. */
	for (size_t i = 0; i < n; i++) {
		const impact_entry *e = &aux[i];
		if ((e->mode == IMPACT_MODE_FILE || e->mode == IMPACT_MODE_EXEC) &&
		    impact_testfiles_is_text_doctest(&p->cfg, e->path))
			IMPACT_PUSH(s->entries, s->n, alloc, e);
	}
	s->state = impact_xmalloc(s->n + 1);
	memset(s->state, '?', s->n);
	s->state[s->n] = '\0';
	s->fresh = impact_xcalloc(s->n + 1, sizeof(*s->fresh));
	if (!s->n || !p->cache)
		return;
	set_key(&s->key, s->entries, s->n);
	if (impact_cache_get(p->cache, &s->key, &v) == 0 && v.size == s->n &&
	    strspn(v.ptr, "01?") == s->n)
		memcpy(s->state, v.ptr, s->n);
	impact_error_clear();
	impact_buf_release(&v);
	s->loaded = impact_xstrdup(s->state);
}

size_t impact_textdoctest_set_find(const impact_textdoctest_set *s, const char *path)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) { /* the candidates come sorted by path (impact_project_aux) */
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->entries[mid]->path, path);
		if (!c)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return s->n;
}

/* Entry i's text into s->text, unless it is there already. */
static int read_text(impact_textdoctest_set *s, const impact_project *p, size_t i)
{
	if (s->text_of == i + 1)
		return 0;
	s->text_of = 0;
	impact_buf_clear(&s->text);
	if (impact_snapshot_read(&s->text, p->snap, s->entries[i]) < 0) {
		impact_error_clear();
		return -1;
	}
	s->text_of = i + 1;
	return 0;
}

int impact_textdoctest_set_has(impact_textdoctest_set *s, const impact_project *p, size_t i)
{
	if (s->state[i] == '0' || s->state[i] == '1')
		return s->state[i] == '1';
	if (known_without_examples(p, s->entries[i])) {
		s->state[i] = '0';
		return 0;
	}
	if (read_text(s, p, i) < 0)
		return -1;
	s->fresh[i] = true;
	s->state[i] = s->text.ptr && memmem(s->text.ptr, s->text.size, ">>>", 3) ? '1' : '0';
	return s->state[i] == '1';
}

/*
 * The names a text's examples import are remembered per blob too, under
 * a key of their own: '1' and example_names' list, or '0' for "cannot
 * tell". A warm run then neither reads nor parses the texts with examples.
 */
static void names_key(git_oid *key, const git_oid *blob)
{
	memo_key(key, "impact: what a doctest text's examples import\n", blob);
}

int impact_textdoctest_set_imports(impact_u32vec *out, impact_textdoctest_set *s,
                                   const impact_project *p, size_t i)
{
	impact_buf v = IMPACT_BUF_INIT;
	git_oid key;
	int known;

	names_key(&key, &s->entries[i]->oid);
	if (p->cache && impact_cache_get(p->cache, &key, &v) == 0 && v.size &&
	    (v.ptr[0] == '0' || v.ptr[0] == '1')) {
		known = v.ptr[0] == '1' && resolve_names(out, p, v.ptr + 1, v.size - 1);
		impact_buf_release(&v);
		return known;
	}
	impact_error_clear();
	impact_buf_clear(&v);
	if (read_text(s, p, i) < 0)
		return 0;
	impact_buf_putc(&v, '1');
	known = example_names(&v, s->text.ptr, s->text.size);
	if (!known)
		impact_buf_sets(&v, "0");
	/* Remembered at _set_save, in the write transaction. */
	impact_buf_put(&s->pending, key.id, GIT_OID_RAWSZ);
	impact_bytes_put_u32(&s->pending, (uint32_t)v.size);
	impact_buf_put(&s->pending, v.ptr, v.size);
	known = known && resolve_names(out, p, v.ptr + 1, v.size - 1);
	impact_buf_release(&v);
	return known;
}

/* The names learnt in this run (see impact_textdoctest_set_imports). */
static void save_names(impact_textdoctest_set *s, impact_cache *cache)
{
	impact_bytes_reader r = { (const unsigned char *)s->pending.ptr,
	                          (const unsigned char *)s->pending.ptr + s->pending.size, false };
	while (r.p < r.end) {
		const unsigned char *id = impact_bytes_get(&r, GIT_OID_RAWSZ);
		uint32_t len = impact_bytes_get_u32(&r);
		const unsigned char *value = impact_bytes_get(&r, len);
		git_oid key;
		if (r.bad)
			break;
		memcpy(key.id, id, GIT_OID_RAWSZ);
		if (impact_cache_put(cache, &key, value, len) < 0)
			break;
	}
}

void impact_textdoctest_set_save(impact_textdoctest_set *s, const impact_project *p)
{
	const impact_entry **without = impact_xcalloc(s->n + 1, sizeof(*without));
	size_t nwithout = 0;
	for (size_t i = 0; i < s->n; i++)
		if (s->fresh[i] && s->state[i] == '0')
			without[nwithout++] = s->entries[i];
	remember_without(p, without, nwithout);
	free(without);
	if (!s->n || !p->cache || !s->loaded ||
	    (!strcmp(s->loaded, s->state) && !s->pending.size) || impact_cache_begin(p->cache) < 0) {
		impact_error_clear();
		return;
	}
	save_names(s, p->cache);
	if (strcmp(s->loaded, s->state))
		impact_cache_put(p->cache, &s->key, s->state, s->n);
	impact_cache_commit(p->cache);
	impact_error_clear();
}

void impact_textdoctest_set_release(impact_textdoctest_set *s)
{
	free(s->entries);
	free(s->state);
	free(s->loaded);
	free(s->fresh);
	impact_buf_release(&s->text);
	impact_buf_release(&s->pending);
	memset(s, 0, sizeof(*s));
}
