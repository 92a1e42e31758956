/*
 * path.h - repository-relative paths: '/'-separated, no leading '/', any
 * byte but NUL. The few operations every concern needs, in one place.
 */
#ifndef IMPACT_PATH_H
#define IMPACT_PATH_H

#include "buf.h"

/* The part after the last '/'. Borrowed from `path`. */
const char *impact_path_base(const char *path);

/* True when `path` ends with `suffix`. */
bool impact_path_has_suffix(const char *path, const char *suffix);

/*
 * `dir`/`rel` normalised into `out` (cleared first): "." and empty parts
 * dropped, ".." folded. False (and `out` unspecified) when `rel` is
 * absolute or the result would leave the repository. `dir` "" is the root.
 */
bool impact_path_join(impact_buf *out, const char *dir, const char *rel);

/* The folder of `path` into `out` ("" for a top-level file). */
void impact_path_dir(impact_buf *out, const char *path);

#endif
