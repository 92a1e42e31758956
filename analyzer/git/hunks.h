/*
 * hunks.h - which lines of a modified file changed, on each side.
 *
 * Precise selection classifies a change by the lines it touches: the old
 * side's lines against the old module's symbols, the new side's against
 * the new one's. This file owns computing those line ranges (libgit2's
 * diff of two buffers, no context lines), nothing more: a pure insertion
 * has lines on the new side only, a pure deletion on the old side only.
 */
#ifndef IMPACT_HUNKS_H
#define IMPACT_HUNKS_H

#include "common.h"

typedef struct impact_lines {
	uint32_t (*v)[2]; /* [first, last], 1-based, inclusive, ascending */
	size_t n, alloc;
} impact_lines;

void impact_lines_release(impact_lines *l);

/*
 * Diff `old` against `new` (any bytes; a binary side gives one range
 * covering the whole of each side). Appends to *old_lines and *new_lines.
 * Returns 0, or IMPACT_ERROR from libgit2.
 */
int impact_hunks_compute(impact_lines *old_lines, impact_lines *new_lines,
                         const char *old, size_t old_len,
                         const char *new, size_t new_len);

#endif
