/*
 * collect.c - custom collectors and the files they collect (see collect.h).
 *
 * The hook's body is read lexically: its extent is the lines indented
 * deeper than the `def`, and the suffixes are the string literals that
 * look like one (".yaml", "*.txt") or are given to endswith(...). This
 * errs towards collecting more: a literal that is not really compared to
 * the file name only adds a suffix, and no suffix at all means every
 * non-Python file under the collector's folder.
 */
#include "collect.h"

#include "path.h"
#include "project.h"

#include <ctype.h>

static void push_unique(impact_strlist *l, const char *s, size_t n)
{
	char *dup = impact_xstrndup(s, n);
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->items[i], dup)) {
			free(dup);
			return;
		}
	impact_strlist_push(l, dup);
	free(dup);
}

/* ".ext" or "*.ext": a dot, then 1..16 of [A-Za-z0-9_+-.]. */
static bool looks_like_suffix(const char *s, size_t n, size_t *skip)
{
	size_t i = 0;
	*skip = 0;
	if (n && s[0] == '*') {
		i = 1;
		*skip = 1;
	}
	if (i >= n || s[i] != '.' || n - i < 2 || n - i > 17)
		return false;
	for (size_t k = i + 1; k < n; k++)
		if (!(isalnum((unsigned char)s[k]) || s[k] == '_' || s[k] == '+' || s[k] == '-' || s[k] == '.'))
			return false;
	return true;
}

void impact_collect_suffixes(impact_strlist *out, const char *src, size_t len, uint32_t line)
{
	const char *end = src + len, *p = src, *body, *stop;
	size_t def_indent;
	int endswith_depth = -1, depth = 0;

	for (uint32_t l = 1; l < line && p < end; l++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		p = nl ? nl + 1 : end;
	}
	if (p >= end)
		return;
	def_indent = impact_indent_width(p, end);
	/* The body: every following line that is blank or indented deeper. */
	body = memchr(p, '\n', (size_t)(end - p));
	body = body ? body + 1 : end;
	stop = body;
	while (stop < end) {
		const char *nl = memchr(stop, '\n', (size_t)(end - stop));
		const char *eol = nl ? nl : end;
		size_t ind = impact_indent_width(stop, eol);
		bool blank = stop + ind == eol || stop[ind] == '#' || stop[ind] == '\r';
		if (!blank && ind <= def_indent)
			break;
		stop = nl ? nl + 1 : end;
	}
	/* Its string literals. */
	for (const char *q = p; q < stop; q++) {
		char c = *q;
		if (c == '#') {
			while (q < stop && *q != '\n')
				q++;
			continue;
		}
		if (c == '(') {
			depth++;
			if (q >= p + 8 && !memcmp(q - 8, "endswith", 8) && endswith_depth < 0)
				endswith_depth = depth;
			continue;
		}
		if (c == ')') {
			if (depth == endswith_depth)
				endswith_depth = -1;
			if (depth)
				depth--;
			continue;
		}
		if (c == '"' || c == '\'') {
			const char *s;
			bool triple = q + 2 < stop && q[1] == c && q[2] == c;
			size_t skip;
			q += triple ? 3 : 1;
			s = q;
			while (q < stop) {
				if (*q == '\\' && q + 1 < stop) {
					q += 2;
					continue;
				}
				if (*q == c && (!triple || (q + 2 < stop && q[1] == c && q[2] == c)))
					break;
				if (!triple && *q == '\n')
					break;
				q++;
			}
			if (q > s && memchr(s, '\\', (size_t)(q - s)) == NULL) {
				size_t n = (size_t)(q - s);
				if (looks_like_suffix(s, n, &skip))
					push_unique(out, s + skip, n - skip);
				else if (endswith_depth > 0 && n <= 64 && !memchr(s, '\n', n))
					push_unique(out, s, n);
			}
			if (triple && q < stop)
				q += 2;
		}
	}
}

