/*
 * textdoctest.h - which modules a doctest text file's examples import.
 * See textdoctest.c.
 */
#ifndef IMPACT_TEXTDOCTEST_H
#define IMPACT_TEXTDOCTEST_H

#include "project.h"
#include "snapshot.h"

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
/* The index of the candidate at `path`, or s->n when none is. */
size_t impact_textdoctest_set_find(const impact_textdoctest_set *s, const char *path);
/*
 * Does candidate i hold an example (">>>")? 1 yes, 0 no, -1 when it
 * cannot be read (the caller decides; selection takes it).
 */
int impact_textdoctest_set_has(impact_textdoctest_set *s, const impact_project *p, size_t i);
/*
 * Append to `out` the ids of the repository files candidate i's examples
 * import: each imported module and the package __init__.py files on its
 * way. Returns 1 when that is all they can run, 0 when impact cannot tell
 * (an import by a computed name, a relative import, exec/eval, a syntax
 * error, a text that cannot be read): the caller must then assume any
 * module. Never fails.
 */
int impact_textdoctest_set_imports(impact_u32vec *out, impact_textdoctest_set *s,
                                   const impact_project *p, size_t i);
void impact_textdoctest_set_save(impact_textdoctest_set *s, const impact_project *p);
void impact_textdoctest_set_release(impact_textdoctest_set *s);

#endif
