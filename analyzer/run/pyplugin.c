/*
 * pyplugin.c - the `pytest --impact` distribution (see pyplugin.h).
 *
 * Why a copy of the module and not a .pth pointing at impact's data
 * folder: a .pth would put impact's recording plugin on every sys.path of
 * that interpreter and break when impact moves; a copy is what pip would
 * install. RECORD lists the files without hashes (allowed by the
 * format), so `pip uninstall impact-pytest-select` works too.
 *
 * Python byte-compiles the module into __pycache__ the first time pytest
 * imports it; uninstall removes those copies and the folder when they
 * were all it held, so the site-packages folder is left as it was found
 * (a __pycache__ that was already there and empty is the one exception).
 */
#include "pyplugin.h"

#include "child.h"
#include "path.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_MODULE ((size_t)1 << 20)
#define MAX_SMALL ((size_t)64 << 10)

static const char site_script[] =
	"import sys, sysconfig\n"
	"print('impact-site:' + sysconfig.get_path('purelib'))\n"
	"print('impact-venv:%d' % (sys.prefix != sys.base_prefix))\n";

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The rest of the line starting with `tag` in `text`, into `out`. */
static bool tagged_line(impact_buf *out, const char *text, const char *tag)
{
	const char *p = strstr(text, tag), *end;
	if (!p)
		return false;
	p += strlen(tag);
	end = strchr(p, '\n');
	impact_buf_clear(out);
	impact_buf_put(out, p, end ? (size_t)(end - p) : strlen(p));
	return true;
}

int impact_pysite_query(impact_pysite *out, const impact_python *py, const char *workdir)
{
	impact_strlist argv = { 0 };
	impact_buf captured = IMPACT_BUF_INIT, line = IMPACT_BUF_INIT;
	impact_child_opts o = { 0 };
	int status = 1, rc;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < py->argv.n; i++)
		impact_strlist_push(&argv, py->argv.items[i]);
	impact_strlist_push(&argv, "-c");
	impact_strlist_push(&argv, site_script);
	o.cwd = workdir;
	o.capture = &captured;
	rc = impact_child_run(&status, impact_child_argv(&argv), &o);
	if (rc < 0 || status != 0) {
		rc = impact_error_set(IMPACT_EPYTHON, "cannot ask '%s' for its site-packages "
		                      "(exit %d): set IMPACT_PYTHON to the project's interpreter",
		                      argv.items[0], rc < 0 ? -1 : status);
		goto done;
	}
	if (!tagged_line(&line, captured.ptr, "impact-site:") || line.ptr[0] != '/' ||
	    !is_dir(line.ptr)) {
		rc = impact_error_set(IMPACT_EPYTHON, "'%s' names no existing site-packages "
		                      "folder ('%s')", argv.items[0], line.ptr);
		goto done;
	}
	out->purelib = impact_buf_detach(&line);
	out->venv = tagged_line(&line, captured.ptr, "impact-venv:") && !strcmp(line.ptr, "1");
	rc = 0;
done:
	impact_strlist_release(&argv);
	impact_buf_release(&captured);
	impact_buf_release(&line);
	return rc;
}

void impact_pysite_release(impact_pysite *site)
{
	free(site->purelib);
	site->purelib = NULL;
}

/* Does the file at `path` hold exactly `want`? */
static bool same_bytes(const char *path, const impact_buf *want)
{
	impact_buf have = IMPACT_BUF_INIT;
	bool same = impact_buf_read_file(&have, path, MAX_MODULE) == 0 &&
	            have.size == want->size && !memcmp(have.ptr, want->ptr, have.size);
	impact_buf_release(&have);
	return same;
}

/* Is `dir` (a dist-info folder) impact's: its INSTALLER says "impact"? */
static bool installed_by_impact(const char *dir)
{
	impact_buf path = IMPACT_BUF_INIT, text = IMPACT_BUF_INIT;
	bool ours;
	impact_buf_printf(&path, "%s/INSTALLER", dir);
	ours = impact_buf_read_file(&text, path.ptr, MAX_SMALL) == 0 &&
	       !strcmp(text.ptr, "impact\n");
	impact_buf_release(&path);
	impact_buf_release(&text);
	return ours;
}

