/*
 * auditreport.c - the audit's report, for people and as JSON (see audit.h).
 *
 * Text: a header, one line per module or commit with the numbers first
 * (so columns line up whatever the path), the totals, then the misses by
 * name, the skipped ones with their reason, and the tests left out
 * because they already failed. Paths go through impact_report_quote_path:
 * one path is always one line. JSON: strings must be UTF-8, so a path
 * that is not is written in that same quoted form (\xNN), as report.c's
 * *_escaped keys are.
 *
 * Precision is the share of the selected files that fail: failing files
 * the selection runs / selected files, which is failing / selected when
 * nothing is missed (a missed file is failing but not selected, and
 * must not lift precision). A selected file that failed without the
 * marker (`other`: a caught raise turned into another failure, or a flaky
 * test) is left out of it, as it is of the failing and missed counts: it
 * neither proves nor disproves the selection. The selected share is selected / all test
 * files. With nothing selected, precision is undefined (null, "-"),
 * never a made-up 0 or 1.
 *
 * Single-function mutants (--functions) are rows named "path:line
 * qualname", each with its failing files under it; those that break no
 * test are left out of the rows and totals (they would pull precision to
 * nothing it means) and listed apart. The failing share is failing /
 * all test files, beside the selected share.
 */
#include "audit.h"
#include "auditrun.h"

#include "report.h"

#include <jansson.h>

static void quoted(impact_buf *out, const char *s)
{
	impact_report_quote_path(out, s ? s : "");
}

static void ratio(impact_buf *out, size_t num, size_t den, bool percent)
{
	if (!den)
		impact_buf_puts(out, "-");
	else if (percent)
		impact_buf_printf(out, "%.0f%%", 100.0 * (double)num / (double)den);
	else
		impact_buf_printf(out, "%.2f", (double)num / (double)den);
}

/* "path:line qualname" of a single-function mutant. */
static void function_name(impact_buf *out, const impact_audit_record *r)
{
	quoted(out, r->path);
	if (r->function) {
		impact_buf_printf(out, ":%u ", r->line);
		quoted(out, r->function);
	}
}

static void cell(impact_buf *out, const char *text, int width)
{
	impact_buf_printf(out, "%*s  ", width, text);
}

static void numbers(impact_buf *out, size_t failing, size_t selected, size_t unproven,
                    size_t missed, size_t tests)
{
	impact_buf t = IMPACT_BUF_INIT;
	impact_buf_printf(out, "%7zu  %8zu  %6zu  ", failing, selected, missed);
	ratio(&t, failing - missed, selected - unproven, false);
	cell(out, t.ptr, 9);
	impact_buf_clear(&t);
	ratio(&t, selected, tests, true);
	cell(out, t.ptr, 5);
	impact_buf_release(&t);
}

/* The first line: which audit, of what, with which selection options. */
static void text_header(impact_buf *out, const impact_audit_report *rep)
{
	bool mutate = rep->mode == IMPACT_AUDIT_MUTATE;

	if (rep->functions)
		impact_buf_printf(out, "impact audit --mutate %u --functions --seed %llu: "
		                  "single-function mutants of %.7s, %zu test files, %zu functions and "
		                  "methods in %zu non-test modules", rep->requested,
		                  (unsigned long long)rep->seed, rep->head, rep->test_files,
		                  rep->function_candidates, rep->candidates);
	else if (mutate)
		impact_buf_printf(out, "impact audit --mutate %u --seed %llu: mutants of %.7s, %zu "
		                  "test files, %zu non-test modules ranked", rep->requested,
		                  (unsigned long long)rep->seed, rep->head, rep->test_files,
		                  rep->candidates);
	else {
		impact_buf_puts(out, "impact audit --full ");
		quoted(out, rep->range);
	}
	if (rep->select_args.n) {
		impact_buf_puts(out, "; selection options:");
		for (size_t i = 0; i < rep->select_args.n; i++) {
			impact_buf_putc(out, ' ');
			quoted(out, rep->select_args.items[i]);
		}
	}
	impact_buf_puts(out, "\n\n");
}

