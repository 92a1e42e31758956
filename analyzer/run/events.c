/*
 * events.c - the plugin's event stream (see events.h).
 *
 * JUnit records are matched to events by the (classname, name) pair that
 * pytest's junitxml derives from a node id (mangle_test_address): the
 * path part with '/' as '.' and ".py" dropped, joined with the "::" parts
 * but the last, which keeps any "[params]". Computing it from the node id
 * is exact; going the other way (impact_junit_nodeid) has to guess.
 */
#include "events.h"

#include <jansson.h>
#include <limits.h>

void impact_events_init(impact_events *ev)
{
	memset(ev, 0, sizeof(*ev));
	impact_buf_init(&ev->partial);
}

void impact_events_release(impact_events *ev)
{
	for (size_t i = 0; i < ev->ntests; i++) {
		free(ev->tests[i].id);
		free(ev->tests[i].message);
		free(ev->tests[i].text);
	}
	free(ev->tests);
	free(ev->rootdir);
	free(ev->current);
	impact_strlist_release(&ev->collected);
	impact_strlist_release(&ev->shadowed);
	impact_buf_release(&ev->partial);
	memset(ev, 0, sizeof(*ev));
}

static impact_outcome outcome_of(const char *s)
{
	static const char *const names[] = {
		"passed", "failed", "error", "skipped", "xfailed", "xpassed",
	};
	for (size_t i = 0; s && i < IMPACT_ARRAY_SIZE(names); i++)
		if (!strcmp(s, names[i]))
			return (impact_outcome)i;
	return IMPACT_OUTCOME_ERROR;
}

/*
 * String field `key` of `doc`, or its "<key>_hex" form (the bytes of a
 * non-UTF-8 name) decoded into `scratch`; NULL when neither is there or
 * the hex is damaged (or decodes to a NUL).
 */
static const char *str_field(impact_buf *scratch, json_t *doc, const char *key)
{
	const char *s = json_string_value(json_object_get(doc, key)), *hex;
	size_t n;
	if (s)
		return s;
	impact_buf_clear(scratch);
	impact_buf_printf(scratch, "%s_hex", key);
	hex = json_string_value(json_object_get(doc, scratch->ptr));
	impact_buf_clear(scratch);
	if (!hex || (n = strlen(hex)) % 2)
		return NULL;
	for (size_t i = 0; i < n; i += 2) {
		unsigned v = 0;
		for (size_t k = 0; k < 2; k++) {
			char c = hex[i + k];
			unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
			           : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) : 16;
			if (d == 16)
				return NULL;
			v = v * 16 + d;
		}
		if (!v)
			return NULL;
		impact_buf_putc(scratch, (char)v);
	}
	return scratch->ptr;
}

static void line_event(impact_events *ev, const char *line, size_t len,
                       impact_events_fn fn, void *payload)
{
	json_t *doc = json_loadb(line, len, 0, NULL);
	impact_buf idbuf = IMPACT_BUF_INIT, rootbuf = IMPACT_BUF_INIT;
	const char *e, *id;
	impact_event_kind kind;
	impact_outcome outcome = IMPACT_OUTCOME_PASSED;

	e = json_string_value(json_object_get(doc, "e"));
	id = str_field(&idbuf, doc, "id");
	if (!e) {
		ev->bad_lines++;
		goto done;
	}
	if (!strcmp(e, "start")) {
		const char *root = str_field(&rootbuf, doc, "rootdir");
		kind = IMPACT_EVENT_START;
		ev->started = true;
		free(ev->rootdir);
		ev->rootdir = root ? impact_xstrdup(root) : NULL;
	} else if (!strcmp(e, "finish")) {
		kind = IMPACT_EVENT_FINISH;
		ev->finished = true;
		ev->status = (int)json_integer_value(json_object_get(doc, "status"));
		ev->maxfail = json_is_true(json_object_get(doc, "maxfail"));
	} else if (!id) {
		ev->bad_lines++;
		goto done;
	} else if (!strcmp(e, "shadowed")) {
		const char *where = json_string_value(json_object_get(doc, "where"));
		impact_strlist_push(&ev->shadowed, id);
		impact_strlist_push(&ev->shadowed, where ? where : "?");
		goto done; /* no test's event */
	} else if (!strcmp(e, "collected")) {
		kind = IMPACT_EVENT_COLLECTED;
		impact_strlist_push(&ev->collected, id);
	} else if (!strcmp(e, "begin")) {
		kind = IMPACT_EVENT_BEGIN;
		free(ev->current);
		ev->current = impact_xstrdup(id);
	} else if (!strcmp(e, "done") || !strcmp(e, "collecterror") || !strcmp(e, "collectskip") ||
	           !strcmp(e, "teardownerror")) {
		impact_event_test t = { 0 };
		json_int_t line_no = json_integer_value(json_object_get(doc, "line"));
		bool collect = !strcmp(e, "collecterror"), skip = !strcmp(e, "collectskip");
		bool teardown = !strcmp(e, "teardownerror");
		const char *msg = json_string_value(json_object_get(doc, "msg"));
		const char *text = json_string_value(json_object_get(doc, "text"));
		kind = collect ? IMPACT_EVENT_COLLECTERROR : skip ? IMPACT_EVENT_COLLECTSKIP
		       : teardown ? IMPACT_EVENT_TEARDOWNERROR : IMPACT_EVENT_DONE;
		outcome = collect || teardown ? IMPACT_OUTCOME_ERROR : skip ? IMPACT_OUTCOME_SKIPPED
		          : outcome_of(json_string_value(json_object_get(doc, "outcome")));
		t.id = impact_xstrdup(id);
		t.outcome = outcome;
		t.time = json_number_value(json_object_get(doc, "dur"));
		t.line = line_no > 0 && line_no < UINT32_MAX ? (uint32_t)line_no : 0;
		t.collect_error = collect;
		t.message = msg ? impact_xstrdup(msg) : NULL;
		t.text = text && *text ? impact_xstrdup(text) : NULL;
		IMPACT_PUSH(ev->tests, ev->ntests, ev->alloc, t);
		if (ev->current && !strcmp(ev->current, id)) {
			free(ev->current);
			ev->current = NULL;
		}
	} else {
		goto done; /* a newer plugin's event: ignored */
	}
	if (fn)
		fn(kind, kind == IMPACT_EVENT_START || kind == IMPACT_EVENT_FINISH ? NULL : id,
		   outcome, payload);
done:
	impact_buf_release(&idbuf);
	impact_buf_release(&rootbuf);
	json_decref(doc);
}

