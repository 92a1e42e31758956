/*
 * test_toml.c - TOML through the tree-sitter grammar: values, positions,
 * the semantic rules, and errors with their positions. Cases are data.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "buf.h"
#include "toml.h"

/* Render a value compactly: {k=v,...} [a,b] "s" 1 2.5 true <dt>. */
static void render(impact_buf *b, const impact_toml_value *v)
{
	switch (v->kind) {
	case IMPACT_TOML_TABLE:
		impact_buf_putc(b, '{');
		for (size_t i = 0; i < v->u.tbl.n; i++) {
			impact_buf_printf(b, "%s%s=", i ? "," : "", v->u.tbl.kv[i].key);
			render(b, v->u.tbl.kv[i].value);
		}
		impact_buf_putc(b, '}');
		break;
	case IMPACT_TOML_ARRAY:
		impact_buf_putc(b, '[');
		for (size_t i = 0; i < v->u.arr.n; i++) {
			if (i)
				impact_buf_putc(b, ',');
			render(b, v->u.arr.items[i]);
		}
		impact_buf_putc(b, ']');
		break;
	case IMPACT_TOML_STRING: impact_buf_printf(b, "\"%s\"", v->u.s); break;
	case IMPACT_TOML_INTEGER: impact_buf_printf(b, "%lld", (long long)v->u.i); break;
	case IMPACT_TOML_FLOAT: impact_buf_printf(b, "%g", v->u.f); break;
	case IMPACT_TOML_BOOL: impact_buf_puts(b, v->u.b ? "true" : "false"); break;
	case IMPACT_TOML_DATETIME: impact_buf_printf(b, "<%s>", v->u.s); break;
	}
}

typedef struct tcase {
	const char *name, *src, *expect; /* expect: rendering, or "ERR <message>" */
} tcase;

static const tcase cases[] = {
	{ "empty", "", "{}" },
	{ "comment_only", "# just a comment\n", "{}" },
	{ "basic_string", "a = \"x\\ty\\u00e9\\\"\"\n", "{a=\"x\ty\xc3\xa9\"\"}" },
	{ "literal_string", "a = 'C:\\path'\n", "{a=\"C:\\path\"}" },
	{ "multiline_basic", "a = \"\"\"\nl1\nl2\"\"\"\n", "{a=\"l1\nl2\"}" },
	{ "multiline_backslash", "a = \"\"\"\nx \\\n   y\"\"\"\n", "{a=\"x y\"}" },
	{ "multiline_literal", "a = '''\nraw \\n'''\n", "{a=\"raw \\n\"}" },
	{ "integers", "a = 1_000\nb = 0xff\nc = 0o17\nd = 0b101\ne = -17\nf = +3\n",
	  "{a=1000,b=255,c=15,d=5,e=-17,f=3}" },
	{ "floats", "a = 3.5e2\nb = -inf\nc = 1_0.5\n", "{a=350,b=-inf,c=10.5}" },
	{ "bools", "a = true\nb = false\n", "{a=true,b=false}" },
	{ "datetime", "a = 1979-05-27T07:32:00Z\nb = 1979-05-27\n",
	  "{a=<1979-05-27T07:32:00Z>,b=<1979-05-27>}" },
	{ "arrays", "a = [1, [2, 3], \"s\",]\nb = []\n", "{a=[1,[2,3],\"s\"],b=[]}" },
	{ "inline_table", "a = { x = 1, y.z = \"q\" }\n", "{a={x=1,y={z=\"q\"}}}" },
	{ "dotted_keys", "a.b.c = 1\na.b.d = 2\n", "{a={b={c=1,d=2}}}" },
	{ "quoted_keys", "\"k e y\" = 1\n'lit' = 2\n", "{k e y=1,lit=2}" },
	{ "tables", "x = 0\n[t]\na = 1\n[t.u]\nb = 2\n", "{x=0,t={a=1,u={b=2}}}" },
	{ "implicit_then_defined", "[a.b]\nx = 1\n[a]\ny = 2\n", "{a={b={x=1},y=2}}" },
	{ "array_of_tables", "[[r]]\nn = 1\n[[r]]\nn = 2\n[r.sub]\nm = 3\n",
	  "{r=[{n=1},{n=2,sub={m=3}}]}" },
	{ "pyproject", "[project]\nname = \"p\"\n\n[tool.pytest.ini_options]\n"
	               "testpaths = [\"tests\"]\naddopts = \"-ra -q\"\n",
	  "{project={name=\"p\"},tool={pytest={ini_options={testpaths=[\"tests\"],addopts=\"-ra -q\"}}}}" },
	{ "dup_key", "a = 1\na = 2\n", "ERR t.toml:2:1: duplicate key 'a' (each key may be set once)" },
	{ "dup_table", "[t]\nx = 1\n[t]\ny = 2\n", "ERR t.toml:3:2: table 't' is defined twice (merge the two sections)" },
	{ "key_then_table", "a = 1\n[a]\n", "ERR t.toml:2:2: 'a' is a value, not a table" },
	{ "dotted_over_value", "a = 1\na.b = 2\n", "ERR t.toml:2:1: 'a' is already defined: a key cannot also be a table (merge the two definitions)" },
	{ "extend_inline", "a = { x = 1 }\n[a]\ny = 2\n", "ERR t.toml:2:2: table 'a' is defined twice (merge the two sections)" },
	{ "aot_over_table", "[a]\n[[a]]\n", "ERR t.toml:2:3: 'a' is already defined and is not an array of tables" },
	{ "syntax_error", "a = = 1\n", "ERR t.toml:1:" },
	{ "unclosed_array", "x = [1, 2\n", "ERR t.toml:1:" },
	{ "bad_escape", "a = \"\\q\"\n", "ERR t.toml:1:" },
	{ "nul_byte", "a = 1\nb\0 = 2\n", "ERR t.toml:2:2: a NUL byte (is this a text file?)" },
	{ "int_overflow", "a = 99999999999999999999\n", "ERR t.toml:1:5: integer out of range or malformed" },
};

