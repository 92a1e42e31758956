/*
 * pyfacts_codec.c - facts to bytes and back (impact_pyfacts_encode,
 * impact_pyfacts_decode and its slim variant, see pyimports.h): the form
 * the parse cache stores by blob id. Apart from the extractor because it
 * is a format with its own rules (versioned by IMPACT_PYFACTS_VERSION,
 * checksummed, every read bounds-checked through bytes.h) and its own
 * fuzz target.
 */
#include "pyimports.h"

#include "bytes.h"


/*
 * Little-endian: "IPF" + version byte, u32 flags, u32 error_line,
 * u32 error_col, u32 nimports, u32 nstrings, then per import u8 kind,
 * u8 flags, u16 level, u32 line, u32 symbol and three strings (module,
 * name, asname), each a u32 length (UINT32_MAX = NULL) and its bytes; then
 * per string evidence u8 kind, u32 line, one string; then u32 nsymbols,
 * u32 nrefs, per symbol u8 kind, u16 flags (low byte first), six u32 (parent, start, end,
 * def, body start, body end lines) and its name, per reference u8 kind,
 * u32 symbol and its text; last a u32 checksum of all bytes before it, so a
 * torn or damaged record is never taken for facts.
 */

static void put_str(impact_buf *b, const char *s)
{
	if (!s) {
		impact_bytes_put_u32(b, UINT32_MAX);
		return;
	}
	impact_bytes_put_u32(b, (uint32_t)strlen(s));
	impact_buf_puts(b, s);
}

int impact_pyfacts_encode(impact_buf *out, const impact_pyfacts *facts)
{
	size_t start = out->size;
	impact_buf_put(out, "IPF", 3);
	impact_buf_putc(out, (char)IMPACT_PYFACTS_VERSION);
	impact_bytes_put_u32(out, facts->flags & ~(uint32_t)IMPACT_PYFACTS_SLIM);
	impact_bytes_put_u32(out, facts->error_line);
	impact_bytes_put_u32(out, facts->error_col);
	impact_bytes_put_u32(out, (uint32_t)facts->nimports);
	impact_bytes_put_u32(out, (uint32_t)facts->nstrings);
	for (size_t i = 0; i < facts->nimports; i++) {
		const impact_import *im = &facts->imports[i];
		unsigned char head[4] = { im->kind, im->flags, (unsigned char)im->level,
		                          (unsigned char)(im->level >> 8) };
		impact_buf_put(out, head, 4);
		impact_bytes_put_u32(out, im->line);
		impact_bytes_put_u32(out, im->symbol);
		put_str(out, im->module);
		put_str(out, im->name);
		put_str(out, im->asname);
	}
	for (size_t i = 0; i < facts->nstrings; i++) {
		impact_buf_putc(out, (char)facts->strings[i].kind);
		impact_bytes_put_u32(out, facts->strings[i].line);
		put_str(out, facts->strings[i].text);
	}
	impact_bytes_put_u32(out, (uint32_t)facts->nsymbols);
	impact_bytes_put_u32(out, (uint32_t)facts->nrefs);
	for (size_t i = 0; i < facts->nsymbols; i++) {
		const impact_symbol *sy = &facts->symbols[i];
		impact_buf_putc(out, (char)sy->kind);
		impact_buf_putc(out, (char)(sy->flags & 0xff));
		impact_buf_putc(out, (char)(sy->flags >> 8));
		impact_bytes_put_u32(out, sy->parent);
		impact_bytes_put_u32(out, sy->start_line);
		impact_bytes_put_u32(out, sy->end_line);
		impact_bytes_put_u32(out, sy->def_line);
		impact_bytes_put_u32(out, sy->body_start_line);
		impact_bytes_put_u32(out, sy->body_end_line);
		put_str(out, sy->name);
	}
	for (size_t i = 0; i < facts->nrefs; i++) {
		impact_buf_putc(out, (char)facts->refs[i].kind);
		impact_bytes_put_u32(out, facts->refs[i].symbol);
		put_str(out, facts->refs[i].text);
	}
	impact_bytes_put_u32(out, 0);
	impact_pyfacts_seal(out->ptr + start, out->size - start);
	return out->size - start > UINT32_MAX
	       ? impact_error_set(IMPACT_ERROR, "facts too large to encode") : 0;
}

void impact_pyfacts_seal(void *data, size_t len)
{
	unsigned char *p = data;
	uint32_t sum;
	if (len < 4)
		return;
	sum = impact_bytes_checksum(p, len - 4);
	for (int k = 0; k < 4; k++)
		p[len - 4 + k] = (unsigned char)(sum >> (8 * k));
}

typedef impact_bytes_reader reader;

