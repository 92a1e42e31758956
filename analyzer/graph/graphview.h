/*
 * graphview.h - a picture of why tests were selected: the part of the
 * module graph between the changes and the selected test files.
 *
 * Built from the selection's report (`impact --json`, version 1), so it
 * shows exactly what --explain says: nodes are files (changed files,
 * modules on the chains, test files), edges go from importer to imported
 * and are labelled as --explain labels them ("import, line 3",
 * "conftest", "references: f -> g"). Rendered as Graphviz dot, as JSON,
 * or as one self-contained HTML page (no network) that draws it. It does
 * not compute a selection and never prints.
 */
#ifndef IMPACT_GRAPHVIEW_H
#define IMPACT_GRAPHVIEW_H

#include "buf.h"

typedef enum impact_graphview_format {
	IMPACT_GRAPHVIEW_DOT = 0,
	IMPACT_GRAPHVIEW_JSON,
	IMPACT_GRAPHVIEW_HTML,
} impact_graphview_format;

/*
 * Parse a format name ("dot", "json", "html"); IMPACT_EINVALID with a
 * message naming the choices otherwise.
 */
int impact_graphview_format_parse(impact_graphview_format *out, const char *name);

/*
 * Render the graph of `report` (the text of a version 1 report) in
 * `format`, appended to `out`. Fails with IMPACT_EINVALID when the report
 * cannot be read.
 */
int impact_graphview_render(impact_buf *out, const char *report,
                            impact_graphview_format format);

#endif
