/*
 * run.c - pytest's command and its surroundings (see run.h).
 *
 * The plugin's folder goes at the end of PYTHONPATH so that nothing of
 * the user's is shadowed; its one module has a name no project uses.
 */
#include "run.h"

#include "buildinfo.h"

#include <sys/stat.h>
#include <unistd.h>

/* Is `len` bytes of `path` a file (or anything) under `workdir`? */
static bool exists_in(const char *workdir, const char *path, size_t len)
{
	impact_buf full = IMPACT_BUF_INIT;
	struct stat st;
	bool ok;
	impact_buf_printf(&full, "%s/", workdir);
	impact_buf_put(&full, path, len);
	ok = lstat(full.ptr, &st) == 0;
	impact_buf_release(&full);
	return ok;
}

/* Does `path` (its first `len` bytes) hold what pytest reads as other than a path? */
static bool unsafe_path(const char *path, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (path[i] == '[' || (path[i] == ':' && i + 1 < len && path[i + 1] == ':'))
			return true;
	return false;
}

static bool has_item(const impact_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->items[i], s))
			return true;
	return false;
}

/*
 * `target` as pytest's argument into `arg` (cleared first); into `folder`
 * the folder (no "./") that replaces it when pytest cannot take its path.
 * True in that case.
 */
static bool target_arg(impact_buf *arg, impact_buf *folder, const char *workdir,
                       const char *target)
{
	size_t flen = strlen(target), dlen;
	const char *sep = strstr(target, "::");

	impact_buf_clear(arg);
	impact_buf_clear(folder);
	/* The file part: the whole target when it names a file, else up to a "::" that ends one. */
	if (sep && !(workdir && exists_in(workdir, target, flen))) {
		flen = (size_t)(sep - target);
		for (const char *p = sep; workdir && p; p = strstr(p + 2, "::")) {
			if (exists_in(workdir, target, (size_t)(p - target))) {
				flen = (size_t)(p - target);
				break;
			}
		}
	}
	if (!unsafe_path(target, flen)) {
		if (target[0] == '-' || target[0] == '@')
			impact_buf_puts(arg, "./");
		impact_buf_puts(arg, target);
		return false;
	}
	/* The nearest folder above it without "::" or "[". */
	for (dlen = flen;;) {
		while (dlen > 0 && target[dlen - 1] != '/')
			dlen--;
		if (dlen == 0 || !unsafe_path(target, dlen - 1))
			break;
		dlen--;
	}
	if (dlen > 1)
		impact_buf_put(folder, target, dlen - 1);
	else
		impact_buf_puts(folder, ".");
	if (folder->ptr[0] == '-' || folder->ptr[0] == '@')
		impact_buf_puts(arg, "./");
	impact_buf_puts(arg, folder->ptr);
	return true;
}

/* Is repository path `path` inside `folder` ("." holds everything)? */
static bool inside(const char *path, const char *folder)
{
	size_t n = strlen(folder);
	return !strcmp(folder, ".") || (!strncmp(path, folder, n) && path[n] == '/');
}

void impact_run_target_args(impact_strlist *out, impact_strlist *unsafe, const char *workdir,
                            const char *const *targets, size_t ntargets)
{
	impact_buf arg = IMPACT_BUF_INIT, folder = IMPACT_BUF_INIT;
	impact_strlist folders = { 0 };

	for (size_t i = 0; i < ntargets; i++)
		if (target_arg(&arg, &folder, workdir, targets[i]) && !has_item(&folders, folder.ptr))
			impact_strlist_push(&folders, folder.ptr);
	for (size_t i = 0; i < ntargets; i++) {
		bool covered = false;
		if (target_arg(&arg, &folder, workdir, targets[i])) {
			if (unsafe)
				impact_strlist_push(unsafe, targets[i]);
			if (!has_item(out, arg.ptr))
				impact_strlist_push(out, arg.ptr);
			continue;
		}
		/* pytest would collect a file twice, from its folder and by its name. */
		for (size_t k = 0; k < folders.n && !covered; k++)
			covered = inside(targets[i], folders.items[k]);
		if (!covered)
			impact_strlist_push(out, arg.ptr);
	}
	impact_strlist_release(&folders);
	impact_buf_release(&arg);
	impact_buf_release(&folder);
}

void impact_run_pytest(impact_strlist *out, const impact_python *python,
                       const impact_strlist *test_command)
{
	if (test_command && test_command->n) {
		for (size_t i = 0; i < test_command->n; i++)
			impact_strlist_push(out, test_command->items[i]);
		return;
	}
	for (size_t i = 0; i < python->argv.n; i++)
		impact_strlist_push(out, python->argv.items[i]);
	impact_strlist_push(out, "-m");
	impact_strlist_push(out, "pytest");
}

