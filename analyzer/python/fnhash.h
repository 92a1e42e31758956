/*
 * fnhash.h - fingerprints of a module's functions and of its import-time
 * code, for recorded dependencies (records.h).
 *
 * A function's fingerprint covers its whole definition (decorators,
 * signature, body, nested functions and lambdas) as tokens: comments,
 * blank lines, trailing spaces and runs of spaces inside a line are left
 * out, while each line's indentation and string contents (docstrings
 * included) count, so a change that can alter what runs always changes
 * it. The module's import-time fingerprint covers every line outside the
 * bodies of its functions and methods: module code, class bodies,
 * signatures, decorators (a one-liner's body, after its header's colon on
 * the same line, is a body too). A change that leaves it equal only changes
 * what happens when some function is called.
 *
 * It reads a source buffer and the symbols impact's extractor found in
 * it (pyimports.h); it never parses by itself.
 */
#ifndef IMPACT_FNHASH_H
#define IMPACT_FNHASH_H

#include "pyimports.h"

/* The pseudo-function a record uses for code outside any function. */
#define IMPACT_FNHASH_MODULE "<module>"

typedef struct impact_fnhashes {
	uint64_t module;  /* import-time fingerprint */
	uint64_t *fn;     /* per symbol of the facts: functions and methods; 0 for others */
	size_t n;
	/*
	 * impact_fnhashes_compute_tokens only (0 otherwise): the import-time
	 * fingerprint with each data-only assignment (IMPACT_SYMBOL_LITERAL,
	 * alone on its lines) counted by its name, not its value; and per
	 * symbol, such an assignment's own fingerprint (0 for others). Equal
	 * `values` with a different `module`: only such values changed.
	 */
	uint64_t values;
	uint64_t *val;
} impact_fnhashes;

/*
 * Fingerprint `src` (len bytes) whose symbols are `facts` (whole facts,
 * not slim). Fills *out (release with impact_fnhashes_release).
 */
void impact_fnhashes_compute(impact_fnhashes *out, const char *src, size_t len,
                             const impact_pyfacts *facts);
/*
 * The same over the token stream alone, for telling a comment or layout
 * change from a real one (precise.c): spaces between tokens (but where
 * they separate two words), line breaks inside brackets and backslash
 * joins are layout too, so rewrapping a statement leaves it equal.
 * Indentation of logical lines and string contents (docstrings) still
 * count. Records keep impact_fnhashes_compute's fingerprints.
 */
void impact_fnhashes_compute_tokens(impact_fnhashes *out, const char *src, size_t len,
                                    const impact_pyfacts *facts);
void impact_fnhashes_release(impact_fnhashes *h);

/*
 * The function or method that code starting at `line` belongs to: the
 * innermost function/method symbol whose lines hold it (a nested function
 * or lambda belongs to its enclosing named function), or
 * IMPACT_SYMBOL_NONE for module-level and class-body code.
 */
uint32_t impact_fnhash_owner(const impact_pyfacts *facts, uint32_t line);

#endif
