/*
 * test_graphview.c - the picture of a selection (graphview.c) and the
 * pytest --impact distribution on disk (pyplugin.c): reports in, dot,
 * JSON and HTML out; install and uninstall in a scratch folder standing in
 * for a site-packages (the e2e suite does it in real venvs).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "graphview.h"
#include "pyplugin.h"

#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static const char report[] =
	"{\"version\": 1, \"range\": {\"old\": \"HEAD~1\", \"new\": \"HEAD\"},"
	" \"changed\": [{\"path\": \"pkg/util.py\", \"status\": \"modified\", \"class\": \"module\"},"
	"               {\"path\": \"tests/test_new.py\", \"status\": \"added\", \"class\": \"test\"}],"
	" \"full_suite\": false, \"full_suite_reason\": null,"
	" \"selected\": ["
	"  {\"path\": \"tests/test_new.py\", \"reason\": \"changed-test\", \"chain\": [{\"path\": \"tests/test_new.py\", \"status\": \"added\"}]},"
	"  {\"path\": \"tests/test_models.py\", \"reason\": \"reaches-change\", \"chain\": ["
	"     {\"path\": \"tests/test_models.py\"},"
	"     {\"path\": \"pkg/models.py\", \"via\": \"import\", \"line\": 1},"
	"     {\"path\": \"pkg/util.py\", \"via\": \"lazy import\", \"line\": 7, \"status\": \"modified\"}]},"
	"  {\"path\": \"tests/test_util.py\", \"reason\": \"reaches-change\", \"chain\": [],"
	"   \"references\": \"tests/test_util.py:test_helper -> pkg/util.py:helper (body changed)\"},"
	"  {\"path\": \"tests/te\\\"st</script>.py\", \"reason\": \"reaches-change\", \"chain\": [],"
	"   \"rule\": {\"name\": \"odd\"}}]}";

static void graphview__dot(void **state)
{
	impact_buf out = IMPACT_BUF_INIT;
	(void)state;
	assert_int_equal(impact_graphview_render(&out, report, IMPACT_GRAPHVIEW_DOT), 0);
	assert_non_null(strstr(out.ptr, "\"tests/test_models.py\" -> \"pkg/models.py\" [label=\"import, line 1\"];"));
	assert_non_null(strstr(out.ptr, "\"pkg/models.py\" -> \"pkg/util.py\" [label=\"lazy import, line 7\"];"));
	assert_non_null(strstr(out.ptr, "\"tests/test_util.py\" -> \"pkg/util.py\" [label=\"references: test_helper -> helper\"];"));
	assert_non_null(strstr(out.ptr, "[label=\"pkg/util.py\\n(modified)\", fillcolor=\"#f8d7da\"]"));
	assert_non_null(strstr(out.ptr, "\"tests/te\\\"st</script>.py\" [label=\"tests/te\\\"st</script>.py\\n[rule odd]\""));
	impact_buf_release(&out);
}

static void graphview__json_and_html(void **state)
{
	impact_buf out = IMPACT_BUF_INIT;
	(void)state;
	assert_int_equal(impact_graphview_render(&out, report, IMPACT_GRAPHVIEW_JSON), 0);
	assert_non_null(strstr(out.ptr, "\"id\": \"tests/test_new.py\",\n      \"kind\": \"test\",\n      \"status\": \"added\""));
	impact_buf_clear(&out);
	assert_int_equal(impact_graphview_render(&out, report, IMPACT_GRAPHVIEW_HTML), 0);
	assert_null(strstr(out.ptr, "/*IMPACT_GRAPH*/null"));
	/* A path cannot end the page's script early. */
	assert_non_null(strstr(out.ptr, "st<\\/script>.py"));
	assert_null(strstr(out.ptr, "st</script>"));
	impact_buf_release(&out);
}

static void graphview__bad_input(void **state)
{
	impact_buf out = IMPACT_BUF_INIT;
	impact_graphview_format f;
	(void)state;
	assert_int_equal(impact_graphview_render(&out, "{", IMPACT_GRAPHVIEW_DOT), IMPACT_EINVALID);
	assert_int_equal(impact_graphview_render(&out, "{\"version\": 2}", IMPACT_GRAPHVIEW_DOT),
	                 IMPACT_EINVALID);
	assert_int_equal(impact_graphview_format_parse(&f, "svg"), IMPACT_EINVALID);
	assert_non_null(strstr(impact_error_last(), "'svg'"));
	assert_int_equal(impact_graphview_format_parse(&f, "html"), 0);
	assert_int_equal(f, IMPACT_GRAPHVIEW_HTML);
	impact_buf_release(&out);
}

