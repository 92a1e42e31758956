/*
 * project_private.h - what project.c (building, loading and patching the
 * graph of a snapshot) shares with projedges.c (the edges of one file).
 * Only analyzer/graph/proj*.c include it; the library's interface is
 * project.h.
 */
#ifndef IMPACT_PROJECT_PRIVATE_H
#define IMPACT_PROJECT_PRIVATE_H

#include "project.h"

/*
 * The edges of one file, everything but the non-literal dynamic imports
 * (those need every file's strings first: add_dynamic). One function for
 * the whole build and for patching a cached graph file by file.
 *
 * Running a module runs its package's __init__.py chain; a module impact
 * could not parse points at the virtual node; a .py symlink runs its
 * target; imports resolve to files; a test runs the conftest.py files
 * from the root down to its folder and the -p plugins of addopts.
 *
 * String evidence is what a module reaches without an import statement:
 * a string spelling a dotted module of the repository, or a path to a
 * module or a folder of modules (tried against the file's own folder, its
 * ancestors and the root, as Path(__file__).parent / "x" and
 * "examples/x.py" both mean). The modules strings name are collected in
 * x->named for add_dynamic.
 */
typedef struct edge_ctx {
	uint32_t nreal;            /* files before the ghosts */
	impact_u32vec plugins;     /* -p plugins of addopts, resolved */
	impact_u32vec targets;
	impact_buf path, dir, cand;
	bool *is_named;            /* NULL: not collecting */
	impact_u32vec named;
} edge_ctx;

void project_edge_ctx_init(edge_ctx *x, impact_project *p, bool collect_named);
void project_edge_ctx_release(edge_ctx *x);
void project_file_edges(impact_project *p, edge_ctx *x, uint32_t id);
/* p->aux becomes a copy of entries[0..n) (sorted by path), paths included. */
void impact_project_set_aux(impact_project *p, const impact_entry *entries, size_t n);
/* The edges of module id's imports by a computed name: to every module of p->named. */
void project_dynamic_edges(impact_project *p, edge_ctx *x, uint32_t id);
uint32_t project_global_signature(const impact_pyfacts *facts);
void project_add_edges(impact_project *p);

#endif
