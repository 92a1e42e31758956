/*
 * preflight.h - checks before a run, so a broken import is reported as
 * one clear error instead of a flood of failures.
 *
 * Owns: finding the project's top-level packages; an import smoke check
 * of them in the chosen interpreter, which inside a linked git worktree
 * also proves they import from this worktree and not from the main
 * checkout's editable install; and a collection check of the selected
 * targets (`pytest --collect-only -q`). Both run the interpreter as a
 * child with an argv.
 */
#ifndef IMPACT_PREFLIGHT_H
#define IMPACT_PREFLIGHT_H

#include "interp.h"
#include "project.h"

/* The importable top-level packages of the project (root and src/), tests left out. */
void impact_preflight_packages(impact_strlist *out, const impact_project *project);

/*
 * Without `worktree`: import every package of `pkgs` in `py` from
 * `workdir` (the smoke check). With `worktree` (a linked worktree): import
 * them from a neutral folder, and any that the environment provides must
 * come from inside `workdir`, not from the main checkout. IMPACT_EPYTHON
 * with the error and the fix when not.
 */
int impact_preflight_import(const impact_python *py, const char *workdir,
                            const impact_strlist *pkgs, bool worktree);

/*
 * `pytest --collect-only -q` of `targets` (none: the whole suite) with the
 * user's `extra` arguments. IMPACT_EPYTHON naming each file that failed to
 * collect and its error.
 */
int impact_preflight_collect(const impact_python *py, const char *workdir,
                             const char *const *targets, size_t ntargets,
                             const char *const *extra, size_t nextra);

#endif