/* Copy the next string into *dst (advancing it), or NULL. */
static const char *get_str(reader *r, char **dst)
{
	uint32_t n = impact_bytes_get_u32(r);
	char *s;
	if (r->bad || n == UINT32_MAX)
		return NULL;
	if ((size_t)(r->end - r->p) < n || memchr(r->p, '\0', n)) {
		r->bad = true;
		return NULL;
	}
	s = *dst;
	memcpy(s, r->p, n);
	s[n] = '\0';
	*dst += n + 1;
	r->p += n;
	return s;
}

/* Skip one encoded string, adding its decoded size (with the NUL) to *text. */
static void measure_str(reader *r, size_t *text)
{
	uint32_t n = impact_bytes_get_u32(r);
	if (r->bad || n == UINT32_MAX)
		return;
	if ((size_t)(r->end - r->p) < n) {
		r->bad = true;
		return;
	}
	r->p += n;
	*text += (size_t)n + 1;
}

/*
 * Walk the encoding after the header (imports, strings, symbol and
 * reference counts, symbols, references) as impact_pyfacts_decode will,
 * adding up the text it will copy. -1 when the bytes do not add up.
 */
static int measure_facts(reader r, uint32_t n, uint32_t m, size_t *text, uint32_t *ns,
                         uint32_t *nr)
{
	for (uint32_t i = 0; i < n && !r.bad; i++) {
		if (r.end - r.p < 12) {
			r.bad = true;
			break;
		}
		r.p += 12;
		measure_str(&r, text);
		measure_str(&r, text);
		measure_str(&r, text);
	}
	for (uint32_t i = 0; i < m && !r.bad; i++) {
		if (r.end - r.p < 5) {
			r.bad = true;
			break;
		}
		r.p += 5;
		measure_str(&r, text);
	}
	*ns = impact_bytes_get_u32(&r);
	*nr = impact_bytes_get_u32(&r);
	if (r.bad || *ns > (size_t)(r.end - r.p) / 31 || *nr > (size_t)(r.end - r.p) / 9)
		return -1;
	for (uint32_t i = 0; i < *ns && !r.bad; i++) {
		if (r.end - r.p < 27) {
			r.bad = true;
			break;
		}
		r.p += 27;
		measure_str(&r, text);
	}
	for (uint32_t i = 0; i < *nr && !r.bad; i++) {
		if (r.end - r.p < 5) {
			r.bad = true;
			break;
		}
		r.p += 5;
		measure_str(&r, text);
	}
	return r.bad ? -1 : 0;
}

/*
 * The imports and string evidence of encoded facts into f->imports and
 * f->strings (room for n and m), text copied to *dst. `slim`: imports'
 * owning symbols are dropped (slim facts have no symbols).
 */
static void get_imports_strings(reader *r, impact_pyfacts *f, uint32_t n, uint32_t m, char **dst,
                                bool slim)
{
	for (uint32_t i = 0; i < n && !r->bad; i++) {
		impact_import *im = &f->imports[i];
		if (r->end - r->p < 4) {
			r->bad = true;
			break;
		}
		im->kind = r->p[0];
		im->flags = r->p[1];
		im->level = (uint16_t)(r->p[2] | r->p[3] << 8);
		r->p += 4;
		im->line = impact_bytes_get_u32(r);
		im->symbol = impact_bytes_get_u32(r);
		if (slim)
			im->symbol = IMPACT_SYMBOL_NONE;
		im->module = get_str(r, dst);
		im->name = get_str(r, dst);
		im->asname = get_str(r, dst);
		if (!im->module)
			r->bad = true;
		f->nimports = i + 1;
	}
	for (uint32_t i = 0; i < m && !r->bad; i++) {
		impact_strref *sr = &f->strings[i];
		if (r->end - r->p < 1) {
			r->bad = true;
			break;
		}
		sr->kind = *r->p++;
		sr->line = impact_bytes_get_u32(r);
		sr->text = get_str(r, dst);
		if (!sr->text || sr->kind > IMPACT_STRREF_PATH)
			r->bad = true;
		f->nstrings = i + 1;
	}
}

/*
 * Check the magic, version and checksum of encoded facts and read the five
 * header words (flags, error line and column, import and string counts),
 * leaving *r on what follows. 0, or IMPACT_EINVALID.
 */
