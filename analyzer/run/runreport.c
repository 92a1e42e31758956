/*
 * runreport.c - a run's results in words (see runreport.h).
 *
 * The traceback shown is the last lines of what pytest recorded with the
 * run's --tb style: with --tb=short they are where the test broke and the
 * error, which is what a reader needs first; the whole of it is in
 * pytest's own output.
 */
#include "runreport.h"

#include "preflight.h"

enum { TRACEBACK_LINES = 12 };

/* The change that test file `file` reaches, or NULL. Borrowed from ctx. */
static const char *likely_cause(const impact_report_ctx *ctx, const char *file)
{
	if (!ctx || !file)
		return NULL;
	return impact_selection_cause(ctx->selection, ctx->project, file);
}

/*
 * The repository's own package the failure could not import at all:
 * "No module named 'pkg'" last in its text, pkg a package or module at
 * the work tree's root or under src/ ('pkg.sub' says pkg itself was
 * found: a missing submodule may well be the change's). That is the
 * environment's doing (a src/ layout neither installed nor on pytest's
 * pythonpath, a venv without the project), not a change's. Its name into
 * `name`, or false.
 */
static bool own_package_missing(const impact_report_ctx *ctx, const impact_testcase *tc,
                                char *name, size_t size)
{
	static const char *const where[] = { "%s/__init__.py", "src/%s/__init__.py", "%s.py", "src/%s.py" };
	char path[300];
	if (!ctx || !ctx->project || !impact_preflight_missing_top(tc->text ? tc->text : tc->message,
	                                                             name, size))
		return false;
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(where); i++) {
		snprintf(path, sizeof(path), where[i], name);
		if (impact_project_find(ctx->project, path) != IMPACT_STRPOOL_NONE)
			return true;
	}
	return false;
}

/* Does a traceback line "  path:12: in f" (path relative to workdir, or absolute) name a file under `dir`? */
static bool frame_under(const char *line, size_t len, const char *workdir, const char *dir)
{
	const char *file, *func;
	size_t flen;
	impact_buf path = IMPACT_BUF_INIT;
	char *real;
	bool under = false;
	if (!impact_traceback_frame(line, len, &file, &flen, &func))
		return false;
	if (*file != '/' && workdir)
		impact_buf_printf(&path, "%s/", workdir);
	impact_buf_put(&path, file, flen);
	if ((real = realpath(path.ptr, NULL)) != NULL) {
		size_t n = strlen(dir);
		under = !strncmp(real, dir, n) && (real[n] == '/' || !real[n]);
		free(real);
	}
	impact_buf_release(&path);
	return under;
}

/* The outside copy of a repository package (notes->shadowed) the failure's traceback names, or NULL. */
static const char *shadow_in(const impact_run_notes *notes, const impact_testcase *tc)
{
	for (size_t i = 0; notes->shadowed && i + 1 < notes->shadowed->n; i += 2) {
		const char *where = notes->shadowed->items[i + 1];
		if ((tc->text && strstr(tc->text, where)) || (tc->message && strstr(tc->message, where)))
			return where;
		for (const char *s = tc->text; s && *s;) {
			const char *nl = strchr(s, '\n');
			size_t n = nl ? (size_t)(nl - s) : strlen(s);
			if (frame_under(s, n, notes->workdir, where))
				return where;
			s += n + (nl ? 1 : 0);
		}
	}
	return NULL;
}

static void traceback_tail(impact_buf *out, const char *text)
{
	size_t lines = 0, len = strlen(text);
	const char *start = text + len;
	while (start > text && lines < TRACEBACK_LINES) {
		start--;
		if (*start == '\n' && start + 1 < text + len)
			lines++;
	}
	if (start > text)
		start++;
	for (const char *s = start; *s;) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		impact_buf_puts(out, "    | ");
		impact_buf_put(out, s, n);
		impact_buf_putc(out, '\n');
		s += n + (nl ? 1 : 0);
	}
}

