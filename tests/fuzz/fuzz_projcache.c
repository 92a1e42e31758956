/*
 * fuzz_projcache.c - libFuzzer target for the graph-cache decoder
 * (projcache.c): the bytes of a cached module graph, as a run maps them
 * from <commondir>/impact/graphs/<tree id>. Its checksum is first made
 * right (impact_projcache_seal) unless the first byte's bit 7 is set (no
 * real graph's is: files start with "IPG"), since a fuzzer would never
 * guess it; its tree id is taken as the one asked for. A damaged graph
 * must give IMPACT_EINVALID or IMPACT_ENOTFOUND, never a crash; one that
 * decodes is then used as a run uses it (walks from nodes, every node's
 * edges, its collectors, path lookups), so that a graph the decoder let
 * through must be safe to walk.
 */
#include "projcache.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What select.c, precise.c and --explain read of a decoded graph. */
static void use(const impact_project *p)
{
	const impact_graph *g = p->graph;
	uint32_t n = impact_graph_nodes(g);
	size_t sum = 0;

	for (uint32_t id = 0; id < n; id++) {
		size_t ne;
		const impact_edge *e = impact_graph_out(g, id, &ne);
		for (size_t k = 0; k < ne; k++) {
			size_t ne2;
			sum += strlen(p->files[e[k].to].path) + strlen(p->files[e[k].from].path);
			sum += strlen(impact_edge_kind_name((impact_edge_kind)e[k].kind));
			impact_graph_out(g, e[k].to, &ne2);
			sum += ne2;
		}
		if (id < p->nfiles && impact_project_find(p, p->files[id].path) != id)
			abort();
	}
	/* A walk from each of the first few nodes, then from all of them. */
	for (uint32_t s = 0; s <= n && s < 8; s++) {
		impact_reach reach;
		uint32_t seed = s < n ? s : 0;
		impact_graph_dependents(&reach, g, &seed, 1, s & 1 ? 1u << IMPACT_EDGE_TYPE_CHECKING : 0);
		for (uint32_t k = 0; k < n; k++) {
			/* Every chain leads to the seed, as select.c follows it. */
			uint32_t at = k, steps = 0;
			while (reach.via[at]) {
				sum += strlen(p->files[reach.via[at]->to].path);
				at = reach.via[at]->to;
				if (++steps > n)
					abort();
			}
			if (reach.dist[k] != UINT32_MAX && at != seed)
				abort();
		}
		impact_reach_release(&reach);
	}
	for (size_t i = 0; i < p->collectors.n; i++)
		sum += strlen(p->files[p->collectors.v[i].module].path) +
		       strlen(p->files[p->collectors.v[i].scope].path);
	for (size_t i = 0; i < p->roots.n; i++)
		sum += strlen(p->roots.items[i]);
	for (size_t i = 0; i < p->warnings.n; i++)
		sum += strlen(p->warnings.items[i]);
	/* The name index, as the precise walk reads it: each list's files are files. */
	for (int kind = 0; p->has_refnames && kind < 256; kind++) {
		static const char *const names[] = { "", "a", "self", "__init__", "update" };
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			impact_u32vec files = { 0 };
			impact_refnames_files(&p->refnames, kind, names[i], strlen(names[i]), p->nfiles, &files);
			for (size_t k = 0; k < files.n; k++)
				sum += strlen(p->files[files.v[k]].path);
			impact_u32vec_release(&files);
		}
	}
	if (sum == SIZE_MAX) /* keeps the reads */
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	impact_project *p;
	git_oid tree = { { 0 } };
	void *bytes;

	/* 8-aligned (malloc's), as a mapping is, and exactly `size` long. */
	if (!(bytes = malloc(size ? size : 1)))
		abort();
	memcpy(bytes, data, size);
	if (!(size && (data[0] & 0x80)))
		impact_projcache_seal(bytes, size);
	if (size >= 8 + GIT_OID_RAWSZ)
		memcpy(tree.id, (const unsigned char *)bytes + 8, GIT_OID_RAWSZ);

	/* As project.c's read_cached makes it: snapshot and paths set, nothing else. */
	p = impact_xcalloc(1, sizeof(*p));
	p->paths = impact_strpool_new();
	if (impact_projcache_decode(p, bytes, size, &tree) == 0)
		use(p);
	impact_project_free(p);
	free(bytes);
	return 0;
}
