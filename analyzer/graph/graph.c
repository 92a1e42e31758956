/*
 * graph.c - the file dependency graph (see graph.h).
 *
 * Edges go into one array; freeze() sorts them by (from, to), merges
 * duplicates, and builds two index arrays: row offsets of the forward
 * edges, and a reverse list of edge indices grouped by target. Memory is
 * O(nodes + edges) in a handful of allocations, whatever the repository.
 */
#include "graph.h"

struct impact_graph {
	uint32_t n;
	impact_edge *edges;
	size_t nedges, alloc;
	uint32_t *out_start;  /* n + 1 offsets into edges */
	uint32_t *in_start;   /* n + 1 offsets into in_edges */
	uint32_t *in_edges;   /* edge indices grouped by `to` */
	bool frozen;
	bool borrowed;        /* the four arrays belong to someone else (a mapped file) */
};

/* Stronger kinds win when one pair is linked twice: a plain import beats a
 * lazy one, anything runtime beats TYPE_CHECKING. Lower rank = stronger. */
static int kind_rank(uint8_t kind)
{
	switch (kind) {
	case IMPACT_EDGE_IMPORT: return 0;
	case IMPACT_EDGE_PACKAGE: return 1;
	case IMPACT_EDGE_CONFTEST: return 2;
	case IMPACT_EDGE_PLUGIN: return 3;
	case IMPACT_EDGE_ADDOPTS_PLUGIN: return 4;
	case IMPACT_EDGE_CONDITIONAL: return 5;
	case IMPACT_EDGE_DYNAMIC: return 6;
	case IMPACT_EDGE_STRING_MODULE: return 6;
	case IMPACT_EDGE_STRING_PATH: return 6;
	case IMPACT_EDGE_DYNAMIC_ANY: return 7;
	case IMPACT_EDGE_LAZY: return 7;
	case IMPACT_EDGE_SYMLINK: return 1;
	case IMPACT_EDGE_FALLBACK: return 8;
	case IMPACT_EDGE_UNKNOWN: return 9;
	default: return 10; /* TYPE_CHECKING */
	}
}

impact_graph *impact_graph_new(uint32_t nnodes)
{
	impact_graph *g = impact_xcalloc(1, sizeof(*g));
	g->n = nnodes;
	return g;
}

void impact_graph_free(impact_graph *g)
{
	if (!g)
		return;
	if (g->borrowed) {
		free(g);
		return;
	}
	free(g->edges);
	free(g->out_start);
	free(g->in_start);
	free(g->in_edges);
	free(g);
}

void impact_graph_add(impact_graph *g, uint32_t from, uint32_t to,
                      impact_edge_kind kind, uint32_t line)
{
	impact_edge e = { from, to, line, (uint8_t)kind, { 0, 0, 0 } };
	if (from == to || from >= g->n || to >= g->n || g->frozen)
		return;
	IMPACT_PUSH(g->edges, g->nedges, g->alloc, e);
}

void impact_graph_add_edges(impact_graph *g, const impact_edge *edges, size_t n)
{
	if (g->frozen || !n)
		return;
	impact_graph_reserve(g, g->nedges + n);
	for (size_t i = 0; i < n; i++) {
		const impact_edge *e = &edges[i];
		if (e->from != e->to && e->from < g->n && e->to < g->n)
			g->edges[g->nedges++] = *e;
	}
}