void impact_runreport_text(impact_buf *out, const impact_results *res,
                           const impact_report_ctx *ctx, const impact_run_notes *notes)
{
	size_t flaky_failed = 0;
	for (size_t i = 0; i < res->n; i++)
		if (res->cases[i].flaky && impact_outcome_is_failure(res->cases[i].outcome))
			flaky_failed++;
	impact_buf_printf(out, "impact: %zu passed, %zu failed, %zu errors, %zu skipped, %zu xfailed, "
	                  "%zu xpassed in %.1f s", res->counts[IMPACT_OUTCOME_PASSED],
	                  res->counts[IMPACT_OUTCOME_FAILED], res->counts[IMPACT_OUTCOME_ERROR],
	                  res->counts[IMPACT_OUTCOME_SKIPPED], res->counts[IMPACT_OUTCOME_XFAILED],
	                  res->counts[IMPACT_OUTCOME_XPASSED], notes->seconds);
	if (flaky_failed)
		impact_buf_printf(out, " (%zu of the failures known flaky)", flaky_failed);
	impact_buf_putc(out, '\n');
	for (size_t i = 0; notes->shadowed && i + 1 < notes->shadowed->n; i += 2) {
		impact_buf_puts(out, "impact: warning: the tests imported the repository's '");
		impact_report_quote_path(out, notes->shadowed->items[i]);
		impact_buf_puts(out, "' from '");
		impact_report_quote_path(out, notes->shadowed->items[i + 1]);
		impact_buf_puts(out, "', not from this repository: they ran that copy, not the code "
		                "here, and recorded no dependencies (" IMPACT_PREFLIGHT_INSTALL_HINT ")\n");
	}
	if (notes->reaped)
		impact_buf_printf(out, "impact: reaped %zu stray process%s left by the run\n",
		                  notes->reaped, notes->reaped == 1 ? "" : "es");
	if (notes->nothing_collected && !res->n)
		impact_buf_puts(out, "impact: pytest collected no test from the selection\n");
	if (notes->unexplained)
		impact_buf_puts(out, "impact: pytest reported failures impact could not read: see its "
		                "output above\n");
	if (notes->stopped_inside)
		impact_buf_puts(out, "impact: the run was stopped from inside (a test raised "
		                "KeyboardInterrupt or called pytest.exit)\n");
	if (notes->internal_error)
		impact_buf_puts(out, "impact: pytest failed with an internal error (see INTERNALERROR above)\n");
	if (notes->usage_error)
		impact_buf_puts(out, "impact: pytest rejected its command line or could not load a "
		                "conftest.py (its exit 4): see its message above\n");
	if (notes->crash_signal)
		impact_buf_printf(out, "impact: pytest died of signal %d\n", notes->crash_signal);
	if (notes->incomplete) {
		size_t n = notes->never_ran ? notes->never_ran->n : 0;
		impact_buf_printf(out, "impact: error: the run is incomplete: %s", notes->incomplete);
		if (n)
			impact_buf_printf(out, "; %zu selected test%s never ran:", n, n == 1 ? "" : "s");
		for (size_t i = 0; i < n && i < 20; i++) {
			impact_buf_putc(out, ' ');
			impact_report_quote_path(out, notes->never_ran->items[i]);
		}
		if (n > 20)
			impact_buf_printf(out, " (and %zu more)", n - 20);
		impact_buf_putc(out, '\n');
	}

	for (size_t i = 0, said = 0; i < res->n; i++) {
		const impact_testcase *tc = &res->cases[i];
		const char *cause, *shadow;
		char pkg[128];
		if (!impact_outcome_is_failure(tc->outcome))
			continue;
		impact_buf_printf(out, "%s ", tc->outcome == IMPACT_OUTCOME_FAILED ? "FAILED" : "ERROR");
		impact_report_quote_path(out, tc->nodeid ? tc->nodeid : tc->name);
		impact_buf_printf(out, "%s%s\n", tc->collect_error ? " (collection)" : "",
		                  tc->retried ? " (on retry)" : "");
		if (tc->text)
			traceback_tail(out, tc->text);
		else if (tc->message)
			traceback_tail(out, tc->message);
		cause = likely_cause(ctx, tc->file);
		shadow = shadow_in(notes, tc);
		if (tc->collect_error && tc->message && !strncmp(tc->message, "not found", 9)) {
			impact_buf_printf(out, "    %s\n", tc->message); /* a test renamed since it was chosen */
		} else if (shadow) {
			impact_buf_puts(out, "    the environment, not a change: it ran '");
			impact_report_quote_path(out, shadow);
			impact_buf_puts(out, "', imported from outside the repository (above)\n");
		} else if (tc->flaky) {
			impact_buf_printf(out, "    known flaky (%s): does not fail the run\n", tc->flaky);
		} else if (own_package_missing(ctx, tc, pkg, sizeof(pkg))) {
			impact_buf_printf(out, "    the environment, not a change: Python cannot import the "
			                  "repository's own package '%s'", pkg);
			if (!said++)
				impact_buf_puts(out, " (" IMPACT_PREFLIGHT_INSTALL_HINT ")");
			impact_buf_putc(out, '\n');
		} else if (cause) {
			impact_buf_puts(out, "    likely caused by this change: ");
			impact_report_quote_path(out, cause);
			impact_buf_putc(out, '\n');
		} else if (ctx)
			impact_buf_puts(out, "    not reached by this change: possibly flaky or environmental\n");
	}
	for (size_t i = 0; i < res->n; i++)
		if (res->cases[i].flaky && !impact_outcome_is_failure(res->cases[i].outcome))
			impact_buf_printf(out, "impact: %s failed, then passed on retry: known flaky (%s)\n",
			                  res->cases[i].nodeid, res->cases[i].flaky);
}

/* GitHub's workflow-command escaping: data, and (`property`) a property value. */
static void gh_escape(impact_buf *out, const char *s, bool property)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '%': impact_buf_puts(out, "%25"); break;
		case '\r': impact_buf_puts(out, "%0D"); break;
		case '\n': impact_buf_puts(out, "%0A"); break;
		case ':': impact_buf_puts(out, property ? "%3A" : ":"); break;
		case ',': impact_buf_puts(out, property ? "%2C" : ","); break;
		default: impact_buf_putc(out, *s);
		}
	}
}

void impact_runreport_github(impact_buf *out, const impact_results *res)
{
	for (size_t i = 0; i < res->n; i++) {
		const impact_testcase *tc = &res->cases[i];
		uint32_t at;
		if (!impact_outcome_is_failure(tc->outcome))
			continue;
		at = impact_testcase_failure_line(tc);
		impact_buf_puts(out, tc->flaky ? "::warning file=" : "::error file=");
		gh_escape(out, tc->file ? tc->file : "", true);
		if (at)
			impact_buf_printf(out, ",line=%u", at);
		impact_buf_puts(out, "::");
		if (tc->flaky) {
			impact_buf_puts(out, "known flaky (");
			gh_escape(out, tc->flaky, false);
			impact_buf_puts(out, "): ");
		}
		gh_escape(out, tc->nodeid ? tc->nodeid : tc->name, false);
		impact_buf_putc(out, ' ');
		gh_escape(out, tc->message ? tc->message : impact_outcome_name(tc->outcome), false);
		impact_buf_putc(out, '\n');
	}
}
