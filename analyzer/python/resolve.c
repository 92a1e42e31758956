/*
 * resolve.c - import statements to repository files (see resolve.h).
 *
 * Python's FileFinder order per sys.path entry: a directory with
 * __init__.py (regular package), then name.py, then a bare directory
 * (namespace package portion). Importing a.b.c runs a/__init__.py,
 * a/b/__init__.py and a/b/c.py, so all three are dependencies; once a
 * component is a module file the rest of the dotted name is attributes.
 * Where Python's answer depends on run-time state impact cannot see (the
 * order of sys.path, which same-named helper module pytest imported
 * first), every candidate is returned: selecting more is safe, less is not.
 */
#include "resolve.h"

#include "buf.h"

struct impact_resolver {
	const impact_strpool *files;
	uint32_t nfiles;
	impact_strpool *dirs;     /* every directory holding a Python file, "" included */
	char **roots;             /* global roots, deduplicated, in order */
	size_t nroots;
	const char **basedir;     /* per file, interned in dirs */
	const char **fallback;    /* every distinct basedir, sorted */
	size_t nfallback;
	/*
	 * Per first name of an absolute import ("os", "pkg"), the fallback
	 * roots holding it: computed once per name, so the many imports of
	 * external modules cost one hash lookup each, not a scan of roots.
	 */
	impact_strpool *first_names;
	impact_u32vec *first_roots; /* by first_names id: indices into fallback */
	size_t nfirst_alloc;
	/*
	 * Memo of whole resolutions: files of one base directory (or, for
	 * relative imports, one directory) importing the same name get the
	 * same answer, and large projects import the same names thousands of
	 * times. Key: "<dir>\0<kind>\0<level>\0<module>\0<name>".
	 */
	impact_strpool *memo_keys;
	impact_u32vec *memo_vals;   /* by memo_keys id: targets, then how as last */
	size_t nmemo_alloc;
	impact_buf key;
	impact_buf tmp;           /* scratch path */
};

static void dirname_into(impact_buf *out, const char *path)
{
	const char *slash = strrchr(path, '/');
	impact_buf_clear(out);
	if (slash)
		impact_buf_put(out, path, (size_t)(slash - path));
}

static void join_into(impact_buf *out, const char *dir, const char *name,
                      size_t namelen, const char *suffix)
{
	impact_buf_clear(out);
	if (*dir) {
		impact_buf_puts(out, dir);
		impact_buf_putc(out, '/');
	}
	impact_buf_put(out, name, namelen);
	impact_buf_puts(out, suffix);
}

uint32_t impact_resolver_file(const impact_resolver *r, const char *path)
{
	uint32_t id = impact_strpool_find(r->files, path, strlen(path));
	return id < r->nfiles ? id : IMPACT_STRPOOL_NONE;
}

