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

/*
 * The doctest text files of a snapshot, read as one set: the parse cache
 * remembers per set which ones hold an example, and per text what its
 * examples import, so a warm run makes one lookup for the set and one
 * per text with examples, and reads none. Load, ask _set_has and
 * _set_imports per candidate, save what was learnt, release. The caller
 * owns the set; `entries` point into the project's snapshot.
 */
typedef struct impact_textdoctest_set {
	const impact_entry **entries; /* the candidates, in snapshot order */
	size_t n;
	char *state;                  /* per candidate: '0' no example, '1' one, '?' unread */
	char *loaded;                 /* `state` as the cache gave it (NULL: no cache) */
	bool *fresh;                  /* read in this run, and unknown before */
	git_oid key;
	impact_buf text;              /* the last candidate read, */
	size_t text_of;               /* its index + 1 (0: none) */
	impact_buf pending;           /* imports learnt, to remember at _set_save */
} impact_textdoctest_set;

void impact_textdoctest_set_load(impact_textdoctest_set *s, const impact_project *p);
/* Does candidate i hold an example? As impact_textdoctest_read: 1, 0, -1. */
int impact_textdoctest_set_has(impact_textdoctest_set *s, const impact_project *p, size_t i);
/* Candidate i's imports, as impact_textdoctest_imports: 1, or 0 "cannot tell". */
int impact_textdoctest_set_imports(impact_u32vec *out, impact_textdoctest_set *s,
                                   const impact_project *p, size_t i);
void impact_textdoctest_set_save(impact_textdoctest_set *s, const impact_project *p);
void impact_textdoctest_set_release(impact_textdoctest_set *s);

#endif
