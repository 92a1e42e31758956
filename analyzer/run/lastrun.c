/*
 * lastrun.c - last-run.json read back (see lastrun.h).
 *
 * Lenient on purpose: a missing key reads as empty or zero, because the
 * record is written by another part of impact that may add keys; only a
 * file that is not JSON, or says another version, is refused.
 */
#include "lastrun.h"

#include "buf.h"

#include <jansson.h>
#include <unistd.h>

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
	impact_buf_printf(&path, "%simpact/last-run.json", git_repository_commondir(repo));
	if (access(path.ptr, F_OK) < 0) {
		rc = impact_error_set(IMPACT_ENOTFOUND, "no run is recorded in '%s' yet", path.ptr);
		goto done;
	}
	doc = json_load_file(path.ptr, 0, &jerr);
	version = json_object_get(doc, "version");
	if (!json_is_object(doc) || (version && json_integer_value(version) != 1)) {
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

const char *impact_lastrun_exit_meaning(int exit_code)
{
	switch (exit_code) {
	case 0: return "passed";
	case 1: return "test failures";
	case 2: return "usage or configuration error";
	case 3: return "collection/import error or interpreter problem";
	case 4: return "timeout";
	case 130: return "interrupted";
	default: return "error";
	}
}
