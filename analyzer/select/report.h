/*
 * report.h - the selection in words: --list, --explain and --json.
 *
 * Owns the output formats (documented in README.md). Renders into an
 * impact_buf; it never prints, so the command layer decides where output
 * goes. --list is for machines (`pytest $(impact --list)`): paths only, in
 * run order. --explain is for people: per test the shortest chain to a
 * change. --json is the stable, versioned form of both.
 */
#ifndef IMPACT_REPORT_H
#define IMPACT_REPORT_H

#include "select.h"

#include <jansson.h>

typedef struct impact_report_ctx {
	const impact_range *range;
	const impact_changeset *changes;
	const impact_project *project;
	const impact_selection *selection;
	const impact_config *config;   /* may be NULL */
	double ms_diff, ms_total;
} impact_report_ctx;

/* One selected test path per line (or NUL-terminated with `nul`). */
int impact_report_list(impact_buf *out, const impact_report_ctx *ctx, bool nul);
/* Human-readable reasons, one test per line, then notes. */
int impact_report_explain(impact_buf *out, const impact_report_ctx *ctx);
/* The JSON object (pretty when `pretty`), ending with a newline. */
int impact_report_json(impact_buf *out, const impact_report_ctx *ctx, bool pretty);
/* The same as a jansson object, for callers that add to it (caller decrefs). */
json_t *impact_report_json_doc(const impact_report_ctx *ctx);

/*
 * Append `s` to `out` for a terminal: bytes that are not valid UTF-8 or
 * are control characters (a newline in a file name) are written as \xNN,
 * a backslash as \\, so one path is always one line.
 */
void impact_report_quote_path(impact_buf *out, const char *s);

/* Is `s` valid UTF-8 (a path pytest can name in its JUnit XML)? */
bool impact_report_is_utf8(const char *s);

#endif
