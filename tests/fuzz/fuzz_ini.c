/*
 * fuzz_ini.c - libFuzzer target: bytes as a pytest.ini / setup.cfg /
 * tox.ini. The reader must return 0 or IMPACT_EINVALID, never crash.
 */
#include "ini.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	impact_ini *ini = NULL;
	if (impact_ini_parse(&ini, (const char *)data, size, "fuzz.ini") == 0)
		impact_ini_free(ini);
	return 0;
}
