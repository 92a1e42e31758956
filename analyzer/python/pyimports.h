/*
 * pyimports.h - what one Python module can import, read with tree-sitter.
 *
 * Owns the extraction of "facts" from a module's source: every import it
 * can execute (static, lazy, conditional, TYPE_CHECKING-only, literal
 * importlib/__import__ calls, pytest_plugins), whether the source parsed
 * cleanly, and whether it imports by a name impact cannot see. It does not
 * resolve names to files (resolve.c) and never touches git or the disk:
 * input is a byte buffer, so the same facts can be cached by blob id.
 *
 * The facts are flat arrays of plain values plus strings in one arena so a
 * cache can store and reload them; later extractors (symbols, string
 * evidence) add arrays here rather than re-parsing.
 */
#ifndef IMPACT_PYIMPORTS_H
#define IMPACT_PYIMPORTS_H

#include "buf.h"

typedef enum impact_import_kind {
	/* `import a.b.c` / `import a.b.c as x`: module "a.b.c", name NULL. */
	IMPACT_IMPORT_MODULE = 0,
	/*
	 * `from a.b import c` / `from ..p import y` / `from . import x`:
	 * module "a.b" ("" for `from . import x`), level = number of dots,
	 * name "c" (may be a submodule or a plain name), or "*".
	 * One record per imported name.
	 */
	IMPACT_IMPORT_FROM = 1,
	/*
	 * A string literal passed to importlib.import_module(...),
	 * import_module(...) or __import__(...): module is the literal;
	 * leading dots become `level` (relative to the `package=` argument,
	 * which impact takes to be the module's own package).
	 */
	IMPACT_IMPORT_DYNAMIC = 2,
	/* An entry of `pytest_plugins = "a.b"` or `= ["a.b", ...]`. */
	IMPACT_IMPORT_PLUGIN = 3,
} impact_import_kind;

enum {
	IMPACT_IMPORT_IN_FUNCTION = 1 << 0,   /* in a def/lambda body: runs when called */
	IMPACT_IMPORT_CONDITIONAL = 1 << 1,   /* under try/except/if/with/for/while/match */
	IMPACT_IMPORT_TYPE_CHECKING = 1 << 2, /* under `if TYPE_CHECKING:` (never runs) */
	/*
	 * Directly in a class body (runs when the class statement runs); a
	 * method's body is IN_FUNCTION only, a class inside a def has both.
	 */
	IMPACT_IMPORT_IN_CLASS = 1 << 3,
};

#define IMPACT_SYMBOL_NONE UINT32_MAX

typedef struct impact_import {
	const char *module; /* dotted name as written, no leading dots; borrowed */
	const char *name;   /* FROM: the imported name or "*"; else NULL */
	const char *asname; /* the `as` alias, or NULL */
	uint32_t line;      /* 1-based line of the statement, call or plugin string */
	uint32_t symbol;    /* the function or method whose body runs it, or IMPACT_SYMBOL_NONE */
	uint16_t level;     /* leading dots of a relative import; 0 = absolute */
	uint8_t kind;       /* impact_import_kind */
	uint8_t flags;      /* IMPACT_IMPORT_* bits */
} impact_import;

/*
 * A string literal that may name code or files of the repository (issue:
 * what tests reach without an import): a dotted name ("pkg.lexers.python")
 * or a relative path ("examples/", "data/schema.json", "golden"). Found by
 * a lexical scan of quoted text, so it errs on the side of listing more;
 * the project keeps only those that match a module, file or folder.
 */
typedef enum impact_strref_kind {
	IMPACT_STRREF_MODULE = 0, /* two or more dotted identifiers */
	IMPACT_STRREF_PATH = 1,   /* a relative path or a single path segment */
} impact_strref_kind;

typedef struct impact_strref {
	const char *text; /* the literal's content; borrowed */
	uint32_t line;    /* 1-based */
	uint8_t kind;     /* impact_strref_kind */
} impact_strref;

/*
 * The symbols of a module, for precise selection: top-level functions,
 * classes, methods (of classes at any class depth: "Outer.Inner.m") and
 * top-level assignments. Nested functions and lambdas are part of their
 * enclosing function or method. Lines are 1-based, as diff hunks give them.
 */
typedef enum impact_symbol_kind {
	IMPACT_SYMBOL_FUNCTION = 0,
	IMPACT_SYMBOL_CLASS,
	IMPACT_SYMBOL_METHOD,
	IMPACT_SYMBOL_ASSIGN,
} impact_symbol_kind;

