/*
 * settings.h - does a change of pyproject.toml, setup.cfg or tox.ini touch
 * only settings no pytest run reads (settings.c says which and why)?
 */
#ifndef IMPACT_SETTINGS_H
#define IMPACT_SETTINGS_H

#include "buf.h"
#include "common.h"

typedef struct impact_settings_ctx {
	bool test_command;          /* a test-command is set: nothing is quiet */
	const char *const *texts;   /* the configuration files' texts and default-args, searched
	                               for a linter plugin's option (--mypy, --ruff...) */
	size_t ntexts;
} impact_settings_ctx;

/*
 * True when `path` (repo-relative: "pyproject.toml", "setup.cfg" or
 * "tox.ini") changed from `old_text` to `new_text` in settings no pytest
 * run reads only; `what` gets them named ("tool.ruff, project.version",
 * or "comments or layout only"). False when unsure: another file, a side
 * that does not parse (its error is cleared), or any other setting.
 */
bool impact_settings_quiet(const impact_settings_ctx *ctx, const char *path, const char *old_text,
                           size_t old_len, const char *new_text, size_t new_len, impact_buf *what);

#endif
