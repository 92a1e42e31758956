/*
 * fuzz_pyextract.c - libFuzzer target for the Python extractor: the bytes
 * are a module's source (source -> facts). The extractor must give facts
 * or an error, never crash, leak or hang; facts it gives must encode, and
 * that encoding decode back, whole and slim, to as many imports and
 * strings. One parser for the whole run: a fuzzer's process is one thread.
 */
#include "pyimports.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static impact_pyparser *parser; /* lives as long as the fuzzing process */
	impact_pyfacts *facts = NULL, *back = NULL;
	impact_buf enc = IMPACT_BUF_INIT;

	if (!parser && !(parser = impact_pyparser_new()))
		abort();
	if (impact_pyfacts_extract(&facts, parser, (const char *)data, size) < 0)
		return 0;
	/* What is encoded must decode. */
	if (impact_pyfacts_encode(&enc, facts) == 0) {
		if (impact_pyfacts_decode(&back, enc.ptr, enc.size) < 0 ||
		    back->nimports != facts->nimports || back->nstrings != facts->nstrings ||
		    back->nsymbols != facts->nsymbols || back->nrefs != facts->nrefs)
			abort();
		impact_pyfacts_free(back);
		back = NULL;
		if (impact_pyfacts_decode_slim(&back, enc.ptr, enc.size) < 0 ||
		    back->nimports != facts->nimports || back->nstrings != facts->nstrings)
			abort();
		impact_pyfacts_free(back);
	}
	impact_buf_release(&enc);
	impact_pyfacts_free(facts);
	return 0;
}
