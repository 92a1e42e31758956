/*
 * path.c - repository-relative path helpers (see path.h).
 */
#include "path.h"

const char *impact_path_base(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

bool impact_path_has_suffix(const char *path, const char *suffix)
{
	size_t n = strlen(path), m = strlen(suffix);
	return n >= m && !memcmp(path + n - m, suffix, m);
}

void impact_path_dir(impact_buf *out, const char *path)
{
	const char *slash = strrchr(path, '/');
	impact_buf_clear(out);
	if (slash)
		impact_buf_put(out, path, (size_t)(slash - path));
}

bool impact_path_join(impact_buf *out, const char *dir, const char *rel)
{
	const char *parts[2] = { dir, rel };

	impact_buf_clear(out);
	if (rel[0] == '/')
		return false;
	for (int k = 0; k < 2; k++) {
		const char *s = parts[k];
		while (*s) {
			const char *slash = strchr(s, '/');
			size_t n = slash ? (size_t)(slash - s) : strlen(s);
			if (n == 2 && s[0] == '.' && s[1] == '.') {
				const char *last;
				if (!out->size)
					return false;
				last = memrchr(out->ptr, '/', out->size);
				impact_buf_truncate(out, last ? (size_t)(last - out->ptr) : 0);
			} else if (n && !(n == 1 && s[0] == '.')) {
				if (out->size)
					impact_buf_putc(out, '/');
				impact_buf_put(out, s, n);
			}
			s += n + (slash ? 1 : 0);
		}
	}
	return true;
}