/* Names in `dir`, sorted, joined by ' ' (subfolders as "name/"). */
static void listing(impact_buf *out, const char *dir)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort);
	impact_buf_clear(out);
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.')
			impact_buf_printf(out, "%s%s ", names[i]->d_name,
			                  names[i]->d_type == DT_DIR ? "/" : "");
		free(names[i]);
	}
	free(names);
}

static void pyplugin__install_uninstall(void **state)
{
	char site[] = "/tmp/impact-test-site-XXXXXX";
	impact_buf src = IMPACT_BUF_INIT, path = IMPACT_BUF_INIT, before = IMPACT_BUF_INIT,
	           now = IMPACT_BUF_INIT, text = IMPACT_BUF_INIT;
	impact_pyplugin_info info;
	bool removed;
	FILE *f;
	(void)state;

	assert_non_null(mkdtemp(site));
	impact_buf_printf(&src, "%s/src.py", site);
	f = fopen(src.ptr, "w");
	fputs("# the plugin\n", f);
	fclose(f);
	listing(&before, site);

	assert_int_equal(impact_pyplugin_inspect(&info, site, src.ptr), 0);
	assert_int_equal(info.state, IMPACT_PYPLUGIN_ABSENT);
	impact_pyplugin_info_release(&info);

	assert_int_equal(impact_pyplugin_install(site, src.ptr, "9.9"), 0);
	listing(&now, site);
	assert_string_equal(now.ptr, "impact_pytest_select-9.9.dist-info/ impact_pytest_select.py src.py ");
	impact_buf_printf(&path, "%s/impact_pytest_select-9.9.dist-info/entry_points.txt", site);
	assert_int_equal(impact_buf_read_file(&text, path.ptr, 4096), 0);
	assert_string_equal(text.ptr, "[pytest11]\nimpact_pytest_select = impact_pytest_select\n");
	assert_int_equal(impact_pyplugin_inspect(&info, site, src.ptr), 0);
	assert_int_equal(info.state, IMPACT_PYPLUGIN_CURRENT);
	impact_pyplugin_info_release(&info);

	/* A newer module: outdated until installed again, which replaces the old copy. */
	f = fopen(src.ptr, "w");
	fputs("# the plugin, newer\n", f);
	fclose(f);
	assert_int_equal(impact_pyplugin_inspect(&info, site, src.ptr), 0);
	assert_int_equal(info.state, IMPACT_PYPLUGIN_OUTDATED);
	impact_pyplugin_info_release(&info);
	assert_int_equal(impact_pyplugin_install(site, src.ptr, "10.0"), 0);
	listing(&now, site);
	assert_string_equal(now.ptr, "impact_pytest_select-10.0.dist-info/ impact_pytest_select.py src.py ");

	/* Byte-compiled copies go too; __pycache__ with them when it empties. */
	impact_buf_clear(&path);
	impact_buf_printf(&path, "%s/__pycache__", site);
	assert_int_equal(mkdir(path.ptr, 0755), 0);
	impact_buf_puts(&path, "/impact_pytest_select.cpython-311.pyc");
	f = fopen(path.ptr, "w");
	fclose(f);
	assert_int_equal(impact_pyplugin_uninstall(&removed, site), 0);
	assert_true(removed);
	listing(&now, site);
	assert_string_equal(now.ptr, before.ptr);
	assert_int_equal(impact_pyplugin_uninstall(&removed, site), 0);
	assert_false(removed);

	/* A module of that name that impact did not install is left alone. */
	impact_buf_clear(&path);
	impact_buf_printf(&path, "%s/impact_pytest_select.py", site);
	f = fopen(path.ptr, "w");
	fclose(f);
	assert_int_equal(impact_pyplugin_install(site, src.ptr, "1"), IMPACT_EINVALID);
	assert_non_null(strstr(impact_error_last(), "impact did not install it"));
	unlink(path.ptr);
	unlink(src.ptr);
	assert_int_equal(rmdir(site), 0);

	impact_buf_release(&src);
	impact_buf_release(&path);
	impact_buf_release(&before);
	impact_buf_release(&now);
	impact_buf_release(&text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(graphview__dot),
		cmocka_unit_test(graphview__json_and_html),
		cmocka_unit_test(graphview__bad_input),
		cmocka_unit_test(pyplugin__install_uninstall),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
