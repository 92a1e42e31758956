/*
 * error.c - the thread-local last-error message (see error.h).
 *
 * A fixed 4 KiB per thread: messages are one or two lines; longer ones are
 * cut, never overflowed. Every setter formats into a scratch buffer first,
 * so a new message may quote the last one (impact_error_last() as an
 * argument) without reading what it is overwriting.
 */
#include "common.h"

#include <errno.h>
#include <git2.h>
#include <stdarg.h>

static _Thread_local char last_message[4096];
static _Thread_local char scratch[4096];

static void commit_scratch(void)
{
	memcpy(last_message, scratch, sizeof(last_message));
}

int impact_error_set(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(scratch, sizeof(scratch), fmt, ap);
	va_end(ap);
	commit_scratch();
	return code;
}

int impact_error_from_git(int git_code, const char *fmt, ...)
{
	const git_error *e = git_error_last();
	size_t len;
	va_list ap;
	int code;

	va_start(ap, fmt);
	vsnprintf(scratch, sizeof(scratch), fmt, ap);
	va_end(ap);
	len = strlen(scratch);
	if (e && e->message && len < sizeof(scratch))
		snprintf(scratch + len, sizeof(scratch) - len, ": %s", e->message);
	commit_scratch();

	switch (git_code) {
	case GIT_ENOTFOUND:
		code = IMPACT_ENOTFOUND;
		break;
	case GIT_EUNBORNBRANCH:
		code = IMPACT_EUNBORN;
		break;
	case GIT_EAMBIGUOUS:
	case GIT_EINVALIDSPEC:
		code = IMPACT_EINVALID;
		break;
	default:
		code = IMPACT_ERROR;
	}
	return code;
}

int impact_error_from_errno(int errnum, const char *fmt, ...)
{
	size_t len;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(scratch, sizeof(scratch), fmt, ap);
	va_end(ap);
	len = strlen(scratch);
	if (len < sizeof(scratch))
		snprintf(scratch + len, sizeof(scratch) - len, ": %s", strerror(errnum));
	commit_scratch();
	return IMPACT_ERROR;
}

const char *impact_error_last(void)
{
	return last_message;
}

void impact_error_clear(void)
{
	last_message[0] = '\0';
}
