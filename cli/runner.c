/*
 * runner.c - run the selection (see runner.h).
 *
 * First cut: choose the interpreter, run pytest with the default flags in
 * the work tree, pass its output and exit code through.
 */
#include "runner.h"

#include "interp.h"
#include "run.h"

static void print_command(const impact_strlist *argv)
{
	impact_buf line = IMPACT_BUF_INIT;
	for (size_t i = 0; i < argv->n; i++) {
		if (i)
			impact_buf_putc(&line, ' ');
		if (i > 12 && argv->n > 16) {
			impact_buf_printf(&line, "... (%zu more)", argv->n - i);
			break;
		}
		impact_report_quote_path(&line, argv->items[i]);
	}
	fprintf(stderr, "impact: running: %s\n", line.ptr);
	impact_buf_release(&line);
}

int impact_runner_run(impact_cli *cli, const impact_runner_opts *o,
                      const impact_report_ctx *ctx, const impact_config *config,
                      char **args, size_t nargs)
{
	static const char *const default_flags[] = { "-x", "--tb=short", "--no-header" };
	const impact_selection *sel = ctx ? ctx->selection : NULL;
	impact_python python = { 0 };
	impact_strlist targets = { 0 }, cmdline = { 0 };
	impact_run_opts ro = { 0 };
	int rc, code = 0, exit_code;

	if (!ctx) {
		fprintf(stderr, "impact: error: --last-failed is not available yet\n");
		return IMPACT_EXIT_USAGE;
	}
	if (!cli->workdir) {
		fprintf(stderr, "impact: error: a bare repository has no work tree to run tests in: "
		        "use --list, --explain or --json\n");
		return IMPACT_EXIT_USAGE;
	}
	rc = impact_python_choose(&python, cli->workdir, config ? config->python : NULL);
	if (rc < 0) {
		exit_code = impact_cli_fail(rc);
		goto done;
	}
	if (!o->quiet)
		fprintf(stderr, "impact: python: %s\n", python.why);
	if (!sel->full_suite || o->explicit_targets)
		for (size_t i = 0; i < sel->ntests; i++)
			impact_strlist_push(&targets, ctx->project->files[sel->tests[i].file].path);
	ro.workdir = cli->workdir;
	ro.python = &python;
	if (!o->no_default_flags) {
		ro.default_flags = default_flags;
		ro.ndefault_flags = IMPACT_ARRAY_SIZE(default_flags);
	}
	ro.targets = (const char *const *)targets.items;
	ro.ntargets = targets.n;
	ro.extra = (const char *const *)args;
	ro.nextra = nargs;
	if (!o->quiet) {
		impact_run_argv(&cmdline, &ro);
		print_command(&cmdline);
	}
	fflush(stdout);
	fflush(stderr);
	rc = impact_run_pytest(&code, &ro);
	exit_code = rc < 0 ? impact_cli_fail(rc) : code;
done:
	impact_strlist_release(&targets);
	impact_strlist_release(&cmdline);
	impact_python_release(&python);
	return exit_code;
}