enum {
	IMPACT_SYMBOL_ASYNC = 1 << 0,
	IMPACT_SYMBOL_FIXTURE = 1 << 1,   /* a decorator whose last name is `fixture` */
	IMPACT_SYMBOL_DUNDER = 1 << 2,    /* __name__ */
	IMPACT_SYMBOL_ONE_LINER = 1 << 3, /* the body starts on the signature's last line */
	/* Calls exec/eval or imports by a non-literal name: may reach anything.
	 * (getattr(x, non-literal), globals() and vars(x) are GETATTR refs.) */
	IMPACT_SYMBOL_DYNAMIC = 1 << 4,
	/*
	 * A decorator whose last name says it caches (`cache`, `lru_cache`,
	 * `cached_property`, `memoize`...: "cache" or "memo" in it): a call
	 * may return an earlier call's result without running the body, so
	 * no record of who ran it tells who used it.
	 */
	IMPACT_SYMBOL_CACHED = 1 << 5,
	/*
	 * A fixture requested by its function's name only: a parameter so
	 * named, or that name given to usefixtures()/getfixturevalue() (no
	 * `name=`, not autouse, no options impact cannot read).
	 */
	IMPACT_SYMBOL_FIXTURE_BYNAME = 1 << 6,
	/*
	 * A module's PEP 562 __getattr__ that answers for literal names only
	 * (`if name == "Old": ...`, `if name in {"A", "B"}: ...`, then `raise
	 * AttributeError`): any other name, `__path__` included, runs none of
	 * its code. Its names are its IMPACT_SYMREF_ANSWER references.
	 */
	IMPACT_SYMBOL_DISPATCH = 1 << 7,
	/*
	 * An assignment of typing's forms only (`T = TypeVar("T", bound=C)`,
	 * `Opt = Optional[C]`): it holds types and calls nothing, so nobody
	 * naming it means nobody uses it (never "called by name").
	 */
	IMPACT_SYMBOL_TYPING = 1 << 8,
	/*
	 * A top-level `NAME = value` whose value is data only: literals,
	 * names and containers of them (`__version__ = "1.2"`, `LIMITS =
	 * (1, 2)`), no call, attribute, operator or f-string. Evaluating it
	 * runs no code, so a new value changes only what its readers see
	 * (precise_change.c: a value change).
	 */
	IMPACT_SYMBOL_LITERAL = 1 << 9,
};

typedef struct impact_symbol {
	const char *name;     /* qualified within the module: "f", "C", "C.m"; borrowed */
	uint32_t parent;      /* the enclosing class for a method or class, else IMPACT_SYMBOL_NONE */
	uint32_t start_line;  /* first line, decorators included */
	uint32_t end_line;
	uint32_t def_line;    /* the `def`/`class` line */
	uint32_t body_start_line, body_end_line; /* functions and methods: the body block */
	uint8_t kind;         /* impact_symbol_kind */
	uint16_t flags;       /* IMPACT_SYMBOL_* */
} impact_symbol;

typedef enum impact_symref_kind {
	IMPACT_SYMREF_NAME = 0, /* a bare name read: `helper` */
	IMPACT_SYMREF_CHAIN,    /* an attribute chain from a name: `termui.progressbar`, `self.x` */
	IMPACT_SYMREF_ATTR,     /* an attribute of something that is not a name: `f().render` */
	IMPACT_SYMREF_PARAM,    /* a parameter name (pytest injects fixtures by it), or a fixture
	                           usefixtures()/getfixturevalue() names: "*" when not a literal */
	/*
	 * `getattr(obj, <non-literal>)` or `vars(obj)`: text is the object as
	 * written when it is a name or a chain of names ("self", "mod",
	 * "self.handlers"), "C:" or "C:attr" when its head is a local of known
	 * class C (an instance, never a module), else "?"; "globals()" for globals(). What it can
	 * reach is an attribute of that object (the module's own names) only.
	 * When getattr's name is known to be one of a few, a tab follows, then
	 * those names separated by spaces: "name" exactly, "prefix*" any name
	 * so starting (f'visit_{k}', 'do_%s' % c), and "(_run)" when they are
	 * what every call of the private function _run passes (the selection
	 * checks that no other module calls it). No tab: could be anything.
	 * (A literal name is no GETATTR: `getattr(m, 'f')` is the chain `m.f`.)
	 */
	IMPACT_SYMREF_GETATTR,
	/*
	 * A base class of the class `symbol` (`class C(Base, mod.Mixin)`):
	 * text as written for a name or chain of names; for a call
	 * (`objective(CLexer)`) "()objective" and its name arguments; else "?"
	 * (a computed base). A call or other expression is also read as
	 * module-level code; a plain name or chain only here.
	 */
	IMPACT_SYMREF_BASE,
	/*
	 * An attribute of a local whose class is known (`x = C(...)`, a
	 * parameter or a variable annotated `C`, `isinstance(x, C)` around the
	 * use, `with C(...) as x`): text "C:m" or "mod.C:m.n", the class as
	 * written, a colon, then the attributes read from the instance.
	 */
	IMPACT_SYMREF_INST,
	/*
	 * A chain of names only read by module-level code (`def f(key=mod.g)`,
	 * `X = mod.g`, a table of them): reading runs code only through a
	 * property or a module __getattr__. The owner that stores it has the
	 * same chain as a CHAIN reference.
	 */
	IMPACT_SYMREF_READ,
	/* A name an IMPACT_SYMBOL_DISPATCH __getattr__ answers for (not a use). */
	IMPACT_SYMREF_ANSWER,
} impact_symref_kind;

