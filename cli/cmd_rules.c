/*
 * cmd_rules.c - `impact rules check|show`: validate and print the rules.
 *
 * `check` loads the configuration of the working tree exactly as a run
 * would (so TOML errors, unknown keys and wrong types come out the same
 * way, with file:line:col), then checks it against the files of the work
 * tree: globs that match nothing, tests that do not exist, known-flaky
 * entries naming a missing file. Each finding names its position and the
 * fix; any finding exits 2, like a configuration error. Patterns of the
 * built-in default set are not checked (they are meant to match only when
 * such files exist).
 *
 * `show` prints the effective configuration, each value with where it was
 * written, in the order it applies.
 */
#include "cli.h"

#include "config.h"
#include "report.h"
#include "snapshot.h"

static const char usage_text[] =
	"impact rules check   validate the configuration against the work tree\n"
	"       impact rules show    print the effective rules and where each was written";

static int help(void)
{
	printf("usage: %s\n"
	       "\n"
	       "The configuration is .impact.toml at the repository root, or [tool.impact] in\n"
	       "pyproject.toml; the built-in rules and the sets named in 'extends' come first.\n",
	       usage_text);
	return IMPACT_EXIT_OK;
}

typedef struct checker {
	impact_snapshot *snap;
	size_t problems;
} checker;

