/*
 * parse.c - the parse pool (see parse.h).
 */
#include "parse.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

typedef struct pool {
	impact_parse_job *jobs;
	size_t n;
	atomic_size_t next;
	impact_snapshot *snap;
	pthread_mutex_t read_lock;  /* the snapshot's reads, and the cache's writes */
	impact_cache *cache;        /* slim: each worker stores what it parsed */
	bool slim;
	bool cache_failed;          /* under read_lock: stop writing */
} pool;

/*
 * Slim mode: store the whole facts in the cache when there is one (one
 * write transaction for the pool, writes serialised on the lock) and keep
 * only the slim copy, so that a cold run over 50,000 modules never holds
 * every module's symbols at once. Whoever needs symbols reloads them
 * (impact_project_facts: from the cache, or by parsing again).
 */
static void keep_slim(pool *p, impact_parse_job *job, impact_buf *enc)
{
	impact_pyfacts *slim;
	bool stored = false;

	if (p->cache && !git_oid_is_zero(&job->entry->oid) &&
	    !(job->facts->flags & IMPACT_PYFACTS_TOO_LARGE)) {
		impact_buf_clear(enc);
		if (impact_pyfacts_encode(enc, job->facts) == 0) {
			pthread_mutex_lock(&p->read_lock);
			if (!p->cache_failed) {
				stored = impact_cache_put(p->cache, &job->entry->oid, enc->ptr, enc->size) == 0;
				p->cache_failed = !stored;
			}
			pthread_mutex_unlock(&p->read_lock);
		}
	}
	job->stored = stored;
	/* Unread modules have nothing but flags: kept as they are, never reloaded. */
	if (job->facts->flags & IMPACT_PYFACTS_TOO_LARGE)
		return;
	slim = impact_pyfacts_slim(job->facts);
	impact_pyfacts_free(job->facts);
	job->facts = slim;
}

static void *worker(void *arg)
{
	pool *p = arg;
	impact_pyparser *parser = impact_pyparser_new();
	impact_buf src = IMPACT_BUF_INIT, enc = IMPACT_BUF_INIT;
	char *no_parser = parser ? NULL : impact_xstrdup(impact_error_last());

	for (;;) {
		size_t i = atomic_fetch_add(&p->next, 1);
		impact_parse_job *job;
		int rc;

		if (i >= p->n)
			break;
		job = &p->jobs[i];
		if (job->facts)
			continue; /* from the cache */
		if (!parser) {
			/* The grammar does not load: every file is unknown, loudly. */
			job->error = IMPACT_ERROR;
			job->message = impact_xstrdup(no_parser);
			continue;
		}
		impact_buf_clear(&src);
		pthread_mutex_lock(&p->read_lock);
		rc = impact_snapshot_read(&src, p->snap, job->entry);
		if (rc < 0) {
			job->error = rc;
			job->message = impact_xstrdup(impact_error_last());
		}
		pthread_mutex_unlock(&p->read_lock);
		if (rc < 0)
			continue;
		rc = impact_pyfacts_extract(&job->facts, parser, src.ptr, src.size);
		if (rc < 0) {
			job->error = rc;
			job->message = impact_xstrdup(impact_error_last());
		} else if (p->slim) {
			keep_slim(p, job, &enc);
		}
	}
	impact_buf_release(&src);
	impact_buf_release(&enc);
	impact_pyparser_free(parser);
	free(no_parser);
	return NULL;
}

/* Fill what the cache has; the cache only ever costs a miss. */
static void from_cache(impact_parse_job *jobs, size_t n, impact_cache *cache, bool slim)
{
	impact_buf value = IMPACT_BUF_INIT;
	impact_cache_read_begin(cache);
	for (size_t i = 0; i < n; i++) {
		const git_oid *oid = &jobs[i].entry->oid;
		if (git_oid_is_zero(oid))
			continue;
		impact_buf_clear(&value);
		if (impact_cache_get(cache, oid, &value) != 0)
			continue;
		if ((slim ? impact_pyfacts_decode_slim : impact_pyfacts_decode)(
			    &jobs[i].facts, value.ptr, value.size) == 0)
			jobs[i].cached = true;
		else
			impact_cache_forget(cache, oid);
	}
	impact_cache_read_end(cache);
	impact_buf_release(&value);
}

static void to_cache(impact_parse_job *jobs, size_t n, impact_cache *cache)
{
	impact_buf value = IMPACT_BUF_INIT;
	if (impact_cache_begin(cache) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		const impact_parse_job *j = &jobs[i];
		/* A parse that ran out of time may succeed next time: not kept. */
		if (j->cached || j->stored || !j->facts || j->error || git_oid_is_zero(&j->entry->oid) ||
		    (j->facts->flags & IMPACT_PYFACTS_TOO_LARGE))
			continue;
		impact_buf_clear(&value);
		if (impact_pyfacts_encode(&value, j->facts) < 0 ||
		    impact_cache_put(cache, &j->entry->oid, value.ptr, value.size) < 0)
			break;
	}
	impact_cache_commit(cache);
	impact_buf_release(&value);
}

int impact_parse_run(impact_parse_job *jobs, size_t n, impact_snapshot *snap,
                     unsigned nthreads, impact_cache *cache, bool slim)
{
	size_t todo = n;
	pool p;
	pthread_t threads[16];
	unsigned started = 0;
	impact_pyparser *probe = impact_pyparser_new();

	/* A grammar that does not load is fatal, not "every file unknown". */
	if (!probe)
		return impact_error_set(IMPACT_ERROR, "cannot load the Python grammar: %s "
		                        "(rebuild impact against the tree-sitter it runs with)",
		                        impact_error_last());
	impact_pyparser_free(probe);
	if (cache) {
		from_cache(jobs, n, cache, slim);
		todo = 0;
		for (size_t i = 0; i < n; i++)
			todo += !jobs[i].facts;
	}

	if (!nthreads) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		nthreads = cpus > 0 ? (unsigned)cpus : 1;
	}
	if (nthreads > IMPACT_ARRAY_SIZE(threads))
		nthreads = IMPACT_ARRAY_SIZE(threads);
	/* Threads cost more than they give below a few dozen files. */
	if (todo < 64)
		nthreads = 1;

	p.jobs = jobs;
	p.n = n;
	atomic_init(&p.next, 0);
	p.snap = snap;
	pthread_mutex_init(&p.read_lock, NULL);
	p.slim = slim;
	p.cache = slim && cache && todo && impact_cache_begin(cache) == 0 ? cache : NULL;
	p.cache_failed = false;

	for (unsigned t = 1; t < nthreads; t++)
		if (pthread_create(&threads[started], NULL, worker, &p) == 0)
			started++;
	worker(&p); /* the calling thread works too */
	for (unsigned t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
	pthread_mutex_destroy(&p.read_lock);
	if (p.cache)
		impact_cache_commit(cache);
	else if (cache && todo)
		to_cache(jobs, n, cache);
	return 0;
}

void impact_parse_jobs_release(impact_parse_job *jobs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		impact_pyfacts_free(jobs[i].facts);
		free(jobs[i].message);
		jobs[i].facts = NULL;
		jobs[i].message = NULL;
	}
}