/* A name some code uses; one record per (symbol, kind, text). */
typedef struct impact_symref {
	const char *text;   /* borrowed */
	uint32_t symbol;    /* the function/method/class using it, or IMPACT_SYMBOL_NONE:
	                       module-level code (statements, class bodies, decorators,
	                       default values, base classes). A function's annotations
	                       are its own; a class body's annotations the class's. */
	uint8_t kind;       /* impact_symref_kind */
} impact_symref;

enum {
	/* tree-sitter found an ERROR or MISSING node; imports are still listed. */
	IMPACT_PYFACTS_SYNTAX_ERROR = 1 << 0,
	/*
	 * importlib.import_module / __import__ called with a non-literal
	 * argument: the module imports something impact cannot name.
	 */
	IMPACT_PYFACTS_DYNAMIC_IMPORT = 1 << 1,
	/*
	 * Not read: the source was larger than IMPACT_PYFACTS_MAX_SOURCE, the
	 * parse ran out of time, or (see IMPACT_TS_CHILD_COUNT_GUARD) it could
	 * not be parsed safely. No imports are listed: treat as unknown.
	 */
	IMPACT_PYFACTS_TOO_LARGE = 1 << 2,
	/* A top-level `def pytest_collect_file` (custom collection). */
	IMPACT_PYFACTS_COLLECT_HOOK = 1 << 3,
	/*
	 * The source holds ">>> " (a doctest prompt) somewhere: with
	 * --doctest-modules, pytest collects the module as a test. Found by a
	 * byte search, so it errs on the side of "has doctests".
	 */
	IMPACT_PYFACTS_DOCTEST = 1 << 4,
	/* A module-level `def __getattr__`: any attribute may be computed. */
	IMPACT_PYFACTS_MODULE_GETATTR = 1 << 5,
	/* Module-level code uses exec/eval/globals()/getattr(x, non-literal). */
	IMPACT_PYFACTS_DYNAMIC_CODE = 1 << 6,
	/*
	 * In memory only (never encoded): imports, strings and flags without
	 * the symbols and references (impact_pyfacts_slim). A caller that
	 * needs symbols reloads the whole facts.
	 */
	IMPACT_PYFACTS_SLIM = 1 << 7,
};

#define IMPACT_PYFACTS_MAX_SOURCE ((size_t)64 << 20)

typedef struct impact_pyfacts {
	impact_import *imports; /* in source order */
	size_t nimports;
	impact_strref *strings; /* string evidence, in source order */
	size_t nstrings;
	impact_symbol *symbols; /* in source order; a class before its methods */
	size_t nsymbols;
	impact_symref *refs;    /* grouped by symbol in walk order */
	size_t nrefs;
	/*
	 * Decoded facts: the references' texts lie one after another, each
	 * ending with its NUL, from refs[0].text to here (one past the last
	 * NUL), so one search finds those holding a name. NULL otherwise.
	 */
	const char *ref_text_end;
	uint32_t flags;       /* IMPACT_PYFACTS_* bits */
	uint32_t error_line;  /* first syntax error, 1-based; 0 if none */
	uint32_t error_col;   /* 1-based byte column */
	void *arena;          /* owns every string above; private */
} impact_pyfacts;

/*
 * The name module-level import `imp` binds in its module, `*len` bytes of
 * it: `import a.b as x` x, `import a.b` a, `from m import n [as x]` n or
 * x, "*" for a star import; NULL for an import inside a function and for
 * a string naming a module (dynamic, plugin), which bind no module name.
 */
static inline const char *impact_import_bound(const impact_import *imp, size_t *len)
{
	const char *b;
	if (imp->symbol != IMPACT_SYMBOL_NONE ||
	    (imp->kind != IMPACT_IMPORT_MODULE && imp->kind != IMPACT_IMPORT_FROM))
		return NULL;
	b = imp->asname ? imp->asname : imp->name ? imp->name : imp->module;
	if (!b)
		return NULL;
	*len = imp->asname || imp->name ? strlen(b) : strcspn(b, ".");
	return b;
}

/* Does a module-level import of `f` bind `name` (len bytes), a star import included? */
static inline bool impact_imports_bind(const impact_pyfacts *f, const char *name, size_t len)
{
	for (size_t i = 0; i < f->nimports; i++) {
		size_t bl;
		const char *b = impact_import_bound(&f->imports[i], &bl);
		if (b && ((bl == len && !memcmp(b, name, len)) || !strcmp(b, "*")))
			return true;
	}
	return false;
}

