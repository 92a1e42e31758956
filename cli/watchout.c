/*
 * watchout.c - what `impact watch` shows (see watchout.h).
 */
#include "watchout.h"

#include "notify.h"
#include "project.h"

#include <stdarg.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define RED IMPACT_WATCHOUT_RED
#define GREEN IMPACT_WATCHOUT_GREEN
#define BOLD IMPACT_WATCHOUT_BOLD

void impact_watchout_init(impact_watchout *w, bool json, bool no_notify, const char *workdir)
{
	memset(w, 0, sizeof(*w));
	w->json = json;
	w->tty = !json && isatty(STDERR_FILENO);
	w->colour = w->tty && !getenv("NO_COLOR");
	w->no_notify = no_notify;
	w->workdir = workdir;
	w->state = -1;
	impact_buf_init(&w->current);
}

void impact_watchout_release(impact_watchout *w)
{
	impact_buf_release(&w->current);
}


void impact_watchout_emit(json_t *ev)
{
	char *text = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	if (text) {
		fputs(text, stdout);
		fputc('\n', stdout);
		fflush(stdout);
	}
	free(text);
	json_decref(ev);
}

json_t *impact_watchout_event(const char *name)
{
	json_t *ev = json_object();
	json_object_set_new(ev, "event", json_string(name));
	return ev;
}

/* A path or message that may not be UTF-8, as a JSON string. */
json_t *impact_watchout_str(const char *s)
{
	json_t *j = json_string(s ? s : "");
	if (!j) {
		impact_buf b = IMPACT_BUF_INIT;
		for (const char *p = s; *p; p++)
			impact_buf_putc(&b, (unsigned char)*p < 0x80 ? *p : '?');
		j = json_string(b.ptr);
		impact_buf_release(&b);
	}
	return j;
}

json_t *impact_watchout_list(const impact_strlist *l)
{
	json_t *a = json_array();
	for (size_t i = 0; l && i < l->n; i++)
		json_array_append_new(a, impact_watchout_str(l->items[i]));
	return a;
}

void impact_watchout_erase(impact_watchout *w)
{
	if (w->drawn && write(STDERR_FILENO, "\r\033[K", 4) < 0)
		w->tty = false;
	w->drawn = false;
}

/* "impact watch: [one test 1.2s] 3 passed, 1 failed, 0 skipped  tests/test_x.py::test_y" */
void impact_watchout_status(impact_watchout *w)
{
	struct winsize ws;
	size_t width = 80;
	impact_buf out = IMPACT_BUF_INIT, text = IMPACT_BUF_INIT;
	if (!w->tty)
		return;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
		width = ws.ws_col;
	impact_buf_printf(&text, "impact watch: [%s %.1fs] %zu passed, %zu failed, %zu skipped  %s",
	                  impact_repair_step_name(w->step), (impact_now_ms() - w->t0) / 1000.0,
	                  w->passed, w->failed, w->skipped, w->current.ptr);
	if (text.size >= width)
		impact_buf_truncate(&text, width - 1);
	impact_buf_puts(&out, "\r\033[K");
	if (w->colour)
		impact_buf_puts(&out, w->failed ? "\033[31m" : "\033[32m");
	impact_buf_put(&out, text.ptr, text.size);
	if (w->colour)
		impact_buf_puts(&out, "\033[0m");
	w->drawn = write(STDERR_FILENO, out.ptr, out.size) >= 0;
	w->last_draw = impact_now_ms();
	impact_buf_release(&out);
	impact_buf_release(&text);
}

