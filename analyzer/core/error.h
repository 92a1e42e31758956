/*
 * error.h - impact's one error convention.
 *
 * As in libgit2: a function returns 0 on success or a negative IMPACT_E*
 * code, and on failure it has set a message that the caller reads back with
 * impact_error_last(). Messages are lowercase, quote their subject, and say
 * what to do next. The message lives in thread-local storage (like
 * git_error_last), so parser threads do not trample each other; it is the
 * only state of its kind.
 */
#ifndef IMPACT_ERROR_H
#define IMPACT_ERROR_H

enum {
	IMPACT_OK = 0,
	IMPACT_ERROR = -1,     /* generic failure; the message says what */
	IMPACT_ENOTFOUND = -3, /* an object, file or key does not exist */
	IMPACT_EINVALID = -4,  /* bad user input: revspec, option, config */
	IMPACT_EUNBORN = -5,   /* HEAD has no commit yet */
	IMPACT_EPYTHON = -6,   /* no usable interpreter / import problem */
};

/* Set the message (printf-style) and return `code`, for `return impact_error_set(...)`. */
int impact_error_set(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Set the message from libgit2's last error, prefixed by `what` (for
 * example "cannot read tree 'HEAD'"), and return an IMPACT_E* code mapped
 * from libgit2's `git_code` (GIT_ENOTFOUND -> IMPACT_ENOTFOUND, ...).
 */
int impact_error_from_git(int git_code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Set the message from errno, prefixed by `what`; returns IMPACT_ERROR. */
int impact_error_from_errno(int errnum, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The last message set on this thread, or "" if none. Borrowed. */
const char *impact_error_last(void);

void impact_error_clear(void);

#endif
