/*
 * graph.h - the dependency graph between files, in flat arrays.
 *
 * Nodes are dense file ids (0..n-1, the ids of project.c's path pool). An
 * edge `from -> to` means "running `from` executes `to`" (an import, a
 * conftest in scope, a plugin). Edges are collected in any order, then
 * frozen into compressed sparse rows in both directions; the backward
 * walk from changed files to tests uses the reverse rows. The graph knows
 * nothing of Python or git: edge kinds and lines are carried for --explain.
 */
#ifndef IMPACT_GRAPH_H
#define IMPACT_GRAPH_H

#include "common.h"

typedef enum impact_edge_kind {
	IMPACT_EDGE_IMPORT = 0,    /* import / from-import at module level */
	IMPACT_EDGE_LAZY,          /* import inside a function */
	IMPACT_EDGE_CONDITIONAL,   /* under try/if: may run */
	IMPACT_EDGE_TYPE_CHECKING, /* under `if TYPE_CHECKING:`: never runs */
	IMPACT_EDGE_DYNAMIC,       /* importlib.import_module("literal") */
	IMPACT_EDGE_PLUGIN,        /* pytest_plugins entry */
	IMPACT_EDGE_ADDOPTS_PLUGIN,/* -p plugin in pytest's addopts */
	IMPACT_EDGE_CONFTEST,      /* a conftest.py in the test's scope */
	IMPACT_EDGE_PACKAGE,       /* __init__.py of the package holding the file */
	IMPACT_EDGE_FALLBACK,      /* resolved only through another file's import root */
	IMPACT_EDGE_UNKNOWN,       /* a module impact could not parse: assumed to import all */
	IMPACT_EDGE_SYMLINK,       /* a .py symlink runs its target */
	IMPACT_EDGE_STRING_MODULE, /* a string literal spells the module's dotted name */
	IMPACT_EDGE_STRING_PATH,   /* a string literal names the file or its folder */
	IMPACT_EDGE_DYNAMIC_ANY,   /* a non-literal dynamic import may load it */
	IMPACT_EDGE_KIND_COUNT
} impact_edge_kind;

typedef struct impact_edge {
	uint32_t from, to;
	uint32_t line; /* 1-based line in `from`, 0 if none */
	uint8_t kind;  /* impact_edge_kind */
	uint8_t pad[3]; /* zero: an edge has no unset bytes (graphs are written to files) */
} impact_edge;

typedef struct impact_graph impact_graph;

impact_graph *impact_graph_new(uint32_t nnodes);
void impact_graph_free(impact_graph *g);

/* Add an edge; duplicates (same from, to) keep the strongest kind. Not after freeze. */
void impact_graph_add(impact_graph *g, uint32_t from, uint32_t to,
                      impact_edge_kind kind, uint32_t line);
/*
 * A frozen graph's arrays: edges in (from, to) order, the n + 1 row
 * starts of out- and in-edges, and in_edges (edge indices grouped by
 * `to`). What projcache.c writes to a file and maps back.
 */
typedef struct impact_graph_arrays {
	uint32_t n;
	size_t nedges;
	const impact_edge *edges;
	const uint32_t *out_start, *in_start, *in_edges;
} impact_graph_arrays;

/* The arrays of frozen `g`, borrowed (nedges 0 when not frozen). */
void impact_graph_get_arrays(const impact_graph *g, impact_graph_arrays *out);

/*
 * A frozen graph over arrays someone else owns (and keeps alive and
 * unchanged until impact_graph_free): nothing is copied. NULL when the
 * row starts are not well-formed, or an edge lies outside the graph, in
 * another row than its ends', or has no known kind.
 */
impact_graph *impact_graph_borrow(const impact_graph_arrays *arrays);

/* Add many edges at once (as impact_graph_add each). */
void impact_graph_add_edges(impact_graph *g, const impact_edge *edges, size_t n);
/* Room for `nedges` edges in all, before adding them. */
void impact_graph_reserve(impact_graph *g, size_t nedges);
/*
 * Build the adjacency rows; call once, after the last add. Edges added in
 * frozen order (as impact_graph_out lists them, node by node) are taken
 * as they are: no sort.
 */
void impact_graph_freeze(impact_graph *g);

uint32_t impact_graph_nodes(const impact_graph *g);
size_t impact_graph_edge_count(const impact_graph *g);
/* Out-edges of `node` (what it executes): borrowed array of *n edges. */
const impact_edge *impact_graph_out(const impact_graph *g, uint32_t node, size_t *n);
/* The nodes with an edge into `node` (of any kind, once per edge), appended to `out`. */
void impact_graph_in_nodes(const impact_graph *g, uint32_t node, impact_u32vec *out);

/* The result of a backward walk: per node its distance and next hop. */
typedef struct impact_reach {
	uint32_t *dist;       /* UINT32_MAX = not reached; 0 = a seed */
	const impact_edge **via; /* edge from this node toward a seed; NULL for seeds */
	uint32_t n;
} impact_reach;

/*
 * Breadth-first walk against the edges from `seeds`, skipping edges whose
 * kind bit is set in `skip_kinds` (1u << kind). Fills *out (release with
 * impact_reach_release). Shortest chains win; among equal lengths the
 * first-found, which is deterministic for a given graph.
 */
void impact_graph_dependents(impact_reach *out, const impact_graph *g,
                             const uint32_t *seeds, size_t nseeds,
                             uint32_t skip_kinds);
void impact_reach_release(impact_reach *r);

const char *impact_edge_kind_name(impact_edge_kind kind);

#endif
