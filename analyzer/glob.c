/* glob.c - placeholder until the rules work lands. */
#include "glob.h"

#include <fnmatch.h>

bool impact_glob_match(const char *pattern, const char *path)
{
	return fnmatch(pattern, path, 0) == 0;
}

bool impact_glob_is_literal(const char *pattern)
{
	return !strpbrk(pattern, "*?[");
}

int impact_glob_check(const char *pattern)
{
	IMPACT_UNUSED(pattern);
	return 0;
}