bool impact_resolver_is_dir(const impact_resolver *r, const char *dir)
{
	return impact_strpool_find(r->dirs, dir, strlen(dir)) != IMPACT_STRPOOL_NONE;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The base folder of a file in folder `dir`: the top of its chain of packages (interned in dirs). */
static uint32_t base_of(impact_resolver *r, impact_buf *dir, impact_buf *init)
{
	for (;;) {
		join_into(init, dir->ptr, "__init__.py", 11, "");
		if (!dir->size || impact_resolver_file(r, init->ptr) == IMPACT_STRPOOL_NONE)
			break;
		dirname_into(init, dir->ptr);
		impact_buf_sets(dir, init->ptr);
	}
	return impact_strpool_intern(r->dirs, dir->ptr, dir->size);
}

impact_resolver *impact_resolver_new(const impact_strpool *files, uint32_t nfiles,
                                     const char *const *roots, size_t nroots)
{
	impact_resolver *r = impact_xcalloc(1, sizeof(*r));
	impact_buf dir = IMPACT_BUF_INIT, init = IMPACT_BUF_INIT;
	uint32_t *base = impact_xcalloc(nfiles ? nfiles : 1, sizeof(uint32_t));
	const char *prev = NULL;
	size_t prev_len = 0;
	bool *seen;

	r->files = files;
	r->nfiles = nfiles;
	r->dirs = impact_strpool_new();
	r->first_names = impact_strpool_new();
	r->memo_keys = impact_strpool_new();
	impact_buf_init(&r->tmp);
	impact_buf_init(&r->key);
	impact_strpool_intern(r->dirs, "", 0);

	r->roots = impact_xcalloc(nroots ? nroots : 1, sizeof(char *));
	for (size_t i = 0; i < nroots; i++) {
		bool dup = false;
		for (size_t k = 0; k < r->nroots; k++)
			dup |= !strcmp(r->roots[k], roots[i]);
		if (!dup)
			r->roots[r->nroots++] = impact_xstrdup(roots[i]);
	}

	/*
	 * Every folder's prefixes, and each file's base folder: worked out
	 * once per folder, not per file. Files come in path order, so a
	 * folder's files mostly follow one another (a 6,000-file tree has
	 * 700 folders; a patched run makes the resolver every time).
	 */
	for (uint32_t id = 0; id < nfiles; id++) {
		const char *p = impact_strpool_get(files, id);
		const char *slash = strrchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : 0;
		if (prev && len == prev_len && !memcmp(p, prev, len)) {
			base[id] = base[id - 1];
			continue;
		}
		for (const char *s = strchr(p, '/'); s; s = strchr(s + 1, '/'))
			impact_strpool_intern(r->dirs, p, (size_t)(s - p));
		dirname_into(&dir, p);
		base[id] = base_of(r, &dir, &init);
		prev = p;
		prev_len = len;
	}
	r->basedir = impact_xcalloc(nfiles ? nfiles : 1, sizeof(char *));
	for (uint32_t id = 0; id < nfiles; id++)
		r->basedir[id] = impact_strpool_get(r->dirs, base[id]);

	/* Distinct basedirs, sorted, for the fallback search. */
	seen = impact_xcalloc(impact_strpool_count(r->dirs), sizeof(bool));
	r->fallback = impact_xcalloc(nfiles ? nfiles : 1, sizeof(char *));
	for (uint32_t id = 0; id < nfiles; id++)
		if (!seen[base[id]]) {
			seen[base[id]] = true;
			r->fallback[r->nfallback++] = r->basedir[id];
		}
	if (r->nfallback)
		qsort(r->fallback, r->nfallback, sizeof(char *), cmp_str);
	free(seen);
	free(base);
	impact_buf_release(&dir);
	impact_buf_release(&init);
	return r;
}

void impact_resolver_free(impact_resolver *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nroots; i++)
		free(r->roots[i]);
	free(r->roots);
	free(r->basedir);
	free(r->fallback);
	for (uint32_t i = 0; r->first_names && i < impact_strpool_count(r->first_names); i++)
		impact_u32vec_release(&r->first_roots[i]);
	free(r->first_roots);
	impact_strpool_free(r->first_names);
	for (uint32_t i = 0; i < impact_strpool_count(r->memo_keys); i++)
		impact_u32vec_release(&r->memo_vals[i]);
	free(r->memo_vals);
	impact_strpool_free(r->memo_keys);
	impact_buf_release(&r->key);
	impact_strpool_free(r->dirs);
	impact_buf_release(&r->tmp);
	free(r);
}

const char *impact_resolver_basedir(impact_resolver *r, uint32_t file)
{
	return file < r->nfiles ? r->basedir[file] : "";
}

static bool valid_component(const char *s, size_t len)
{
	if (!len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '/' || s[i] == '\\' || s[i] == ' ')
			return false;
	return true;
}

static void push_if_file(impact_resolver *r, const char *path, impact_u32vec *out,
                         size_t *count)
{
	uint32_t id = impact_resolver_file(r, path);
	if (id != IMPACT_STRPOOL_NONE) {
		impact_u32vec_push(out, id);
		(*count)++;
	}
}

/*
 * Resolve dotted `module` (may be "") under directory `root`, then `name`
 * (a FROM import's name, or NULL) as a possible submodule. Returns true if
 * the first component exists under root (the import is "ours" there).
 */
