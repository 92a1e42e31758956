/*
 * hookmgr.h - other hook managers: pre-commit, lefthook, husky.
 *
 * Owns recognising a hook directory or hook file that another tool
 * manages, and the exact configuration snippet that adds impact to that
 * tool instead. impact never writes into a managed hook: the manager would
 * overwrite it on its next install, or impact would break the manager.
 * A manager owns only the hook files it wrote (pre-commit installs
 * `pre-commit` unless asked for other types), so a configuration file at
 * the work tree root alone does not make a free hook path the manager's.
 */
#ifndef IMPACT_HOOKMGR_H
#define IMPACT_HOOKMGR_H

#include "buf.h"

typedef enum impact_hookmgr {
	IMPACT_HOOKMGR_NONE = 0,
	IMPACT_HOOKMGR_PRE_COMMIT, /* pre-commit.com */
	IMPACT_HOOKMGR_LEFTHOOK,
	IMPACT_HOOKMGR_HUSKY,
} impact_hookmgr;

/*
 * Which manager wrote the hook file `name` in `hooks_dir` (its markers),
 * or owns the whole directory (husky's .husky or .husky/_): what install
 * must leave alone. *evidence as below.
 */
impact_hookmgr impact_hookmgr_owner(char **evidence, const char *hooks_dir, const char *name);

/*
 * Which manager owns hook `name` in `hooks_dir`: markers in the hook file
 * itself, else signs at the work tree root `workdir` (NULL for a bare
 * repository): .pre-commit-config.yaml, lefthook.yml and its variants,
 * .husky/ or a hook directory inside .husky. *evidence says what was seen
 * (a new string, caller frees; NULL for NONE). Never fails.
 */
impact_hookmgr impact_hookmgr_detect(char **evidence, const char *workdir,
                                     const char *hooks_dir, const char *name);

/* "pre-commit", "lefthook", "husky". Static. */
const char *impact_hookmgr_name(impact_hookmgr m);

/*
 * Append to `out` what to add to manager `m`'s configuration so it runs
 * `impact hook <name>` for each of `names`: the file to edit, and the
 * lines, ready to paste.
 */
void impact_hookmgr_snippet(impact_buf *out, impact_hookmgr m,
                            const char *const *names, size_t n);

#endif
