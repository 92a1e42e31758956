/*
 * lastrun.c - last-run.json written and read back (see lastrun.h).
 *
 * The reader is lenient about keys (a missing one reads as empty or zero,
 * so a later writer may add keys) and strict about the rest: a file that
 * is not a JSON object, or lacks version 1, is refused.
 */
#include "lastrun.h"

#include "buf.h"

#include <jansson.h>
#include <unistd.h>

static json_t *string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* jansson refuses strings that are not UTF-8: replace bad bytes, never lose the key. */
static json_t *text(const char *s)
{
	json_t *j;
	impact_buf b = IMPACT_BUF_INIT;
	if (!s)
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		impact_buf_putc(&b, *p < 0x80 ? (char)*p : '?');
	j = json_string(b.ptr);
	impact_buf_release(&b);
	return j ? j : json_null();
}

json_t *impact_lastrun_json(const impact_lastrun_rec *rec)
{
	json_t *doc = json_object(), *counts = json_object(), *fails = json_array();
	const impact_results *r = rec->results;
	char when[32] = "";
	struct tm tm;

	if (gmtime_r(&rec->started, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_set_new(doc, "version", json_integer(1));
	json_object_set_new(doc, "commit", string_or_null(rec->commit));
	json_object_set_new(doc, "range", text(rec->range));
	json_object_set_new(doc, "started", json_string(when));
	json_object_set_new(doc, "duration_s", json_real(rec->duration_s));
	json_object_set_new(doc, "exit_code", json_integer(rec->exit_code));
	json_object_set_new(counts, "passed", json_integer((json_int_t)r->counts[IMPACT_OUTCOME_PASSED]));
	json_object_set_new(counts, "failed", json_integer((json_int_t)r->counts[IMPACT_OUTCOME_FAILED]));
	json_object_set_new(counts, "errors", json_integer((json_int_t)r->counts[IMPACT_OUTCOME_ERROR]));
	json_object_set_new(counts, "skipped", json_integer((json_int_t)r->counts[IMPACT_OUTCOME_SKIPPED]));
	json_object_set_new(counts, "xfailed", json_integer((json_int_t)r->counts[IMPACT_OUTCOME_XFAILED]));
	json_object_set_new(counts, "xpassed", json_integer((json_int_t)r->counts[IMPACT_OUTCOME_XPASSED]));
	json_object_set_new(doc, "counts", counts);
	for (size_t i = 0; i < r->n; i++) {
		const impact_testcase *tc = &r->cases[i];
		json_t *f;
		if (!impact_outcome_is_failure(tc->outcome))
			continue;
		f = json_object();
		json_object_set_new(f, "nodeid", text(tc->nodeid ? tc->nodeid : tc->name));
		json_object_set_new(f, "file", text(tc->file));
		json_object_set_new(f, "line", json_integer(impact_testcase_failure_line(tc)));
		json_object_set_new(f, "message", text(tc->message));
		json_object_set_new(f, "flaky", json_boolean(tc->flaky != NULL));
		json_array_append_new(fails, f);
	}
	json_object_set_new(doc, "failures", fails);
	json_object_set_new(doc, "log", text(rec->log));
	json_object_set_new(doc, "tested", json_string(rec->tested ? rec->tested : "the work tree"));
	return doc;
}

int impact_lastrun_write(git_repository *repo, json_t *doc)
{
	char *path = impact_state_path(repo, "last-run.json");
	char *text = json_dumps(doc, JSON_INDENT(2));
	impact_buf b = IMPACT_BUF_INIT;
	int rc;
	if (!text) {
		rc = impact_error_set(IMPACT_ERROR, "cannot render '%s'", path);
	} else {
		impact_buf_puts(&b, text);
		impact_buf_putc(&b, '\n');
		rc = impact_file_replace(path, b.ptr, b.size);
	}
	free(text);
	impact_buf_release(&b);
	free(path);
	return rc;
}


static char *dup_string(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? impact_xstrdup(s) : NULL;
}

static unsigned long count_of(json_t *counts, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(counts, key));
	return v > 0 ? (unsigned long)v : 0;
}

int impact_lastrun_read(impact_lastrun *out, git_repository *repo)
{
	impact_buf path = IMPACT_BUF_INIT;
	json_error_t jerr;
	json_t *doc = NULL, *counts, *fails, *version;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	{
		char *p = impact_state_path(repo, "last-run.json");
		impact_buf_puts(&path, p);
		free(p);
	}
	if (access(path.ptr, F_OK) < 0) {
		rc = impact_error_set(IMPACT_ENOTFOUND, "no run is recorded in '%s' yet", path.ptr);
		goto done;
	}
	doc = json_load_file(path.ptr, 0, &jerr);
	version = json_object_get(doc, "version");
	if (!json_is_object(doc) || !json_is_integer(version) || json_integer_value(version) != 1) {
		rc = impact_error_set(IMPACT_EINVALID, "'%s' is damaged or of another version (%s): "
		                      "the next run rewrites it", path.ptr,
		                      doc ? "version" : jerr.text);
		goto done;
	}
	out->commit = dup_string(doc, "commit");
	out->range = dup_string(doc, "range");
	out->started = dup_string(doc, "started");
	out->log = dup_string(doc, "log");
	out->tested = dup_string(doc, "tested");
	out->duration_s = json_number_value(json_object_get(doc, "duration_s"));
	out->exit_code = (int)json_integer_value(json_object_get(doc, "exit_code"));
	counts = json_object_get(doc, "counts");
	out->passed = count_of(counts, "passed");
	out->failed = count_of(counts, "failed");
	out->errors = count_of(counts, "errors");
	out->skipped = count_of(counts, "skipped");
	out->xfailed = count_of(counts, "xfailed");
	out->xpassed = count_of(counts, "xpassed");
	fails = json_object_get(doc, "failures");
	if (json_array_size(fails)) {
		out->failures = impact_xcalloc(json_array_size(fails), sizeof(*out->failures));
		for (size_t i = 0; i < json_array_size(fails); i++) {
			json_t *f = json_array_get(fails, i);
			impact_lastrun_failure *lf = &out->failures[out->nfailures];
			json_int_t line = json_integer_value(json_object_get(f, "line"));
			lf->nodeid = dup_string(f, "nodeid");
			if (!lf->nodeid)
				continue;
			lf->file = dup_string(f, "file");
			lf->message = dup_string(f, "message");
			lf->line = line > 0 ? (unsigned)line : 0;
			lf->flaky = json_is_true(json_object_get(f, "flaky"));
			out->nfailures++;
		}
	}
done:
	json_decref(doc);
	impact_buf_release(&path);
	return rc;
}

void impact_lastrun_release(impact_lastrun *run)
{
	if (!run)
		return;
	for (size_t i = 0; i < run->nfailures; i++) {
		free(run->failures[i].nodeid);
		free(run->failures[i].file);
		free(run->failures[i].message);
	}
	free(run->failures);
	free(run->commit);
	free(run->range);
	free(run->started);
	free(run->log);
	free(run->tested);
	memset(run, 0, sizeof(*run));
}

int impact_lastrun_read_failed(impact_strlist *failed, char **range, int *exit_code,
                               git_repository *repo)
{
	impact_lastrun lr;
	int rc = impact_lastrun_read(&lr, repo);
	*range = NULL;
	*exit_code = 0;
	if (rc == 0) {
		for (size_t i = 0; i < lr.nfailures; i++)
			if (*lr.failures[i].nodeid)
				impact_strlist_push(failed, lr.failures[i].nodeid);
		*range = lr.range;
		lr.range = NULL;
		*exit_code = lr.exit_code;
	}
	impact_lastrun_release(&lr);
	return rc;
}
