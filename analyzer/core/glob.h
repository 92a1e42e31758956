/*
 * glob.h - path patterns with .gitignore semantics, for rules.
 *
 * A pattern is split at '/' into components. `*` matches any run of bytes
 * but '/', `?` one byte but '/', `[...]` a class (`[!...]` or `[^...]`
 * negates it, ranges, `[:alpha:]`-style classes), `\` quotes the next
 * byte. A component that is exactly two stars matches any number of
 * directories: leading ("**" "/x": x at any depth), trailing ("a/" "**":
 * everything inside a, not a itself) or inner ("a/" "**" "/b": zero or
 * more directories between); two stars anywhere else are a
 * plain `*`. A pattern with a '/' at its start or in its middle is
 * anchored at the repository root (a leading '/' is dropped); one without
 * matches at any depth. A trailing '/' matches directories only. As in
 * git, a pattern that matches a directory matches everything below it:
 * `docs` and `docs/` both match `docs/index.rst`.
 *
 * Paths are repository-relative, '/'-separated, without empty, "." or ".."
 * components; bytes are compared as they are (no case folding, no
 * special leading dot). A leading '!' is not interpreted here: it means
 * "exclude" only in a list of patterns, which impact_glob_compile reports
 * through impact_glob_negated.
 *
 * Matching never backtracks more than once per star (the classic
 * single-backtrack wildcard algorithm, at the level of components for `**`
 * and of bytes within a component), so its cost is bounded by the product
 * of the pattern's and the path's lengths: no input, such as `a*a*a*a*b`,
 * makes it exponential. No recursion.
 */
#ifndef IMPACT_GLOB_H
#define IMPACT_GLOB_H

#include "common.h"

typedef struct impact_glob impact_glob;

/*
 * Compile `pattern`. A leading '!' marks the pattern as negated (`\!`
 * quotes a literal '!'). Fails with IMPACT_EINVALID and a message saying
 * what is wrong and how to fix it (empty pattern, an unclosed '[', a
 * trailing '\', a "." or ".." component, a NUL byte cannot occur). Returns 0
 * and *out (free with impact_glob_free).
 */
int impact_glob_compile(impact_glob **out, const char *pattern);
void impact_glob_free(impact_glob *glob);

/* True when `path` matches the compiled pattern (its negation ignored). */
bool impact_glob_matches(const impact_glob *glob, const char *path);
/* True when the pattern started with '!' (an exclusion in a list). */
bool impact_glob_negated(const impact_glob *glob);

/*
 * True when `path` matches `pattern` as .gitignore would match it (a
 * leading '!' is a literal here). An invalid pattern matches nothing.
 */
bool impact_glob_match(const char *pattern, const char *path);

/* True when `pattern` has no wildcard at all (a plain path). */
bool impact_glob_is_literal(const char *pattern);

/*
 * Check `pattern` for errors. Returns 0, or IMPACT_EINVALID with a
 * message saying what is wrong (the same as impact_glob_compile's).
 */
int impact_glob_check(const char *pattern);

#endif
