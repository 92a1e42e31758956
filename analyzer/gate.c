/*
 * gate.c - the range a gate compares (see gate.h).
 *
 * Not finished: choosing the default base (merge base with origin/HEAD,
 * origin/main, main) belongs to the hooks-and-gates work. Until then a
 * gate needs its range spelled out; guessing one could test too little.
 */
#include "gate.h"

int impact_gate_range(char **out, char **why, git_repository *repo, const char *spec)
{
	IMPACT_UNUSED(repo);
	*out = NULL;
	*why = NULL;
	if (!spec)
		return impact_error_set(IMPACT_EINVALID,
		                        "--gate does not choose a base yet: give the range, "
		                        "e.g. 'impact --gate origin/main...HEAD'");
	*out = impact_xstrdup(spec);
	*why = impact_xstrdup("the range given");
	return 0;
}
