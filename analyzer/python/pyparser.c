/*
 * pyparser.c - the tree-sitter parser of the Python extractor: the
 * grammar's node kinds and field ids mapped once per parser (integer
 * compares per node, never strcmp), a parse within a CPU-time budget on
 * old and new tree-sitter runtimes alike, and freeing the facts the
 * extractor returns. What is read from a tree is pyimports.c (imports)
 * and pysymbols.c (symbols); this file only makes trees.
 */
#include "pyimports_private.h"

#include <time.h>

const TSLanguage *tree_sitter_python(void);

/* ---- arena ------------------------------------------------------------ */



static void arena_free(arena *a)
{
	if (!a)
		return;
	impact_arena_release(a);
	free(a);
}

/* ---- the parser ------------------------------------------------------- */


static const struct {
	const char *name;
	uint8_t kind;
} kind_names[] = {
	{ "import_statement", K_IMPORT },
	{ "import_from_statement", K_IMPORT_FROM },
	{ "future_import_statement", K_FUTURE_IMPORT },
	{ "function_definition", K_FUNCTION },
	{ "lambda", K_LAMBDA },
	{ "class_definition", K_CLASS },
	{ "if_statement", K_IF },
	{ "elif_clause", K_ELIF },
	{ "else_clause", K_ELSE },
	{ "try_statement", K_TRY },
	{ "for_statement", K_FOR },
	{ "while_statement", K_WHILE },
	{ "with_statement", K_WITH },
	{ "match_statement", K_MATCH },
	{ "call", K_CALL },
	{ "subscript", K_SUBSCRIPT },
	{ "assignment", K_ASSIGNMENT },
	{ "augmented_assignment", K_AUG_ASSIGNMENT },
	{ "string", K_STRING },
	{ "string_content", K_STRING_CONTENT },
	{ "concatenated_string", K_CONCAT_STRING },
	{ "dotted_name", K_DOTTED_NAME },
	{ "aliased_import", K_ALIASED_IMPORT },
	{ "relative_import", K_RELATIVE_IMPORT },
	{ "import_prefix", K_IMPORT_PREFIX },
	{ "wildcard_import", K_WILDCARD },
	{ "identifier", K_IDENTIFIER },
	{ "attribute", K_ATTRIBUTE },
	{ "argument_list", K_ARGUMENT_LIST },
	{ "keyword_argument", K_KEYWORD_ARGUMENT },
	{ "parenthesized_expression", K_PAREN },
	{ "list", K_LIST },
	{ "tuple", K_TUPLE },
	{ "expression_list", K_EXPR_LIST },
	{ "not_operator", K_NOT },
	{ "binary_operator", K_BINARY },
	{ "integer", K_INTEGER },
	{ "none", K_NONE },
	{ "comment", K_COMMENT },
	{ "decorated_definition", K_DECORATED },
	{ "decorator", K_DECORATOR },
	{ "parameters", K_PARAMETERS },
	{ "lambda_parameters", K_LAMBDA_PARAMETERS },
	{ "default_parameter", K_DEFAULT_PARAM },
	{ "typed_parameter", K_TYPED_PARAM },
	{ "typed_default_parameter", K_TYPED_DEFAULT_PARAM },
	{ "list_splat_pattern", K_SPLAT_PATTERN },
	{ "dictionary_splat_pattern", K_SPLAT_PATTERN },
	{ "global_statement", K_GLOBAL },
	{ "nonlocal_statement", K_NONLOCAL },
	{ "pattern_list", K_PATTERN_LIST },
	{ "tuple_pattern", K_TUPLE_PATTERN },
	{ "list_pattern", K_LIST_PATTERN },
};


static TSFieldId field_id(const TSLanguage *lang, const char *name)
{
	return ts_language_field_id_for_name(lang, name, (uint32_t)strlen(name));
}