static int cmp_edge(const void *a, const void *b)
{
	const impact_edge *x = a, *y = b;
	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	if (x->to != y->to)
		return x->to < y->to ? -1 : 1;
	if (kind_rank(x->kind) != kind_rank(y->kind))
		return kind_rank(x->kind) < kind_rank(y->kind) ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/*
 * Sort by (from, to, rank): a stable counting sort by `from` (edges mostly
 * arrive grouped by source already), then each source's few edges by
 * insertion sort. Linear in practice, where qsort was a tenth of a warm run.
 */
static void sort_edges(impact_graph *g)
{
	size_t *start = impact_xcalloc((size_t)g->n + 1, sizeof(size_t));
	impact_edge *tmp = impact_xmalloc((g->nedges ? g->nedges : 1) * sizeof(*tmp));

	for (size_t i = 0; i < g->nedges; i++)
		start[g->edges[i].from + 1]++;
	for (uint32_t k = 0; k < g->n; k++)
		start[k + 1] += start[k];
	for (size_t i = 0; i < g->nedges; i++)
		tmp[start[g->edges[i].from]++] = g->edges[i];
	free(g->edges);
	g->edges = tmp;
	g->alloc = g->nedges;
	/* start[k] is now the end of row k; rows are [end(k-1), end(k)). */
	for (uint32_t k = 0; k < g->n; k++) {
		size_t lo = k ? start[k - 1] : 0, hi = start[k];
		if (hi - lo > 32) {
			qsort(g->edges + lo, hi - lo, sizeof(*g->edges), cmp_edge);
			continue;
		}
		for (size_t i = lo + 1; i < hi; i++) {
			impact_edge e = g->edges[i];
			size_t j = i;
			while (j > lo && cmp_edge(&g->edges[j - 1], &e) > 0) {
				g->edges[j] = g->edges[j - 1];
				j--;
			}
			g->edges[j] = e;
		}
	}
	free(start);
}

void impact_graph_reserve(impact_graph *g, size_t nedges)
{
	if (g->frozen || nedges <= g->alloc)
		return;
	g->edges = impact_xreallocarray(g->edges, nedges, sizeof(*g->edges));
	g->alloc = nedges;
}

/* Edges already in frozen order: (from, to) strictly increasing (a cached graph). */
static bool in_frozen_order(const impact_graph *g)
{
	for (size_t i = 1; i < g->nedges; i++) {
		const impact_edge *a = &g->edges[i - 1], *b = &g->edges[i];
		if (a->from > b->from || (a->from == b->from && a->to >= b->to))
			return false;
	}
	return true;
}

void impact_graph_freeze(impact_graph *g)
{
	size_t i, w = 0;
	uint32_t *fill;

	if (g->frozen)
		return;
	if (in_frozen_order(g)) {
		w = g->nedges;
	} else {
		sort_edges(g);
		/* After sorting, the first of each (from, to) run is the strongest. */
		for (i = 0; i < g->nedges; i++) {
			if (w && g->edges[w - 1].from == g->edges[i].from &&
			    g->edges[w - 1].to == g->edges[i].to)
				continue;
			g->edges[w++] = g->edges[i];
		}
		g->nedges = w;
	}

	g->out_start = impact_xcalloc((size_t)g->n + 1, sizeof(uint32_t));
	g->in_start = impact_xcalloc((size_t)g->n + 1, sizeof(uint32_t));
	g->in_edges = impact_xmalloc((w ? w : 1) * sizeof(uint32_t));
	for (i = 0; i < w; i++) {
		g->out_start[g->edges[i].from + 1]++;
		g->in_start[g->edges[i].to + 1]++;
	}
	for (uint32_t k = 0; k < g->n; k++) {
		g->out_start[k + 1] += g->out_start[k];
		g->in_start[k + 1] += g->in_start[k];
	}
	fill = impact_xmalloc(((size_t)g->n + 1) * sizeof(uint32_t));
	memcpy(fill, g->in_start, ((size_t)g->n + 1) * sizeof(uint32_t));
	/* Edges are sorted by `from`, so each in-row lists sources in order. */
	for (i = 0; i < w; i++)
		g->in_edges[fill[g->edges[i].to]++] = (uint32_t)i;
	free(fill);
	g->frozen = true;
}

impact_graph *impact_graph_borrow(const impact_graph_arrays *a)
{
	impact_graph *g;
	/*
	 * Rows must be well-formed, every edge in the graph and in its row, of
	 * a known kind, and every in-edge an edge: a walk indexes by them. The
	 * owner's checksum only says the bytes are as written, not that impact
	 * wrote them. Sequential passes, as the checksum's (that an in-edge's
	 * row is its target's is left to the walk, which skips one that is
	 * not: checking it here reads the edges out of order, forty times the
	 * cost).
	 */
	if (!a->out_start || !a->in_start || a->out_start[0] || a->in_start[0] ||
	    a->out_start[a->n] != a->nedges || a->in_start[a->n] != a->nedges)
		return NULL;
	for (uint32_t k = 0; k < a->n; k++)
		if (a->out_start[k] > a->out_start[k + 1] || a->in_start[k] > a->in_start[k + 1])
			return NULL;
	for (uint32_t k = 0; k < a->n; k++) {
		for (uint32_t i = a->out_start[k]; i < a->out_start[k + 1]; i++)
			if (a->edges[i].from != k || a->edges[i].to >= a->n ||
			    a->edges[i].kind >= IMPACT_EDGE_KIND_COUNT)
				return NULL;
	}
	for (size_t i = 0; i < a->nedges; i++)
		if (a->in_edges[i] >= a->nedges)
			return NULL;
	g = impact_xcalloc(1, sizeof(*g));
	g->n = a->n;
	g->edges = (impact_edge *)a->edges;
	g->nedges = g->alloc = a->nedges;
	g->out_start = (uint32_t *)a->out_start;
	g->in_start = (uint32_t *)a->in_start;
	g->in_edges = (uint32_t *)a->in_edges;
	g->frozen = g->borrowed = true;
	return g;
}

void impact_graph_get_arrays(const impact_graph *g, impact_graph_arrays *out)
{
	out->n = g->n;
	out->nedges = g->frozen ? g->nedges : 0;
	out->edges = g->edges;
	out->out_start = g->out_start;
	out->in_start = g->in_start;
	out->in_edges = g->in_edges;
}

uint32_t impact_graph_nodes(const impact_graph *g)
{
	return g->n;
}

size_t impact_graph_edge_count(const impact_graph *g)
{
	return g->nedges;
}

const impact_edge *impact_graph_out(const impact_graph *g, uint32_t node, size_t *n)
{
	if (!g->frozen || node >= g->n) {
		*n = 0;
		return NULL;
	}
	*n = g->out_start[node + 1] - g->out_start[node];
	return g->edges + g->out_start[node];
}

void impact_graph_in_nodes(const impact_graph *g, uint32_t node, impact_u32vec *out)
{
	if (!g->frozen || node >= g->n)
		return;
	for (uint32_t k = g->in_start[node]; k < g->in_start[node + 1]; k++)
		impact_u32vec_push(out, g->edges[g->in_edges[k]].from);
}

void impact_graph_dependents(impact_reach *out, const impact_graph *g,
                             const uint32_t *seeds, size_t nseeds,
                             uint32_t skip_kinds)
{
	uint32_t *queue = impact_xmalloc(((size_t)g->n + 1) * sizeof(uint32_t));
	size_t head = 0, tail = 0;

	out->n = g->n;
	out->dist = impact_xmalloc(((size_t)g->n + 1) * sizeof(uint32_t));
	out->via = impact_xcalloc((size_t)g->n + 1, sizeof(*out->via));
	for (uint32_t k = 0; k < g->n; k++)
		out->dist[k] = UINT32_MAX;

	for (size_t i = 0; i < nseeds; i++) {
		uint32_t s = seeds[i];
		if (s < g->n && out->dist[s] == UINT32_MAX) {
			out->dist[s] = 0;
			queue[tail++] = s;
		}
	}
	while (head < tail) {
		uint32_t u = queue[head++];
		for (uint32_t k = g->in_start[u]; k < g->in_start[u + 1]; k++) {
			const impact_edge *e = &g->edges[g->in_edges[k]];
			/* Not u's (a borrowed graph's rows, see impact_graph_borrow): a
			 * chain through it would not lead to a seed, or in circles. */
			if (e->to != u || (skip_kinds & (1u << e->kind)))
				continue;
			if (out->dist[e->from] != UINT32_MAX)
				continue;
			out->dist[e->from] = out->dist[u] + 1;
			out->via[e->from] = e;
			queue[tail++] = e->from;
		}
	}
	free(queue);
}

void impact_reach_release(impact_reach *r)
{
	free(r->dist);
	free(r->via);
	r->dist = NULL;
	r->via = NULL;
	r->n = 0;
}

const char *impact_edge_kind_name(impact_edge_kind kind)
{
	static const char *const names[IMPACT_EDGE_KIND_COUNT] = {
		"import", "lazy import", "conditional import", "TYPE_CHECKING import",
		"dynamic import", "pytest_plugins", "-p plugin", "conftest",
		"package __init__", "import (fallback root)",
		"unparsed module", "symlink", "module named in a string",
		"path named in a string", "non-literal dynamic import",
	};
	return kind < IMPACT_EDGE_KIND_COUNT ? names[kind] : "?";
}