void impact_events_feed(impact_events *ev, const char *data, size_t n,
                        impact_events_fn fn, void *payload)
{
	const char *end = data + n;
	while (data < end) {
		const char *nl = memchr(data, '\n', (size_t)(end - data));
		if (!nl) {
			/* A line longer than 16 MiB is no event of ours: dropped. */
			if (ev->partial.size + (size_t)(end - data) > ((size_t)16 << 20)) {
				impact_buf_clear(&ev->partial);
				ev->bad_lines++;
			} else {
				impact_buf_put(&ev->partial, data, (size_t)(end - data));
			}
			return;
		}
		if (ev->partial.size) {
			impact_buf_put(&ev->partial, data, (size_t)(nl - data));
			line_event(ev, ev->partial.ptr, ev->partial.size, fn, payload);
			impact_buf_clear(&ev->partial);
		} else if (nl > data) {
			line_event(ev, data, (size_t)(nl - data), fn, payload);
		}
		data = nl + 1;
	}
}

/*
 * What to put before a rootdir-relative path to make it relative to
 * `workdir`: "" when they are the same folder, "sub/" when the rootdir is
 * below it. False when unknown or outside (ids are then kept as they are).
 */
static bool workdir_prefix(impact_buf *out, const impact_events *ev, const char *workdir)
{
	char *root = NULL, *wd = NULL;
	bool ok = false;
	size_t n;

	impact_buf_clear(out);
	if (!ev->rootdir || !workdir)
		return false;
	root = realpath(ev->rootdir, NULL);
	wd = realpath(workdir, NULL);
	if (!root || !wd)
		goto done;
	n = strlen(wd);
	if (!strcmp(root, wd)) {
		ok = true;
	} else if (!strncmp(root, wd, n) && root[n] == '/') {
		impact_buf_printf(out, "%s/", root + n + 1);
		ok = true;
	}
done:
	free(root);
	free(wd);
	return ok;
}

void impact_events_workdir_id(impact_buf *out, const impact_events *ev,
                              const char *workdir, const char *id)
{
	impact_buf prefix = IMPACT_BUF_INIT;
	workdir_prefix(&prefix, ev, workdir);
	impact_buf_clear(out);
	impact_buf_put(out, prefix.ptr, prefix.size);
	impact_buf_puts(out, id);
	impact_buf_release(&prefix);
}

/* pytest's junitxml names for node id `id`: classname and name, into `cls` and `name`. */
static void mangle(impact_buf *cls, impact_buf *name, const char *id)
{
	const char *bracket = strchr(id, '[');
	size_t pathlen = bracket ? (size_t)(bracket - id) : strlen(id);
	const char *last = NULL;
	impact_buf_clear(cls);
	impact_buf_clear(name);
	/* The last "::" of the path part starts the name. */
	for (const char *p = id; p + 1 < id + pathlen; p++)
		if (p[0] == ':' && p[1] == ':')
			last = p;
	if (!last) {
		impact_buf_put(cls, "", 0);
		impact_buf_put(name, id, pathlen);
	} else {
		impact_buf_put(cls, id, (size_t)(last - id));
		impact_buf_put(name, last + 2, pathlen - (size_t)(last + 2 - id));
	}
	/* The first part (the file) in dotted form, ".py" dropped. */
	{
		impact_buf *first = last ? cls : name;
		char *sep = strstr(first->ptr, "::");
		size_t flen = sep ? (size_t)(sep - first->ptr) : first->size;
		for (size_t i = 0; i < flen; i++)
			if (first->ptr[i] == '/')
				first->ptr[i] = '.';
		if (flen >= 3 && !memcmp(first->ptr + flen - 3, ".py", 3)) {
			memmove(first->ptr + flen - 3, first->ptr + flen, first->size - flen + 1);
			first->size -= 3;
		}
	}
	/* The remaining "::" separators of the classname become dots. */
	for (char *p; (p = strstr(cls->ptr, "::")) != NULL;) {
		*p = '.';
		memmove(p + 1, p + 2, cls->size - (size_t)(p + 2 - cls->ptr) + 1);
		cls->size--;
	}
	if (bracket)
		impact_buf_puts(name, bracket);
}

