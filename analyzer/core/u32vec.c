/*
 * u32vec.c - id arrays sorted and deduplicated (the sets stored by
 * records.c and recmods.c), and the comparison bsearch uses on them.
 */
#include "common.h"

int impact_u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

void impact_u32vec_sort_unique(impact_u32vec *vec)
{
	size_t k = 0;
	if (vec->n < 2)
		return; /* nothing to sort, and qsort must not see NULL */
	qsort(vec->v, vec->n, sizeof(uint32_t), impact_u32_cmp);
	for (size_t i = 0; i < vec->n; i++)
		if (!k || vec->v[k - 1] != vec->v[i])
			vec->v[k++] = vec->v[i];
	vec->n = k;
}
