/*
 * opts.c - table-driven option parsing on getopt_long (see opts.h).
 *
 * argv is cut at the first "--" before getopt sees it, so what follows
 * (pytest's arguments) is never taken for impact's options, and GNU
 * getopt's permutation can still accept options after positionals.
 */
#include "opts.h"

#include "buf.h"
#include "error.h"

#include <errno.h>
#include <getopt.h>

void impact_opts_help(FILE *out, const char *usage, const impact_opt *opts)
{
	fprintf(out, "usage: %s\n", usage);
	for (const impact_opt *o = opts; o->kind != IMPACT_OPT_END; o++) {
		impact_buf left = IMPACT_BUF_INIT;
		if (o->kind == IMPACT_OPT_GROUP) {
			fprintf(out, "\n%s\n", o->help);
			continue;
		}
		if (o->short_name && o->long_name)
			impact_buf_printf(&left, "-%c, --%s", o->short_name, o->long_name);
		else if (o->short_name)
			impact_buf_printf(&left, "-%c", o->short_name);
		else
			impact_buf_printf(&left, "    --%s", o->long_name);
		if (o->kind == IMPACT_OPT_STRING || o->kind == IMPACT_OPT_UINT ||
		    o->kind == IMPACT_OPT_CHOICE)
			impact_buf_printf(&left, " <%s>", o->argname ? o->argname : "value");
		fprintf(out, "    %-26s %s\n", left.ptr, o->help);
		impact_buf_release(&left);
	}
}

/* Is `value` one of the '|'-separated words of `words`? */
static bool one_of(const char *words, const char *value)
{
	size_t n = strlen(value);
	for (const char *w = words; w && *w;) {
		const char *bar = strchr(w, '|');
		size_t len = bar ? (size_t)(bar - w) : strlen(w);
		if (n && len == n && !memcmp(w, value, n))
			return true;
		w = bar ? bar + 1 : NULL;
	}
	return false;
}

/* getopt_long's tables from the option table: `shorts` filled, the long options returned (caller frees). */
static struct option *getopt_tables(impact_buf *shorts, const impact_opt *opts)
{
	struct option *lo = NULL;
	size_t nopts = 0, nlo = 0, lalloc = 0;

	/* '-': positionals come back in order as 1; ':': a missing value is ':'. */
	impact_buf_puts(shorts, "-:h");
	for (const impact_opt *o = opts; o->kind != IMPACT_OPT_END; o++, nopts++) {
		bool arg = o->kind == IMPACT_OPT_STRING || o->kind == IMPACT_OPT_UINT ||
		           o->kind == IMPACT_OPT_CHOICE;
		if (o->kind == IMPACT_OPT_GROUP)
			continue;
		if (o->short_name) {
			impact_buf_putc(shorts, o->short_name);
			if (arg)
				impact_buf_putc(shorts, ':');
		}
		if (o->long_name) {
			struct option l = { o->long_name, arg ? required_argument : no_argument,
			                    NULL, 256 + (int)nopts };
			IMPACT_PUSH(lo, nlo, lalloc, l);
		}
	}
	{
		struct option l = { "help", no_argument, NULL, 'h' };
		struct option end = { NULL, 0, NULL, 0 };
		IMPACT_PUSH(lo, nlo, lalloc, l);
		IMPACT_PUSH(lo, nlo, lalloc, end);
	}

	return lo;
}

/* Store option `o`'s value (`optarg`) in its target. -1, said, when it is out of its set. */
static int store(const impact_opt *o, const char *cmd, const char *usage, char *optarg_)
{
	char *optarg = optarg_;
	switch (o->kind) {
	case IMPACT_OPT_FLAG:
		*(bool *)o->target = true;
		break;
	case IMPACT_OPT_STRING:
		*(const char **)o->target = optarg;
		break;
	case IMPACT_OPT_CHOICE:
		if (!one_of(o->argname, optarg)) {
			impact_cli_error_usage(cmd, usage, "--%s takes one of %s, not '%s'",
			                       o->long_name ? o->long_name : "?", o->argname, optarg);
			return -1;
		}
		*(const char **)o->target = optarg;
		break;
	case IMPACT_OPT_UINT: {
		char *end;
		unsigned long v;
		errno = 0;
		v = strtoul(optarg, &end, 10);
		if (errno || !*optarg || *end || optarg[0] == '-' || v > 1000000000ul) {
			impact_cli_error_usage(cmd, usage, "--%s takes a whole number, not '%s'",
			                       o->long_name ? o->long_name : "?", optarg);
			return -1;
		}
		*(unsigned *)o->target = (unsigned)v;
		break;
	}
	default:
		break;
	}
	return 0;
}

int impact_opts_parse(const impact_opt *opts, const char *usage, int argc,
                      char **argv, char ***pos, size_t *npos,
                      char ***rest, size_t *nrest)
{
	struct option *lo = NULL;
	impact_buf shorts = IMPACT_BUF_INIT;
	size_t palloc = 0;
	int cut = argc, rc = 0, c, idx;
	bool help = false;

	*pos = NULL;
	*npos = 0;
	*rest = NULL;
	*nrest = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			cut = i;
			break;
		}
	}
	if (cut < argc) {
		*rest = argv + cut + 1;
		*nrest = (size_t)(argc - cut - 1);
	}

	lo = getopt_tables(&shorts, opts);

	optind = 0; /* full reset (GNU) */
	opterr = 0;
	while ((c = getopt_long(cut, argv, shorts.ptr, lo, &idx)) != -1) {
		const impact_opt *o = NULL;
		if (c == 1) {
			/* An empty argument names nothing: never read as "none given". */
			if (!*argv[optind - 1]) {
				impact_cli_error_usage(argv[0], usage, "an empty argument ('') names "
				                       "nothing: leave it out, or give a value");
				rc = -1;
				goto done;
			}
			IMPACT_PUSH(*pos, *npos, palloc, argv[optind - 1]);
			continue;
		}
		if (c == 'h') {
			help = true;
			continue;
		}
		if (c == '?' || c == ':') {
			bool needs = c == ':' || (optopt && strchr(shorts.ptr, optopt));
			impact_cli_error_usage(argv[0], usage, needs ? "option '%s' needs a value"
			                       : "unknown option '%s' (pytest's own options go after '--')",
			                       argv[optind - 1]);
			rc = -1;
			goto done;
		}
		if (c >= 256) {
			o = &opts[c - 256];
		} else {
			for (const impact_opt *s = opts; s->kind != IMPACT_OPT_END; s++)
				if (s->short_name == c && s->kind != IMPACT_OPT_GROUP)
					o = s;
		}
		if (!o)
			continue;
		if (store(o, argv[0], usage, optarg) < 0) {
			rc = -1;
			goto done;
		}
	}
	if (help) {
		impact_opts_help(stdout, usage, opts);
		rc = 1;
	}
done:
	if (rc != 0) {
		free(*pos);
		*pos = NULL;
		*npos = 0;
	}
	free(lo);
	impact_buf_release(&shorts);
	return rc;
}
