/*
 * repair.c - the repair loop's state machine and failure grouping (see
 * repair.h).
 *
 * The error of a failure is read from pytest's JUnit record: its message
 * attribute (pytest's one-line "Type: message"; a bare "assert ..." is an
 * AssertionError) and, for the frame, the last "<path>:<line>:" location
 * line of its traceback text (every --tb style but "no" and "line" writes
 * them), which is the frame the exception was raised in.
 */
#include "repair.h"

#include <ctype.h>

enum { MESSAGE_MAX = 200 };

void impact_repair_init(impact_repair *r, bool all)
{
	memset(r, 0, sizeof(*r));
	r->all = all;
	r->step = IMPACT_REPAIR_START;
	r->resume = IMPACT_REPAIR_AFFECTED;
}

void impact_repair_error_release(impact_repair_error *e)
{
	free(e->type);
	free(e->message);
	free(e->frame);
	memset(e, 0, sizeof(*e));
}

static void clear_groups(impact_repair *r)
{
	for (size_t i = 0; i < r->ngroups; i++) {
		impact_repair_error_release(&r->groups[i].error);
		impact_strlist_release(&r->groups[i].tests);
	}
	r->ngroups = 0;
	impact_strlist_release(&r->failed);
	free(r->focus);
	r->focus = NULL;
}

void impact_repair_release(impact_repair *r)
{
	clear_groups(r);
	free(r->groups);
	memset(r, 0, sizeof(*r));
}

const char *impact_repair_step_name(impact_repair_step step)
{
	static const char *const names[] = { "start", "one", "failed", "affected", "all", "wait" };
	return step <= IMPACT_REPAIR_WAIT ? names[step] : "?";
}

/* --- the error of a failure ----------------------------------------------- */

/* The first line of `s` with numbers as N and addresses as 0x?, at most MESSAGE_MAX bytes. */
static char *normalise(const char *s, size_t n)
{
	impact_buf out = IMPACT_BUF_INIT;
	for (size_t i = 0; i < n && s[i] != '\n' && out.size < MESSAGE_MAX;) {
		bool word_before = i > 0 && (isalnum((unsigned char)s[i - 1]) || s[i - 1] == '_');
		if (s[i] == '0' && i + 2 < n && (s[i + 1] == 'x' || s[i + 1] == 'X') &&
		    isxdigit((unsigned char)s[i + 2]) && !word_before) {
			impact_buf_puts(&out, "0x?");
			for (i += 2; i < n && isxdigit((unsigned char)s[i]); i++)
				;
		} else if (isdigit((unsigned char)s[i]) && !word_before) {
			impact_buf_putc(&out, 'N');
			while (i < n && (isdigit((unsigned char)s[i]) ||
			                 (s[i] == '.' && i + 1 < n && isdigit((unsigned char)s[i + 1]))))
				i++;
		} else {
			impact_buf_putc(&out, s[i++]);
		}
	}
	while (out.size && isspace((unsigned char)out.ptr[out.size - 1]))
		impact_buf_truncate(&out, out.size - 1);
	return impact_buf_detach(&out);
}

/* Length of a leading dotted identifier ("pexpect.exceptions.TIMEOUT"), or 0. */
static size_t dotted_name(const char *s)
{
	size_t i = 0;
	if (!isalpha((unsigned char)s[0]) && s[0] != '_')
		return 0;
	while (isalnum((unsigned char)s[i]) || s[i] == '_' ||
	       (s[i] == '.' && (isalpha((unsigned char)s[i + 1]) || s[i + 1] == '_')))
		i++;
	return i;
}

/* The last dotted component of the name msg[0..n): "TIMEOUT" of "pexpect.TIMEOUT". */
static const char *last_component(const char *msg, size_t n)
{
	const char *dot = memrchr(msg, '.', n);
	return dot ? dot + 1 : msg;
}

/* The first "E   " line of the traceback text, or NULL; its length in *n. */
static const char *first_e_line(const char *text, size_t *n)
{
	for (const char *p = text; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len > 1 && p[0] == 'E' && p[1] == ' ') {
			const char *q = p + 1;
			while (*q == ' ')
				q++;
			*n = len - (size_t)(q - p);
			return q;
		}
		p = eol ? eol + 1 : NULL;
	}
	return NULL;
}

/*
 * The last location line of `text` ("<path>:<digits>: ...", or a bare
 * "<path>:<digits>" as pytest ends a fixture error) as "<path>:<digits>",
 * or "".
 */
static char *raising_frame(const char *text)
{
	impact_buf out = IMPACT_BUF_INIT;
	for (const char *p = text; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len && !isspace((unsigned char)p[0]) && !(p[0] == 'E' && len > 1 && p[1] == ' ')) {
			/* The first ":<digits>:" whose digits end the location. */
			for (size_t i = 1; i + 1 < len; i++) {
				size_t k = i + 1;
				if (p[i] != ':' || !isdigit((unsigned char)p[k]))
					continue;
				while (k < len && isdigit((unsigned char)p[k]))
					k++;
				if ((k < len && p[k] == ':') || k == len) {
					impact_buf_clear(&out);
					impact_buf_put(&out, p, k);
					break;
				}
			}
		}
		p = eol ? eol + 1 : NULL;
	}
	return impact_buf_detach(&out);
}

