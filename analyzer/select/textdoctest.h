/*
 * textdoctest.h - which modules a doctest text file's examples import.
 * See textdoctest.c.
 */
#ifndef IMPACT_TEXTDOCTEST_H
#define IMPACT_TEXTDOCTEST_H

#include "project.h"
#include "snapshot.h"

/*
 * Is snapshot entry `e` a doctest text file pytest collects
 * (impact_testfiles_is_text_doctest) that holds an example (">>>")?
 * Its text is left in `text`. 1 yes, 0 no, -1 when it cannot be read
 * (the caller decides; selection takes it). Clears the error it leaves.
 */
int impact_textdoctest_read(impact_buf *text, const impact_project *p, const impact_entry *e);

/*
 * Remember in the parse cache (p->cache; none: nothing) that entries
 * `without` hold no example, so impact_textdoctest_read reads them no
 * more: n entries read once, stored in one transaction.
 */
void impact_textdoctest_remember(const impact_project *p, const impact_entry *const *without,
                                 size_t n);

/*
 * Append to `out` the ids of the repository files that the examples of
 * the doctest text `text` (`len` bytes) import: each imported module and
 * the package __init__.py files on its way. Returns 1 when that is all
 * they can run, 0 when impact cannot tell (an example that imports by a
 * computed name, a relative import, exec/eval, a syntax error, a parse
 * that failed): the caller must then assume any module. Never fails.
 */
int impact_textdoctest_imports(impact_u32vec *out, const impact_project *p, const char *text,
                               size_t len);

#endif