static int open_facts(reader *r, uint32_t hdr[5], const unsigned char *p, size_t len)
{
	if (len < 4 + 20 + 4 || memcmp(p, "IPF", 3) || p[3] != IMPACT_PYFACTS_VERSION)
		return impact_error_set(IMPACT_EINVALID, "not encoded facts of this version");
	r->p = p + len - 4;
	r->end = p + len;
	r->bad = false;
	if (impact_bytes_get_u32(r) != impact_bytes_checksum(p, len - 4))
		return impact_error_set(IMPACT_EINVALID, "encoded facts are damaged (checksum)");
	r->p = p + 4;
	r->end = p + len - 4;
	for (int k = 0; k < 5; k++)
		hdr[k] = impact_bytes_get_u32(r);
	/* Each import takes at least 24 encoded bytes, each string 9. */
	if (r->bad || hdr[3] > (size_t)(r->end - r->p) / 24 || hdr[4] > (size_t)(r->end - r->p) / 9)
		return impact_error_set(IMPACT_EINVALID, "encoded facts are damaged (count)");
	return 0;
}

int impact_pyfacts_decode(impact_pyfacts **out, const void *data, size_t len)
{
	const unsigned char *p = data;
	impact_pyfacts *f = NULL;
	char *dst;
	reader r;
	uint32_t n, m;

	*out = NULL;
	{
		uint32_t hdr[5];
		if (open_facts(&r, hdr, p, len) < 0)
			return IMPACT_EINVALID;
		n = hdr[3];
		m = hdr[4];
		/*
		 * One block of exactly the size needed: the facts, the imports, the
		 * string evidence, the symbols, the references, then their text
		 * (measured first: sizing by the worst case held several times the
		 * bytes, which a precise walk over thousands of modules felt).
		 */
		size_t text = 0, head;
		uint32_t ns = 0, nr = 0;
		if (measure_facts(r, n, m, &text, &ns, &nr) < 0)
			return impact_error_set(IMPACT_EINVALID, "encoded facts are damaged");
		head = sizeof(*f) + (size_t)n * sizeof(impact_import) + (size_t)m * sizeof(impact_strref) +
		       (size_t)ns * sizeof(impact_symbol) + (size_t)nr * sizeof(impact_symref);
		/* Not zeroed: every field below is written before it is read. */
		f = impact_xmalloc(head + text + 1);
		memset(f, 0, sizeof(*f));
		f->imports = (impact_import *)(f + 1);
		f->strings = (impact_strref *)(f->imports + n);
		f->symbols = (impact_symbol *)(f->strings + m);
		f->refs = (impact_symref *)(f->symbols + ns);
		f->flags = hdr[0];
		f->error_line = hdr[1];
		f->error_col = hdr[2];
		dst = (char *)f + head;
	}
	{
		get_imports_strings(&r, f, n, m, &dst, false);
		if (!m)
			f->strings = NULL;
		/* Symbols, then references, in the record area after the strings. */
		{
			impact_symbol *const syms = f->symbols;
			impact_symref *const refs = f->refs;
			uint32_t ns = r.bad ? 0 : impact_bytes_get_u32(&r), nr = r.bad ? 0 : impact_bytes_get_u32(&r);
			/* The measured counts: the same bytes, so the same numbers. */
			if (r.bad || (impact_symbol *)refs != syms + ns ||
			    (char *)(refs + nr) > (char *)dst) {
				r.bad = true;
				ns = nr = 0;
			}
			for (uint32_t i = 0; i < ns && !r.bad; i++) {
				impact_symbol *sy = &f->symbols[i];
				if (r.end - r.p < 3) {
					r.bad = true;
					break;
				}
				sy->kind = r.p[0];
				sy->flags = (uint16_t)(r.p[1] | (r.p[2] << 8));
				r.p += 3;
				sy->parent = impact_bytes_get_u32(&r);
				sy->start_line = impact_bytes_get_u32(&r);
				sy->end_line = impact_bytes_get_u32(&r);
				sy->def_line = impact_bytes_get_u32(&r);
				sy->body_start_line = impact_bytes_get_u32(&r);
				sy->body_end_line = impact_bytes_get_u32(&r);
				sy->name = get_str(&r, &dst);
				if (!sy->name || sy->kind > IMPACT_SYMBOL_ASSIGN ||
				    (sy->parent != IMPACT_SYMBOL_NONE && sy->parent >= i))
					r.bad = true;
				f->nsymbols = i + 1;
			}
			for (uint32_t i = 0; i < nr && !r.bad; i++) {
				impact_symref *sr = &f->refs[i];
				if (r.end - r.p < 1) {
					r.bad = true;
					break;
				}
				sr->kind = *r.p++;
				sr->symbol = impact_bytes_get_u32(&r);
				sr->text = get_str(&r, &dst);
				if (!sr->text || sr->kind > IMPACT_SYMREF_ANSWER ||
				    (sr->symbol != IMPACT_SYMBOL_NONE && sr->symbol >= ns))
					r.bad = true;
				f->nrefs = i + 1;
			}
			/* get_str copied them one after another: a search can run over them all. */
			f->ref_text_end = nr && !r.bad ? dst : NULL;
			if (!ns)
				f->symbols = NULL;
			if (!nr)
				f->refs = NULL;
		}
		/* Imports point at symbols that exist. */
		for (uint32_t i = 0; i < f->nimports && !r.bad; i++)
			if (f->imports[i].symbol != IMPACT_SYMBOL_NONE && f->imports[i].symbol >= f->nsymbols)
				r.bad = true;
	}
	if (r.bad || r.p != r.end) {
		impact_pyfacts_free(f);
		return impact_error_set(IMPACT_EINVALID, "encoded facts are damaged");
	}
	*out = f;
	return 0;
}