/* One row per mutant or commit (skipped ones and those breaking nothing aside); the skipped count. */
static size_t text_rows(impact_buf *out, const impact_audit_report *rep)
{
	bool mutate = rep->mode == IMPACT_AUDIT_MUTATE;
	size_t nskipped = 0;

	impact_buf_printf(out, "%7s  %8s  %6s  %9s  %5s  %s\n", "failing", "selected", "missed",
	                  "precision", "share", rep->functions ? "function (path:line name)"
	                  : mutate ? "module (third, importers, functions)" : "commit");
	for (size_t i = 0; i < rep->n; i++) {
		const impact_audit_record *r = &rep->records[i];
		if (r->skipped) {
			nskipped++;
			continue;
		}
		if (impact_audit_breaks_nothing(rep, r))
			continue;
		numbers(out, r->failing.n, r->selected.n, r->unproven, r->missed.n, r->test_files);
		if (r->function) {
			function_name(out, r);
		} else if (mutate) {
			quoted(out, r->path);
			impact_buf_printf(out, " (%s, %u, %zu)", r->band, r->importers, r->functions);
		} else {
			impact_buf_printf(out, "%.7s ", r->commit);
			quoted(out, r->subject);
		}
		if (r->full_suite)
			impact_buf_puts(out, " [full suite]");
		if (r->stopped) {
			impact_buf_puts(out, " [");
			quoted(out, r->stopped);
			impact_buf_putc(out, ']');
		}
		if (r->incomplete) {
			impact_buf_puts(out, " [incomplete: ");
			quoted(out, r->incomplete);
			impact_buf_putc(out, ']');
		}
		impact_buf_putc(out, '\n');
		for (size_t k = 0; r->function && k < r->failing.n; k++) {
			impact_buf_puts(out, k ? ", " : "          failing: ");
			quoted(out, r->failing.items[k]);
			if (k + 1 == r->failing.n)
				impact_buf_putc(out, '\n');
		}
	}
	return nskipped;
}

/* The totals row and, with records, static and recorded side by side. */
static void text_totals(impact_buf *out, const impact_audit_report *rep,
                        const impact_audit_totals *t_)
{
	bool mutate = rep->mode == IMPACT_AUDIT_MUTATE;
	impact_audit_totals t = *t_;

	numbers(out, t.failing, t.selected, t.unproven, t.missed, t.test_files);
	if (rep->functions)
		impact_buf_printf(out, "total (%zu %s a test)\n", t.audited - t.breaks_nothing,
		                  t.audited - t.breaks_nothing == 1 ? "mutant that breaks"
		                                                    : "mutants that break");
	else if (mutate)
		impact_buf_printf(out, "total (%zu %s a test)\n", t.audited - t.breaks_nothing,
		                  t.audited - t.breaks_nothing == 1 ? "module whose mutant breaks"
		                                                    : "modules whose mutants break");
	else
		impact_buf_printf(out, "total (%zu commit%s)\n", t.audited, t.audited == 1 ? "" : "s");
	if (rep->functions) {
		impact_buf_puts(out, "failing share: ");
		ratio(out, t.failing, t.test_files, true);
		impact_buf_puts(out, " of the test files fail per mutant, ");
		ratio(out, t.selected, t.test_files, true);
		impact_buf_puts(out, " are selected\n");
	}
	if (rep->with_records) {
		/* The same mutants, selected without records: the figures side by side. */
		impact_buf_puts(out, "with records:    precision ");
		ratio(out, t.failing - t.missed, t.selected - t.unproven, false);
		impact_buf_puts(out, ", selected share ");
		ratio(out, t.selected, t.test_files, true);
		impact_buf_printf(out, ", %zu missed\n", t.missed);
		impact_buf_puts(out, "static (no records): precision ");
		ratio(out, t.failing - t.static_missed, t.static_selected - t.static_unproven, false);
		impact_buf_puts(out, ", selected share ");
		ratio(out, t.static_selected, t.test_files, true);
		impact_buf_printf(out, ", %zu missed\n", t.static_missed);
		impact_buf_puts(out, "failing share: ");
		ratio(out, t.failing, t.test_files, true);
		impact_buf_putc(out, '\n');
	}
}

/* What broke nothing, what was missed, what was skipped. */
/*
 * Files that failed without the marker in a mutant's run: the raise was
 * caught and turned into another failure (a CLI runner's exit code, an
 * empty output), or a test is flaky. Not in the totals, which count what
 * the marker proves, but listed, each with whether the selection runs it,
 * so that an independent count of "what failed" can be matched.
 */