/* A line for people (terminal only); erases the status line first. */
void impact_watchout_say(impact_watchout *w, const char *colour, const char *fmt, ...)
{
	va_list ap;
	if (w->json)
		return;
	impact_watchout_erase(w);
	if (colour && w->colour)
		fputs(colour, stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (colour && w->colour)
		fputs("\033[0m", stderr);
	fputc('\n', stderr);
}


void impact_watchout_test(impact_watchout *w, impact_event_kind kind, const char *id,
                         impact_outcome outcome)
{
	json_t *ev;
	if (kind == IMPACT_EVENT_BEGIN) {
		impact_buf_sets(&w->current, id);
		if (w->json) {
			ev = impact_watchout_event("begin");
			json_object_set_new(ev, "id", impact_watchout_str(id));
			impact_watchout_emit(ev);
		}
		return;
	}
	if (outcome == IMPACT_OUTCOME_PASSED || outcome == IMPACT_OUTCOME_XPASSED)
		w->passed++;
	else if (impact_outcome_is_failure(outcome))
		w->failed++;
	else
		w->skipped++;
	if (w->json) {
		ev = impact_watchout_event("test");
		json_object_set_new(ev, "id", impact_watchout_str(id));
		json_object_set_new(ev, "outcome", json_string(impact_outcome_name(outcome)));
		impact_watchout_emit(ev);
	}
}

/* --- showing results ------------------------------------------------------ */

/* The FAILURES section of pytest's output in `log` (captured output included), or "". */
static void failures_section(impact_buf *out, const char *log)
{
	impact_buf text = IMPACT_BUF_INIT;
	const char *start, *end;
	if (!log || impact_buf_read_file(&text, log, (size_t)4 << 20) < 0)
		goto done;
	start = strstr(text.ptr, " FAILURES ");
	if (!start)
		start = strstr(text.ptr, " ERRORS ");
	if (!start)
		goto done;
	start = strchr(start, '\n');
	if (!start)
		goto done;
	start++;
	/* Up to the next "=== ... ===" line, or pytest's "- generated xml file" line. */
	for (end = start; *end; end = strchr(end, '\n') ? strchr(end, '\n') + 1 : end + strlen(end))
		if (*end == '=' || (*end == '-' && !strncmp(end + strspn(end, "-"), " generated xml file", 19)))
			break;
	impact_buf_put(out, start, (size_t)(end - start) > ((size_t)64 << 10) ? (size_t)64 << 10
	               : (size_t)(end - start));
done:
	impact_buf_release(&text);
}

static const impact_testcase *find_case(const impact_results *res, const char *id)
{
	for (size_t i = 0; id && i < res->n; i++) {
		const impact_testcase *tc = &res->cases[i];
		if (impact_outcome_is_failure(tc->outcome) && tc->nodeid && !strcmp(tc->nodeid, id))
			return tc;
	}
	for (size_t i = 0; i < res->n; i++)
		if (impact_outcome_is_failure(res->cases[i].outcome))
			return &res->cases[i];
	return NULL;
}

static void describe_error(impact_buf *out, const impact_repair_error *e)
{
	impact_buf_puts(out, *e->type ? e->type : *e->message ? e->message : "failure");
	if (*e->frame)
		impact_buf_printf(out, " in %s", e->frame);
}

/* The groups still to fix: JSON event, or "3 groups, 41 tests: TypeError in lib/db.py:31 (38 tests), ...". */
void impact_watchout_groups(impact_watchout *w, const impact_repair *l)
{
	if (w->json) {
		json_t *ev = impact_watchout_event("groups"), *gs = json_array();
		for (size_t i = 0; i < l->ngroups; i++) {
			json_t *g = json_object();
			json_object_set_new(g, "type", impact_watchout_str(l->groups[i].error.type));
			json_object_set_new(g, "message", impact_watchout_str(l->groups[i].error.message));
			json_object_set_new(g, "frame", impact_watchout_str(l->groups[i].error.frame));
			json_object_set_new(g, "tests", impact_watchout_list(&l->groups[i].tests));
			json_array_append_new(gs, g);
		}
		json_object_set_new(ev, "groups", gs);
		json_object_set_new(ev, "tests", json_integer((json_int_t)l->failed.n));
		json_object_set_new(ev, "focus", l->focus ? impact_watchout_str(l->focus) : json_null());
		impact_watchout_emit(ev);
	} else {
		impact_buf line = IMPACT_BUF_INIT;
		impact_buf_printf(&line, "%zu group%s, %zu test%s:", l->ngroups, l->ngroups == 1 ? "" : "s",
		                  l->failed.n, l->failed.n == 1 ? "" : "s");
		for (size_t i = 0; i < l->ngroups && i < 5; i++) {
			impact_buf_puts(&line, i ? ", " : " ");
			describe_error(&line, &l->groups[i].error);
			impact_buf_printf(&line, " (%zu test%s)", l->groups[i].tests.n,
			                  l->groups[i].tests.n == 1 ? "" : "s");
		}
		if (l->ngroups > 5)
			impact_buf_printf(&line, ", ... (%zu more)", l->ngroups - 5);
		impact_watchout_say(w, NULL, "%s", line.ptr);
		impact_buf_release(&line);
	}
}

/* The failure of the test being fixed, in full: its traceback and captured output. */
void impact_watchout_focus(impact_watchout *w, const impact_repair *l, const impact_results *res,
                          const char *log)
{
	const impact_testcase *tc = find_case(res, l->focus);
	impact_buf section = IMPACT_BUF_INIT;
	if (!tc)
		return;
	failures_section(&section, log);
	if (w->json) {
		json_t *ev = impact_watchout_event("failure");
		impact_repair_error e;
		impact_repair_error_of(&e, tc);
		json_object_set_new(ev, "id", impact_watchout_str(tc->nodeid ? tc->nodeid : tc->name));
		json_object_set_new(ev, "type", impact_watchout_str(e.type));
		json_object_set_new(ev, "message", impact_watchout_str(tc->message));
		json_object_set_new(ev, "frame", impact_watchout_str(e.frame));
		json_object_set_new(ev, "traceback", impact_watchout_str(tc->text));
		json_object_set_new(ev, "output", impact_watchout_str(section.ptr));
		impact_watchout_emit(ev);
		impact_repair_error_release(&e);
	} else {
		impact_watchout_say(w, BOLD, "--- %s", tc->nodeid ? tc->nodeid : tc->name);
		if (section.size)
			fputs(section.ptr, stderr);
		else if (tc->text)
			fprintf(stderr, "%s\n", tc->text);
		else if (tc->message)
			fprintf(stderr, "%s\n", tc->message);
	}
	impact_buf_release(&section);
}

/*
 * notify-send, when present; silent otherwise. Waited for a second at most
 * (then stopped): one that hangs on a dead session bus must not stop the
 * watching.
 */
static void notify(const impact_watchout *w, const char *title, const char *body)
{
	impact_notifier n = { 0 };
	if (w->no_notify)
		return;
	impact_notify_send(&n, title, body, w->workdir);
	impact_notify_reap(&n, 1.0);
}

void impact_watchout_state(impact_watchout *w, bool red, const impact_repair *l)
{
	impact_buf body = IMPACT_BUF_INIT;
	json_t *ev;
	if (w->state == (int)red)
		return;
	w->state = red;
	if (red && l->ngroups)
		impact_buf_printf(&body, "%zu test%s failing", l->failed.n,
		                  l->failed.n == 1 ? "" : "s");
	else
		impact_buf_puts(&body, red ? "the run did not complete" : "all tests passed");
	/* Notified first: whoever reads the event finds the notification sent. */
	notify(w, red ? "impact watch: red" : "impact watch: green", body.ptr);
	if (w->json) {
		ev = impact_watchout_event("state");
		json_object_set_new(ev, "state", json_string(red ? "red" : "green"));
		json_object_set_new(ev, "summary", impact_watchout_str(body.ptr));
		impact_watchout_emit(ev);
	}
	impact_buf_release(&body);
}

void impact_watchout_error(impact_watchout *w, const char *message)
{
	if (w->json) {
		json_t *ev = impact_watchout_event("error");
		json_object_set_new(ev, "step", json_string(impact_repair_step_name(w->step)));
		json_object_set_new(ev, "message", impact_watchout_str(message));
		impact_watchout_emit(ev);
	} else {
		impact_watchout_say(w, RED, "impact watch: %s", message);
	}
}

json_t *impact_watchout_counts(const impact_results *res)
{
	json_t *c = json_object();
	for (int k = 0; k < IMPACT_OUTCOME_COUNT; k++)
		json_object_set_new(c, impact_outcome_name((impact_outcome)k),
		                    json_integer((json_int_t)res->counts[k]));
	return c;
}

