/*
 * cmd_records.c - `impact records stats|clear|export FILE|import FILE`:
 * look at, drop, save or restore the recorded dependencies (records.h).
 * export/import let a CI job restore what an earlier job recorded.
 */
#include "cli.h"

#include "records.h"

static const char usage_text[] =
	"impact records stats          test files, functions and size of the records\n"
	"       impact records clear          delete them (the next 'impact --all' records anew)\n"
	"       impact records export <file>  save them to <file> (for a CI cache)\n"
	"       impact records import <file>  replace them with <file>'s";

static int stats(impact_cli *cli)
{
	impact_records *rec = NULL;
	impact_records_stats st;
	char *recorder;
	int rc = impact_records_open(&rec, cli->repo, false);
	if (rc == IMPACT_ENOTFOUND) {
		printf("no recorded dependencies yet: 'impact --all' (or any run) records them\n");
		return IMPACT_EXIT_OK;
	}
	if (rc < 0 || (rc = impact_records_stats_get(rec, &st)) < 0) {
		impact_records_close(rec);
		return impact_cli_error(rc);
	}
	recorder = impact_records_recorder(rec);
	printf("records:   %zu test files (%zu tests)\nfunctions: %zu distinct, in %zu distinct sets\n"
	       "imports:   %zu modules\ncaches:    %zu functions caching their results\n"
	       "on disk:   %.1f KiB\nversion:   %s\n",
	       st.files, st.tests, st.functions, st.sets, st.modules, st.caches, (double)st.bytes / 1024.0,
	       IMPACT_RECORDS_VERSION);
	if (recorder)
		printf("recorder:  %s (the last recorded run)\n", recorder);
	free(recorder);
	impact_records_close(rec);
	return IMPACT_EXIT_OK;
}

int cmd_records(int argc, char **argv, impact_cli *cli)
{
	const char *sub = argc > 1 ? argv[1] : NULL;
	int rc;
	if (!sub)
		return impact_cli_error_usage("records", usage_text, "give a subcommand");
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help")) {
		printf("usage: %s\n", usage_text);
		return IMPACT_EXIT_OK;
	}
	if (!strcmp(sub, "stats") && argc == 2)
		return stats(cli);
	if (!strcmp(sub, "clear") && argc == 2) {
		if ((rc = impact_records_clear(cli->repo)) < 0)
			return impact_cli_error(rc);
		printf("recorded dependencies removed\n");
		return IMPACT_EXIT_OK;
	}
	if (!strcmp(sub, "export") && argc == 3) {
		if ((rc = impact_records_export(cli->repo, argv[2])) < 0)
			return impact_cli_error(rc);
		return IMPACT_EXIT_OK;
	}
	if (!strcmp(sub, "import") && argc == 3) {
		if ((rc = impact_records_import(cli->repo, argv[2])) < 0)
			return impact_cli_error(rc);
		return IMPACT_EXIT_OK;
	}
	return impact_cli_error_usage("records", usage_text, "'%s': not a subcommand, or not "
	                              "with that number of arguments", sub);
}