/* The dist-info folder of impact's in `purelib`, into *out (NULL: none). */
static int find_dist_info(char **out, const char *purelib)
{
	static const char prefix[] = IMPACT_PYPLUGIN_MODULE "-";
	impact_buf path = IMPACT_BUF_INIT;
	struct dirent *e;
	DIR *d = opendir(purelib);

	*out = NULL;
	if (!d)
		return impact_error_from_errno(errno, "cannot read '%s'", purelib);
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, prefix, sizeof(prefix) - 1) ||
		    !impact_path_has_suffix(e->d_name, ".dist-info"))
			continue;
		impact_buf_clear(&path);
		impact_buf_printf(&path, "%s/%s", purelib, e->d_name);
		if (installed_by_impact(path.ptr)) {
			*out = impact_buf_detach(&path);
			break;
		}
	}
	closedir(d);
	impact_buf_release(&path);
	return 0;
}

int impact_pyplugin_inspect(impact_pyplugin_info *out, const char *purelib,
                            const char *module_src)
{
	impact_buf want = IMPACT_BUF_INIT, path = IMPACT_BUF_INIT;
	int rc;

	memset(out, 0, sizeof(*out));
	impact_buf_printf(&path, "%s/%s.py", purelib, IMPACT_PYPLUGIN_MODULE);
	out->module = impact_buf_detach(&path);
	if ((rc = find_dist_info(&out->dist_info, purelib)) < 0)
		goto done;
	if (!out->dist_info) {
		out->state = IMPACT_PYPLUGIN_ABSENT;
		goto done;
	}
	if ((rc = impact_buf_read_file(&want, module_src, MAX_MODULE)) < 0)
		goto done;
	out->state = same_bytes(out->module, &want) ? IMPACT_PYPLUGIN_CURRENT
	                                              : IMPACT_PYPLUGIN_OUTDATED;
done:
	impact_buf_release(&want);
	impact_buf_release(&path);
	return rc;
}

void impact_pyplugin_info_release(impact_pyplugin_info *info)
{
	free(info->dist_info);
	free(info->module);
	info->dist_info = info->module = NULL;
}

/* Write `text` to `dir`/`name` atomically and list it in `record` as `rel`. */
static int write_listed(impact_buf *record, const char *dir, const char *rel,
                        const char *name, const void *data, size_t len)
{
	impact_buf path = IMPACT_BUF_INIT;
	int rc;
	impact_buf_printf(&path, "%s/%s", dir, name);
	rc = impact_file_replace(path.ptr, data, len);
	impact_buf_release(&path);
	if (rc == 0)
		impact_buf_printf(record, "%s%s,,\n", rel, name);
	return rc;
}

int impact_pyplugin_install(const char *purelib, const char *module_src,
                            const char *version)
{
	static const char entry_points[] =
		"[pytest11]\n" IMPACT_PYPLUGIN_MODULE " = " IMPACT_PYPLUGIN_MODULE "\n";
	impact_buf module = IMPACT_BUF_INIT, dir = IMPACT_BUF_INIT, rel = IMPACT_BUF_INIT,
	           meta = IMPACT_BUF_INIT, record = IMPACT_BUF_INIT, path = IMPACT_BUF_INIT;
	char *old = NULL;
	bool removed;
	int rc;

	if ((rc = impact_buf_read_file(&module, module_src, MAX_MODULE)) < 0)
		goto done;
	if ((rc = find_dist_info(&old, purelib)) < 0)
		goto done;
	impact_buf_printf(&path, "%s/%s.py", purelib, IMPACT_PYPLUGIN_MODULE);
	if (!old && access(path.ptr, F_OK) == 0) {
		rc = impact_error_set(IMPACT_EINVALID, "'%s' exists and impact did not install it: "
		                      "remove it (or the package that owns it) first", path.ptr);
		goto done;
	}
	/* An older install of impact's: out with exactly it, then in with the new one. */
	if (old && (rc = impact_pyplugin_uninstall(&removed, purelib)) < 0)
		goto done;
	impact_buf_printf(&rel, "%s-%s.dist-info/", IMPACT_PYPLUGIN_MODULE, version);
	impact_buf_printf(&dir, "%s/%s", purelib, rel.ptr);
	impact_buf_truncate(&dir, dir.size - 1);
	if (mkdir(dir.ptr, 0755) < 0 && errno != EEXIST) {
		rc = impact_error_from_errno(errno, "cannot create '%s'", dir.ptr);
		goto done;
	}
	impact_buf_printf(&meta,
		"Metadata-Version: 2.1\n"
		"Name: %s\n"
		"Version: %s\n"
		"Summary: pytest --impact: run only the tests impact selects "
		"(written by 'impact plugin install')\n", IMPACT_PYPLUGIN_DIST, version);
	if ((rc = write_listed(&record, dir.ptr, rel.ptr, "METADATA", meta.ptr, meta.size)) < 0 ||
	    (rc = write_listed(&record, dir.ptr, rel.ptr, "INSTALLER", "impact\n", 7)) < 0 ||
	    (rc = write_listed(&record, dir.ptr, rel.ptr, "entry_points.txt", entry_points,
	                       sizeof(entry_points) - 1)) < 0 ||
	    (rc = write_listed(&record, purelib, "", IMPACT_PYPLUGIN_MODULE ".py",
	                       module.ptr, module.size)) < 0)
		goto done;
	impact_buf_printf(&record, "%sRECORD,,\n", rel.ptr);
	impact_buf_clear(&path);
	impact_buf_printf(&path, "%s/RECORD", dir.ptr);
	rc = impact_file_replace(path.ptr, record.ptr, record.size);
done:
	free(old);
	impact_buf_release(&module);
	impact_buf_release(&dir);
	impact_buf_release(&rel);
	impact_buf_release(&meta);
	impact_buf_release(&record);
	impact_buf_release(&path);
	return rc;
}