typedef struct keyed {
	char *key;   /* classname "\x1f" name */
	size_t test; /* index into ev->tests */
} keyed;

static int keyed_cmp(const void *a, const void *b)
{
	return strcmp(((const keyed *)a)->key, ((const keyed *)b)->key);
}

static char *key_of(impact_buf *scratch, const char *cls, const char *name)
{
	impact_buf_clear(scratch);
	impact_buf_printf(scratch, "%s\x1f%s", cls, name);
	return impact_xstrdup(scratch->ptr);
}

void impact_events_apply(const impact_events *ev, impact_results *res, const char *workdir)
{
	impact_buf prefix = IMPACT_BUF_INIT, cls = IMPACT_BUF_INIT, name = IMPACT_BUF_INIT;
	impact_buf scratch = IMPACT_BUF_INIT, id = IMPACT_BUF_INIT;
	keyed *keys = impact_xcalloc(ev->ntests + 1, sizeof(keyed));
	bool *used = impact_xcalloc(ev->ntests + 1, sizeof(bool));

	workdir_prefix(&prefix, ev, workdir);
	for (size_t i = 0; i < ev->ntests; i++) {
		mangle(&cls, &name, ev->tests[i].id);
		keys[i].key = key_of(&scratch, cls.ptr, name.ptr);
		keys[i].test = i;
	}
	qsort(keys, ev->ntests, sizeof(keyed), keyed_cmp);

	for (size_t i = 0; i < res->n; i++) {
		impact_testcase *tc = &res->cases[i];
		keyed probe = { key_of(&scratch, tc->classname, tc->name), 0 }, *hit;
		const impact_event_test *t;
		hit = ev->ntests ? bsearch(&probe, keys, ev->ntests, sizeof(keyed), keyed_cmp) : NULL;
		/* A key twice (a failed test's teardown error): the first one not used yet. */
		while (hit && hit > keys && !keyed_cmp(hit - 1, hit))
			hit--;
		while (hit && used[hit->test] && hit + 1 < keys + ev->ntests && !keyed_cmp(hit + 1, hit))
			hit++;
		free(probe.key);
		if (!hit || used[hit->test])
			continue;
		used[hit->test] = true;
		t = &ev->tests[hit->test];
		impact_buf_clear(&id);
		impact_buf_printf(&id, "%s%s", prefix.ptr, t->id);
		free(tc->nodeid);
		tc->nodeid = impact_xstrdup(id.ptr);
		{
			/*
			 * The file from the node id, which is relative to the repository
			 * here: the XML's `file` attribute (xunit1) is relative to pytest's
			 * rootdir, and the history must match the selection's paths.
			 */
			char *sep = strstr(id.ptr, "::");
			free(tc->file);
			tc->file = sep ? impact_xstrndup(id.ptr, (size_t)(sep - id.ptr)) : impact_xstrdup(id.ptr);
		}
		if (!tc->line)
			tc->line = t->line;
		if (!tc->message && t->message)
			tc->message = impact_xstrdup(t->message);
		if (!tc->text && t->text)
			tc->text = impact_xstrdup(t->text);
		if (t->outcome == IMPACT_OUTCOME_XPASSED && tc->outcome == IMPACT_OUTCOME_PASSED)
			tc->outcome = IMPACT_OUTCOME_XPASSED;
		tc->collect_error = tc->collect_error || t->collect_error;
	}
	/* Tests the XML does not have (a run killed before pytest wrote it). */
	for (size_t i = 0; i < ev->ntests; i++) {
		const impact_event_test *t = &ev->tests[i];
		impact_testcase add = { 0 };
		char *sep;
		if (used[i])
			continue;
		mangle(&cls, &name, t->id);
		impact_buf_clear(&id);
		impact_buf_printf(&id, "%s%s", prefix.ptr, t->id);
		sep = strstr(id.ptr, "::");
		add.classname = cls.ptr;
		add.name = name.ptr;
		add.nodeid = id.ptr;
		add.file = sep ? impact_xstrndup(id.ptr, (size_t)(sep - id.ptr)) : impact_xstrdup(id.ptr);
		add.line = t->line;
		add.time = t->time;
		add.outcome = t->outcome;
		add.collect_error = t->collect_error;
		add.message = t->message;
		add.text = t->text;
		impact_results_add(res, &add);
		free(add.file);
	}
	impact_results_recount(res);
	for (size_t i = 0; i < ev->ntests; i++)
		free(keys[i].key);
	free(keys);
	free(used);
	impact_buf_release(&prefix);
	impact_buf_release(&cls);
	impact_buf_release(&name);
	impact_buf_release(&scratch);
	impact_buf_release(&id);
}
