/*
 * pyimports_private.h - what the Python extractor's files share: the
 * parser (node kinds and field ids), the walker over one syntax tree, the
 * pieces a large source is parsed in, and the steps the extraction entry
 * (pyextract.c: impact_pyfacts_extract) runs. The way git keeps
 * diffcore.h private to the diff machinery: only analyzer/python/py*.c
 * include it, the library's interface is pyimports.h.
 *
 *   pyparser.c       the parser: node kinds, field ids, a parse in budget
 *   pypieces.c       a large source cut into pieces; the keyword index
 *   pyimports.c      the walk for imports over one tree
 *   pyrecover.c      imports a syntax error hid, read again by a lexer
 *   pystrings.c      string literals decoded; string evidence
 *   pysymbols.c      symbols and references (precise selection)
 *   pyextract.c      the extraction entry: runs the steps above
 *   pyfacts_codec.c  facts to bytes and back (the cache)
 */
#ifndef IMPACT_PYIMPORTS_PRIVATE_H
#define IMPACT_PYIMPORTS_PRIVATE_H

#include "pyimports.h"

#include "arena.h"
#include "buf.h"

#include <tree_sitter/api.h>

#define TS_ERROR_SYMBOL ((TSSymbol)-1)

/*
 * Parse time budget when none was set: base plus a share per MiB, in CPU
 * time of an optimised build. An unoptimised or sanitizer build (CI's
 * AddressSanitizer run, a debugger's build) parses several times slower,
 * and must read the same modules, not give up on them: its budget is ten
 * times the size.
 */
#if defined(__SANITIZE_ADDRESS__) || !defined(__OPTIMIZE__)
#define PARSE_BUDGET_SCALE 10ull
#else
#define PARSE_BUDGET_SCALE 1ull
#endif
#define DEFAULT_TIMEOUT_BASE_US (3000000ull * PARSE_BUDGET_SCALE)
#define DEFAULT_TIMEOUT_PER_MIB_US (1000000ull * PARSE_BUDGET_SCALE)

/* Facts own their strings through an impact_arena (arena.h). */
typedef impact_arena arena;

static inline const char *arena_strndup(arena *a, const char *s, size_t n)
{
	return impact_arena_strndup(a, s, n);
}


enum kind {
	K_OTHER = 0,
	K_ERROR,
	K_IMPORT,
	K_IMPORT_FROM,
	K_FUTURE_IMPORT,
	K_FUNCTION,
	K_LAMBDA,
	K_CLASS,
	K_IF,
	K_ELIF,
	K_ELSE,
	K_TRY,
	K_FOR,
	K_WHILE,
	K_WITH,
	K_MATCH,
	K_CALL,
	K_ASSIGNMENT,
	K_AUG_ASSIGNMENT,
	K_STRING,
	K_STRING_CONTENT,
	K_CONCAT_STRING,
	K_DOTTED_NAME,
	K_ALIASED_IMPORT,
	K_RELATIVE_IMPORT,
	K_IMPORT_PREFIX,
	K_WILDCARD,
	K_IDENTIFIER,
	K_ATTRIBUTE,
	K_ARGUMENT_LIST,
	K_KEYWORD_ARGUMENT,
	K_PAREN,
	K_LIST,
	K_TUPLE,
	K_EXPR_LIST,
	K_NOT,
	K_BINARY,
	K_INTEGER,
	K_NONE,
	K_COMMENT,
	K_DECORATED,
	K_DECORATOR,
	K_PARAMETERS,
	K_LAMBDA_PARAMETERS,
	K_DEFAULT_PARAM,
	K_TYPED_PARAM,
	K_TYPED_DEFAULT_PARAM,
	K_SPLAT_PATTERN,
	K_GLOBAL,
	K_NONLOCAL,
	K_PATTERN_LIST,
	K_TUPLE_PATTERN,
	K_LIST_PATTERN,
	K_SUBSCRIPT,
};

struct impact_pyparser {
	TSParser *ts;
	uint64_t timeout_us; /* 0: the default budget */
	uint8_t *kinds;      /* by public symbol */
	uint32_t nsymbols;
	TSFieldId f_name, f_alias, f_module_name, f_body, f_condition,
		f_consequence, f_alternative, f_function, f_arguments,
		f_attribute, f_left, f_right, f_argument, f_value, f_operator,
		f_parameters, f_superclasses, f_definition, f_object, f_type, f_return_type;
};

typedef struct mark {
	uint32_t off, row; /* a line start */
} mark;

enum { TC_NO = 0, TC_YES, TC_NOT };