static bool resolve_under(impact_resolver *r, const char *root, const char *module,
                          const char *name, impact_u32vec *out, size_t *count)
{
	impact_buf base = IMPACT_BUF_INIT, cand = IMPACT_BUF_INIT;
	const char *p = module;
	bool matched = false, is_package = true;

	impact_buf_sets(&base, root);
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		if (!valid_component(p, len)) {
			is_package = false;
			break;
		}
		join_into(&cand, base.ptr, p, len, "/__init__.py");
		if (impact_resolver_file(r, cand.ptr) != IMPACT_STRPOOL_NONE) {
			push_if_file(r, cand.ptr, out, count);
			join_into(&cand, base.ptr, p, len, "");
			impact_buf_sets(&base, cand.ptr);
			matched = true;
		} else {
			join_into(&cand, base.ptr, p, len, ".py");
			if (impact_resolver_file(r, cand.ptr) != IMPACT_STRPOOL_NONE) {
				push_if_file(r, cand.ptr, out, count);
				matched = true;
				is_package = false; /* the rest are attributes */
				break;
			}
			join_into(&cand, base.ptr, p, len, "");
			if (!impact_resolver_is_dir(r, cand.ptr)) {
				is_package = false; /* not here: stop */
				break;
			}
			impact_buf_sets(&base, cand.ptr); /* namespace package */
			matched = true;
		}
		if (!dot)
			break;
		p = dot + 1;
	}
	if (is_package && name && strcmp(name, "*") && valid_component(name, strlen(name))) {
		size_t before = *count;
		join_into(&cand, base.ptr, name, strlen(name), "/__init__.py");
		push_if_file(r, cand.ptr, out, count);
		if (*count == before) {
			join_into(&cand, base.ptr, name, strlen(name), ".py");
			push_if_file(r, cand.ptr, out, count);
		}
		/* `from . import x` from a namespace dir: x alone decides. */
		if (!*module && *count > before)
			matched = true;
	}
	impact_buf_release(&base);
	impact_buf_release(&cand);
	return matched;
}

static size_t resolve_relative(impact_resolver *r, uint32_t importer,
                               const impact_import *imp, impact_u32vec *out)
{
	impact_buf dir = IMPACT_BUF_INIT, up = IMPACT_BUF_INIT;
	size_t count = 0;
	const char *name = imp->kind == IMPACT_IMPORT_FROM ? imp->name : NULL;

	dirname_into(&dir, impact_strpool_get(r->files, importer));
	for (unsigned l = 1; l < imp->level; l++) {
		if (!dir.size)
			goto done; /* beyond the top: ImportError at run time */
		dirname_into(&up, dir.ptr);
		impact_buf_sets(&dir, up.ptr);
	}
	/* The package itself runs first. */
	join_into(&up, dir.ptr, "__init__.py", 11, "");
	push_if_file(r, up.ptr, out, &count);
	resolve_under(r, dir.ptr, imp->module ? imp->module : "", name, out, &count);
done:
	impact_buf_release(&dir);
	impact_buf_release(&up);
	return count;
}

/* Does `root` hold a module, package or namespace directory named first[0..len)? */
static bool root_has(impact_resolver *r, const char *root, const char *first, size_t len)
{
	join_into(&r->tmp, root, first, len, ".py");
	if (impact_resolver_file(r, r->tmp.ptr) != IMPACT_STRPOOL_NONE)
		return true;
	join_into(&r->tmp, root, first, len, "");
	return impact_resolver_is_dir(r, r->tmp.ptr);
}

/* The fallback roots (indices) holding the first component of `module`. Borrowed. */
static const impact_u32vec *fallback_roots_of(impact_resolver *r, const char *module)
{
	const char *dot = strchr(module, '.');
	size_t len = dot ? (size_t)(dot - module) : strlen(module);
	uint32_t before = impact_strpool_count(r->first_names);
	uint32_t id = impact_strpool_intern(r->first_names, module, len);

	if (id == before) { /* a new name: find its roots once */
		IMPACT_GROW(r->first_roots, r->nfirst_alloc, (size_t)id + 1);
		memset(&r->first_roots[id], 0, sizeof(r->first_roots[id]));
		for (size_t i = 0; i < r->nfallback; i++)
			if (root_has(r, r->fallback[i], module, len))
				impact_u32vec_push(&r->first_roots[id], (uint32_t)i);
	}
	return &r->first_roots[id];
}

