/*
 * auditrun.c - the full suite in a checkout, and impact's selection of a
 * commit, for the audit (see auditrun.h).
 *
 * The selection process is started here with posix_spawn directly rather
 * than through child.c, which sends a child's stdout and stderr to one
 * place: the JSON must come alone on stdout, and impact's error on stderr
 * is wanted for the message. Both go to files in the audit's temporary
 * folder (no pipe to drain, whatever their size).
 */
#include "auditrun.h"
#include "clock.h"

#include "child.h"

#include "reap.h"
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <jansson.h>
#include <spawn.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* How much of pytest's output the result keeps, from its end. */
#define LOG_TAIL_LINES 20
#define LOG_TAIL_BYTES 4096

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void impact_audit_sort_unique(impact_strlist *l)
{
	size_t k = 0;
	if (!l->n)
		return;
	qsort(l->items, l->n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < l->n; i++) {
		if (k && !strcmp(l->items[k - 1], l->items[i])) {
			free(l->items[i]);
			continue;
		}
		l->items[k++] = l->items[i];
	}
	l->n = k;
}

bool impact_audit_has(const impact_strlist *l, const char *s)
{
	return l && l->n && bsearch(&s, l->items, l->n, sizeof(char *), cmp_str) != NULL;
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The last lines of `b`, or NULL when it is empty. */
static char *tail_of(const impact_buf *b)
{
	const char *start;
	size_t size = b->size;
	int lines = 0;
	while (size && (b->ptr[size - 1] == '\n' || b->ptr[size - 1] == ' '))
		size--;
	if (!size)
		return NULL;
	start = b->ptr + size;
	while (start > b->ptr && (size_t)(b->ptr + size - start) < LOG_TAIL_BYTES) {
		if (start[-1] == '\n' && ++lines >= LOG_TAIL_LINES)
			break;
		start--;
	}
	return impact_xstrndup(start, (size_t)(b->ptr + size - start));
}

/*
 * What pytest's output at `path` says: its last lines, whether it holds
 * `watch`, and the conftest.py that failed to import before any test ran
 * ("ImportError while loading conftest '<path>'.", which pytest prints for
 * any exception there), relative to `checkout`.
 */
static void read_log(impact_suite_result *out, const char *path, const char *checkout,
                     const char *watch)
{
	static const char needle[] = "while loading conftest '";
	impact_buf log = IMPACT_BUF_INIT;
	const char *at, *end;

	if (impact_buf_read_file(&log, path, (size_t)1 << 30) < 0) {
		impact_buf_release(&log);
		return;
	}
	out->log_tail = tail_of(&log);
	out->log_has_watch = watch && *watch && memmem(log.ptr, log.size, watch, strlen(watch));
	at = memmem(log.ptr, log.size, needle, sizeof(needle) - 1);
	end = at ? memchr(at + sizeof(needle) - 1, '\'', log.size - (size_t)(at - log.ptr) -
	                                                 (sizeof(needle) - 1)) : NULL;
	if (end) {
		/* pytest may print the checkout's real path. */
		char *real = realpath(checkout, NULL);
		const char *dirs[2] = { checkout, real };
		at += sizeof(needle) - 1;
		for (int i = 0; i < 2 && !out->broken_conftest; i++) {
			size_t clen = dirs[i] ? strlen(dirs[i]) : 0;
			if (clen && (size_t)(end - at) > clen + 1 && !memcmp(at, dirs[i], clen) &&
			    at[clen] == '/')
				out->broken_conftest = impact_xstrndup(at + clen + 1,
				                                       (size_t)(end - at) - clen - 1);
		}
		free(real);
	}
	impact_buf_release(&log);
}

/*
 * Node ids and files for every record. xunit1's `file` attribute is where
 * the test function is defined; the classname names the module pytest
 * collected it from. They differ for a method inherited from a mixin (a
 * base class in the tests' __init__.py or a helper module): the test file
 * that ran it is then the one whose module the classname names, and a
 * failure there must not be pinned on the mixin's file (an __init__.py
 * would stand for its whole folder). Without a `file`, by classname alone.
 */
static bool names_file(const impact_buf *id, const char *file)
{
	size_t n = strlen(file);
	return !strncmp(id->ptr, file, n) && (id->ptr[n] == '\0' || !strncmp(id->ptr + n, "::", 2));
}

static void name_records(impact_results *res, const char *const *test_files, size_t n)
{
	impact_buf id = IMPACT_BUF_INIT;
	for (size_t i = 0; i < res->n; i++) {
		impact_testcase *tc = &res->cases[i];
		const char *one[1], *file = NULL;
		if (tc->nodeid)
			continue;
		impact_buf_clear(&id);
		if (tc->file) {
			/* The record's file when the classname names it (the usual case). */
			one[0] = tc->file;
			impact_junit_nodeid(&id, tc, one, 1, &file);
			if (!names_file(&id, tc->file) && n) {
				/* Inherited: the test file whose module the classname names. */
				impact_buf alt = IMPACT_BUF_INIT;
				const char *f = NULL;
				impact_junit_nodeid(&alt, tc, test_files, n, &f);
				if (f && f != tc->file && names_file(&alt, f)) {
					impact_buf tmp = id;
					id = alt;
					alt = tmp;
					free(tc->file);
					tc->file = impact_xstrdup(f);
				}
				impact_buf_release(&alt);
			}
		} else {
			impact_junit_nodeid(&id, tc, test_files, n, &file);
		}
		tc->nodeid = impact_xstrdup(id.ptr);
		if (!tc->file) {
			const char *sep = strstr(id.ptr, "::");
			tc->file = file ? impact_xstrdup(file)
			                : impact_xstrndup(id.ptr, sep ? (size_t)(sep - id.ptr) : id.size);
		}
	}
	impact_buf_release(&id);
}

/* `<name>=<value>` and `<name>_ROOT=<root>` for the plugin, into `envl`. */
static void plugin_env(impact_strlist *envl, const char *name, const char *value, const char *root)
{
	impact_buf e = IMPACT_BUF_INIT;
	impact_buf_printf(&e, "%s=%s", name, value);
	impact_strlist_push(envl, e.ptr);
	impact_buf_clear(&e);
	impact_buf_printf(&e, "%s_ROOT=%s", name, root);
	impact_strlist_push(envl, e.ptr);
	impact_buf_release(&e);
}

int impact_suite_run(impact_suite_result *out, const impact_suite_env *env,
                     const char *checkout, unsigned k,
                     const char *const *test_files, size_t ntest_files)
{
	impact_strlist argv = { 0 }, envl = { 0 };
	impact_buf junit = IMPACT_BUF_INIT, log = IMPACT_BUF_INIT, arg = IMPACT_BUF_INIT;
	impact_buf xml = IMPACT_BUF_INIT, marker = IMPACT_BUF_INIT;
	impact_child_opts co = { 0 };
	impact_child_limits lim = env->limits;
	const char *pp = getenv("PYTHONPATH");
	double t0 = impact_now_ms();
	int log_fd = -1, rc = 0;
	pid_t pid = 0;

	memset(out, 0, sizeof(*out));
	impact_buf_printf(&junit, "%s/junit-%u.xml", env->scratch, k);
	impact_buf_printf(&log, "%s/pytest-%u.log", env->scratch, k);
	log_fd = open(log.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (log_fd < 0) {
		rc = impact_error_from_errno(errno, "cannot create '%s'", log.ptr);
		goto done;
	}

	impact_run_pytest(&argv, env->python, env->test_command);
	impact_strlist_push(&argv, "--tb=short");
	impact_strlist_push(&argv, "--maxfail=2000000000");
	impact_strlist_push(&argv, "--continue-on-collection-errors");
	impact_strlist_push(&argv, "-o");
	impact_strlist_push(&argv, "junit_family=xunit1");
	impact_buf_printf(&arg, "--rootdir=%s", checkout);
	impact_strlist_push(&argv, arg.ptr);
	impact_buf_clear(&arg);
	impact_buf_printf(&arg, "--junitxml=%s", junit.ptr);
	impact_strlist_push(&argv, arg.ptr);
	if ((env->record_sink || env->runner_file) && env->plugin_dir) {
		impact_strlist_push(&argv, "-p");
		impact_strlist_push(&argv, IMPACT_RUN_PLUGIN);
	}
	if (env->runner_file && env->plugin_dir)
		plugin_env(&envl, "IMPACT_RUNNER", env->runner_file, checkout);
	if (env->record_sink && env->plugin_dir) {
		plugin_env(&envl, "IMPACT_RECORD", env->record_sink, checkout);
		impact_run_ctrace_env(&envl, env->plugin_dir);
	}

	impact_buf_printf(&marker, "IMPACT_RUN_ID=%s-%u", env->run_id, k);
	impact_strlist_push(&envl, marker.ptr);
	impact_buf_clear(&arg);
	impact_buf_printf(&arg, "PYTHONPATH=%s", checkout);
	impact_buf_clear(&xml);
	impact_buf_printf(&xml, "%s/src", checkout);
	if (is_dir(xml.ptr))
		impact_buf_printf(&arg, ":%s", xml.ptr);
	impact_buf_clear(&xml);
	if (pp && *pp)
		impact_buf_printf(&arg, ":%s", pp);
	if ((env->record_sink || env->runner_file) && env->plugin_dir)
		impact_buf_printf(&arg, ":%s", env->plugin_dir);
	impact_strlist_push(&envl, arg.ptr);

	co.cwd = checkout;
	co.env_add = impact_child_argv(&envl);
	co.output_fd = log_fd;
	co.new_session = true;
	rc = impact_child_start(&pid, impact_child_argv(&argv), &co);
	close(log_fd);
	log_fd = -1;
	if (rc == IMPACT_ENOTFOUND) {
		rc = impact_error_set(IMPACT_EPYTHON, "cannot run '%s': not found (set IMPACT_PYTHON "
		                      "to a Python that has pytest)", argv.items[0]);
		goto done;
	}
	if (rc < 0)
		goto done;
	lim.output_fd = 0;
	lim.on_output = NULL;
	lim.on_tick = NULL;
	lim.payload = NULL;
	rc = impact_child_wait_limited(&out->exit_code, &out->end, pid, &lim);
	impact_reap_run(&out->reaped, pid, marker.ptr, lim.grace_s);
	if (rc < 0)
		goto done;

	if (impact_buf_read_file(&xml, junit.ptr, (size_t)1 << 30) == 0)
		impact_junit_parse(&out->res, xml.ptr, xml.size); /* keeps what it read of a damaged file */
	else
		out->no_report = true;
	name_records(&out->res, test_files, ntest_files);
	impact_results_recount(&out->res);
	read_log(out, log.ptr, checkout, env->watch);
done:
	out->seconds = (impact_now_ms() - t0) / 1000.0;
	if (log_fd >= 0)
		close(log_fd);
	unlink(junit.ptr);
	unlink(log.ptr);
	impact_strlist_release(&argv);
	impact_strlist_release(&envl);
	impact_buf_release(&junit);
	impact_buf_release(&log);
	impact_buf_release(&arg);
	impact_buf_release(&xml);
	impact_buf_release(&marker);
	return rc;
}

void impact_suite_result_release(impact_suite_result *r)
{
	impact_results_release(&r->res);
	free(r->log_tail);
	free(r->broken_conftest);
	memset(r, 0, sizeof(*r));
}

bool impact_suite_ran(const impact_suite_result *r)
{
	return r->end == IMPACT_CHILD_EXITED && (r->exit_code == 0 || r->exit_code == 1) &&
	       !impact_suite_broke(r);
}

bool impact_suite_broke(const impact_suite_result *r)
{
	/* Exit 1 with no report: Python died before pytest could write one. */
	return r->end == IMPACT_CHILD_EXITED &&
	       ((r->exit_code >= 2 && r->exit_code <= 4) || (r->exit_code == 1 && r->no_report));
}

void impact_suite_failures(impact_strlist *files, impact_strlist *ids,
                           const impact_suite_result *r, const char *marker,
                           const impact_strlist *exclude, bool skip_flaky)
{
	for (size_t i = 0; i < r->res.n; i++) {
		const impact_testcase *tc = &r->res.cases[i];
		if (!impact_outcome_is_failure(tc->outcome) || (skip_flaky && tc->flaky))
			continue;
		if (impact_audit_has(exclude, tc->nodeid))
			continue;
		if (marker && !(tc->message && strstr(tc->message, marker)) &&
		    !(tc->text && strstr(tc->text, marker)))
			continue;
		if (ids)
			impact_strlist_push(ids, tc->nodeid);
		if (files)
			impact_strlist_push(files, tc->file);
	}
	if (ids)
		impact_audit_sort_unique(ids);
	if (files)
		impact_audit_sort_unique(files);
}

/* --- the selection --------------------------------------------------------- */

/* Start argv (argv[0] a path) in a session of its own, stdout and stderr to files. */
static int spawn_to_files(pid_t *pid, const char *const *argv, const char *out_path,
                          const char *err_path)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int err;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	impact_child_spawnattr(&attr, true);
	err = posix_spawn(pid, argv[0], &fa, &attr, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (err)
		return impact_error_from_errno(err, "cannot run impact itself ('%s')", argv[0]);
	return 0;
}

/* `s` with \xNN and \\ read back into bytes (report.c's *_escaped form). */
static void unescape(impact_buf *out, const char *s)
{
	while (*s) {
		if (s[0] == '\\' && s[1] == '\\') {
			impact_buf_putc(out, '\\');
			s += 2;
		} else if (s[0] == '\\' && s[1] == 'x' && s[2] && s[3]) {
			char hex[3] = { s[2], s[3], 0 };
			impact_buf_putc(out, (char)strtoul(hex, NULL, 16));
			s += 4;
		} else {
			impact_buf_putc(out, *s++);
		}
	}
}

/* The exact bytes of path key `key` of `obj` (its _escaped form when there is one), or false. */
static bool json_path(impact_buf *out, json_t *obj, const char *key)
{
	impact_buf k = IMPACT_BUF_INIT;
	const char *esc, *plain;
	impact_buf_printf(&k, "%s_escaped", key);
	esc = json_string_value(json_object_get(obj, k.ptr));
	plain = json_string_value(json_object_get(obj, key));
	impact_buf_release(&k);
	impact_buf_clear(out);
	if (esc)
		unescape(out, esc);
	else if (plain)
		impact_buf_puts(out, plain);
	return esc || plain;
}

static int read_selection(impact_audit_selection *out, const impact_buf *text, const char *what)
{
	json_error_t jerr;
	json_t *doc = json_loadb(text->ptr, text->size, 0, &jerr), *sel;
	impact_buf path = IMPACT_BUF_INIT;
	const char *reason;
	int rc = 0;

	if (!doc || !json_is_object(doc) || !json_is_array(sel = json_object_get(doc, "selected"))) {
		rc = impact_error_set(IMPACT_ERROR, "%s printed no selection JSON%s%s", what,
		                      doc ? "" : ": ", doc ? "" : jerr.text);
		goto done;
	}
	out->full_suite = json_is_true(json_object_get(doc, "full_suite"));
	if ((reason = json_string_value(json_object_get(doc, "full_suite_reason"))))
		out->full_reason = impact_xstrdup(reason);
	out->test_files = (size_t)json_integer_value(json_object_get(json_object_get(doc, "counts"),
	                                                            "test_files"));
	for (size_t i = 0; i < json_array_size(sel); i++) {
		json_t *o = json_array_get(sel, i);
		if (json_path(&path, o, "target") || json_path(&path, o, "path"))
			impact_strlist_push(&out->targets, path.ptr);
	}
done:
	json_decref(doc);
	impact_buf_release(&path);
	return rc;
}

int impact_audit_select(impact_audit_selection *out, const char *repo_dir, const char *rev,
                        const char *const *args, size_t nargs, const char *scratch,
                        const impact_child_limits *limits)
{
	impact_strlist argv = { 0 };
	impact_buf out_path = IMPACT_BUF_INIT, err_path = IMPACT_BUF_INIT;
	impact_buf text = IMPACT_BUF_INIT, what = IMPACT_BUF_INIT;
	impact_child_limits lim = *limits;
	impact_child_end end = IMPACT_CHILD_EXITED;
	int status = 0, rc;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	impact_strlist_push(&argv, "/proc/self/exe");
	impact_strlist_push(&argv, "-C");
	impact_strlist_push(&argv, repo_dir);
	impact_strlist_push(&argv, "--json");
	impact_strlist_push(&argv, rev);
	for (size_t i = 0; i < nargs; i++)
		impact_strlist_push(&argv, args[i]);
	impact_buf_puts(&what, "'impact --json");
	for (size_t i = 4; i < argv.n; i++)
		impact_buf_printf(&what, " %s", argv.items[i]);
	impact_buf_putc(&what, '\'');
	impact_buf_printf(&out_path, "%s/select.json", scratch);
	impact_buf_printf(&err_path, "%s/select.err", scratch);

	if ((rc = spawn_to_files(&pid, impact_child_argv(&argv), out_path.ptr, err_path.ptr)) < 0)
		goto done;
	lim.output_fd = 0;
	lim.on_output = NULL;
	lim.on_tick = NULL;
	if ((rc = impact_child_wait_limited(&status, &end, pid, &lim)) < 0)
		goto done;
	if (end != IMPACT_CHILD_EXITED) {
		rc = impact_error_set(IMPACT_ERROR, "%s was stopped (%s)", what.ptr,
		                      end == IMPACT_CHILD_TIMED_OUT ? "time limit" : "interrupted");
		goto done;
	}
	if (status != 0) {
		impact_buf err = IMPACT_BUF_INIT, why = IMPACT_BUF_INIT;
		/* impact's own "impact: error: ..." line, else the first line it printed. */
		impact_buf_read_file(&err, err_path.ptr, (size_t)1 << 20);
		for (const char *line = err.ptr; *line;) {
			const char *nl = strchr(line, '\n');
			size_t len = nl ? (size_t)(nl - line) : strlen(line);
			if (!strncmp(line, "impact: error: ", 15)) {
				impact_buf_clear(&why);
				impact_buf_put(&why, line + 15, len - 15);
			} else if (!why.size) {
				impact_buf_put(&why, line, len);
			}
			line += len + (nl ? 1 : 0);
		}
		rc = impact_error_set(IMPACT_EINVALID, "%s failed (exit %d): %s", what.ptr, status,
		                      why.size ? why.ptr : "no message");
		impact_buf_release(&err);
		impact_buf_release(&why);
		goto done;
	}
	if ((rc = impact_buf_read_file(&text, out_path.ptr, (size_t)1 << 30)) < 0 ||
	    (rc = read_selection(out, &text, what.ptr)) < 0)
		goto done;
done:
	if (rc < 0)
		impact_audit_selection_release(out);
	unlink(out_path.ptr);
	unlink(err_path.ptr);
	impact_strlist_release(&argv);
	impact_buf_release(&out_path);
	impact_buf_release(&err_path);
	impact_buf_release(&text);
	impact_buf_release(&what);
	return rc;
}

void impact_audit_selection_release(impact_audit_selection *sel)
{
	free(sel->full_reason);
	impact_strlist_release(&sel->targets);
	memset(sel, 0, sizeof(*sel));
}

static bool has_glob(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '*' || s[i] == '?' || s[i] == '[')
			return true;
	return false;
}

bool impact_audit_covers(const impact_audit_selection *sel, const char *file,
                         const char *nodeid)
{
	impact_buf t = IMPACT_BUF_INIT;
	bool yes = sel->full_suite;

	for (size_t i = 0; !yes && i < sel->targets.n; i++) {
		const char *target = sel->targets.items[i];
		const char *sep = strstr(target, "::");
		size_t len = sep ? (size_t)(sep - target) : strlen(target);
		impact_buf_clear(&t);
		impact_buf_put(&t, target, len);
		while (t.size > 1 && t.ptr[t.size - 1] == '/')
			impact_buf_truncate(&t, t.size - 1);
		if (t.size >= 2 && t.ptr[0] == '.' && t.ptr[1] == '/') {
			memmove(t.ptr, t.ptr + 2, t.size - 1);
			t.size -= 2;
		}
		if (sep) {
			/* A node id: that test, its class, or all its parameters. */
			size_t n = strlen(target);
			yes = nodeid && !strncmp(nodeid, target, n) &&
			      (nodeid[n] == '\0' || nodeid[n] == '[' || !strncmp(nodeid + n, "::", 2));
		} else if (!t.size || !strcmp(t.ptr, ".")) {
			yes = true;
		} else if (!strcmp(t.ptr, file)) {
			yes = true;
		} else if (!strncmp(file, t.ptr, t.size) && file[t.size] == '/') {
			yes = true;
		} else if (has_glob(t.ptr, t.size)) {
			yes = fnmatch(t.ptr, file, 0) == 0;
		}
	}
	impact_buf_release(&t);
	return yes;
}
