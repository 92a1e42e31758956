/*
 * error.c - the command layer's error funnel and exit-code table (error.h).
 *
 * Every error a command reports is printed here, one way; every exit code
 * and what it means is written here, once. The table is data: `impact
 * help` prints it, and the manual page's EXIT STATUS is generated from
 * that output at build time, so the page, the help and the code agree.
 */
#include "error.h"

#include "common.h"

#include <stdarg.h>

static const impact_exit_info exits[] = {
	{ IMPACT_EXIT_OK, "ok", "passed",
	  "all selected tests passed, or nothing was selected (also: pytest collected no test)" },
	{ IMPACT_EXIT_FAILED, "failed", "test failures",
	  "test failures (also: a test crashed pytest or ended its session early)" },
	{ IMPACT_EXIT_USAGE, "usage", "usage or configuration error",
	  "usage or configuration error (bad revspec, bad option or option value, malformed "
	  "configuration; --staged while the index has merge conflicts; pytest's own usage error)" },
	{ IMPACT_EXIT_PYTHON, "python", "collection/import error or interpreter problem",
	  "collection/import error or interpreter problem (pytest's exit 2 and 3)" },
	{ IMPACT_EXIT_TIMEOUT, "timeout", "timeout", "timeout (--timeout)" },
	{ IMPACT_EXIT_SYSTEM, "system", "I/O, git or system error",
	  "I/O, git or system error: a file impact needs could not be read or written, or "
	  "libgit2 or the system failed (the message says which)" },
	{ IMPACT_EXIT_INTERRUPTED, "interrupted", "interrupted",
	  "interrupted (Ctrl-C, SIGTERM or SIGHUP)" },
};

const impact_exit_info *impact_exit_table(size_t *n)
{
	*n = IMPACT_ARRAY_SIZE(exits);
	return exits;
}

const char *impact_exit_brief(int code)
{
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(exits); i++)
		if (exits[i].code == code)
			return exits[i].brief;
	return "error";
}

void impact_exit_help(FILE *out)
{
	fprintf(out, "exit codes:\n");
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(exits); i++)
		fprintf(out, "    %-4d %s\n", exits[i].code, exits[i].meaning);
}

int impact_exit_from_error(int error)
{
	switch (error) {
	case IMPACT_OK:
		return IMPACT_EXIT_OK;
	case IMPACT_EINVALID:
	case IMPACT_ENOTFOUND:
	case IMPACT_EUNBORN:
		return IMPACT_EXIT_USAGE;
	case IMPACT_EPYTHON:
		return IMPACT_EXIT_PYTHON;
	default:
		return IMPACT_EXIT_SYSTEM;
	}
}

__attribute__((format(printf, 2, 0)))
static void vsay(const char *kind, const char *fmt, va_list ap)
{
	fprintf(stderr, "impact: %s: ", kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int impact_cli_error(int error)
{
	const char *msg = impact_error_last();
	fprintf(stderr, "impact: error: %s\n", *msg ? msg : "unknown error");
	return impact_exit_from_error(error);
}

int impact_cli_error_usage(const char *cmd, const char *usage, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay("error", fmt, ap);
	va_end(ap);
	if (usage)
		fprintf(stderr, "usage: %s\n", usage);
	if (cmd)
		fprintf(stderr, "hint: see 'impact %s%s--help'\n",
		        strcmp(cmd, "select") ? cmd : "", strcmp(cmd, "select") ? " " : "");
	return IMPACT_EXIT_USAGE;
}

int impact_cli_error_exit(int exit_code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay("error", fmt, ap);
	va_end(ap);
	return exit_code;
}

int impact_cli_error_os(int errnum, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "impact: error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(errnum));
	return IMPACT_EXIT_SYSTEM;
}

void impact_cli_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay("warning", fmt, ap);
	va_end(ap);
}

void impact_cli_warn_last(void)
{
	impact_cli_warn("%s", impact_error_last());
}
