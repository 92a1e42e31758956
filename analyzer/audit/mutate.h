/*
 * mutate.h - the audit's fault: every function body of a Python module
 * starts by raising a marker exception.
 *
 * Owns turning a module's source into its mutant: in every `def` and
 * `async def` (methods, nested functions, decorated ones), the statement
 * `raise RuntimeError("<marker>")` becomes the body's first statement,
 * after the docstring when the body starts with one. On a body of its own
 * lines it gets a line of its own, with the indentation and the line
 * ending of the statement it precedes; on a one-line body (`def f():
 * return 1`) it goes before the first statement on the same line, as
 * `raise RuntimeError("<marker>"); `. Every other byte of the file is
 * kept as it was (encoding, tabs, CRLF, comments, bytes that are not
 * UTF-8). Lambdas are expressions and are left alone.
 *
 * The single-function mutant (`audit --functions`) puts the same raise,
 * the same way, in one body only: one of the module's candidates, its
 * module-level functions and the methods of its classes (functions nested
 * in functions are not candidates; they run only when their parent does).
 *
 * It does not decide which modules to mutate or run anything: audit.c.
 */
#ifndef IMPACT_MUTATE_H
#define IMPACT_MUTATE_H

#include "buf.h"

/* The largest source mutated (bigger ones are skipped with a reason). */
#define IMPACT_MUTATE_MAX_SOURCE ((size_t)16 << 20)

typedef struct impact_mutator impact_mutator;

/*
 * A mutator owns one tree-sitter parser: one per thread. NULL (with the
 * message set) when the Python grammar does not load.
 */
impact_mutator *impact_mutator_new(void);
void impact_mutator_free(impact_mutator *m);

/*
 * Append to `out` the mutant of `src` (`len` bytes, NUL bytes allowed)
 * and set *nfunctions to the number of bodies that got the raise; 0 (and
 * `out` holding a copy of `src`) when the module defines no function.
 * `marker` is the exception's message: letters, digits and "-_.:" only.
 *
 * Fails, leaving `out` as it was, with IMPACT_EINVALID and a message for
 * the report ("syntax error at line 3, column 5"; "too large ..."; "the
 * parser gave up ...") when the module cannot be mutated safely, and with
 * IMPACT_ERROR when the mutant would not parse (a case this code does not
 * handle: reported, never written).
 */
int impact_mutate(impact_mutator *m, impact_buf *out, size_t *nfunctions,
                  const char *src, size_t len, const char *marker);

/* One candidate of the single-function mutant. */
typedef struct impact_mutate_fn {
	char *qualname;  /* "helper", "Model.value", "Outer.Inner.method" */
	uint32_t line;   /* 1-based line of its `def` (not of its decorators) */
} impact_mutate_fn;

typedef struct impact_mutate_fns {
	impact_mutate_fn *v;
	size_t n, alloc;
} impact_mutate_fns;

/*
 * Append to `out` the candidates of `src`, in source order: every `def`
 * with no `def` around it (module-level functions, methods, also under a
 * module-level `if` or `try`, and in classes nested in classes). Names may
 * repeat (a property's setter, a conditional definition): the index in
 * this list is what names a candidate. Fails like impact_mutate, with
 * IMPACT_EINVALID and the reason, on a module that cannot be mutated.
 * Release the list with impact_mutate_fns_release, also after a failure.
 */
int impact_mutate_functions(impact_mutator *m, impact_mutate_fns *out, const char *src,
                            size_t len);
void impact_mutate_fns_release(impact_mutate_fns *l);

/*
 * Append to `out` the mutant of `src` where only candidate `index` (of
 * impact_mutate_functions' list) starts with the raise. The mutant is
 * checked: it parses, holds as many functions, and exactly one body, that
 * candidate's, starts with the raise. Fails as impact_mutate does (and
 * with IMPACT_EINVALID for an index past the list), `out` as it was.
 */
int impact_mutate_function(impact_mutator *m, impact_buf *out, const char *src, size_t len,
                           const char *marker, size_t index);

#endif