static size_t text_size(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

/* Copy `s` to *dst (advancing it); NULL stays NULL. */
static const char *slim_text(char **dst, const char *s)
{
	size_t n;
	char *d;
	if (!s)
		return NULL;
	n = strlen(s) + 1;
	d = *dst;
	memcpy(d, s, n);
	*dst += n;
	return d;
}

impact_pyfacts *impact_pyfacts_slim(const impact_pyfacts *facts)
{
	size_t text = 0, head;
	impact_pyfacts *f;
	char *dst;

	for (size_t i = 0; i < facts->nimports; i++)
		text += text_size(facts->imports[i].module) + text_size(facts->imports[i].name) +
		        text_size(facts->imports[i].asname);
	for (size_t i = 0; i < facts->nstrings; i++)
		text += text_size(facts->strings[i].text);
	head = sizeof(*f) + facts->nimports * sizeof(impact_import) +
	       facts->nstrings * sizeof(impact_strref);
	f = impact_xcalloc(1, head + text);
	f->imports = facts->nimports ? (impact_import *)(f + 1) : NULL;
	f->strings = facts->nstrings ? (impact_strref *)((impact_import *)(f + 1) + facts->nimports) : NULL;
	f->nimports = facts->nimports;
	f->nstrings = facts->nstrings;
	f->flags = facts->flags | IMPACT_PYFACTS_SLIM;
	f->error_line = facts->error_line;
	f->error_col = facts->error_col;
	dst = (char *)f + head;
	for (size_t i = 0; i < facts->nimports; i++) {
		impact_import *im = &f->imports[i];
		*im = facts->imports[i];
		im->symbol = IMPACT_SYMBOL_NONE;
		im->module = slim_text(&dst, facts->imports[i].module);
		im->name = slim_text(&dst, facts->imports[i].name);
		im->asname = slim_text(&dst, facts->imports[i].asname);
	}
	for (size_t i = 0; i < facts->nstrings; i++) {
		f->strings[i] = facts->strings[i];
		f->strings[i].text = slim_text(&dst, facts->strings[i].text);
	}
	return f;
}

int impact_pyfacts_decode_slim(impact_pyfacts **out, const void *data, size_t len)
{
	const unsigned char *p = data;
	uint32_t hdr[5], n, m;
	size_t text = 0, head;
	impact_pyfacts *f;
	char *dst;
	reader r;

	*out = NULL;
	if (open_facts(&r, hdr, p, len) < 0)
		return IMPACT_EINVALID;
	n = hdr[3];
	m = hdr[4];
	/* Measure the imports and strings: exactly what the slim copy holds. */
	{
		reader s = r;
		for (uint32_t i = 0; i < n && !s.bad; i++) {
			if (s.end - s.p < 12) {
				s.bad = true;
				break;
			}
			s.p += 12;
			measure_str(&s, &text);
			measure_str(&s, &text);
			measure_str(&s, &text);
		}
		for (uint32_t i = 0; i < m && !s.bad; i++) {
			if (s.end - s.p < 5) {
				s.bad = true;
				break;
			}
			s.p += 5;
			measure_str(&s, &text);
		}
		if (s.bad)
			return impact_error_set(IMPACT_EINVALID, "encoded facts are damaged");
	}
	head = sizeof(*f) + (size_t)n * sizeof(impact_import) + (size_t)m * sizeof(impact_strref);
	f = impact_xcalloc(1, head + text + 1);
	f->imports = n ? (impact_import *)(f + 1) : NULL;
	f->strings = m ? (impact_strref *)((impact_import *)(f + 1) + n) : NULL;
	f->flags = (hdr[0] & ~(uint32_t)IMPACT_PYFACTS_SLIM) | IMPACT_PYFACTS_SLIM;
	f->error_line = hdr[1];
	f->error_col = hdr[2];
	dst = (char *)f + head;
	get_imports_strings(&r, f, n, m, &dst, true);
	if (r.bad) {
		impact_pyfacts_free(f);
		return impact_error_set(IMPACT_EINVALID, "encoded facts are damaged");
	}
	*out = f;
	return 0;
}