/* A byte of a Python identifier (ASCII letters, digits, `_`, and any byte of a non-ASCII one). */
static inline bool impact_py_word_byte(unsigned char c)
{
	return c == '_' || c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

/* A tree-sitter parser for Python. One per thread; not shareable. */
typedef struct impact_pyparser impact_pyparser;

/*
 * NULL (with the error message set) only when the linked tree-sitter
 * library cannot load the Python grammar.
 */
impact_pyparser *impact_pyparser_new(void);
void impact_pyparser_free(impact_pyparser *parser);

/*
 * The parse budget per file in microseconds; 0 (the default) means 3 s
 * plus 1 s per MiB. A parse that runs out reports IMPACT_PYFACTS_TOO_LARGE.
 */
void impact_pyparser_set_timeout(impact_pyparser *parser, uint64_t micros);

/*
 * libtree-sitter before 0.20.8 (Debian 12 ships 0.20.7) keeps a node's
 * child count in 16 bits and corrupts memory past 65535 children. While
 * this is 1, big sources are parsed in pieces (runs of top-level
 * statements) kept under that by a token bound; a single statement too big
 * for it that may hold an import makes the module IMPACT_PYFACTS_TOO_LARGE.
 * Define it 0 when linking a fixed runtime.
 */
#ifndef IMPACT_TS_CHILD_COUNT_GUARD
#define IMPACT_TS_CHILD_COUNT_GUARD 1
#endif

/*
 * Extract the facts of the module whose source is `src` (`len` bytes, any
 * encoding; invalid UTF-8 and NUL bytes are tolerated). Never fails on bad
 * input: syntax errors and oversized sources are reported through `flags`.
 * Imports that a syntax error hid from the tree are read back from their
 * line and carry flags 0 (their context is unknown; 0 is the cautious
 * reading). Returns 0 and a new facts object in *out (caller frees with
 * impact_pyfacts_free), or IMPACT_ERROR if tree-sitter itself failed.
 */
int impact_pyfacts_extract(impact_pyfacts **out, impact_pyparser *parser,
                           const char *src, size_t len);

void impact_pyfacts_free(impact_pyfacts *facts);

/*
 * Classify changed lines of this module (`ranges`: n [first, last] pairs,
 * 1-based, inclusive). A line inside the body of a function or method
 * (after its signature) is a call-time change of it: its index is
 * appended to `call_time` once. Any other line (module-level code,
 * decorators, signatures, class bodies, one-line definitions, lines
 * between definitions) is an import-time change: the result is true. The
 * caller classifies the old side's lines against the old facts and the new
 * side's against the new facts (a pure insertion has new lines only). With
 * IMPACT_PYFACTS_SYNTAX_ERROR or _TOO_LARGE set, every line is import-time.
 */
bool impact_pyfacts_classify_lines(const impact_pyfacts *facts, const uint32_t (*ranges)[2],
                                   size_t n, impact_u32vec *call_time);

/*
 * The version of what is extracted and how it is encoded. Bump it with
 * any change to the extraction or to the encoding below: caches keyed by
 * blob id hold facts of one version only.
 */
#define IMPACT_PYFACTS_VERSION 27

/*
 * Append a compact, self-checking binary form of `facts` to `out` (for the
 * cache). Cannot fail but for the buffer's size cap.
 */
int impact_pyfacts_encode(impact_buf *out, const impact_pyfacts *facts);

/*
 * Rebuild facts from impact_pyfacts_encode's bytes. Damaged or truncated
 * input gives IMPACT_EINVALID (a cache treats that as a miss), never a
 * crash. Returns 0 and *out (free with impact_pyfacts_free).
 */
int impact_pyfacts_decode(impact_pyfacts **out, const void *data, size_t len);

/*
 * A compact copy of `facts` without symbols and references (flag
 * IMPACT_PYFACTS_SLIM; imports' `symbol` fields are then meaningless):
 * what the module graph needs, at a fraction of the memory. One block,
 * free with impact_pyfacts_free. Never NULL.
 */
impact_pyfacts *impact_pyfacts_slim(const impact_pyfacts *facts);

/* impact_pyfacts_decode straight to the slim copy, never holding the rest. */
int impact_pyfacts_decode_slim(impact_pyfacts **out, const void *data, size_t len);

/*
 * Write into the last four bytes of the `len` bytes at `data` the checksum
 * the decoders expect there (what impact_pyfacts_encode ends with): for
 * tests and fuzzers that make or damage records on purpose, so that what
 * follows the checksum is reached. Nothing when len < 4.
 */
void impact_pyfacts_seal(void *data, size_t len);

#endif
