/*
 * fuzz_glob.c - libFuzzer target for the glob matcher: the input up to
 * its first NUL is a pattern, the rest (up to the next NUL) a path.
 * Compiling fails cleanly or gives a glob whose matching must agree with
 * impact_glob_match, and finish.
 */
#include "glob.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 2), *path;
	impact_glob *g = NULL;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = text[size + 1] = '\0';
	path = text + strlen(text) + 1;
	if (path > text + size)
		path = text + size + 1; /* no NUL in the input: an empty path */
	if (impact_glob_compile(&g, text) == 0) {
		bool m = impact_glob_matches(g, path);
		if (!impact_glob_negated(g) && m != impact_glob_match(text, path))
			abort();
		impact_glob_free(g);
	} else if (impact_glob_check(text) == 0) {
		abort(); /* compile and check must agree */
	}
	free(text);
	return 0;
}