static void problem(checker *ck, const impact_config_where *w, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem(checker *ck, const impact_config_where *w, const char *fmt, ...)
{
	impact_buf msg = IMPACT_BUF_INIT;
	va_list ap;
	impact_config_where_format(&msg, w);
	impact_buf_puts(&msg, ": ");
	va_start(ap, fmt);
	impact_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", msg.ptr);
	impact_buf_release(&msg);
	ck->problems++;
}

static bool glob_matches_any(const checker *ck, const impact_glob *g)
{
	size_t n = impact_snapshot_count(ck->snap);
	for (size_t i = 0; i < n; i++)
		if (impact_glob_matches(g, impact_snapshot_entry(ck->snap, i)->path))
			return true;
	return false;
}

static void check_patterns(checker *ck, const impact_patterns *list, const char *what)
{
	for (size_t i = 0; i < list->n; i++) {
		const impact_pattern *p = &list->v[i];
		if (p->where.builtin && p->where.file && strstr(p->where.file, "default.toml"))
			continue;
		if (impact_glob_negated(p->glob))
			continue;
		if (!glob_matches_any(ck, p->glob))
			problem(ck, &p->where, "%s glob '%s' matches no file of the work tree; fix the path "
			        "(globs follow .gitignore: no '/' = any depth, a leading '/' = from the root, "
			        "'dir/' = everything below dir)", what, p->text);
	}
}

static bool path_exists(const checker *ck, const char *path)
{
	return impact_snapshot_find(ck->snap, path) || impact_snapshot_has_dir(ck->snap, path);
}

static void check_spec(checker *ck, const impact_testspec *t, const char *what)
{
	switch (t->kind) {
	case IMPACT_TESTSPEC_NODEID: {
		char *file = impact_xstrndup(t->text, (size_t)(strstr(t->text, "::") - t->text));
		if (!impact_snapshot_find(ck->snap, file))
			problem(ck, &t->where, "%s names node id '%s', but '%s' does not exist; fix the "
			        "file part (a node id is path::test, as pytest prints it)", what, t->text, file);
		free(file);
		break;
	}
	case IMPACT_TESTSPEC_PATH:
		if (!path_exists(ck, t->text))
			problem(ck, &t->where, "%s names '%s', which is neither a file nor a directory of "
			        "the work tree; fix the path (relative to the repository root)", what, t->text);
		break;
	case IMPACT_TESTSPEC_GLOB:
		if (!glob_matches_any(ck, t->glob))
			problem(ck, &t->where, "%s glob '%s' matches no file of the work tree; fix the pattern",
			        what, t->text);
		break;
	}
}

static void check_flaky(checker *ck, const impact_flaky *f)
{
	const char *sep = strstr(f->test, "::");
	char *file;
	if (!sep) {
		problem(ck, &f->where, "flaky test '%s' is not a node id; write it as path::test "
		        "(wildcards '*' and '?' allowed)", f->test);
		return;
	}
	file = impact_xstrndup(f->test, (size_t)(sep - f->test));
	if (!strpbrk(file, "*?[") && !impact_snapshot_find(ck->snap, file))
		problem(ck, &f->where, "flaky test '%s': '%s' does not exist; fix the path or remove "
		        "the entry", f->test, file);
	free(file);
}

static int check(impact_config *cfg, impact_snapshot *snap)
{
	checker ck = { snap, 0 };
	check_patterns(&ck, &cfg->full_suite_on, "full-suite-on");
	check_patterns(&ck, &cfg->ignore, "ignore");
	check_patterns(&ck, &cfg->tool_files, "tool-files");
	for (size_t r = 0; r < cfg->nrules; r++) {
		const impact_rule *rule = &cfg->rules[r];
		impact_buf what = IMPACT_BUF_INIT;
		impact_buf_printf(&what, "rule '%s'", rule->name);
		check_patterns(&ck, &rule->paths, what.ptr);
		for (size_t k = 0; k < rule->ntests; k++)
			check_spec(&ck, &rule->tests[k], what.ptr);
		impact_buf_release(&what);
	}
	for (size_t k = 0; k < cfg->nalways; k++)
		check_spec(&ck, &cfg->always[k], "'always'");
	for (size_t k = 0; k < cfg->nflaky; k++)
		check_flaky(&ck, &cfg->flaky[k]);
	if (ck.problems) {
		return impact_cli_error_exit(IMPACT_EXIT_USAGE, "rules: %zu problem%s found (above)",
		                             ck.problems, ck.problems == 1 ? "" : "s");
	}
	printf("impact: rules: ok (%zu rule%s, %zu known-flaky test%s; read %zu source%s:",
	       cfg->nrules, cfg->nrules == 1 ? "" : "s", cfg->nflaky, cfg->nflaky == 1 ? "" : "s",
	       cfg->sources.n, cfg->sources.n == 1 ? "" : "s");
	for (size_t i = 0; i < cfg->sources.n; i++)
		printf(" %s%s", cfg->sources.items[i], i + 1 < cfg->sources.n ? "," : "");
	printf(")\n");
	return IMPACT_EXIT_OK;
}

static void show_where(const impact_config_where *w)
{
	impact_buf b = IMPACT_BUF_INIT;
	impact_config_where_format(&b, w);
	printf("  # %s\n", b.ptr);
	impact_buf_release(&b);
}

static void show_patterns(const char *key, const impact_patterns *list)
{
	printf("%s:\n", key);
	for (size_t i = 0; i < list->n; i++) {
		impact_buf b = IMPACT_BUF_INIT;
		impact_report_quote_path(&b, list->v[i].text);
		printf("  %-40s", b.ptr);
		impact_buf_release(&b);
		show_where(&list->v[i].where);
	}
}

static void show(const impact_config *cfg)
{
	static const char *const unmatched[] = { "full", "ignore", "warn" };
	printf("sources (in the order they apply):\n");
	for (size_t i = 0; i < cfg->sources.n; i++)
		printf("  %s\n", cfg->sources.items[i]);
	show_patterns("full-suite-on (last match wins; '!' excludes)", &cfg->full_suite_on);
	show_patterns("ignore (last match wins; '!' excludes)", &cfg->ignore);
	show_patterns("tool-files (last match wins; '!' excludes)", &cfg->tool_files);
	printf("unmatched: %s", unmatched[cfg->unmatched]);
	show_where(&cfg->where_unmatched);
	printf("rules (their tests run first, in this order):\n");
	for (size_t r = 0; r < cfg->nrules; r++) {
		const impact_rule *rule = &cfg->rules[r];
		printf("  %s%s", rule->name, rule->first ? "" : " (first = false)");
		show_where(&rule->where);
		for (size_t k = 0; k < rule->paths.n; k++)
			printf("    when %s\n", rule->paths.v[k].text);
		for (size_t k = 0; k < rule->ntests; k++)
			printf("    run  %s\n", rule->tests[k].text);
	}
	printf("always:\n");
	for (size_t k = 0; k < cfg->nalways; k++) {
		printf("  %-40s", cfg->always[k].text);
		show_where(&cfg->always[k].where);
	}
	printf("known flaky:\n");
	for (size_t k = 0; k < cfg->nflaky; k++) {
		const impact_flaky *f = &cfg->flaky[k];
		printf("  %s", f->test);
		show_where(&f->where);
		printf("    errors: ");
		if (!f->errors.n)
			printf("(any)");
		for (size_t e = 0; e < f->errors.n; e++)
			printf("%s%s", e ? ", " : "", f->errors.items[e]);
		printf("\n");
		if (f->reason)
			printf("    reason: %s\n", f->reason);
	}
	if (cfg->python)
		printf("python: %s\n", cfg->python);
	if (cfg->has_default_args) {
		printf("default-args:");
		for (size_t i = 0; i < cfg->default_args.n; i++)
			printf(" %s", cfg->default_args.items[i]);
		printf("\n");
	}
	if (cfg->timeout)
		printf("timeout: %u s\n", cfg->timeout);
	if (cfg->test_command.n) {
		printf("test-command:");
		for (size_t i = 0; i < cfg->test_command.n; i++)
			printf(" %s", cfg->test_command.items[i]);
		printf("\n");
	}
	if (cfg->exact_off)
		printf("exact: false (hooks and --gate test the work tree as it is)\n");
	if (cfg->exact_copy.n) {
		printf("exact-copy:");
		for (size_t i = 0; i < cfg->exact_copy.n; i++)
			printf(" %s", cfg->exact_copy.items[i]);
		printf("\n");
	}
}

int cmd_rules(int argc, char **argv, impact_cli *cli)
{
	impact_snapshot *snap = NULL;
	impact_config *cfg = NULL;
	int rc, exit_code;

	if (argc != 2)
		return impact_cli_error_usage("rules", usage_text, "give one subcommand: check or show");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return help();
	if (strcmp(argv[1], "check") && strcmp(argv[1], "show"))
		return impact_cli_error_usage("rules", usage_text, "unknown subcommand '%s'", argv[1]);
	if (git_repository_is_bare(cli->repo))
		return impact_cli_error(impact_snapshot_bare_error(cli->repo));
	if ((rc = impact_snapshot_open(&snap, cli->repo, IMPACT_SNAPSHOT_WORKDIR, NULL)) < 0)
		return impact_cli_error(rc);
	if ((rc = impact_config_load(&cfg, impact_snapshot_reader, snap, NULL)) < 0) {
		exit_code = impact_cli_error(rc);
		goto done;
	}
	if (!strcmp(argv[1], "show")) {
		show(cfg);
		exit_code = IMPACT_EXIT_OK;
	} else {
		exit_code = check(cfg, snap);
	}
done:
	impact_config_free(cfg);
	impact_snapshot_free(snap);
	return exit_code;
}
