/*
 * runrecord.c - last-run.json written (see runrecord.h).
 */
#include "runrecord.h"

#include <errno.h>
#include <sys/stat.h>
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

json_t *impact_runrecord_json(const impact_runrecord *rec)
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

char *impact_runrecord_path(git_repository *repo, const char *name)
{
	impact_buf p = IMPACT_BUF_INIT;
	impact_buf_printf(&p, "%simpact", git_repository_commondir(repo));
	mkdir(p.ptr, 0777); /* exists already, or the write below says why not */
	impact_buf_printf(&p, "/%s", name);
	return impact_buf_detach(&p);
}

int impact_runrecord_write(git_repository *repo, json_t *doc)
{
	char *path = impact_runrecord_path(repo, "last-run.json");
	impact_buf tmp = IMPACT_BUF_INIT;
	FILE *f = NULL;
	int rc = 0;

	impact_buf_printf(&tmp, "%s.%d.tmp", path, (int)getpid());
	f = fopen(tmp.ptr, "w");
	if (!f || json_dumpf(doc, f, JSON_INDENT(2)) < 0 || fputc('\n', f) == EOF ||
	    fflush(f) != 0 || fsync(fileno(f)) != 0) {
		rc = impact_error_from_errno(errno, "cannot write '%s'", tmp.ptr);
		goto done;
	}
	if (fclose(f) != 0) {
		f = NULL;
		rc = impact_error_from_errno(errno, "cannot write '%s'", tmp.ptr);
		goto done;
	}
	f = NULL;
	if (rename(tmp.ptr, path) != 0)
		rc = impact_error_from_errno(errno, "cannot replace '%s'", path);
done:
	if (f)
		fclose(f);
	if (rc < 0)
		unlink(tmp.ptr);
	impact_buf_release(&tmp);
	free(path);
	return rc;
}

int impact_runrecord_read_failed(impact_strlist *failed, char **range, int *exit_code,
                                 git_repository *repo)
{
	char *path = impact_runrecord_path(repo, "last-run.json");
	json_error_t jerr;
	json_t *doc = NULL, *fails;
	const char *r;
	int rc = 0;

	*range = NULL;
	*exit_code = 0;
	if (access(path, F_OK) != 0) {
		rc = impact_error_set(IMPACT_ENOTFOUND, "no previous run is recorded in '%s'", path);
		goto done;
	}
	doc = json_load_file(path, 0, &jerr);
	if (!json_is_object(doc) || json_integer_value(json_object_get(doc, "version")) != 1) {
		rc = impact_error_set(IMPACT_EINVALID, "'%s' is damaged or of another version (%s): "
		                      "run impact once without --last-failed to rewrite it", path,
		                      doc ? "version" : jerr.text);
		goto done;
	}
	fails = json_object_get(doc, "failures");
	for (size_t i = 0; i < json_array_size(fails); i++) {
		const char *id = json_string_value(json_object_get(json_array_get(fails, i), "nodeid"));
		if (id && *id)
			impact_strlist_push(failed, id);
	}
	if ((r = json_string_value(json_object_get(doc, "range"))) != NULL)
		*range = impact_xstrdup(r);
	*exit_code = (int)json_integer_value(json_object_get(doc, "exit_code"));
done:
	json_decref(doc);
	free(path);
	return rc;
}
