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
	/*
	 * impact_fnhashes_compute_tokens only (0 otherwise): the import-time
	 * fingerprint without the headers of plain functions and methods
	 * (impact_fnheader_plain: their def runs no code), plain classes'
	 * docstrings (impact_fnheader_class_doc) and data-only assignments
	 * alone on their lines (`val`); and per symbol, such a function's
	 * header fingerprint, class's docstring's or assignment's (0 for
	 * others). Equal `sigs` with a
	 * different `module`: only plain functions' headers changed, or plain
	 * functions came or went (precise_change.c checks which).
	 */
	uint64_t sigs;
	uint64_t *sig;
	uint64_t *sigat; /* per such function, the `sigs` fingerprint of the code before it */
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
 * Sides `of`/`oh` (old) and `nf`/`nh` (new, both from
 * impact_fnhashes_compute_tokens) with equal `sigs`: is every difference
 * of their import-time code a plain function's new header, a plain
 * class's new docstring, a data-only assignment's new value, or a plain
 * function or data-only assignment added that changes no import (nothing
 * bound its name before, no module-level code names it, and no star
 * import takes it: a private name, or a literal `__all__`)? Who reads a
 * value is the caller's to check (precise_values.c).
 * Names are matched occurrence by occurrence, each plain on both sides
 * and a function after the same import-time code (`sigat`: a def moved
 * across a statement may change what that statement sees); a plain
 * function gone makes it false. Pushes each changed or added symbol of nf
 * onto `syms` once, and onto `added` or `reheaded` (fnsigs.c).
 */
bool impact_fnhashes_only_headers(const impact_pyfacts *of, const impact_fnhashes *oh,
                                  const impact_pyfacts *nf, const impact_fnhashes *nh,
                                  impact_u32vec *syms, impact_u32vec *added, impact_u32vec *reheaded);

/*
 * Does evaluating the function header `s` (n bytes, from `def` or `async
 * def` to the colon that ends it) run no code: no call, and no subscript
 * or operator but a unary minus in a default; no call in an annotation,
 * unless annotations are never evaluated (`lazy_annotations`: the
 * module has `from __future__ import annotations`)? With `facts`, it must
 * also read none of the module's top-level functions or data-only values
 * (their place is not in the `sigs` fingerprint). False when unsure
 * (fnheader.c).
 */
bool impact_fnheader_pure(const char *s, size_t n, bool lazy_annotations, const impact_pyfacts *facts);

/*
 * Is symbol `k` of `facts` (source `src`, lines starting at `starts`) a
 * plain function: a top-level function at column 0, or a method at its
 * class body's indentation in a top-level class nothing inspects as it is
 * made (no decorator, no class keyword, bases builtin, from abc, typing,
 * enum, or plain classes of the module); not a pytest_ hook; undecorated or under decorators that read no signature
 * (contextlib.contextmanager, functools.cache, typing.overload,
 * staticmethod, property...); whose header is pure (fnheader.c)?
 */
bool impact_fnheader_plain(const impact_pyfacts *facts, uint32_t k, const char *src,
                           const size_t *starts, size_t nlines, bool lazy);

/*
 * Is class `k` of `facts` a plain class (no decorator, no keyword, known
 * or plain bases: see impact_fnheader_plain) whose body begins with a
 * docstring alone on its lines, *from to *to, or with no docstring at all
 * (*from = *to = 0)? Reading it runs no code, so a new, added or removed
 * one changes only what reads the class's __doc__ (fnhash.h: `sigs`).
 */
bool impact_fnheader_class_doc(const impact_pyfacts *facts, uint32_t k, const char *src,
                               const size_t *starts, size_t nlines, uint32_t *from, uint32_t *to);

/*
 * Does the assignment `s` (n bytes, from its target's name) name nothing
 * but its target: literals, containers of them, True, False, None? Then
 * it reads no other binding, and where it stands among other such
 * assignments and plain defs does not matter.
 */
bool impact_fnheader_names_nothing(const char *s, size_t n);

/* Does module source `src` (len bytes) hold `from __future__ import annotations`? */
bool impact_fnheader_lazy_annotations(const char *src, size_t len);

/*
 * The function or method that code starting at `line` belongs to: the
 * innermost function/method symbol whose lines hold it (a nested function
 * or lambda belongs to its enclosing named function), or
 * IMPACT_SYMBOL_NONE for module-level and class-body code.
 */
uint32_t impact_fnhash_owner(const impact_pyfacts *facts, uint32_t line);

#endif
