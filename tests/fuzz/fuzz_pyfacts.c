/*
 * fuzz_pyfacts.c - libFuzzer target for the Python extractor and the
 * facts decoders. The input's first byte picks the path: even, the bytes
 * are a module's source (source -> facts, whose encoding must decode back);
 * odd, the rest is a cached record for both decoders (damaged records give
 * IMPACT_EINVALID, never a crash), its checksum first made right
 * (impact_pyfacts_seal) unless the first byte's bit 1 is set: a checksum
 * the fuzzer cannot guess would stop it at the door. One parser for the
 * whole run: a fuzzer's process is one thread.
 */
#include "pyimports.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static impact_pyparser *parser; /* lives as long as the fuzzing process */
	impact_pyfacts *facts = NULL, *back = NULL;
	impact_buf enc = IMPACT_BUF_INIT;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		/* A copy of its own size, so that ASan sees any read past it. */
		unsigned char *rec = malloc(size - 1 ? size - 1 : 1);
		if (!rec)
			abort();
		memcpy(rec, data + 1, size - 1);
		if (!(data[0] & 2))
			impact_pyfacts_seal(rec, size - 1);
		if (impact_pyfacts_decode(&facts, rec, size - 1) == 0)
			impact_pyfacts_free(facts);
		facts = NULL;
		if (impact_pyfacts_decode_slim(&facts, rec, size - 1) == 0)
			impact_pyfacts_free(facts);
		free(rec);
		return 0;
	}
	if (!parser && !(parser = impact_pyparser_new()))
		abort();
	if (impact_pyfacts_extract(&facts, parser, (const char *)data + 1, size - 1) < 0)
		return 0;
	/* What is encoded must decode. */
	if (impact_pyfacts_encode(&enc, facts) == 0) {
		if (impact_pyfacts_decode(&back, enc.ptr, enc.size) < 0)
			abort();
		impact_pyfacts_free(back);
	}
	impact_buf_release(&enc);
	impact_pyfacts_free(facts);
	return 0;
}
