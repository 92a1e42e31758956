/*
 * test_run.c - pytest's command line: the one function that turns targets
 * into pytest arguments (names pytest would read as options, node ids or
 * parameter ids), and the private arguments impact appends; and the wait
 * for a child whose output pipe closed before it exited.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child.h"
#include "run.h"

static void touch(const char *dir, const char *rel)
{
	impact_buf p = IMPACT_BUF_INIT;
	FILE *f;
	impact_buf_printf(&p, "%s/%s", dir, rel);
	f = fopen(p.ptr, "w");
	assert_non_null(f);
	fclose(f);
	impact_buf_release(&p);
}

static void expect(const impact_strlist *l, const char *const *want, size_t n)
{
	assert_int_equal(l->n, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(l->items[i], want[i]);
}

static void run__target_args(void **state)
{
	char dir[] = "/tmp/impact-test-run-XXXXXX";
	impact_buf sub = IMPACT_BUF_INIT;
	impact_strlist out = { 0 }, unsafe = { 0 };
	const char *targets[] = {
		"-x_test.py", "@args_test.py", "tests/test_ok.py", "tests/test_ok.py::test_a[1::2]",
		"tests/test_a::b.py", "tests/test_a::b.py::test_x", "tests/test_[ab].py",
		"tests/other_test.py", "deep/x[1]/test_y.py",
	};
	const char *want[] = {
		"./-x_test.py", "./@args_test.py", "tests", "deep",
	};
	const char *want_unsafe[] = {
		"tests/test_a::b.py", "tests/test_a::b.py::test_x", "tests/test_[ab].py",
		"deep/x[1]/test_y.py",
	};
	(void)state;
	assert_non_null(mkdtemp(dir));
	impact_buf_printf(&sub, "%s/tests", dir);
	assert_int_equal(mkdir(sub.ptr, 0700), 0);
	touch(dir, "tests/test_a::b.py");
	touch(dir, "tests/test_ok.py");

	impact_run_target_args(&out, &unsafe, dir, targets, IMPACT_ARRAY_SIZE(targets));
	/* Files inside a folder that runs anyway are left out: pytest would run them twice. */
	expect(&out, want, IMPACT_ARRAY_SIZE(want));
	expect(&unsafe, want_unsafe, IMPACT_ARRAY_SIZE(want_unsafe));
	impact_strlist_release(&out);
	impact_strlist_release(&unsafe);

	/* Nothing unsafe: every target as it is, node ids included. */
	impact_run_target_args(&out, NULL, dir, targets + 2, 2);
	expect(&out, targets + 2, 2);
	impact_strlist_release(&out);

	/* A top-level name with '[': the root. */
	{
		const char *t[] = { "test_[x].py", "-a/test_b.py" };
		const char *w[] = { "." };
		impact_run_target_args(&out, NULL, NULL, t, 2);
		expect(&out, w, 1);
		impact_strlist_release(&out);
	}

	{
		impact_buf p = IMPACT_BUF_INIT;
		impact_buf_printf(&p, "%s/tests/test_a::b.py", dir);
		unlink(p.ptr);
		impact_buf_clear(&p);
		impact_buf_printf(&p, "%s/tests/test_ok.py", dir);
		unlink(p.ptr);
		impact_buf_release(&p);
	}
	rmdir(sub.ptr);
	rmdir(dir);
	impact_buf_release(&sub);
}

static void run__no_junit_path(void **state)
{
	impact_strlist out = { 0 };
	(void)state;
	impact_run_argv_private(&out, "/plugin", NULL);
	assert_int_equal(out.n, 2);
	assert_string_equal(out.items[1], IMPACT_RUN_PLUGIN);
	impact_run_argv_private(&out, NULL, "/x.xml");
	assert_int_equal(out.n, 3);
	assert_string_equal(out.items[2], "--junitxml=/x.xml");
	impact_strlist_release(&out);
}

typedef struct {
	impact_buf out;
	int ticks;
} watched;

static void on_output(const char *data, size_t n, void *payload)
{
	impact_buf_put(&((watched *)payload)->out, data, n);
}

static void on_tick(void *payload)
{
	((watched *)payload)->ticks++;
}

/*
 * A child that closes its output, then lives on (0.3 s): the wait naps
 * between looks (about 15 at 20 ms), instead of waking at once on the
 * closed pipe until the child exits (thousands). It read what came first.
 */
static void run__wait_after_the_output_closed(void **state)
{
	const char *argv[] = { "sh", "-c", "echo said; exec >&- 2>&-; sleep 0.3", NULL };
	impact_child_opts co = { 0 };
	impact_child_limits lim = { 0 };
	impact_child_end end;
	watched w = { IMPACT_BUF_INIT, 0 };
	int fds[2], status = -1;
	pid_t pid;
	(void)state;
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	co.output_fd = fds[1];
	co.new_session = true;
	assert_int_equal(impact_child_start(&pid, argv, &co), 0);
	close(fds[1]);
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	lim.output_fd = fds[0];
	lim.on_output = on_output;
	lim.on_tick = on_tick;
	lim.payload = &w;
	assert_int_equal(impact_child_wait_limited(&status, &end, pid, &lim), 0);
	close(fds[0]);
	assert_int_equal(status, 0);
	assert_int_equal(end, IMPACT_CHILD_EXITED);
	assert_string_equal(w.out.ptr, "said\n");
	assert_in_range(w.ticks, 1, 100);
	impact_buf_release(&w.out);
}

/* A job zeroed and never started (a run without the pre-flight) closes nothing: its fd 0 is stdin. */
static void run__a_job_never_started_closes_nothing(void **state)
{
	impact_child_job job;
	int saved = dup(0), nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	(void)state;
	assert_true(saved >= 0 && nul >= 0);
	assert_int_equal(dup2(nul, 0), 0);
	memset(&job, 0, sizeof(job));
	impact_child_job_release(&job);
	assert_int_not_equal(fcntl(0, F_GETFD), -1);
	dup2(saved, 0);
	close(saved);
	close(nul);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(run__target_args),
		cmocka_unit_test(run__no_junit_path),
		cmocka_unit_test(run__wait_after_the_output_closed),
		cmocka_unit_test(run__a_job_never_started_closes_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