static size_t resolve_uncached(impact_resolver *r, uint32_t importer,
                               const impact_import *imp, impact_u32vec *out,
                               unsigned *how)
{
	size_t count = 0;
	bool matched = false;
	const char *own, *name;
	const char *module = imp->module ? imp->module : "";

	*how = 0;
	if (importer >= r->nfiles)
		return 0;
	if (imp->level > 0)
		return resolve_relative(r, importer, imp, out);
	if (!*module)
		return 0;
	name = imp->kind == IMPACT_IMPORT_FROM ? imp->name : NULL;

	own = r->basedir[importer];
	matched |= resolve_under(r, own, module, name, out, &count);
	for (size_t i = 0; i < r->nroots; i++)
		if (strcmp(r->roots[i], own))
			matched |= resolve_under(r, r->roots[i], module, name, out, &count);
	if (matched)
		return count;

	{
		const impact_u32vec *holders = fallback_roots_of(r, module);
		for (size_t k = 0; k < holders->n; k++) {
			const char *root = r->fallback[holders->v[k]];
			bool tried = !strcmp(root, own);
			for (size_t j = 0; j < r->nroots && !tried; j++)
				tried = !strcmp(r->roots[j], root);
			if (!tried)
				matched |= resolve_under(r, root, module, name, out, &count);
		}
	}
	if (matched && count)
		*how |= IMPACT_RESOLVED_FALLBACK;
	return count;
}

size_t impact_resolver_resolve(impact_resolver *r, uint32_t importer,
                               const impact_import *imp, impact_u32vec *out,
                               unsigned *how)
{
	const char *p = impact_strpool_get(r->files, importer);
	const char *slash;
	uint32_t before, id;
	impact_u32vec *val;
	size_t n;
	char head[16];

	*how = 0;
	if (importer >= r->nfiles)
		return 0;
	/* What the answer depends on: the directory it is resolved from. */
	impact_buf_clear(&r->key);
	if (imp->level > 0) {
		slash = strrchr(p, '/');
		impact_buf_put(&r->key, p, slash ? (size_t)(slash - p) : 0);
	} else {
		impact_buf_puts(&r->key, r->basedir[importer]);
	}
	snprintf(head, sizeof(head), "%c%u", imp->kind == IMPACT_IMPORT_FROM ? 'F' : 'M',
	         (unsigned)imp->level);
	impact_buf_putc(&r->key, '\0');
	impact_buf_puts(&r->key, head);
	impact_buf_putc(&r->key, '\0');
	impact_buf_puts(&r->key, imp->module ? imp->module : "");
	impact_buf_putc(&r->key, '\0');
	if (imp->kind == IMPACT_IMPORT_FROM && imp->name)
		impact_buf_puts(&r->key, imp->name);

	before = impact_strpool_count(r->memo_keys);
	id = impact_strpool_intern(r->memo_keys, r->key.ptr, r->key.size);
	if (id == before) {
		IMPACT_GROW(r->memo_vals, r->nmemo_alloc, (size_t)id + 1);
		val = &r->memo_vals[id];
		memset(val, 0, sizeof(*val));
		resolve_uncached(r, importer, imp, val, how);
		impact_u32vec_push(val, *how);
	}
	val = &r->memo_vals[id];
	n = val->n - 1;
	for (size_t i = 0; i < n; i++)
		impact_u32vec_push(out, val->v[i]);
	*how = val->v[n];
	return n;
}

size_t impact_resolver_resolve_name(impact_resolver *r, const char *dotted,
                                    impact_u32vec *out)
{
	size_t count = 0;
	for (size_t i = 0; i < r->nroots; i++)
		resolve_under(r, r->roots[i], dotted, NULL, out, &count);
	return count;
}
