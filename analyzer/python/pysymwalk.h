/*
 * pysymwalk.h - private to the symbol walk (pysymbols.c), its local
 * typing (pytyping.c) and its computed names (pynames.c): the walk's context stack, its state, and the few
 * helpers both halves call. Not for anyone else: the walk's product is
 * the facts (pyimports.h).
 */
#ifndef IMPACT_PYSYMWALK_H
#define IMPACT_PYSYMWALK_H

#include "pyimports_private.h"

/*
 * A second walk, over the whole tree (the import walk skips what cannot
 * hold an import; references are everywhere). Iterative, with a heap
 * stack of contexts: the symbol that owns what is read (a function or
 * method; NONE = module-level code), the class whose body it is in (for
 * method names), whether it is inside a function, and whether parameter
 * names are being read (they are PARAM references of `param_of`).
 */

typedef struct sctx {
	TSNode node;
	uint32_t owner;     /* symbol reading it, or IMPACT_SYMBOL_NONE */
	uint32_t cls;       /* enclosing class symbol (not inside a function), or NONE */
	uint32_t param_of;  /* reading parameters of this symbol, or NONE */
	uint32_t start_row; /* a decorated definition's first row, or UINT32_MAX */
	uint32_t guard;     /* innermost isinstance() guard in force (symwalk.guards), or NONE */
	uint8_t in_function;
	uint8_t fixture;    /* decorated with a fixture decorator: 1 requested by its name only, 2 not */
	uint8_t cached;     /* decorated with a caching decorator (IMPACT_SYMBOL_CACHED) */
} sctx;

/*
 * Local typing (flow-insensitive, per owning function): every way a
 * function binds a name is a binding, typed when it says the class
 * (`x = C(...)`, `x: C`, a parameter annotated `C`, `with C(...) as x`),
 * untyped otherwise (a loop, a tuple target, another value, global...).
 * A name all of whose bindings say the same class has that class; an
 * `isinstance(x, C)` guard types x inside its block when the function
 * binds x only as a parameter. Chains `x.m` read in the function are
 * candidates, turned into INST references once the function is read.
 */
typedef struct tbind {
	uint32_t owner;
	const char *name; /* arena */
	const char *cls;  /* arena, or NULL: untyped */
	uint8_t param;
} tbind;

typedef struct tcand {
	uint32_t ref, owner;
	const char *head;  /* arena */
	const char *guard; /* the class a guard gives the head, or NULL */
} tcand;

typedef struct tguard {
	const char *name, *cls; /* arena */
	uint32_t parent;
} tguard;

typedef struct symwalk {
	walker *w;
	sctx *stack;
	size_t n, alloc;
	size_t asyms, arefs;
	/* (owner, kind, text) already recorded: open addressing on refs indexes */
	uint32_t *seen;
	size_t nseen_buckets, nseen;
	impact_buf name;
	tbind *binds;
	size_t nbinds, abinds;
	tcand *cands;
	size_t ncands, acands;
	tguard *guards;
	size_t nguards, aguards;
	unsigned code_depth; /* inside a string read as code */
	unsigned name_scans; /* whole-module scans for a private function's callers (pynames.c) */
} symwalk;


/* pysymbols.c */
const char *pysw_last_dot(const char *s);
void pysw_push(symwalk *sw, TSNode n, const sctx *like);
/*
 * Push n's named children so that they are read first to last, each with
 * `like`, but those in field `field` (0: none) with `alt`. Through a
 * cursor: ts_node_named_child(n, k) walks k siblings, which would make a
 * module of 70000 top-level lines quadratic.
 */
void pysw_push_children_as(symwalk *sw, TSNode n, const sctx *like, TSFieldId field,
                           const sctx *alt);
/* n's text when it is a chain of names (`a`, `a.b.c`), in w->text: false otherwise. */
bool pysw_object_text(walker *w, TSNode n);
/* A reference of `owner` (deduplicated): its index, or UINT32_MAX when not kept. */
uint32_t pysw_add_ref(symwalk *sw, uint32_t owner, uint8_t kind, const char *text, size_t len);
/* `owner` uses exec/eval or a computed name at module level. */
void pysw_mark_dynamic(symwalk *sw, uint32_t owner);
/* Read what is on the walk's stack above `floor`. */
void pysw_run(symwalk *sw, size_t floor);

