/*
 * resolve.h - from an import statement to the repository files it runs.
 *
 * Owns Python's (and pytest's) import semantics over a fixed set of files:
 * import roots (the repository root, src/ layouts, project roots, pytest's
 * `pythonpath`, and the directory pytest's "prepend" import mode puts on
 * sys.path for a file: the first directory upward without __init__.py),
 * packages and their __init__.py chain, namespace packages, relative
 * imports, and `from a import b` where b may be a submodule. An import
 * that reaches no file of the repository is external and yields nothing.
 * Works on paths only: it neither reads files nor knows about git.
 */
#ifndef IMPACT_RESOLVE_H
#define IMPACT_RESOLVE_H

#include "pyimports.h"
#include "strpool.h"

typedef struct impact_resolver impact_resolver;

/*
 * `files` maps ids 0..nfiles-1 to the repository's Python files
 * ('/'-separated, repo-relative; borrowed, must outlive the resolver).
 * `roots` are the global import roots, repo-relative directories ("" is
 * the repository root), tried for every absolute import in order.
 */
impact_resolver *impact_resolver_new(const impact_strpool *files, uint32_t nfiles,
                                     const char *const *roots, size_t nroots);
void impact_resolver_free(impact_resolver *r);

/* Resolution flags returned through *how. */
enum {
	IMPACT_RESOLVED_FALLBACK = 1 << 0, /* found only under another file's root */
};

/*
 * Append to `out` the ids of the files that executing `imp` in file
 * `importer` runs: each package __init__.py on the way and the module
 * itself. Relative imports resolve against the importer's package.
 * Absolute imports try the importer's own sys.path entry (its base
 * directory) and the global roots; if none has the first name, every other
 * file's base directory is tried (pytest puts them on sys.path as it
 * imports test modules) and *how gets IMPACT_RESOLVED_FALLBACK.
 * Returns the number of ids appended (0: external or unresolvable).
 */
size_t impact_resolver_resolve(impact_resolver *r, uint32_t importer,
                               const impact_import *imp, impact_u32vec *out,
                               unsigned *how);

/*
 * Resolve an absolute dotted module name (a pytest plugin named by `-p`)
 * against the global roots only.
 */
size_t impact_resolver_resolve_name(impact_resolver *r, const char *dotted,
                                    impact_u32vec *out);

/*
 * The directory pytest's prepend mode puts on sys.path for `file`: the
 * first directory upward from it without an __init__.py ("" = root).
 * Borrowed, lives as long as the resolver.
 */
const char *impact_resolver_basedir(impact_resolver *r, uint32_t file);

/* The file id of `path`, or IMPACT_STRPOOL_NONE. */
uint32_t impact_resolver_file(const impact_resolver *r, const char *path);
/* True if `dir` ("" = root) holds a Python file at any depth. */
bool impact_resolver_is_dir(const impact_resolver *r, const char *dir);

#endif
