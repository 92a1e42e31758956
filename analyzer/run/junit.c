/*
 * junit.c - JUnit XML from pytest, read with libexpat (see junit.h).
 *
 * Only elements inside <testcase> matter; everything else (properties,
 * system-out, unknown elements) is skipped. Internal entities are left to
 * expat, whose amplification limits (expat >= 2.4) stop a hostile file.
 */
#include "junit.h"

#include <expat.h>

typedef struct state {
	impact_results *r;
	size_t cur;            /* index of the open <testcase> + 1; 0 = none */
	bool in_detail;        /* inside <failure>/<error>/<skipped> */
	impact_buf text;
} state;

static const char *attr(const XML_Char **atts, const char *name)
{
	for (size_t i = 0; atts[i]; i += 2)
		if (!strcmp(atts[i], name))
			return atts[i + 1];
	return NULL;
}

static bool is_detail(const char *el)
{
	return !strcmp(el, "failure") || !strcmp(el, "error") || !strcmp(el, "skipped");
}

static void on_start(void *data, const XML_Char *el, const XML_Char **atts)
{
	state *s = data;
	impact_testcase *tc;
	impact_outcome o;
	const char *v;

	if (!strcmp(el, "testsuite")) {
		if ((v = attr(atts, "time")))
			s->r->time += strtod(v, NULL);
		return;
	}
	if (!strcmp(el, "testcase")) {
		impact_testcase add = { 0 };
		add.classname = (char *)((v = attr(atts, "classname")) ? v : "");
		add.name = (char *)((v = attr(atts, "name")) ? v : "");
		add.file = (char *)attr(atts, "file");
		add.line = (v = attr(atts, "line")) ? (uint32_t)strtoul(v, NULL, 10) + 1 : 0;
		add.time = (v = attr(atts, "time")) ? strtod(v, NULL) : 0;
		add.outcome = IMPACT_OUTCOME_PASSED;
		impact_results_add(s->r, &add);
		s->cur = s->r->n;
		return;
	}
	if (!s->cur || !is_detail(el))
		return;
	tc = &s->r->cases[s->cur - 1];
	o = !strcmp(el, "failure") ? IMPACT_OUTCOME_FAILED :
	    !strcmp(el, "error") ? IMPACT_OUTCOME_ERROR :
	    (v = attr(atts, "type")) && !strcmp(v, "pytest.xfail") ? IMPACT_OUTCOME_XFAILED
	                                                         : IMPACT_OUTCOME_SKIPPED;
	/* A test that failed and then errored in teardown stays failed. */
	if (tc->outcome == IMPACT_OUTCOME_PASSED || o == IMPACT_OUTCOME_FAILED)
		tc->outcome = o;
	v = attr(atts, "message");
	if (!tc->message && v)
		tc->message = impact_xstrdup(v);
	if (o == IMPACT_OUTCOME_ERROR && !*tc->classname && v && !strcmp(v, "collection failure"))
		tc->collect_error = true;
	s->in_detail = true;
	impact_buf_clear(&s->text);
}

static void on_end(void *data, const XML_Char *el)
{
	state *s = data;
	impact_testcase *tc;
	if (!strcmp(el, "testcase")) {
		s->cur = 0;
		s->in_detail = false;
		return;
	}
	if (!s->cur || !s->in_detail || !is_detail(el))
		return;
	tc = &s->r->cases[s->cur - 1];
	if (!tc->text && s->text.size)
		tc->text = impact_xstrdup(s->text.ptr);
	s->in_detail = false;
}

static void on_text(void *data, const XML_Char *t, int len)
{
	state *s = data;
	/* Capped: a traceback longer than 1 MiB is cut, not grown without bound. */
	if (s->in_detail && len > 0 && s->text.size < ((size_t)1 << 20))
		impact_buf_put(&s->text, t, (size_t)len);
}

int impact_junit_parse(impact_results *out, const char *xml, size_t len)
{
	XML_Parser p = XML_ParserCreate("UTF-8");
	state s = { out, 0, false, IMPACT_BUF_INIT };
	int rc = 0;

	if (!p)
		return impact_error_set(IMPACT_ERROR, "cannot create an XML parser");
	XML_SetUserData(p, &s);
	XML_SetElementHandler(p, on_start, on_end);
	XML_SetCharacterDataHandler(p, on_text);
	if (len > INT32_MAX)
		rc = impact_error_set(IMPACT_EINVALID, "junit xml line 1: too large (%zu bytes)", len);
	else if (XML_Parse(p, xml, (int)len, 1) == XML_STATUS_ERROR)
		rc = impact_error_set(IMPACT_EINVALID, "junit xml line %lu: %s",
		                      (unsigned long)XML_GetCurrentLineNumber(p),
		                      XML_ErrorString(XML_GetErrorCode(p)));
	XML_ParserFree(p);
	impact_buf_release(&s.text);
	impact_results_recount(out);
	return rc;
}

static char *dup_or_null(const char *s)
{
	return s ? impact_xstrdup(s) : NULL;
}

