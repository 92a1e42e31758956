/*
 * shard.h - split a selection across CI machines, and choose its order.
 *
 * `--shard K/N` keeps the K-th of N disjoint parts whose union is the
 * selection: longest-first greedy on per-file weights (recorded durations
 * once impact keeps a run history; equal weights until then), so a CI
 * matrix of N jobs each runs its part in about the same time. The split
 * depends only on the selection and the weights, never on the machine.
 */
#ifndef IMPACT_SHARD_H
#define IMPACT_SHARD_H

#include "select.h"

/* Parse "K/N" (1 <= K <= N <= 1000). IMPACT_EINVALID with the reason. */
int impact_shard_parse(unsigned *k, unsigned *n, const char *spec);

/*
 * Keep in `sel` only the tests of shard k of n, in their run order.
 * `weights` (one per selected test, in the selection's order) may be NULL
 * for equal weights.
 */
void impact_shard_apply(impact_selection *sel, const impact_project *project,
                        unsigned k, unsigned n, const double *weights);

/*
 * Put tests whose file failed in its last run first, then those that
 * failed most often, keeping the given order otherwise (stable).
 * `failed_last` and `failures` are by index in sel->tests.
 */
void impact_order_failures_first(impact_selection *sel, const bool *failed_last,
                                 const uint32_t *failures);

/* Reorder `sel` by path alone (--order=path). */
void impact_order_by_path(impact_selection *sel, const impact_project *project);

#endif