static void other_failures(impact_buf *out, const impact_audit_report *rep)
{
	size_t n = 0;
	for (size_t i = 0; i < rep->n; i++)
		n += rep->records[i].skipped ? 0 : rep->records[i].other.n;
	if (!n)
		return;
	impact_buf_printf(out, "\nfailed without the marker (a raise caught and turned into another failure, "
	                  "or a flaky test; not in the totals):\n");
	for (size_t i = 0; i < rep->n; i++) {
		const impact_audit_record *r = &rep->records[i];
		for (size_t k = 0; !r->skipped && k < r->other.n; k++) {
			bool sel = r->full_suite || impact_audit_has(&r->selected, r->other.items[k]);
			impact_buf_puts(out, "  ");
			quoted(out, r->other.items[k]);
			impact_buf_puts(out, " when ");
			if (r->function)
				function_name(out, r);
			else
				quoted(out, r->path);
			impact_buf_printf(out, " raises (%s)\n", sel ? "selected" : "NOT selected");
		}
	}
}

static void text_lists(impact_buf *out, const impact_audit_report *rep,
                       const impact_audit_totals *t_, size_t nskipped)
{
	bool mutate = rep->mode == IMPACT_AUDIT_MUTATE;
	impact_audit_totals t = *t_;

	if (t.breaks_nothing) {
		impact_buf_printf(out, "\nbreak no test (%zu of %zu mutants; left out of the totals):\n",
		                  t.breaks_nothing, t.audited);
		for (size_t i = 0; i < rep->n; i++) {
			const impact_audit_record *r = &rep->records[i];
			if (!impact_audit_breaks_nothing(rep, r))
				continue;
			impact_buf_puts(out, "  ");
			function_name(out, r);
			impact_buf_printf(out, " (%zu selected)\n", r->selected.n);
		}
	}

	if (t.missed) {
		impact_buf_puts(out, "\nmissed (failed, but the selection does not run them):\n");
		for (size_t i = 0; i < rep->n; i++) {
			const impact_audit_record *r = &rep->records[i];
			for (size_t k = 0; !r->skipped && k < r->missed.n; k++) {
				impact_buf_puts(out, "  ");
				quoted(out, r->missed.items[k]);
				if (r->function) {
					impact_buf_puts(out, " failed with the marker when ");
					function_name(out, r);
					impact_buf_puts(out, " raises\n");
				} else if (mutate) {
					impact_buf_puts(out, " failed with the marker when every function of ");
					quoted(out, r->path);
					impact_buf_puts(out, " raises\n");
				} else {
					impact_buf_printf(out, " newly failing at %.7s\n", r->commit);
				}
			}
		}
	}
	other_failures(out, rep);
	if (nskipped) {
		impact_buf_puts(out, "\nskipped:\n");
		for (size_t i = 0; i < rep->n; i++) {
			const impact_audit_record *r = &rep->records[i];
			if (!r->skipped)
				continue;
			impact_buf_puts(out, "  ");
			if (r->function)
				function_name(out, r);
			else if (mutate)
				quoted(out, r->path);
			else
				impact_buf_printf(out, "%.7s", r->commit);
			impact_buf_puts(out, ": ");
			quoted(out, r->skipped);
			impact_buf_putc(out, '\n');
		}
	}
}

void impact_audit_report_text(impact_buf *out, const impact_audit_report *rep)
{
	impact_audit_totals t;
	bool mutate = rep->mode == IMPACT_AUDIT_MUTATE;
	size_t nskipped;

	impact_audit_totals_of(&t, rep);
	text_header(out, rep);
	nskipped = text_rows(out, rep);
	text_totals(out, rep, &t);
	text_lists(out, rep, &t, nskipped);
	if (rep->baseline_failing.n) {
		impact_buf_printf(out, "\nalready failing at HEAD, left out of the comparison (%zu):\n",
		                  rep->baseline_failing.n);
		for (size_t i = 0; i < rep->baseline_failing.n; i++) {
			impact_buf_puts(out, "  ");
			quoted(out, rep->baseline_failing.items[i]);
			impact_buf_putc(out, '\n');
		}
	}
	if (rep->functions && t.audited < rep->requested && !rep->interrupted)
		impact_buf_printf(out, "\nonly %zu of %u mutants audited: %zu functions and methods "
		                  "to draw from, %zu skipped\n", t.audited, rep->requested,
		                  rep->function_candidates, nskipped);
	else if (mutate && t.audited < rep->requested && !rep->interrupted)
		impact_buf_printf(out, "\nonly %zu of %u modules audited: %zu of the %zu non-test "
		                  "modules define%s no function, %zu could not be mutated\n", t.audited,
		                  rep->requested, rep->no_function, rep->candidates,
		                  rep->no_function == 1 ? "s" : "", nskipped);
	if (t.incomplete)
		impact_buf_printf(out, "\n%zu run%s did not finish or did not run every test file "
		                  "(see [incomplete]): what ran is counted, the rest is unverified\n",
		                  t.incomplete, t.incomplete == 1 ? "" : "s");
	impact_buf_printf(out, "\n%s\n", rep->interrupted ? "interrupted: the audit is incomplete"
	                  : t.missed ? "MISSED: the selection left out tests that fail"
	                  : t.incomplete ? "no miss seen, but not every test file could be checked"
	                  : "no miss: every failing test file was selected");
}

