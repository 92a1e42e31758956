/*
 * fuzz_junit.c - libFuzzer target: bytes as pytest's JUnit XML. The
 * reader keeps what it could read of a damaged file and must never crash
 * or leak, whatever it returns.
 */
#include "junit.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	impact_results res = { 0 };
	impact_junit_parse(&res, (const char *)data, size);
	impact_results_release(&res);
	return 0;
}
