/*
 * cmd_cache.c - `impact cache stats|clear`: look at or drop the parse cache.
 */
#include "cli.h"

#include "cache.h"
#include "pyimports.h"

static const char usage_text[] =
	"impact cache stats   entries, sizes and version of the parse cache\n"
	"       impact cache clear   delete it (it is rebuilt on the next run)";

int cmd_cache(int argc, char **argv, impact_cli *cli)
{
	impact_cache *cache = NULL;
	impact_cache_stats st;
	char *path = NULL, *warning = NULL;
	int rc, exit_code = IMPACT_EXIT_OK;

	if (argc != 2)
		return impact_cli_error_usage("cache", usage_text, "give one subcommand: stats or clear");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		printf("usage: %s\n", usage_text);
		return IMPACT_EXIT_OK;
	}
	if (strcmp(argv[1], "stats") && strcmp(argv[1], "clear"))
		return impact_cli_error_usage("cache", usage_text, "unknown subcommand '%s'", argv[1]);
	if ((rc = impact_cache_default_path(&path, cli->repo)) < 0)
		return impact_cli_error(rc);
	if (!strcmp(argv[1], "clear")) {
		if ((rc = impact_cache_remove(path)) < 0)
			exit_code = impact_cli_error(rc);
		else
			printf("removed %s\n", path);
		goto done;
	}
	if ((rc = impact_cache_open(&cache, path, IMPACT_PYFACTS_VERSION, &warning)) < 0 ||
	    (rc = impact_cache_stats_get(cache, &st)) < 0) {
		exit_code = impact_cli_error(rc);
		goto done;
	}
	if (warning)
		impact_cli_warn("%s", warning);
	printf("path:     %s\nentries:  %llu parsed modules\nvalues:   %.1f KiB\n"
	       "graphs:   %llu trees, %.1f KiB\n"
	       "on disk:  %.1f KiB\nversion:  %u (extractor %u)\n",
	       path, (unsigned long long)st.entries, (double)st.value_bytes / 1024.0,
	       (unsigned long long)st.projects, (double)st.project_bytes / 1024.0,
	       (double)st.file_bytes / 1024.0, st.version, IMPACT_PYFACTS_VERSION);
done:
	impact_cache_close(cache);
	free(warning);
	free(path);
	return exit_code;
}
