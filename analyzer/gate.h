/*
 * gate.h - what a merge/push gate or CI compares.
 *
 * Owns the default range of `impact --gate`: the merge base of HEAD with
 * origin/HEAD, else origin/main, else main (said in one line), and the
 * ranges a pre-push hook must test for the refs it is given.
 */
#ifndef IMPACT_GATE_H
#define IMPACT_GATE_H

#include "common.h"

#include <git2.h>

/*
 * The revspec a gate compares. `spec` is the user's (NULL = choose the
 * default base). *out is a new string (caller frees); *why a one-line
 * explanation (caller frees), e.g. "base: merge base with origin/main".
 */
int impact_gate_range(char **out, char **why, git_repository *repo, const char *spec);

#endif
