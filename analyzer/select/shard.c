/*
 * shard.c - selection shards and --order=path (see shard.h).
 */
#include "shard.h"

#include <errno.h>

int impact_shard_parse(unsigned *k, unsigned *n, const char *spec)
{
	char *end;
	unsigned long a, b;

	errno = 0;
	a = strtoul(spec, &end, 10);
	if (end == spec || *end != '/' || errno)
		goto bad;
	spec = end + 1;
	b = strtoul(spec, &end, 10);
	if (end == spec || *end || errno || a < 1 || b < 1 || a > b || b > 1000)
		goto bad;
	*k = (unsigned)a;
	*n = (unsigned)b;
	return 0;
bad:
	return impact_error_set(IMPACT_EINVALID,
	                        "--shard takes K/N with 1 <= K <= N <= 1000 (e.g. 2/4), not '%s'",
	                        spec);
}

typedef struct item {
	size_t pos;     /* index in the run order */
	double weight;
	const char *path;
} item;

static int heavier_first(const void *a, const void *b)
{
	const item *x = a, *y = b;
	if (x->weight != y->weight)
		return x->weight > y->weight ? -1 : 1;
	return strcmp(x->path, y->path);
}

void impact_shard_apply(impact_selection *sel, const impact_project *p,
                        unsigned k, unsigned n, const double *weights)
{
	item *items = impact_xcalloc(sel->ntests ? sel->ntests : 1, sizeof(*items));
	double *load = impact_xcalloc(n, sizeof(*load));
	unsigned char *mine = impact_xcalloc(sel->ntests ? sel->ntests : 1, 1);
	size_t w = 0;

	IMPACT_UNUSED(p);
	for (size_t i = 0; i < sel->ntests; i++) {
		items[i].pos = i;
		items[i].path = sel->tests[i].target;
		items[i].weight = weights ? weights[i] : 1.0;
	}
	if (sel->ntests)
		qsort(items, sel->ntests, sizeof(*items), heavier_first);
	for (size_t i = 0; i < sel->ntests; i++) {
		unsigned best = 0;
		for (unsigned s = 1; s < n; s++)
			if (load[s] < load[best])
				best = s;
		load[best] += items[i].weight;
		if (best == k - 1)
			mine[items[i].pos] = 1;
	}
	for (size_t i = 0; i < sel->ntests; i++)
		if (mine[i])
			sel->tests[w++] = sel->tests[i];
	sel->ntests = w;
	free(items);
	free(load);
	free(mine);
}

static int by_path(const void *a, const void *b, void *payload)
{
	const impact_project *p = payload;
	const impact_selected *x = a, *y = b;
	int c = strcmp(impact_selected_path(p, x), impact_selected_path(p, y));
	return c ? c : strcmp(x->target, y->target);
}

void impact_order_by_path(impact_selection *sel, const impact_project *p)
{
	if (sel->ntests)
		qsort_r(sel->tests, sel->ntests, sizeof(*sel->tests), by_path, (void *)p);
}

typedef struct ranked {
	impact_selected t;
	bool failed_last;
	uint32_t failures;
	size_t pos;
} ranked;

static int failures_first(const void *a, const void *b)
{
	const ranked *x = a, *y = b;
	if (x->failed_last != y->failed_last)
		return x->failed_last ? -1 : 1;
	if (x->failures != y->failures)
		return x->failures > y->failures ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

void impact_order_failures_first(impact_selection *sel, const bool *failed_last,
                                 const uint32_t *failures)
{
	ranked *r = impact_xcalloc(sel->ntests ? sel->ntests : 1, sizeof(*r));
	for (size_t i = 0; i < sel->ntests; i++) {
		r[i].t = sel->tests[i];
		r[i].failed_last = failed_last[i];
		r[i].failures = failures[i];
		r[i].pos = i;
	}
	if (sel->ntests)
		qsort(r, sel->ntests, sizeof(*r), failures_first);
	for (size_t i = 0; i < sel->ntests; i++)
		sel->tests[i] = r[i].t;
	free(r);
}
