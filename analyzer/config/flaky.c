/*
 * flaky.c - known-flaky failures and reruns (see flaky.h).
 *
 * The failure text given to the matcher is the message and the traceback
 * together: a rule's errors ("TooSlowError", "pexpect.exceptions.TIMEOUT")
 * may appear in either. A rerun's records are found in the run's by node
 * id through a sorted index (a continuation may hold most of a suite).
 */
#include "flaky.h"

void impact_flaky_mark(impact_results *res, const impact_config *config)
{
	impact_buf text = IMPACT_BUF_INIT;
	for (size_t i = 0; config && i < res->n; i++) {
		impact_testcase *tc = &res->cases[i];
		const impact_flaky *f;
		if (!tc->nodeid || !impact_outcome_is_failure(tc->outcome))
			continue;
		impact_buf_clear(&text);
		impact_buf_printf(&text, "%s\n%s", tc->message ? tc->message : "",
		                  tc->text ? tc->text : "");
		f = impact_config_match_flaky(config, tc->nodeid, text.ptr);
		if (!f)
			continue;
		impact_buf_clear(&text);
		if (f->reason && *f->reason)
			impact_buf_puts(&text, f->reason);
		else
			impact_buf_printf(&text, "listed as '%s'", f->test ? f->test : tc->nodeid);
		free(tc->flaky);
		tc->flaky = impact_xstrdup(text.ptr);
	}
	impact_buf_release(&text);
}

size_t impact_flaky_real_failures(const impact_results *res)
{
	size_t n = 0;
	for (size_t i = 0; i < res->n; i++)
		if (impact_outcome_is_failure(res->cases[i].outcome) && !res->cases[i].flaky)
			n++;
	return n;
}

static char *dup_or_null(const char *s)
{
	return s ? impact_xstrdup(s) : NULL;
}

/* Replace record `dst` by a copy of `src`. */
static void assign(impact_testcase *dst, const impact_testcase *src)
{
	free(dst->classname);
	free(dst->name);
	free(dst->file);
	free(dst->nodeid);
	free(dst->message);
	free(dst->text);
	free(dst->flaky);
	*dst = *src;
	dst->classname = dup_or_null(src->classname);
	dst->name = dup_or_null(src->name);
	dst->file = dup_or_null(src->file);
	dst->nodeid = dup_or_null(src->nodeid);
	dst->message = dup_or_null(src->message);
	dst->text = dup_or_null(src->text);
	dst->flaky = dup_or_null(src->flaky);
}

typedef struct by_id {
	const char *id;
	size_t index;
} by_id;

static int by_id_cmp(const void *a, const void *b)
{
	return strcmp(((const by_id *)a)->id, ((const by_id *)b)->id);
}

void impact_flaky_merge(impact_results *into, const impact_results *round, bool rerun)
{
	/* The index covers the records before this round; they are only replaced, never moved. */
	size_t nindex = 0, before = into->n;
	by_id *index = impact_xcalloc(before + 1, sizeof(by_id));
	for (size_t k = 0; rerun && k < before; k++)
		if (into->cases[k].nodeid)
			index[nindex++] = (by_id){ into->cases[k].nodeid, k };
	qsort(index, nindex, sizeof(by_id), by_id_cmp);
	for (size_t i = 0; i < round->n; i++) {
		const impact_testcase *tc = &round->cases[i];
		impact_testcase *old = NULL;
		by_id key = { tc->nodeid, 0 }, *hit = NULL;
		char *note;
		if (nindex && tc->nodeid)
			hit = bsearch(&key, index, nindex, sizeof(by_id), by_id_cmp);
		if (hit)
			old = &into->cases[hit->index];
		if (!old) {
			impact_results_add(into, tc);
			continue;
		}
		note = old->flaky && !impact_outcome_is_failure(tc->outcome) && !tc->flaky
		       ? impact_xstrdup(old->flaky) : NULL;
		/* `hit->id` points into `old`: re-point it at the copy. */
		assign(old, tc);
		hit->id = old->nodeid;
		old->retried = true;
		if (note) {
			free(old->flaky);
			old->flaky = note;
		}
	}
	free(index);
	impact_results_recount(into);
}

void impact_flaky_next(impact_strlist *out, const impact_results *res,
                       const impact_strlist *not_run, bool retry,
                       bool *retrying, bool *continuing)
{
	bool flaky = false;
	*retrying = *continuing = false;
	if (impact_flaky_real_failures(res))
		return;
	for (size_t i = 0; i < res->n; i++) {
		const impact_testcase *tc = &res->cases[i];
		if (!impact_outcome_is_failure(tc->outcome) || !tc->flaky)
			continue;
		flaky = true;
		if (retry && !tc->retried && tc->nodeid) {
			impact_strlist_push(out, tc->nodeid);
			*retrying = true;
		}
	}
	if (flaky && not_run->n) {
		for (size_t i = 0; i < not_run->n; i++)
			impact_strlist_push(out, not_run->items[i]);
		*continuing = true;
	}
}