impact_testcase *impact_results_add(impact_results *r, const impact_testcase *tc)
{
	impact_testcase c = *tc;
	c.classname = impact_xstrdup(tc->classname ? tc->classname : "");
	c.name = impact_xstrdup(tc->name ? tc->name : "");
	c.file = dup_or_null(tc->file);
	c.nodeid = dup_or_null(tc->nodeid);
	c.message = dup_or_null(tc->message);
	c.text = dup_or_null(tc->text);
	c.flaky = dup_or_null(tc->flaky);
	IMPACT_PUSH(r->cases, r->n, r->alloc, c);
	return &r->cases[r->n - 1];
}

void impact_results_recount(impact_results *r)
{
	memset(r->counts, 0, sizeof(r->counts));
	for (size_t i = 0; i < r->n; i++)
		if (r->cases[i].outcome < IMPACT_OUTCOME_COUNT)
			r->counts[r->cases[i].outcome]++;
}

bool impact_outcome_is_failure(impact_outcome o)
{
	return o == IMPACT_OUTCOME_FAILED || o == IMPACT_OUTCOME_ERROR;
}

void impact_results_release(impact_results *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->cases[i].classname);
		free(r->cases[i].name);
		free(r->cases[i].file);
		free(r->cases[i].nodeid);
		free(r->cases[i].message);
		free(r->cases[i].text);
		free(r->cases[i].flaky);
	}
	free(r->cases);
	memset(r, 0, sizeof(*r));
}

/* `path` without ".py", '/' turned to '.': how pytest names a module in JUnit. */
static void dotted(impact_buf *out, const char *path)
{
	size_t len = strlen(path);
	impact_buf_clear(out);
	impact_buf_put(out, path, len >= 3 && !strcmp(path + len - 3, ".py") ? len - 3 : len);
	for (char *c = out->ptr; *c; c++)
		if (*c == '/')
			*c = '.';
}

void impact_junit_nodeid(impact_buf *out, const impact_testcase *tc,
                         const char *const *files, size_t n, const char **file_out)
{
	impact_buf dot = IMPACT_BUF_INIT;
	const char *best = NULL;
	size_t best_len = 0;
	/* A collection error names the module in `name`: match that instead. */
	const char *cls = tc->collect_error ? tc->name : tc->classname;

	for (size_t i = 0; i < n; i++) {
		const char *f = files[i];
		size_t len = strlen(f);
		if (len < 3 || strcmp(f + len - 3, ".py"))
			continue;
		dotted(&dot, f);
		/* With rootdir-based names the classname may lack leading folders. */
		for (const char *d = dot.ptr; d; d = strchr(d, '.') ? strchr(d, '.') + 1 : NULL) {
			size_t dl = strlen(d);
			if (!strncmp(cls, d, dl) && (cls[dl] == '\0' || cls[dl] == '.') && dl > best_len) {
				best = f;
				best_len = dl;
			}
		}
	}
	if (tc->collect_error) {
		impact_buf_puts(out, best ? best : tc->name);
	} else if (best) {
		const char *rest = cls + best_len;
		impact_buf_puts(out, best);
		while (*rest == '.') {
			const char *next = strchr(rest + 1, '.');
			size_t k = next ? (size_t)(next - rest - 1) : strlen(rest + 1);
			impact_buf_puts(out, "::");
			impact_buf_put(out, rest + 1, k);
			rest += k + 1;
		}
		impact_buf_printf(out, "::%s", tc->name);
	} else {
		impact_buf_printf(out, "%s::%s", cls, tc->name);
	}
	if (file_out)
		*file_out = best ? best : tc->file;
	impact_buf_release(&dot);
}

uint32_t impact_testcase_failure_line(const impact_testcase *tc)
{
	uint32_t line = 0;
	size_t flen;
	if (!tc->file || !tc->text)
		return tc->line;
	flen = strlen(tc->file);
	for (const char *p = tc->text; (p = strstr(p, tc->file)) != NULL; p += flen) {
		const char *q = p + flen;
		unsigned long n;
		char *end;
		/* At a line start or after a quote/space, then ":<digits>:". */
		if (p > tc->text && p[-1] != '\n' && p[-1] != ' ' && p[-1] != '/')
			continue;
		if (*q != ':' || q[1] < '0' || q[1] > '9')
			continue;
		n = strtoul(q + 1, &end, 10);
		if (*end == ':' && n > 0 && n < UINT32_MAX)
			line = (uint32_t)n;
	}
	return line ? line : tc->line;
}

bool impact_traceback_frame(const char *line, size_t len, const char **path, size_t *plen,
                            const char **func)
{
	const char *end = line + len, *colon;
	while (line < end && *line == ' ')
		line++;
	for (colon = line; colon < end && (colon = memchr(colon, ':', (size_t)(end - colon))); colon++) {
		const char *d = colon + 1;
		while (d < end && *d >= '0' && *d <= '9')
			d++;
		if (d > colon + 1 && end - d >= 5 && !memcmp(d, ": in ", 5)) {
			if (colon == line)
				return false;
			*path = line;
			*plen = (size_t)(colon - line);
			*func = d + 5;
			return true;
		}
	}
	return false;
}

const char *impact_outcome_name(impact_outcome o)
{
	static const char *const names[] = {
		"passed", "failed", "error", "skipped", "xfailed", "xpassed",
	};
	return o < IMPACT_OUTCOME_COUNT ? names[o] : "?";
}
