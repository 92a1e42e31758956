/*
 * opts.h - options as data: one table per command parses argv (on
 * getopt_long) and prints --help, so the two never disagree.
 */
#ifndef IMPACT_OPTS_H
#define IMPACT_OPTS_H

#include "common.h"

typedef enum impact_opt_kind {
	IMPACT_OPT_END = 0,
	IMPACT_OPT_FLAG,   /* bool *target = true */
	IMPACT_OPT_STRING, /* const char **target = the argument */
	IMPACT_OPT_UINT,   /* unsigned *target = the argument, checked */
	IMPACT_OPT_CHOICE, /* const char **target = the argument, one of argname's "a|b|c" */
	IMPACT_OPT_GROUP,  /* a heading in --help */
} impact_opt_kind;

typedef struct impact_opt {
	impact_opt_kind kind;
	char short_name;       /* 0 if none */
	const char *long_name; /* NULL if none */
	void *target;
	const char *argname;   /* shown in help for STRING/UINT; CHOICE: the allowed words, '|'-separated */
	const char *help;
} impact_opt;

/*
 * Parse argv[1..argc) with `opts`; positional arguments are collected in
 * *pos (borrowed pointers into argv). Stops at "--": *rest and *nrest get
 * what follows it. A `-h/--help` prints help to stdout and returns 1; an
 * error prints it through the funnel (error.h: message, usage, hint) and
 * returns -1; success returns 0.
 */
int impact_opts_parse(const impact_opt *opts, const char *usage, int argc,
                      char **argv, char ***pos, size_t *npos,
                      char ***rest, size_t *nrest);
void impact_opts_help(FILE *out, const char *usage, const impact_opt *opts);

#endif
