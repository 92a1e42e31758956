/* gate.c - placeholder until the hooks work lands: the user's spec, else HEAD~1. */
#include "gate.h"

int impact_gate_range(char **out, char **why, git_repository *repo, const char *spec)
{
	IMPACT_UNUSED(repo);
	*out = impact_xstrdup(spec ? spec : "HEAD~1..");
	*why = impact_xstrdup("base: placeholder");
	return 0;
}
