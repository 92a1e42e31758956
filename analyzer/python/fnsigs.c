/*
 * fnsigs.c - two sides of a module whose import-time code differs only
 * in plain functions' headers and plain classes' docstrings (fnhash.h:
 * `sigs`): which changed, which functions were added, and whether that is
 * all (see fnhash.h). The
 * static walk (precise_change.c) and the records (recdelta.c) both ask,
 * so that a signature change is a call-time change to both.
 */
#include "fnhash.h"

#include <string.h>

/*
 * The symbols of `f` named `name` (qualified: "C.m" is only ever class
 * C's): how many, and in *at the index of occurrence `nth`
 * (IMPACT_SYMBOL_NONE past the last).
 */
static size_t named(const impact_pyfacts *f, const char *name, size_t nth, uint32_t *at)
{
	size_t n = 0;
	*at = IMPACT_SYMBOL_NONE;
	for (size_t i = 0; i < f->nsymbols; i++)
		if (!strcmp(f->symbols[i].name, name) && n++ == nth)
			*at = (uint32_t)i;
	return n;
}

/* Which occurrence of its name among the symbols of `f` symbol `k` is (a property's getter, setter). */
static size_t occurrence(const impact_pyfacts *f, uint32_t k)
{
	size_t nth = 0;
	for (uint32_t i = 0; i < k; i++)
		nth += !strcmp(f->symbols[i].name, f->symbols[k].name);
	return nth;
}

/*
 * Does import-time code of `f` name `name`: module-level statements,
 * decorators and defaults (no owner), an assignment's value (owned by its
 * symbol), a class body (owned by the class)?
 */
static bool module_code_names(const impact_pyfacts *f, const char *name)
{
	size_t len = strlen(name);
	for (size_t i = 0; i < f->nrefs; i++) {
		const impact_symref *r = &f->refs[i];
		uint8_t owner = r->symbol < f->nsymbols ? f->symbols[r->symbol].kind : IMPACT_SYMBOL_CLASS;
		if (owner != IMPACT_SYMBOL_FUNCTION && owner != IMPACT_SYMBOL_METHOD &&
		    !strncmp(r->text, name, len) && (r->text[len] == '\0' || r->text[len] == '.'))
			return true;
	}
	return false;
}

/* Does `f` have one top-level `__all__`, a data-only list of names (no function comes into it unseen)? */
static bool literal_all(const impact_pyfacts *f)
{
	size_t n = 0;
	bool literal = false;
	for (size_t i = 0; i < f->nsymbols; i++) {
		const impact_symbol *s = &f->symbols[i];
		if (s->parent == IMPACT_SYMBOL_NONE && !strcmp(s->name, "__all__")) {
			n++;
			literal = s->kind == IMPACT_SYMBOL_ASSIGN && (s->flags & IMPACT_SYMBOL_LITERAL);
		}
	}
	return n == 1 && literal;
}

/*
 * See fnhash.h. The old side's plain entries must all be there, plain, on
 * the new side (occurrence by occurrence: typing.overload's stubs, then
 * the function; a property's getter and setter); each new one is then
 * added (a function or value nothing bound before, out of every star
 * import's reach), moved (its `sigat` differs: the code before it is not
 * the same), unchanged, or changed.
 */
bool impact_fnhashes_only_headers(const impact_pyfacts *of, const impact_fnhashes *oh,
                                  const impact_pyfacts *nf, const impact_fnhashes *nh,
                                  impact_u32vec *syms, impact_u32vec *added, impact_u32vec *reheaded)
{
	uint32_t j, k;
	if (!oh->sig || !nh->sig || oh->sigs != nh->sigs)
		return false;
	for (uint32_t i = 0; i < of->nsymbols; i++) {
		const char *name = of->symbols[i].name;
		if (oh->sig[i] && (named(of, name, 0, &j) != named(nf, name, occurrence(of, i), &k) ||
		                   k == IMPACT_SYMBOL_NONE || !nh->sig[k]))
			return false; /* gone, or no longer plain */
	}
	for (uint32_t i = 0; i < nf->nsymbols; i++) {
		const char *name = nf->symbols[i].name;
		if (!nh->sig[i])
			continue;
		if (impact_imports_bind(nf, name, strlen(name)))
			return false;
		if (!named(of, name, occurrence(nf, i), &j)) {
			/*
			 * Added: a function or value nothing bound before, out of
			 * every star import's reach. Not a method: a new attribute of
			 * a class may shadow a base's (the MRO) or change what hasattr
			 * says. Not a dunder (__all__, __getattr__...): Python reads it.
			 */
			bool hidden = name[0] == '_' && !(nf->symbols[i].flags & IMPACT_SYMBOL_DUNDER) &&
			              strncmp(name, "__", 2);
			uint8_t kind = nf->symbols[i].kind;
			if ((kind != IMPACT_SYMBOL_FUNCTION && kind != IMPACT_SYMBOL_ASSIGN) || impact_imports_bind(of, name, strlen(name)) ||
			    module_code_names(nf, name) || !(hidden || literal_all(nf)))
				return false;
			impact_u32vec_push(added, i);
		} else if (j == IMPACT_SYMBOL_NONE || !oh->sig[j] ||
		           (oh->sigat[j] != nh->sigat[i] && nf->symbols[i].kind != IMPACT_SYMBOL_CLASS)) {
			return false; /* not plain before, or moved across module code (a docstring cannot) */
		} else if (oh->sig[j] == nh->sig[i]) {
			continue;
		} else {
			impact_u32vec_push(reheaded, i);
		}
		if (!impact_u32vec_has(syms, i))
			impact_u32vec_push(syms, i);
	}
	return true;
}

