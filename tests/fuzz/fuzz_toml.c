/*
 * fuzz_toml.c - libFuzzer target: bytes as an .impact.toml. The parser
 * must return 0 or IMPACT_EINVALID, never crash, leak or hang.
 */
#include "toml.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	impact_toml_doc *doc = NULL;
	if (impact_toml_parse(&doc, (const char *)data, size, "fuzz.toml") == 0)
		impact_toml_free(doc);
	return 0;
}
