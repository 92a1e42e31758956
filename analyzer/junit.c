/*
 * junit.c - JUnit XML from pytest, read with libexpat (see junit.h).
 */
#include "junit.h"

#include "buf.h"

#include <expat.h>

typedef struct state {
	impact_results *r;
	impact_testcase *cur;  /* inside <testcase>, else NULL */
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

static void on_start(void *data, const XML_Char *el, const XML_Char **atts)
{
	state *s = data;
	const char *v;

	if (!strcmp(el, "testsuite")) {
		if ((v = attr(atts, "time")))
			s->r->time += strtod(v, NULL);
		return;
	}
	if (!strcmp(el, "testcase")) {
		impact_testcase tc = { 0 };
		tc.classname = impact_xstrdup((v = attr(atts, "classname")) ? v : "");
		tc.name = impact_xstrdup((v = attr(atts, "name")) ? v : "");
		tc.file = (v = attr(atts, "file")) ? impact_xstrdup(v) : NULL;
		tc.line = (v = attr(atts, "line")) ? (uint32_t)strtoul(v, NULL, 10) + 1 : 0;
		tc.time = (v = attr(atts, "time")) ? strtod(v, NULL) : 0;
		tc.outcome = IMPACT_OUTCOME_PASSED;
		IMPACT_PUSH(s->r->cases, s->r->n, s->r->alloc, tc);
		s->cur = &s->r->cases[s->r->n - 1];
		return;
	}
	if (!s->cur)
		return;
	if (!strcmp(el, "failure") || !strcmp(el, "error") || !strcmp(el, "skipped")) {
		impact_outcome o = !strcmp(el, "failure") ? IMPACT_OUTCOME_FAILED :
		                   !strcmp(el, "error") ? IMPACT_OUTCOME_ERROR :
		                   (v = attr(atts, "type")) && !strcmp(v, "pytest.xfail")
		                           ? IMPACT_OUTCOME_XFAILED : IMPACT_OUTCOME_SKIPPED;
		/* A test that failed and then errored in teardown stays failed. */
		if (s->cur->outcome == IMPACT_OUTCOME_PASSED || o == IMPACT_OUTCOME_FAILED)
			s->cur->outcome = o;
		if (!s->cur->message && (v = attr(atts, "message")))
			s->cur->message = impact_xstrdup(v);
		s->in_detail = true;
		impact_buf_clear(&s->text);
	}
}

static void on_end(void *data, const XML_Char *el)
{
	state *s = data;
	if (!strcmp(el, "testcase")) {
		s->cur = NULL;
		return;
	}
	if (s->cur && s->in_detail &&
	    (!strcmp(el, "failure") || !strcmp(el, "error") || !strcmp(el, "skipped"))) {
		if (!s->cur->text && s->text.size)
			s->cur->text = impact_xstrdup(s->text.ptr);
		s->in_detail = false;
	}
}

static void on_text(void *data, const XML_Char *t, int len)
{
	state *s = data;
	if (s->in_detail && len > 0)
		impact_buf_put(&s->text, t, (size_t)len);
}

int impact_junit_parse(impact_results *out, const char *xml, size_t len)
{
	XML_Parser p = XML_ParserCreate("UTF-8");
	state s = { out, NULL, false, IMPACT_BUF_INIT };
	int rc = 0;

	if (!p)
		return impact_error_set(IMPACT_ERROR, "cannot create an XML parser");
	XML_SetUserData(p, &s);
	XML_SetElementHandler(p, on_start, on_end);
	XML_SetCharacterDataHandler(p, on_text);
	if (len > INT32_MAX ||
	    XML_Parse(p, xml, (int)len, 1) == XML_STATUS_ERROR)
		rc = impact_error_set(IMPACT_EINVALID, "junit xml line %lu: %s",
		                      (unsigned long)XML_GetCurrentLineNumber(p),
		                      len > INT32_MAX ? "too large" : XML_ErrorString(XML_GetErrorCode(p)));
	XML_ParserFree(p);
	impact_buf_release(&s.text);
	memset(out->counts, 0, sizeof(out->counts));
	for (size_t i = 0; i < out->n; i++)
		out->counts[out->cases[i].outcome]++;
	return rc;
}

void impact_results_release(impact_results *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->cases[i].classname);
		free(r->cases[i].name);
		free(r->cases[i].file);
		free(r->cases[i].message);
		free(r->cases[i].text);
	}
	free(r->cases);
	memset(r, 0, sizeof(*r));
}

void impact_junit_nodeid(impact_buf *out, const impact_testcase *tc,
                         const char *const *files, size_t n, const char **file_out)
{
	impact_buf dotted = IMPACT_BUF_INIT;
	const char *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; i < n; i++) {
		const char *f = files[i];
		size_t len = strlen(f);
		if (len < 3 || strcmp(f + len - 3, ".py"))
			continue;
		impact_buf_clear(&dotted);
		impact_buf_put(&dotted, f, len - 3);
		for (char *c = dotted.ptr; *c; c++)
			if (*c == '/')
				*c = '.';
		/* With rootdir-based names the classname may lack leading folders. */
		const char *cls = tc->classname;
		for (const char *d = dotted.ptr; d; d = strchr(d, '.') ? strchr(d, '.') + 1 : NULL) {
			size_t dl = strlen(d);
			if (!strncmp(cls, d, dl) && (cls[dl] == '\0' || cls[dl] == '.') && dl > best_len) {
				best = f;
				best_len = dl;
			}
		}
	}
	if (best) {
		const char *rest = tc->classname + best_len;
		impact_buf_puts(out, best);
		while (*rest == '.') {
			const char *next = strchr(rest + 1, '.');
			size_t k = next ? (size_t)(next - rest - 1) : strlen(rest + 1);
			impact_buf_puts(out, "::");
			impact_buf_put(out, rest + 1, k);
			rest += k + 1;
		}
	} else {
		impact_buf_puts(out, tc->classname);
	}
	impact_buf_printf(out, "::%s", tc->name);
	if (file_out)
		*file_out = best ? best : tc->file;
	impact_buf_release(&dotted);
}

const char *impact_outcome_name(impact_outcome o)
{
	static const char *const names[] = { "passed", "failed", "error", "skipped", "xfailed" };
	return o < IMPACT_OUTCOME_COUNT ? names[o] : "?";
}