static void dir_of(impact_buf *out, const char *path)
{
	const char *slash = strrchr(path, '/');
	impact_buf_clear(out);
	if (slash)
		impact_buf_put(out, path, (size_t)(slash - path));
	else
		impact_buf_puts(out, "");
}

static void add(impact_collectors *out, uint32_t module, uint32_t scope, const char *dir,
                const impact_strlist *suffixes, uint32_t line)
{
	impact_collector c = { 0 };
	c.module = module;
	c.scope = scope;
	c.hook_line = line;
	c.dir = impact_xstrdup(dir);
	for (size_t i = 0; i < suffixes->n; i++)
		impact_strlist_push(&c.suffixes, suffixes->items[i]);
	IMPACT_PUSH(out->v, out->n, out->alloc, c);
}

/* The line of `def pytest_collect_file` at the start of a line, or 0. */
static uint32_t hook_line(const char *src, size_t len)
{
	static const char needle[] = "def pytest_collect_file";
	uint32_t line = 1;
	for (size_t i = 0; i < len; i++) {
		if (src[i] == '\n') {
			line++;
			continue;
		}
		if ((i == 0 || src[i - 1] == '\n') && len - i >= sizeof(needle) - 1 &&
		    !memcmp(src + i, needle, sizeof(needle) - 1))
			return line;
	}
	return 0;
}

void impact_collectors_find(impact_collectors *out, impact_project *p)
{
	impact_buf src = IMPACT_BUF_INIT, dir = IMPACT_BUF_INIT;
	impact_strlist suffixes = { 0 };

	for (uint32_t id = 0; id < p->nfiles; id++) {
		const impact_pyfile *f = &p->files[id];
		uint32_t line = 0;
		bool scoped = false;
		if (!f->facts || !(f->facts->flags & IMPACT_PYFACTS_COLLECT_HOOK) || !f->entry)
			continue;
		impact_strlist_release(&suffixes);
		impact_buf_clear(&src);
		if (impact_snapshot_read(&src, p->snap, f->entry) == 0 &&
		    (line = hook_line(src.ptr ? src.ptr : "", src.size)))
			impact_collect_suffixes(&suffixes, src.ptr, src.size, line);
		else
			impact_error_clear(); /* unreadable: every non-Python file, below */
		if (f->flags & IMPACT_PF_CONFTEST) {
			dir_of(&dir, f->path);
			add(out, id, id, dir.ptr, &suffixes, line);
			continue;
		}
		/* A plugin: collects under each conftest that loads it, or the root (-p). */
		for (uint32_t c = 0; c < p->nfiles; c++) {
			size_t n;
			const impact_edge *e;
			if (!(p->files[c].flags & IMPACT_PF_CONFTEST))
				continue;
			e = impact_graph_out(p->graph, c, &n);
			for (size_t k = 0; k < n; k++)
				if (e[k].to == id && e[k].kind == IMPACT_EDGE_PLUGIN) {
					dir_of(&dir, p->files[c].path);
					add(out, id, c, dir.ptr, &suffixes, line);
					scoped = true;
					break;
				}
		}
		if (!scoped)
			add(out, id, id, "", &suffixes, line);
	}
	impact_strlist_release(&suffixes);
	impact_buf_release(&src);
	impact_buf_release(&dir);
}

void impact_collectors_release(impact_collectors *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].dir);
		impact_strlist_release(&c->v[i].suffixes);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}

bool impact_collector_collects(const impact_collector *c, const char *path)
{
	size_t n = strlen(c->dir);
	if (impact_path_has_suffix(path, ".py"))
		return false;
	if (n && (strncmp(path, c->dir, n) || path[n] != '/'))
		return false;
	if (!c->suffixes.n)
		return true;
	for (size_t i = 0; i < c->suffixes.n; i++)
		if (impact_path_has_suffix(path, c->suffixes.items[i]))
			return true;
	return false;
}
