/*
 * pyclassify.c - which changed lines are import-time code and which are
 * function bodies (impact_pyfacts_classify_lines, see pyimports.h): the
 * line ranges of a diff against the symbols the extractor found. Split
 * from the symbol walk (pysymbols.c), which only reads them.
 */
#include "pyimports.h"

bool impact_pyfacts_classify_lines(const impact_pyfacts *f, const uint32_t (*ranges)[2],
                                   size_t n, impact_u32vec *call_time)
{
	bool import_time = false;
	if (!n)
		return false;
	if (f->flags & (IMPACT_PYFACTS_SYNTAX_ERROR | IMPACT_PYFACTS_TOO_LARGE))
		return true;
	for (size_t r = 0; r < n; r++) {
		for (uint32_t line = ranges[r][0]; line <= ranges[r][1] && line; line++) {
			uint32_t owner = IMPACT_SYMBOL_NONE;
			for (size_t k = 0; k < f->nsymbols; k++) {
				const impact_symbol *s = &f->symbols[k];
				if ((s->kind == IMPACT_SYMBOL_FUNCTION || s->kind == IMPACT_SYMBOL_METHOD) &&
				    !(s->flags & IMPACT_SYMBOL_ONE_LINER) &&
				    s->body_start_line <= line && line <= s->body_end_line)
					owner = (uint32_t)k; /* later = inner (a method after its class) */
			}
			if (owner == IMPACT_SYMBOL_NONE) {
				import_time = true;
				/* A long range past every symbol need not be walked line by line. */
				if (ranges[r][1] - line > 100000)
					break;
				continue;
			}
			{
				bool have = false;
				for (size_t i = 0; i < call_time->n && !have; i++)
					have = call_time->v[i] == owner;
				if (!have)
					impact_u32vec_push(call_time, owner);
			}
			/* Skip to the end of this body. */
			if (f->symbols[owner].body_end_line >= ranges[r][1])
				break;
			line = f->symbols[owner].body_end_line;
		}
	}
	return import_time;
}