typedef struct frame {
	uint8_t kind;
	uint8_t flags; /* IMPACT_IMPORT_* in force at this node */
	uint8_t tc;    /* K_IF/K_ELIF: what the condition says of TYPE_CHECKING */
} frame;

typedef struct walker {
	const impact_pyparser *p;
	const char *src;
	size_t len;
	impact_pyfacts *facts;
	arena *arena;
	size_t alloc; /* of facts->imports */

	const uint32_t *kw; /* sorted offsets of "import" and "pytest" */
	size_t nkw;

	frame *frames;
	size_t aframes;

	/*
	 * Cursors for looking inside one node; a nested helper takes the
	 * next. Each is allocated once, so a pointer held by an outer helper
	 * stays valid while the list grows.
	 */
	TSTreeCursor **cursors;
	size_t ncursors_made, ncursors_used, acursors;

	impact_buf module; /* the module of the statement being read */
	impact_buf text;   /* a name or decoded literal */
	impact_buf alias;

	TSNode *work; /* pytest_plugins values still to read */
	size_t nwork, awork;

	size_t piece_first; /* first record of the piece being read */
	bool whole;         /* the tree being read is the whole module (not a piece) */
} walker;

typedef struct piece {
	mark start, end; /* end.off == len for the last piece */
	bool skip;       /* too big to parse, and its text holds no keyword */
} piece;

static inline uint8_t kind_of(const walker *w, TSNode n)
{
	TSSymbol s = ts_node_symbol(n);
	if (s == TS_ERROR_SYMBOL)
		return K_ERROR;
	return s < w->p->nsymbols ? w->p->kinds[s] : K_OTHER;
}


static inline const char *node_text(const walker *w, TSNode n, size_t *len)
{
	uint32_t start = ts_node_start_byte(n), end = ts_node_end_byte(n);
	if (end > w->len)
		end = (uint32_t)w->len;
	if (start > end)
		start = end;
	*len = end - start;
	return w->src + start;
}


/* Character classes and the keyword index (the offsets of "import" and
 * "pytest" in the source), read by the walk, the recovery and the guard. */
static inline bool is_word(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '_';
}

static inline bool is_digit(unsigned char ch)
{
	return ch >= '0' && ch <= '9';
}

static inline bool starts_keyword(const char *s, size_t n, const char *kw)
{
	size_t k = strlen(kw);
	return n >= k && !memcmp(s, kw, k) && (n == k || !is_word((unsigned char)s[k]));
}

/* The index of the first keyword offset at or after `start`. */
static inline size_t kw_first(const walker *w, size_t start)
{
	size_t lo = 0, hi = w->nkw;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (w->kw[mid] < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Does [start, end) hold a whole "import" or "pytest"? Both are 6 bytes,
 * so if the first one from `start` overruns `end`, so do all later ones.
 */
static inline bool kw_within(const walker *w, uint32_t start, uint32_t end)
{
	size_t k = kw_first(w, start);
	return k < w->nkw && (uint64_t)w->kw[k] + 6 <= end;
}

/* The characters of a Python identifier (ASCII). */
static inline bool id_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static inline bool id_char(unsigned char c)
{
	return id_start(c) || (c >= '0' && c <= '9');
}

void pyi_recover(walker *w, TSNode root, mark from, uint32_t end);
void pyi_walk(walker *w, TSNode root);
bool pyi_first_error(TSNode root, TSPoint *out);
void pyi_plan_pieces(const walker *w, piece **out, size_t *npieces, bool *too_large);
void pyi_index_keywords(const char *s, size_t len, uint32_t **out, size_t *n);
uint64_t pyi_now_us(void);
TSTree *pyi_parse_within(TSParser *ts, const char *src, size_t len, uint64_t deadline);
void pyi_emit(walker *w, uint8_t kind, const char *module, size_t mlen,
              const char *name, size_t nlen, const char *asname,
              size_t alen, uint32_t line, unsigned level, uint8_t flags);
bool pyi_decode_one(walker *w, TSNode n, impact_buf *out);
void pyi_collect_symbols(walker *w, TSNode root);
void pyi_scan_strings(impact_pyfacts *facts, arena *a, const char *src, size_t len);

/*
 * What a node stands for under the grammar's one misreading: a splat
 * first in a list or set (`[*pp.L]`, `[*getattr(o, n)]`, `{*f()}`) is
 * parsed as `(*pp).L`, `(*getattr)(o, n)`: the splat as the object of the
 * attribute, or as the callee of the call. Python splats the whole
 * expression, so the node under the splat is the object or the callee.
 */
TSNode pyi_unsplat(TSNode n);

#endif
