/*
 * toml.h - TOML documents, parsed with the tree-sitter TOML grammar.
 *
 * Owns turning TOML text into a tree of values that remember their
 * position (for `file:line:col` messages). Covers TOML 1.0: bare, quoted
 * and dotted keys, [tables], [[arrays of tables]], inline tables, all four
 * string forms with escapes, integers (dec/hex/oct/bin, underscores),
 * floats (inf, nan), booleans, date-times (kept as their text). Duplicate
 * keys and redefined tables are errors, as TOML says. Knows nothing of
 * what the keys mean (config.c, pytestcfg.c do).
 */
#ifndef IMPACT_TOML_H
#define IMPACT_TOML_H

#include "common.h"

typedef enum impact_toml_kind {
	IMPACT_TOML_STRING,
	IMPACT_TOML_INTEGER,
	IMPACT_TOML_FLOAT,
	IMPACT_TOML_BOOL,
	IMPACT_TOML_DATETIME, /* value in .u.s, as written */
	IMPACT_TOML_ARRAY,
	IMPACT_TOML_TABLE,
} impact_toml_kind;

typedef struct impact_toml_value impact_toml_value;

typedef struct impact_toml_kv {
	const char *key;          /* one key segment, unescaped */
	uint32_t line, col;       /* where the key is written, 1-based */
	impact_toml_value *value;
} impact_toml_kv;

struct impact_toml_value {
	impact_toml_kind kind;
	uint32_t line, col; /* where the value starts, 1-based (tables: header) */
	unsigned parse_flags; /* private to the parser: how a table came to be */
	union {
		const char *s; /* STRING (UTF-8, NUL-free), DATETIME */
		int64_t i;
		double f;
		bool b;
		struct { impact_toml_value **items; size_t n; } arr;
		struct { impact_toml_kv *kv; size_t n; } tbl; /* in document order */
	} u;
};

typedef struct impact_toml_doc {
	impact_toml_value *root; /* a TABLE */
	void *arena;             /* private: owns every value and string */
} impact_toml_doc;

/*
 * Parse `len` bytes of `src`. `filename` is used in messages only. On
 * malformed input returns IMPACT_EINVALID with a message
 * "<filename>:<line>:<col>: <what is wrong>". Returns 0 and *out (free
 * with impact_toml_free).
 */
int impact_toml_parse(impact_toml_doc **out, const char *src, size_t len,
                      const char *filename);
void impact_toml_free(impact_toml_doc *doc);

/*
 * Look up a dotted path of bare segments ("tool.pytest.ini_options") from
 * `table`. Returns the value or NULL (absent, or a segment is not a table).
 */
const impact_toml_value *impact_toml_get(const impact_toml_value *table,
                                         const char *dotted);
/* The kv of `key` directly in `table`, or NULL. */
const impact_toml_kv *impact_toml_find(const impact_toml_value *table,
                                       const char *key);
const char *impact_toml_kind_name(impact_toml_kind kind);

#endif
