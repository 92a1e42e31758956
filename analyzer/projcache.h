/*
 * projcache.h - the module graph of a tree, encoded for the cache.
 *
 * Owns the byte format of a project without its facts: what a run needs
 * to select from a tree it has analysed before without parsing, resolving
 * or sorting anything. project.c decides when to store and load it; the
 * cache (cache.c) keeps the bytes under the tree id.
 */
#ifndef IMPACT_PROJCACHE_H
#define IMPACT_PROJCACHE_H

#include "project.h"

/* Whether `p` can be kept: a TREE snapshot's project with no ghosts. */
bool impact_projcache_storable(const impact_project *p);

/* Append the encoding of `p` (storable) to `out`. */
int impact_projcache_encode(impact_buf *out, const impact_project *p);

/*
 * Fill `p` (new: snap and paths set, nothing else) from `data`, the graph
 * of `tree`. IMPACT_EINVALID when the bytes are damaged, of another
 * version or of another tree; `p` is then partly filled: free it.
 */
int impact_projcache_decode(impact_project *p, const void *data, size_t len,
                            const git_oid *tree);

#endif