/* pycodestr.c: a string literal read as code (false: not plain text, or it
 * does not parse); whether a string holds an import statement. */
bool pycs_read_code_string(symwalk *sw, TSNode str, const sctx *c);
bool pycs_looks_like_code(const char *t, size_t len);

/*
 * pynames.c: getattr/hasattr/setattr/delattr(obj, name) (`ga`: getattr):
 * a literal name is a chain `obj.name`; getattr's computed name a GETATTR
 * reference with the names it can be.
 */
void pyn_attr_call(symwalk *sw, TSNode call, uint32_t owner, bool ga);
/*
 * pynames.c: a module's `def __getattr__(name)` (symbol `sym`, node `def`)
 * that only answers for literal names (IMPACT_SYMBOL_DISPATCH, and an
 * IMPACT_SYMREF_ANSWER reference per name); any other shape: nothing.
 */
void pyn_module_getattr_dispatch(symwalk *sw, TSNode def, uint32_t sym);

/*
 * pydecor.c: a decorator whose callee's last name is `fixture`; whether
 * that fixture is requested by its function's name only
 * (IMPACT_SYMBOL_FIXTURE_BYNAME); a caching decorator
 * (IMPACT_SYMBOL_CACHED); fixtures that usefixtures()/getfixturevalue()
 * arguments request, as PARAM references of `owner`.
 */
bool pyd_is_fixture_decorator(walker *w, TSNode dec);
/* The last name of `name` or `a.b.name` (an identifier or attribute node), or NULL. */
const char *pyd_last_name(walker *w, TSNode e, size_t *len);
bool pyd_fixture_by_name(walker *w, TSNode dec);
bool pyd_is_caching_decorator(walker *w, TSNode dec);
void pyd_request_fixtures(symwalk *sw, TSNode args, uint32_t owner);

/* pysymbols.c: an attribute read (`a.b.c`, `f().x`) as `c` sees it. */
void pysw_do_attribute(symwalk *sw, TSNode n, const sctx *c);

/*
 * pyvalues.c: is `n` a value that runs no code when evaluated (names,
 * chains, literals, containers, typing's forms)? Read such a value bound
 * to symbol `owner` (its bare names are the owner's references).
 */
bool pyv_pure_value(walker *w, TSNode n, unsigned depth);
bool pyv_literal_value(walker *w, TSNode n, unsigned depth);
void pyv_read_pure_value(symwalk *sw, TSNode n, const sctx *c, uint32_t owner, unsigned depth);

/* pytyping.c: local typing (see tbind above). */
const char *pyty_annotation_class(walker *w, TSNode n, unsigned depth);
bool pyty_typing_scope(const sctx *c);
void pyty_bind_name(symwalk *sw, uint32_t owner, const char *name, size_t len, const char *cls, bool param);
/* Every identifier under `n` is bound by something that says no class. */
void pyty_bind_untyped(symwalk *sw, uint32_t owner, TSNode n, unsigned depth);
/* An assignment in a function: `x = C(...)`, `x: C = ...` type x; anything else binds untyped. */
void pyty_bind_assignment(symwalk *sw, const sctx *c, TSNode n, bool aug);
/* Other ways a function binds names (loops, with/except/match targets, walrus, global, imports). */
void pyty_bind_other(symwalk *sw, const sctx *c, TSNode n);
/* `isinstance(x, C)`: a new guard typing x as C (index in sw->guards), or NONE. */
uint32_t pyty_isinstance_guard(symwalk *sw, TSNode cond, uint32_t parent);
/* Push an if statement's parts, its consequence under guard `g`. */
void pyty_push_guarded(symwalk *sw, TSNode n, const sctx *like, uint32_t g);
/* A chain `head.m...` read in a function (reference `ref`): a candidate for typing. */
void pyty_typing_candidate(symwalk *sw, const sctx *c, uint32_t ref, const char *head, size_t hlen);
/* Candidates whose every use has one class become INST references "C:m...". */
void pyty_resolve_typing(symwalk *sw);

#endif
