/*
 * fuzz_pyfacts.c - libFuzzer target for the facts decoders: the bytes are
 * a record of the parse cache (impact_pyfacts_encode's form), given to
 * both decoders as they are (a wrong checksum: IMPACT_EINVALID), then
 * with their checksum made right (impact_pyfacts_seal), which a fuzzer
 * could never guess, so that mutations reach what the checksum guards.
 * Damaged records give IMPACT_EINVALID, never a crash; facts that decode
 * must encode and decode again. The extractor is fuzz_pyextract.c's.
 */
#include "pyimports.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void decode_both(const unsigned char *rec, size_t size)
{
	impact_pyfacts *facts = NULL, *back = NULL;
	impact_buf enc = IMPACT_BUF_INIT;

	if (impact_pyfacts_decode(&facts, rec, size) == 0) {
		if (impact_pyfacts_encode(&enc, facts) < 0 ||
		    impact_pyfacts_decode(&back, enc.ptr, enc.size) < 0)
			abort();
		impact_pyfacts_free(back);
		impact_buf_release(&enc);
		impact_pyfacts_free(facts);
	}
	facts = NULL;
	if (impact_pyfacts_decode_slim(&facts, rec, size) == 0)
		impact_pyfacts_free(facts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of its own size, so that ASan sees any read past it. */
	unsigned char *rec = malloc(size ? size : 1);
	if (!rec)
		abort();
	memcpy(rec, data, size);
	decode_both(rec, size);
	impact_pyfacts_seal(rec, size);
	decode_both(rec, size);
	free(rec);
	return 0;
}