/* --- JSON ------------------------------------------------------------------- */

static json_t *jstr(const char *s)
{
	json_t *j;
	impact_buf esc = IMPACT_BUF_INIT;
	if (!s)
		return json_null();
	if ((j = json_string(s)))
		return j;
	impact_report_quote_path(&esc, s);
	j = json_string(esc.ptr);
	impact_buf_release(&esc);
	return j ? j : json_null();
}

static json_t *jlist(const impact_strlist *l)
{
	json_t *a = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, jstr(l->items[i]));
	return a;
}

static json_t *jratio(size_t num, size_t den)
{
	return den ? json_real((double)num / (double)den) : json_null();
}

static json_t *record_json(const impact_audit_report *rep, const impact_audit_record *r,
                           bool mutate)
{
	json_t *o = json_object();
	if (rep->functions) {
		json_object_set_new(o, "path", jstr(r->path));
		json_object_set_new(o, "function", jstr(r->function));
		json_object_set_new(o, "line", r->function ? json_integer(r->line) : json_null());
		json_object_set_new(o, "mutant_commit", r->commit[0] ? json_string(r->commit) : json_null());
		json_object_set_new(o, "breaks_nothing", json_boolean(impact_audit_breaks_nothing(rep, r)));
	} else if (mutate) {
		json_object_set_new(o, "path", jstr(r->path));
		json_object_set_new(o, "third", json_string(r->band));
		json_object_set_new(o, "importers", json_integer(r->importers));
		json_object_set_new(o, "functions", json_integer((json_int_t)r->functions));
		json_object_set_new(o, "mutant_commit", r->commit[0] ? json_string(r->commit) : json_null());
		json_object_set_new(o, "breaks_nothing", json_boolean(impact_audit_breaks_nothing(rep, r)));
	} else {
		json_object_set_new(o, "commit", json_string(r->commit));
		json_object_set_new(o, "subject", jstr(r->subject));
	}
	json_object_set_new(o, "skipped", jstr(r->skipped));
	if (r->skipped)
		return o;
	json_object_set_new(o, "failing", jlist(&r->failing));
	json_object_set_new(o, "failing_tests", jlist(&r->failing_tests));
	json_object_set_new(o, "selected", json_integer((json_int_t)r->selected.n));
	json_object_set_new(o, "selected_files", jlist(&r->selected));
	json_object_set_new(o, "test_files", json_integer((json_int_t)r->test_files));
	json_object_set_new(o, "full_suite", json_boolean(r->full_suite));
	json_object_set_new(o, "full_suite_reason", jstr(r->full_reason));
	json_object_set_new(o, "missed", jlist(&r->missed));
	json_object_set_new(o, "precision", jratio(r->failing.n - r->missed.n, r->selected.n - r->unproven));
	json_object_set_new(o, "selected_share", jratio(r->selected.n, r->test_files));
	if (rep->with_records) {
		json_object_set_new(o, "static_selected", json_integer((json_int_t)r->static_selected));
		json_object_set_new(o, "static_missed", json_integer((json_int_t)r->static_missed));
	}
	if (mutate)
		json_object_set_new(o, "other_failing", jlist(&r->other));
	else
		json_object_set_new(o, "already_failing", json_integer((json_int_t)r->already_failing));
	json_object_set_new(o, "stopped", jstr(r->stopped));
	json_object_set_new(o, "incomplete", jstr(r->incomplete));
	json_object_set_new(o, "seconds", json_real(r->seconds));
	return o;
}

