/*
 * error.h - the command layer's error funnel and its one exit-code table.
 *
 * The analyzer never prints: it returns a negative IMPACT_E* code and sets
 * a message (core/error.h). Here that becomes words on stderr and an exit
 * code, one way for every command (as libgit2's cli/error.h does):
 *
 *     impact: error: <what was wrong, and what to do>
 *     hint: <where to read more>            (usage errors)
 *
 * The exit codes, their names and meanings live in one table (error.c);
 * `impact help`, `impact --help`, `impact status`, the hooks' messages and
 * the manual page's EXIT STATUS (build-aux/gen-man.sh reads `impact help`)
 * all come from it. A command returns what these functions return.
 *
 * Warnings ("impact: warning: ...") go through here too; progress and
 * notes ("impact: running: ...") are a command's own output, not errors.
 */
#ifndef IMPACT_CLI_ERROR_H
#define IMPACT_CLI_ERROR_H

#include <stdio.h>

/* impact's exit codes: the table in error.c says what each one means. */
enum {
	IMPACT_EXIT_OK = 0,
	IMPACT_EXIT_FAILED = 1,
	IMPACT_EXIT_USAGE = 2,
	IMPACT_EXIT_PYTHON = 3,
	IMPACT_EXIT_TIMEOUT = 4,
	IMPACT_EXIT_SYSTEM = 5,
	IMPACT_EXIT_INTERRUPTED = 130,
};

typedef struct impact_exit_info {
	int code;
	const char *name;    /* "usage": a word for scripts and code */
	const char *brief;   /* "usage or configuration error": a few words, in messages */
	const char *meaning; /* the whole meaning, in help and the manual page */
} impact_exit_info;

/* The table, in code order; *n gets its length. Static. */
const impact_exit_info *impact_exit_table(size_t *n);

/* A few words for `code` ("test failures"); "error" for a code not in the table. Static. */
const char *impact_exit_brief(int code);

/* "exit codes:" and one indented line per code ("    2    <meaning>"), to `out`. */
void impact_exit_help(FILE *out);

/*
 * The exit code for an IMPACT_E* code: 0 for 0; IMPACT_EINVALID,
 * IMPACT_ENOTFOUND and IMPACT_EUNBORN (what the user named or set up) are
 * usage errors; IMPACT_EPYTHON a Python problem; anything else (a file
 * that cannot be read or written, libgit2, the system) IMPACT_EXIT_SYSTEM.
 */
int impact_exit_from_error(int error);

/*
 * Print the message set with `error` (impact_error_last()) as an error and
 * return its exit code: `return impact_cli_error(rc);`.
 */
int impact_cli_error(int error);

/*
 * A usage error of command `cmd` ("select" for the default command):
 * the message, then `usage` when not NULL and a hint naming the command's
 * --help. Returns IMPACT_EXIT_USAGE.
 */
int impact_cli_error_usage(const char *cmd, const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* An error that has an exit code of its own (no IMPACT_E* code behind it): returns `exit_code`. */
int impact_cli_error_exit(int exit_code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* An I/O error on `errnum`: "<what>: <strerror>". Returns IMPACT_EXIT_SYSTEM. */
int impact_cli_error_os(int errnum, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "impact: warning: <message>". */
void impact_cli_warn(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* "impact: warning: <impact_error_last()>", for a failure that does not stop the command. */
void impact_cli_warn_last(void);

#endif
