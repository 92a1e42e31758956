/*
 * cmd_plugin.c - `impact plugin install|uninstall|status`: make `pytest
 * --impact` available in the project's interpreter, or take it away.
 *
 * The interpreter is the one impact would run the tests with (interp.c:
 * $IMPACT_PYTHON, the configuration's `python`, .venv, uv, $VIRTUAL_ENV,
 * PATH), said in one line as a run says it. What is written and removed
 * is pyplugin.c's business; this file parses, calls and prints. Only a
 * virtual environment is written to: a system interpreter's site-packages
 * belongs to the system's package manager.
 */
#include "cli.h"

#include "buildinfo.h"
#include "config.h"
#include "pyplugin.h"
#include "run.h"
#include "snapshot.h"

static const char usage_text[] =
	"impact plugin install     make 'pytest --impact [<revspec>]' available in\n"
	"                                 the project's interpreter (a pytest11 entry point)\n"
	"       impact plugin uninstall   remove exactly what install wrote\n"
	"       impact plugin status      the interpreter, its site-packages, the plugin";

static int help(void)
{
	printf("usage: %s\n"
		"\n"
		"The interpreter is the one impact runs tests with: $IMPACT_PYTHON, the\n"
		"configuration's 'python', .venv, uv, $VIRTUAL_ENV, then PATH.\n"
		"Without installing: pytest -p " IMPACT_PYPLUGIN_MODULE " --impact, with impact's\n"
		"python folder on PYTHONPATH.\n", usage_text);
	return IMPACT_EXIT_OK;
}

/* The project's interpreter, chosen with the work tree's configuration. */
static int choose_python(impact_python *out, impact_cli *cli)
{
	impact_snapshot *snap = NULL;
	impact_config *cfg = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!cli->workdir)
		return impact_snapshot_bare_error(cli->repo);
	if ((rc = impact_snapshot_open(&snap, cli->repo, IMPACT_SNAPSHOT_WORKDIR, NULL)) < 0 ||
	    (rc = impact_config_load(&cfg, impact_snapshot_reader, snap, NULL)) < 0)
		goto done;
	rc = impact_python_choose(out, cli->workdir, cfg->python);
done:
	impact_config_free(cfg);
	impact_snapshot_free(snap);
	return rc;
}

static const char *state_name(impact_pyplugin_state s)
{
	switch (s) {
	case IMPACT_PYPLUGIN_CURRENT: return "installed";
	case IMPACT_PYPLUGIN_OUTDATED: return "installed, outdated (run 'impact plugin install')";
	default: return "not installed";
	}
}

int cmd_plugin(int argc, char **argv, impact_cli *cli)
{
	impact_python py = { 0 };
	impact_pysite site = { 0 };
	impact_pyplugin_info info = { 0 };
	char *dir = NULL;
	impact_buf src = IMPACT_BUF_INIT;
	const char *verb;
	bool removed;
	int rc, exit_code = IMPACT_EXIT_OK;

	if (argc != 2)
		return impact_cli_error_usage("plugin", usage_text, "give one subcommand: install, "
		                              "uninstall or status");
	verb = argv[1];
	if (!strcmp(verb, "-h") || !strcmp(verb, "--help"))
		return help();
	if (strcmp(verb, "install") && strcmp(verb, "uninstall") && strcmp(verb, "status"))
		return impact_cli_error_usage("plugin", usage_text, "unknown subcommand '%s'", verb);
	if (!(dir = impact_run_plugin_dir())) {
		rc = impact_error_set(IMPACT_ENOTFOUND, "impact's python folder (holding "
		                      IMPACT_PYPLUGIN_MODULE ".py) is not installed: reinstall "
		                      "impact, or set IMPACT_DATA_DIR");
		goto fail;
	}
	impact_buf_printf(&src, "%s/%s.py", dir, IMPACT_PYPLUGIN_MODULE);
	if ((rc = choose_python(&py, cli)) < 0 ||
	    (rc = impact_pysite_query(&site, &py, cli->workdir)) < 0)
		goto fail;
	printf("python: %s\nsite-packages: %s%s\n", py.why, site.purelib,
	       site.venv ? "" : " (not a virtual environment)");
	if (!strcmp(verb, "status")) {
		if ((rc = impact_pyplugin_inspect(&info, site.purelib, src.ptr)) < 0)
			goto fail;
		printf("plugin: %s\n", state_name(info.state));
		if (info.dist_info)
			printf("files: %s, %s\n", info.module, info.dist_info);
		goto done;
	}
	if (!strcmp(verb, "uninstall")) {
		if ((rc = impact_pyplugin_uninstall(&removed, site.purelib)) < 0)
			goto fail;
		printf(removed ? "plugin: removed\n" : "plugin: not installed, nothing to remove\n");
		goto done;
	}
	if (!site.venv) {
		rc = impact_error_set(IMPACT_EINVALID, "'%s' belongs to a system interpreter, not "
		                      "a virtual environment: create the project's .venv, activate "
		                      "it, or set IMPACT_PYTHON to its python", site.purelib);
		goto fail;
	}
	if ((rc = impact_pyplugin_install(site.purelib, src.ptr, IMPACT_VERSION)) < 0)
		goto fail;
	printf("plugin: installed: 'pytest --impact [<revspec>]' (" IMPACT_PYPLUGIN_DIST
	       " %s)\n", IMPACT_VERSION);
	goto done;
fail:
	exit_code = impact_cli_error(rc);
done:
	impact_pyplugin_info_release(&info);
	impact_pysite_release(&site);
	impact_python_release(&py);
	impact_buf_release(&src);
	free(dir);
	return exit_code;
}