static void toml__cases(void **state)
{
	int failures = 0;
	(void)state;
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(cases); i++) {
		const tcase *c = &cases[i];
		impact_toml_doc *doc = NULL;
		impact_buf got = IMPACT_BUF_INIT;
		size_t len = strlen(c->src);
		if (!strcmp(c->name, "nul_byte"))
			len = 13;
		int rc = impact_toml_parse(&doc, c->src, len, "t.toml");
		if (rc == 0)
			render(&got, doc->root);
		else
			impact_buf_printf(&got, "ERR %s", impact_error_last());
		bool ok = !strncmp(c->expect, "ERR", 3) ? rc == IMPACT_EINVALID &&
		          !strncmp(got.ptr, c->expect, strlen(c->expect)) : !strcmp(got.ptr, c->expect);
		if (!ok) {
			print_error("case %s: expected '%s', got '%s'\n", c->name, c->expect, got.ptr);
			failures++;
		}
		impact_toml_free(doc);
		impact_buf_release(&got);
	}
	assert_int_equal(failures, 0);
}

static void toml__positions_and_get(void **state)
{
	static const char src[] = "top = 1\n\n[tool.pytest.ini_options]\n  testpaths = [\"a\", \"b\"]\n";
	impact_toml_doc *doc = NULL;
	const impact_toml_value *t;
	const impact_toml_kv *kv;
	(void)state;
	assert_int_equal(impact_toml_parse(&doc, src, sizeof(src) - 1, "p.toml"), 0);
	t = impact_toml_get(doc->root, "tool.pytest.ini_options");
	assert_non_null(t);
	assert_int_equal(t->kind, IMPACT_TOML_TABLE);
	kv = impact_toml_find(t, "testpaths");
	assert_non_null(kv);
	assert_int_equal(kv->line, 4);
	assert_int_equal(kv->col, 3);
	assert_int_equal(kv->value->line, 4);
	assert_int_equal(kv->value->col, 15);
	assert_int_equal(kv->value->u.arr.n, 2);
	assert_null(impact_toml_get(doc->root, "tool.nope"));
	assert_null(impact_toml_get(doc->root, "top.x"));
	assert_string_equal(impact_toml_kind_name(IMPACT_TOML_ARRAY), "an array");
	impact_toml_free(doc);
	impact_toml_free(NULL);
}

static void toml__hostile_input(void **state)
{
	impact_buf src = IMPACT_BUF_INIT;
	impact_toml_doc *doc = NULL;
	(void)state;
	/* Deep nesting: an error, never a stack overflow. */
	impact_buf_puts(&src, "a = ");
	for (int i = 0; i < 5000; i++)
		impact_buf_putc(&src, '[');
	for (int i = 0; i < 5000; i++)
		impact_buf_putc(&src, ']');
	impact_buf_putc(&src, '\n');
	assert_int_equal(impact_toml_parse(&doc, src.ptr, src.size, "deep.toml"), IMPACT_EINVALID);
	/* Non-UTF-8 bytes in a string are kept, not a crash. */
	impact_buf_sets(&src, "a = \"\xff\xfe\"\n");
	int rc = impact_toml_parse(&doc, src.ptr, src.size, "bytes.toml");
	assert_true(rc == 0 || rc == IMPACT_EINVALID);
	impact_toml_free(doc);
	doc = NULL;
	/* Garbage. */
	impact_buf_clear(&src);
	for (int i = 0; i < 20000; i++)
		impact_buf_putc(&src, (char)("[]=\"'{},.\n#ab1"[i % 14]));
	impact_toml_parse(&doc, src.ptr, src.size, "junk.toml");
	impact_toml_free(doc);
	impact_buf_release(&src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(toml__cases),
		cmocka_unit_test(toml__positions_and_get),
		cmocka_unit_test(toml__hostile_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