void impact_repair_error_of(impact_repair_error *out, const impact_testcase *tc)
{
	const char *msg = tc->message;
	size_t n = msg ? strlen(msg) : 0, name;
	const char *eline = NULL;
	size_t elen = 0;

	memset(out, 0, sizeof(*out));
	if (tc->text)
		eline = first_e_line(tc->text, &elen);
	/* pytest's message for an error in a fixture or a collection failure says
	 * little ("failed on setup with ...", "collection failure"): the
	 * traceback's exception line says more. */
	if ((!n || !strncmp(msg, "failed on ", 10) || !strcmp(msg, "collection failure")) && eline) {
		msg = eline;
		n = elen;
	}
	if (!msg)
		msg = "";
	name = dotted_name(msg);
	if (name && (msg[name] == ':' || name == n || msg[name] == '\n') &&
	    isupper((unsigned char)*last_component(msg, name))) {
		const char *rest = msg + name;
		out->type = impact_xstrndup(msg, name);
		if (*rest == ':')
			rest++;
		while (*rest == ' ')
			rest++;
		out->message = normalise(rest, n - (size_t)(rest - msg));
	} else if (!strncmp(msg, "assert", 6) && (!msg[6] || msg[6] == ' ' || msg[6] == '\n')) {
		out->type = impact_xstrdup("AssertionError");
		out->message = normalise(msg, n);
	} else {
		out->type = impact_xstrdup("");
		out->message = normalise(msg, n);
	}
	out->frame = tc->text ? raising_frame(tc->text) : impact_xstrdup("");
	if (!*out->frame && tc->file) {
		impact_buf f = IMPACT_BUF_INIT;
		impact_buf_puts(&f, tc->file);
		if (tc->line)
			impact_buf_printf(&f, ":%u", tc->line);
		free(out->frame);
		out->frame = impact_buf_detach(&f);
	}
}

static bool same_error(const impact_repair_error *a, const impact_repair_error *b)
{
	return !strcmp(a->type, b->type) && !strcmp(a->message, b->message) &&
	       !strcmp(a->frame, b->frame);
}

void impact_repair_group_failures(impact_repair *r, const impact_results *res)
{
	clear_groups(r);
	for (size_t i = 0; i < res->n; i++) {
		const impact_testcase *tc = &res->cases[i];
		const char *id = tc->nodeid ? tc->nodeid : tc->name;
		impact_repair_error e;
		size_t g;
		if (!impact_outcome_is_failure(tc->outcome) || tc->flaky || !id)
			continue;
		impact_repair_error_of(&e, tc);
		for (g = 0; g < r->ngroups && !same_error(&r->groups[g].error, &e); g++)
			;
		if (g == r->ngroups) {
			impact_repair_group ng = { e, { 0 } };
			IMPACT_PUSH(r->groups, r->ngroups, r->galloc, ng);
		} else {
			impact_repair_error_release(&e);
		}
		impact_strlist_push(&r->groups[g].tests, id);
		impact_strlist_push(&r->failed, id);
	}
	/* Largest first; a stable insertion sort keeps first appearance among equals. */
	for (size_t i = 1; i < r->ngroups; i++) {
		impact_repair_group g = r->groups[i];
		size_t k = i;
		while (k > 0 && r->groups[k - 1].tests.n < g.tests.n) {
			r->groups[k] = r->groups[k - 1];
			k--;
		}
		r->groups[k] = g;
	}
	if (r->ngroups)
		r->focus = impact_xstrdup(r->groups[0].tests.items[0]);
}

/* --- the loop ----------------------------------------------------------- */

static void wait_for(impact_repair *r, impact_repair_step resume)
{
	r->step = IMPACT_REPAIR_WAIT;
	r->resume = resume;
}

void impact_repair_ran(impact_repair *r, impact_repair_outcome outcome,
                       const impact_results *res)
{
	impact_repair_step step = r->step;
	if (step == IMPACT_REPAIR_WAIT)
		return;
	switch (outcome) {
	case IMPACT_REPAIR_STOPPED:
		return; /* the same step again, over the new state */
	case IMPACT_REPAIR_STALE:
		/* The failures are known by names that name nothing now: what the
		 * changes affect runs at once, and its failures are the new groups. */
		clear_groups(r);
		r->red = true;
		r->step = IMPACT_REPAIR_AFFECTED;
		return;
	case IMPACT_REPAIR_BROKEN:
		r->red = true;
		wait_for(r, step);
		return;
	case IMPACT_REPAIR_RED:
		r->red = true;
		if (step == IMPACT_REPAIR_ONE) {
			/* Still failing: show it, and run it again after the next save. */
			wait_for(r, IMPACT_REPAIR_ONE);
			return;
		}
		impact_repair_group_failures(r, res);
		if (!r->ngroups) /* failed records that are all known-flaky: nothing to fix */
			wait_for(r, step);
		else
			r->step = IMPACT_REPAIR_ONE;
		return;
	case IMPACT_REPAIR_PASSED:
	default:
		break;
	}
	switch (step) {
	case IMPACT_REPAIR_ONE:
		r->step = IMPACT_REPAIR_FAILED;
		break;
	case IMPACT_REPAIR_FAILED:
		clear_groups(r);
		r->red = false;
		r->step = IMPACT_REPAIR_AFFECTED;
		break;
	case IMPACT_REPAIR_START:
	case IMPACT_REPAIR_AFFECTED:
		clear_groups(r);
		r->red = false;
		if (r->all && step == IMPACT_REPAIR_AFFECTED)
			r->step = IMPACT_REPAIR_ALL;
		else
			wait_for(r, IMPACT_REPAIR_AFFECTED);
		break;
	case IMPACT_REPAIR_ALL:
	default:
		clear_groups(r);
		r->red = false;
		wait_for(r, IMPACT_REPAIR_AFFECTED);
		break;
	}
}

void impact_repair_saved(impact_repair *r)
{
	if (r->step == IMPACT_REPAIR_WAIT)
		r->step = r->resume;
}
