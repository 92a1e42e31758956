/*
 * recdelta.h - what differs between two sides of a repository, as the
 * records see it: changed functions by fingerprint, changed non-Python
 * files, and the modules changed at import time, split into hard and soft
 * seeds (recmods.h). Private to the records' selection (recselect.c,
 * recdelta.c); nothing else includes it.
 */
#ifndef IMPACT_RECDELTA_H
#define IMPACT_RECDELTA_H

#include "cache.h"
#include "project.h"

#include <jansson.h>

/* What differs between two sides of the repository. */
typedef struct impact_recdelta {
	json_t *funcs;      /* "path\nqual" -> true: changed functions (and "<module>") */
	json_t *files;      /* non-Python paths changed */
	impact_u32vec seeds; /* project ids of import-time changed modules */
	impact_u32vec hard, soft; /* the same, split (recmods.h; a seed may be in both) */
	bool failed;        /* too large or unreadable to judge */
} impact_recdelta;

/* Reads one side of a path: a tree, or the new side's snapshot. */
typedef struct impact_recreader {
	git_repository *repo;
	const git_tree *tree;      /* or NULL with snap */
	impact_snapshot *snap;
	impact_cache *cache;       /* facts by blob id, or NULL */
} impact_recreader;

void impact_recdelta_init(impact_recdelta *d);
void impact_recdelta_release(impact_recdelta *d);

/* `path` changed at import time; `soft` when module sets may rule it out (recmods.h). */
void impact_recdelta_seed(impact_recdelta *d, const impact_project *p, const char *path,
                          bool soft);

/*
 * One changed path (old_path on the old side, new_path on the new, either
 * NULL): a module changed in place compares function by function (soft
 * seed when its module fingerprint changed); added, deleted, renamed or
 * unreadable: hard seed, every function changed.
 */
void impact_recdelta_add(impact_recdelta *d, const impact_project *p, impact_pyparser *parser,
                         const impact_recreader *ra, const impact_recreader *rb,
                         const char *old_path, const char *new_path);

/* The delta between trees `r` and `a` (records made on R); d->failed when too far apart. */
void impact_recdelta_trees(impact_recdelta *d, git_repository *repo, const impact_project *p,
                           impact_pyparser *parser, impact_cache *cache, const git_tree *r,
                           const git_tree *a);

#endif