impact_pyparser *impact_pyparser_new(void)
{
	const TSLanguage *lang = tree_sitter_python();
	impact_pyparser *p = impact_xcalloc(1, sizeof(*p));

	p->ts = ts_parser_new();
	if (!ts_parser_set_language(p->ts, lang)) {
		impact_error_set(IMPACT_ERROR,
		                 "the python grammar (ABI %u) does not fit this "
		                 "tree-sitter library; rebuild impact against a "
		                 "matching libtree-sitter",
		                 ts_language_version(lang));
		impact_pyparser_free(p);
		return NULL;
	}

	/*
	 * Kinds by symbol, mapped by name once: a name can have several
	 * symbols (aliases), and integer compares beat strcmp per node.
	 */
	p->nsymbols = ts_language_symbol_count(lang);
	p->kinds = impact_xcalloc(p->nsymbols, 1);
	for (uint32_t s = 0; s < p->nsymbols; s++) {
		const char *name;
		if (ts_language_symbol_type(lang, (TSSymbol)s) != TSSymbolTypeRegular)
			continue;
		name = ts_language_symbol_name(lang, (TSSymbol)s);
		for (size_t i = 0; name && i < IMPACT_ARRAY_SIZE(kind_names); i++) {
			if (!strcmp(name, kind_names[i].name)) {
				p->kinds[s] = kind_names[i].kind;
				break;
			}
		}
	}

	p->f_name = field_id(lang, "name");
	p->f_alias = field_id(lang, "alias");
	p->f_module_name = field_id(lang, "module_name");
	p->f_body = field_id(lang, "body");
	p->f_condition = field_id(lang, "condition");
	p->f_consequence = field_id(lang, "consequence");
	p->f_alternative = field_id(lang, "alternative");
	p->f_function = field_id(lang, "function");
	p->f_arguments = field_id(lang, "arguments");
	p->f_attribute = field_id(lang, "attribute");
	p->f_left = field_id(lang, "left");
	p->f_right = field_id(lang, "right");
	p->f_argument = field_id(lang, "argument");
	p->f_value = field_id(lang, "value");
	p->f_operator = field_id(lang, "operator");
	p->f_parameters = field_id(lang, "parameters");
	p->f_superclasses = field_id(lang, "superclasses");
	p->f_definition = field_id(lang, "definition");
	p->f_object = field_id(lang, "object");
	p->f_type = field_id(lang, "type");
	p->f_return_type = field_id(lang, "return_type");
	return p;
}

void impact_pyparser_free(impact_pyparser *p)
{
	if (!p)
		return;
	if (p->ts)
		ts_parser_delete(p->ts);
	free(p->kinds);
	free(p);
}

void impact_pyparser_set_timeout(impact_pyparser *p, uint64_t micros)
{
	p->timeout_us = micros;
}

void impact_pyfacts_free(impact_pyfacts *facts)
{
	if (!facts)
		return;
	/* Decoded facts are one block (arena NULL): imports and strings inside. */
	if (facts->arena) {
		free(facts->imports);
		free(facts->strings);
		free(facts->symbols);
		free(facts->refs);
		arena_free(facts->arena);
	}
	free(facts);
}

/*
 * The parse budget counts this thread's CPU time, not the wall clock: a
 * file is "too large" because of what it holds, never because the machine
 * was busy (a loaded CI runner would otherwise give up on files an idle
 * one reads, and select differently).
 */
uint64_t pyi_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

#if TREE_SITTER_LANGUAGE_VERSION >= 15
/* tree-sitter 0.25+: parse with a progress callback that checks the CPU budget. */
static bool out_of_budget(TSParseState *state)
{
	return pyi_now_us() >= *(const uint64_t *)state->payload;
}

typedef struct src_view {
	const char *ptr;
	size_t len;
} src_view;

static const char *read_whole(void *payload, uint32_t byte, TSPoint at, uint32_t *n)
{
	const src_view *v = payload;
	IMPACT_UNUSED(at);
	*n = byte < v->len ? (uint32_t)(v->len - byte) : 0;
	return *n ? v->ptr + byte : "";
}

TSTree *pyi_parse_within(TSParser *ts, const char *src, size_t len, uint64_t deadline)
{
	src_view whole = { src, len };
	TSInput in = { &whole, read_whole, TSInputEncodingUTF8, NULL };
	TSParseOptions o = { &deadline, out_of_budget };
	return ts_parser_parse_with_options(ts, NULL, in, o);
}
#else
/* Older runtimes: their own timeout, on the wall clock. */
TSTree *pyi_parse_within(TSParser *ts, const char *src, size_t len, uint64_t deadline)
{
	uint64_t now = pyi_now_us();
	ts_parser_set_timeout_micros(ts, deadline > now ? deadline - now : 1);
	return ts_parser_parse_string(ts, NULL, src, (uint32_t)len);
}
#endif