int impact_audit_report_json(impact_buf *out, const impact_audit_report *rep)
{
	bool mutate = rep->mode == IMPACT_AUDIT_MUTATE;
	json_t *root = json_object(), *recs = json_array(), *totals = json_object();
	impact_audit_totals t;
	char *text;
	int rc = 0;

	impact_audit_totals_of(&t, rep);
	json_object_set_new(root, "version", json_integer(1));
	json_object_set_new(root, "mode", json_string(mutate ? "mutate" : "full"));
	if (mutate) {
		json_object_set_new(root, "head", json_string(rep->head));
		json_object_set_new(root, "seed", json_integer((json_int_t)rep->seed));
		json_object_set_new(root, "requested", json_integer(rep->requested));
		json_object_set_new(root, "marker", jstr(rep->marker));
		json_object_set_new(root, "test_files", json_integer((json_int_t)rep->test_files));
		json_object_set_new(root, "candidates", json_integer((json_int_t)rep->candidates));
		json_object_set_new(root, "no_function", json_integer((json_int_t)rep->no_function));
		json_object_set_new(root, "functions", json_boolean(rep->functions));
		if (rep->functions)
			json_object_set_new(root, "function_candidates",
			                    json_integer((json_int_t)rep->function_candidates));
		json_object_set_new(root, "baseline_failing", jlist(&rep->baseline_failing));
		json_object_set_new(root, "baseline_seconds", json_real(rep->baseline_seconds));
	} else {
		json_object_set_new(root, "range", jstr(rep->range));
	}
	json_object_set_new(root, "python", jstr(rep->python));
	json_object_set_new(root, "selection_args", jlist(&rep->select_args));
	for (size_t i = 0; i < rep->n; i++)
		json_array_append_new(recs, record_json(rep, &rep->records[i], mutate));
	json_object_set_new(root, rep->functions ? "mutants" : mutate ? "modules" : "commits", recs);
	if (mutate) {
		json_t *quiet = json_array();
		for (size_t i = 0; i < rep->n; i++) {
			const impact_audit_record *r = &rep->records[i];
			json_t *q;
			if (!impact_audit_breaks_nothing(rep, r))
				continue;
			q = json_object();
			json_object_set_new(q, "path", jstr(r->path));
			if (rep->functions) {
				json_object_set_new(q, "function", jstr(r->function));
				json_object_set_new(q, "line", json_integer(r->line));
			}
			json_object_set_new(q, "selected", json_integer((json_int_t)r->selected.n));
			json_array_append_new(quiet, q);
		}
		json_object_set_new(root, "breaks_nothing", quiet);
	}
	json_object_set_new(totals, "audited", json_integer((json_int_t)t.audited));
	json_object_set_new(totals, "failing", json_integer((json_int_t)t.failing));
	json_object_set_new(totals, "selected", json_integer((json_int_t)t.selected));
	json_object_set_new(totals, "missed", json_integer((json_int_t)t.missed));
	json_object_set_new(totals, "test_files", json_integer((json_int_t)t.test_files));
	json_object_set_new(totals, "precision", jratio(t.failing - t.missed, t.selected - t.unproven));
	json_object_set_new(totals, "selected_share", jratio(t.selected, t.test_files));
	json_object_set_new(totals, "failing_share", jratio(t.failing, t.test_files));
	if (rep->with_records) {
		json_t *st = json_object();
		json_object_set_new(st, "selected", json_integer((json_int_t)t.static_selected));
		json_object_set_new(st, "missed", json_integer((json_int_t)t.static_missed));
		json_object_set_new(st, "precision", jratio(t.failing - t.static_missed,
		                                            t.static_selected - t.static_unproven));
		json_object_set_new(st, "selected_share", jratio(t.static_selected, t.test_files));
		json_object_set_new(totals, "static", st);
		json_object_set_new(root, "records", json_true());
	}
	if (mutate)
		json_object_set_new(totals, "breaks_nothing", json_integer((json_int_t)t.breaks_nothing));
	json_object_set_new(totals, "incomplete", json_integer((json_int_t)t.incomplete));
	json_object_set_new(root, "totals", totals);
	json_object_set_new(root, "interrupted", json_boolean(rep->interrupted));

	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	if (!text) {
		rc = impact_error_set(IMPACT_ERROR, "cannot render the audit's JSON report");
	} else {
		impact_buf_puts(out, text);
		impact_buf_putc(out, '\n');
		free(text);
	}
	json_decref(root);
	return rc;
}