static int remove_file(const char *path)
{
	if (unlink(path) < 0 && errno != ENOENT)
		return impact_error_from_errno(errno, "cannot remove '%s'", path);
	return 0;
}

/* The module's byte-compiled copies in `purelib`/__pycache__, and the folder if then empty. */
static int remove_bytecode(const char *purelib)
{
	static const char prefix[] = IMPACT_PYPLUGIN_MODULE ".";
	impact_buf dir = IMPACT_BUF_INIT, path = IMPACT_BUF_INIT;
	struct dirent *e;
	DIR *d;
	int rc = 0;

	impact_buf_printf(&dir, "%s/__pycache__", purelib);
	if (!(d = opendir(dir.ptr)))
		goto done;
	while ((e = readdir(d)) && rc == 0) {
		if (strncmp(e->d_name, prefix, sizeof(prefix) - 1) ||
		    !impact_path_has_suffix(e->d_name, ".pyc"))
			continue;
		impact_buf_clear(&path);
		impact_buf_printf(&path, "%s/%s", dir.ptr, e->d_name);
		rc = remove_file(path.ptr);
	}
	closedir(d);
	if (rc == 0)
		rmdir(dir.ptr); /* only succeeds when empty: anything else's stays */
done:
	impact_buf_release(&dir);
	impact_buf_release(&path);
	return rc;
}

int impact_pyplugin_uninstall(bool *removed, const char *purelib)
{
	impact_buf record = IMPACT_BUF_INIT, path = IMPACT_BUF_INIT;
	char *dist = NULL;
	const char *line;
	int rc;

	*removed = false;
	if ((rc = find_dist_info(&dist, purelib)) < 0 || !dist)
		goto done;
	impact_buf_printf(&path, "%s/RECORD", dist);
	if ((rc = impact_buf_read_file(&record, path.ptr, MAX_SMALL)) < 0)
		goto done;
	/* Each line: "<path relative to purelib>,<hash>,<size>"; only plain names of ours. */
	for (line = record.ptr; *line && rc == 0;) {
		const char *nl = strchr(line, '\n'), *comma = strchr(line, ',');
		size_t len = comma && (!nl || comma < nl) ? (size_t)(comma - line) : 0;
		impact_buf_clear(&path);
		impact_buf_put(&path, line, len);
		if (len && path.ptr[0] != '/' && !strstr(path.ptr, "..")) {
			impact_buf_clear(&path);
			impact_buf_printf(&path, "%s/", purelib);
			impact_buf_put(&path, line, len);
			rc = remove_file(path.ptr);
		}
		line = nl ? nl + 1 : line + strlen(line);
	}
	if (rc == 0)
		rc = remove_bytecode(purelib);
	if (rc == 0 && rmdir(dist) < 0)
		rc = impact_error_from_errno(errno, "cannot remove '%s' (files impact did not "
		                             "write are in it)", dist);
	*removed = rc == 0;
done:
	free(dist);
	impact_buf_release(&record);
	impact_buf_release(&path);
	return rc;
}
