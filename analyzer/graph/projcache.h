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

/*
 * The encoding of a project: the file is parts[0..nparts) one after the
 * other. The head is in `head`; the graph's arrays are borrowed from the
 * project's graph (write before changing or freeing it).
 */
#define IMPACT_PROJCACHE_PARTS 7
typedef struct impact_projcache_out {
	impact_buf head;           /* init with IMPACT_BUF_INIT; release after writing */
	unsigned char trailer[4];
	impact_file_part parts[IMPACT_PROJCACHE_PARTS];
	size_t nparts;
} impact_projcache_out;

/* Encode `p` (storable) into `out`, with name index `names` (refnames.h; NULL: none, borrowed). */
int impact_projcache_encode(impact_projcache_out *out, const impact_project *p,
                            const impact_buf *names);

/*
 * Fill `p` (new: snap and paths set, nothing else) from `data`, the graph
 * of `tree`. The graph's arrays are used in place: `data` must stay
 * mapped, unchanged, until p->graph is freed, and be 8-aligned.
 * IMPACT_ENOTFOUND for another format version; IMPACT_EINVALID when the
 * bytes are damaged or of another tree. `p` is then partly filled: free it.
 */
int impact_projcache_decode(impact_project *p, const void *data, size_t len,
                            const git_oid *tree);

/*
 * Write into the last four bytes of graph file `data` the checksum its
 * sizes call for: for tests and fuzzers that make or damage graphs on
 * purpose, so that what follows the checksum is reached. IMPACT_EINVALID
 * (nothing written) when the sizes in its header do not add up.
 */
int impact_projcache_seal(void *data, size_t len);

#endif
