/*
 * pydecor.c - what pytest's and caching decorators say about the function
 * under them, and fixtures requested by a string: a fixture decorator
 * (requested by its own name only, or not: `name=`, `autouse=True`,
 * options impact cannot read), a decorator that caches results
 * (IMPACT_SYMBOL_CACHED), and `usefixtures("db")` / `getfixturevalue("db")`
 * read as parameters so named. The symbol walk (pysymbols.c) asks; this
 * file only reads decorator and argument nodes.
 */
#include "pysymwalk.h"

const char *pyd_last_name(walker *w, TSNode e, size_t *len)
{
	e = pyi_unsplat(e);
	if (!ts_node_is_null(e) && kind_of(w, e) == K_ATTRIBUTE)
		e = ts_node_child_by_field_id(e, w->p->f_attribute);
	if (ts_node_is_null(e) || kind_of(w, e) != K_IDENTIFIER)
		return NULL;
	return node_text(w, e, len);
}

/* The last name of a decorator's callee (`fixture` of pytest.fixture(...)), or NULL. */
static const char *decorator_name(walker *w, TSNode dec, size_t *len)
{
	TSNode e = ts_node_named_child(dec, 0);
	if (!ts_node_is_null(e) && kind_of(w, e) == K_CALL)
		e = ts_node_child_by_field_id(e, w->p->f_function);
	return pyd_last_name(w, e, len);
}

/* The decorator's callee ends with `fixture` (pytest.fixture, fixture(...)). */
bool pyd_is_fixture_decorator(walker *w, TSNode dec)
{
	size_t len;
	const char *t = decorator_name(w, dec, &len);
	return t && len == 7 && !memcmp(t, "fixture", 7);
}

/*
 * A fixture decorator under which the fixture is requested by its
 * function's name only (IMPACT_SYMBOL_FIXTURE_BYNAME): no `name=`, no
 * `autouse=` other than False, no `**options` or `*args` whose keys
 * cannot be read.
 */
bool pyd_fixture_by_name(walker *w, TSNode dec)
{
	TSNode e = ts_node_named_child(dec, 0), args;
	uint32_t n;
	if (ts_node_is_null(e) || kind_of(w, e) != K_CALL)
		return true; /* @pytest.fixture */
	args = ts_node_child_by_field_id(e, w->p->f_arguments);
	n = ts_node_is_null(args) ? 0 : ts_node_named_child_count(args);
	for (uint32_t i = 0; i < n; i++) {
		TSNode a = ts_node_named_child(args, i), k, v;
		size_t len, vlen;
		const char *t, *vt;
		if (kind_of(w, a) == K_COMMENT)
			continue;
		if (kind_of(w, a) != K_KEYWORD_ARGUMENT) {
			const char *type = ts_node_type(a);
			if (!strcmp(type, "dictionary_splat") || !strcmp(type, "list_splat"))
				return false;
			continue; /* a positional scope, as old pytest took */
		}
		k = ts_node_child_by_field_id(a, w->p->f_name);
		v = ts_node_child_by_field_id(a, w->p->f_value);
		if (ts_node_is_null(k) || ts_node_is_null(v))
			return false;
		t = node_text(w, k, &len);
		vt = node_text(w, v, &vlen);
		if (len == 4 && !memcmp(t, "name", 4))
			return false;
		if (len == 7 && !memcmp(t, "autouse", 7) && !(vlen == 5 && !memcmp(vt, "False", 5)))
			return false;
	}
	return true;
}

/* Its last name holds "cache" or "memo", any case (IMPACT_SYMBOL_CACHED). */
bool pyd_is_caching_decorator(walker *w, TSNode dec)
{
	size_t len;
	const char *t = decorator_name(w, dec, &len);
	for (size_t i = 0; t && i + 4 <= len; i++) {
		char a[6] = { 0 };
		for (size_t k = 0; k < 5 && i + k < len; k++)
			a[k] = (char)((t[i + k] >= 'A' && t[i + k] <= 'Z') ? t[i + k] + 32 : t[i + k]);
		if (!memcmp(a, "memo", 4) || !memcmp(a, "cache", 5))
			return true;
	}
	return false;
}

/*
 * pytest.mark.usefixtures("db"), request.getfixturevalue("db"): a fixture
 * requested by a string is a parameter so named (IMPACT_SYMREF_PARAM);
 * one whose name is not a literal may be any ("*").
 */
void pyd_request_fixtures(symwalk *sw, TSNode args, uint32_t owner)
{
	walker *w = sw->w;
	uint32_t n = ts_node_is_null(args) ? 0 : ts_node_named_child_count(args);
	impact_buf v = IMPACT_BUF_INIT;
	for (uint32_t i = 0; i < n; i++) {
		TSNode a = ts_node_named_child(args, i);
		if (kind_of(w, a) == K_COMMENT || kind_of(w, a) == K_KEYWORD_ARGUMENT)
			continue;
		impact_buf_clear(&v);
		if (kind_of(w, a) == K_STRING && pyi_decode_one(w, a, &v) && v.size)
			pysw_add_ref(sw, owner, IMPACT_SYMREF_PARAM, v.ptr, v.size);
		else
			pysw_add_ref(sw, owner, IMPACT_SYMREF_PARAM, "*", 1);
	}
	impact_buf_release(&v);
}