void impact_run_argv(impact_strlist *out, const impact_run_opts *o)
{
	impact_run_pytest(out, o->python, o->test_command);
	for (size_t i = 0; i < o->nflags; i++)
		impact_strlist_push(out, o->flags[i]);
	for (size_t i = 0; i < o->nextra; i++)
		impact_strlist_push(out, o->extra[i]);
	impact_run_target_args(out, NULL, o->workdir, o->targets, o->ntargets);
}

void impact_run_argv_private(impact_strlist *out, const char *plugin_dir,
                             const char *junit_path)
{
	impact_buf arg = IMPACT_BUF_INIT;
	if (plugin_dir) {
		impact_strlist_push(out, "-p");
		impact_strlist_push(out, IMPACT_RUN_PLUGIN);
	}
	if (junit_path) {
		impact_buf_printf(&arg, "--junitxml=%s", junit_path);
		impact_strlist_push(out, arg.ptr);
	}
	impact_buf_release(&arg);
}

void impact_run_default_flags(impact_strlist *out, const impact_config *config, bool none)
{
	static const char *const builtin[] = { "-x", "--tb=short", "--no-header" };
	if (none)
		return;
	if (config && config->has_default_args) {
		for (size_t i = 0; i < config->default_args.n; i++)
			impact_strlist_push(out, config->default_args.items[i]);
		return;
	}
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(builtin); i++)
		impact_strlist_push(out, builtin[i]);
}

unsigned impact_run_time_limit(unsigned option, const impact_config *config,
                               const char *const *targets, size_t ntargets)
{
	size_t files = 0;
	if (option)
		return option;
	if (config && config->timeout)
		return config->timeout;
	/* Distinct files: "a.py::t1" and "a.py::t2" are one file. */
	for (size_t i = 0; i < ntargets && files < 2; i++) {
		const char *sep = strstr(targets[i], "::");
		size_t len = sep ? (size_t)(sep - targets[i]) : strlen(targets[i]);
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++) {
			const char *ks = strstr(targets[k], "::");
			size_t klen = ks ? (size_t)(ks - targets[k]) : strlen(targets[k]);
			seen = klen == len && !memcmp(targets[k], targets[i], len);
		}
		if (!seen)
			files++;
	}
	return files == 1 ? 120 : 600;
}

static char *plugin_in(const char *datadir)
{
	impact_buf p = IMPACT_BUF_INIT;
	char *dir = NULL;
	if (!datadir || !*datadir)
		return NULL;
	impact_buf_printf(&p, "%s/python/" IMPACT_RUN_PLUGIN ".py", datadir);
	if (access(p.ptr, R_OK) == 0) {
		impact_buf_truncate(&p, p.size - strlen("/" IMPACT_RUN_PLUGIN ".py"));
		dir = impact_buf_detach(&p);
	}
	impact_buf_release(&p);
	return dir;
}

char *impact_run_plugin_dir(void)
{
	const char *env = getenv("IMPACT_DATA_DIR");
	char *dir;
	if (env)
		return plugin_in(env);
	dir = plugin_in(IMPACT_DATA_DIR);
	if (!dir)
		dir = plugin_in(IMPACT_SOURCE_DATA_DIR);
	return dir;
}

void impact_run_ctrace_env(impact_strlist *out, const char *plugin_dir)
{
	impact_buf e = IMPACT_BUF_INIT;
	const char *src = IMPACT_SOURCE_DATA_DIR "/python";
	struct stat st;
	if (!plugin_dir || getenv("IMPACT_RECORD_CTRACE_DIR") ||
	    stat(IMPACT_BUILD_PYTHON_DIR, &st) != 0 || !S_ISDIR(st.st_mode))
		return;
	{
		char *a = realpath(plugin_dir, NULL), *b = realpath(src, NULL);
		bool same = a && b && !strcmp(a, b);
		free(a);
		free(b);
		if (!same)
			return;
	}
	impact_buf_printf(&e, "IMPACT_RECORD_CTRACE_DIR=%s", IMPACT_BUILD_PYTHON_DIR);
	impact_strlist_push(out, e.ptr);
	impact_buf_release(&e);
}

void impact_run_env(impact_strlist *out, const char *run_id,
                    const char *plugin_dir, const char *events_path)
{
	impact_buf e = IMPACT_BUF_INIT;
	const char *pp = getenv("PYTHONPATH");
	impact_buf_printf(&e, "IMPACT_RUN_ID=%s", run_id);
	impact_strlist_push(out, e.ptr);
	if (plugin_dir && events_path) {
		impact_buf_clear(&e);
		impact_buf_printf(&e, "IMPACT_EVENTS=%s", events_path);
		impact_strlist_push(out, e.ptr);
		impact_buf_clear(&e);
		if (pp && *pp)
			impact_buf_printf(&e, "PYTHONPATH=%s:%s", pp, plugin_dir);
		else
			impact_buf_printf(&e, "PYTHONPATH=%s", plugin_dir);
		impact_strlist_push(out, e.ptr);
		impact_run_ctrace_env(out, plugin_dir);
	}
	impact_buf_release(&e);
}
