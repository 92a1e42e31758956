/*
 * glob.h - path patterns with .gitignore semantics, for rules.
 *
 * `*` and `?` never match '/', `[...]` classes, a `**` path component
 * matches any number of directories (leading, inner or trailing), a
 * leading '/' anchors the pattern at the repository root, a pattern with a '/' elsewhere is anchored too,
 * one without a '/' matches the base name at any depth, and a trailing '/'
 * matches a directory and everything below it. Paths are repo-relative and
 * '/'-separated; bytes are compared as they are.
 */
#ifndef IMPACT_GLOB_H
#define IMPACT_GLOB_H

#include "common.h"

/* True when `path` matches `pattern` as .gitignore would match it. */
bool impact_glob_match(const char *pattern, const char *path);

/* True when `pattern` has no wildcard at all (a plain path). */
bool impact_glob_is_literal(const char *pattern);

/*
 * Check `pattern` for errors (an unclosed '[', an empty pattern, "../").
 * Returns 0, or IMPACT_EINVALID with a message saying what is wrong.
 */
int impact_glob_check(const char *pattern);

#endif
