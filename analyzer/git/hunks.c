/*
 * hunks.c - changed line ranges of a file (see hunks.h), through
 * git_patch_from_buffers with zero context lines, so a hunk is exactly
 * the lines that differ.
 */
#include "hunks.h"

#include <git2.h>

void impact_lines_release(impact_lines *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static void push(impact_lines *l, uint32_t first, uint32_t last)
{
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 8;
		l->v = impact_xreallocarray(l->v, l->alloc, sizeof(*l->v));
	}
	l->v[l->n][0] = first;
	l->v[l->n][1] = last;
	l->n++;
}

static uint32_t count_lines(const char *s, size_t len)
{
	uint32_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += s[i] == '\n';
	return n + (len && s[len - 1] != '\n');
}

int impact_hunks_compute(impact_lines *old_lines, impact_lines *new_lines,
                         const char *old, size_t old_len,
                         const char *new, size_t new_len)
{
	git_diff_options opts;
	git_patch *patch = NULL;
	size_t nh;

	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
	opts.context_lines = 0;
	opts.interhunk_lines = 0;
	opts.flags = GIT_DIFF_FORCE_TEXT;
	if (git_patch_from_buffers(&patch, old, old_len, NULL, new, new_len, NULL, &opts) < 0) {
		const git_error *e = git_error_last();
		return impact_error_set(IMPACT_ERROR, "cannot diff two versions of a file: %s",
		                        e && e->message ? e->message : "libgit2 failed");
	}
	nh = patch ? git_patch_num_hunks(patch) : 0;
	for (size_t i = 0; i < nh; i++) {
		const git_diff_hunk *h;
		if (git_patch_get_hunk(&h, NULL, patch, i) < 0) {
			/* Cannot happen for i < nh; be safe: everything changed. */
			push(old_lines, 1, count_lines(old, old_len) ? count_lines(old, old_len) : 1);
			push(new_lines, 1, count_lines(new, new_len) ? count_lines(new, new_len) : 1);
			break;
		}
		if (h->old_lines > 0)
			push(old_lines, (uint32_t)h->old_start, (uint32_t)(h->old_start + h->old_lines - 1));
		if (h->new_lines > 0)
			push(new_lines, (uint32_t)h->new_start, (uint32_t)(h->new_start + h->new_lines - 1));
	}
	git_patch_free(patch);
	return 0;
}
