/*
 * hooks.h - the hook files impact puts in git's hook directory.
 *
 * Owns where git looks for hooks (core.hooksPath, relative to the work
 * tree root as git resolves it, else the common git directory's hooks/, so
 * every linked worktree is covered), the wrapper impact installs there,
 * and chaining: a hook that was already there is renamed to
 * <name>.impact-saved (bytes, mode and inode kept) and `impact hook <name>`
 * runs it first; uninstall renames it back. It also tells whether git is
 * in the middle of a rebase, cherry-pick or revert sequence.
 *
 * It does not decide whether another hook manager owns a hook
 * (hookmgr.c), nor run anything.
 */
#ifndef IMPACT_HOOKS_H
#define IMPACT_HOOKS_H

#include "buf.h"

#include <git2.h>

/* The hooks impact installs, in install order. */
extern const char *const impact_hook_names[];
extern const size_t impact_hook_count;

/* What an existing hook was renamed to while impact's wrapper stands in. */
#define IMPACT_HOOK_SAVED_SUFFIX ".impact-saved"

/*
 * The directory git runs hooks from. *dir is a new string (caller frees),
 * without trailing '/'; *why is static text ("core.hooksPath" or "the
 * common git directory"). Fails only when the configuration is unreadable.
 */
int impact_hooks_dir(char **dir, const char **why, git_repository *repo);

/*
 * Does the index track a file inside `dir` (a hooks folder, absolute)?
 * *out false when `dir` lies outside the work tree or the repository is
 * bare. Writing there changes the repository for everyone who clones it.
 * Fails only when the index cannot be read.
 */
int impact_hooks_dir_tracked(bool *out, git_repository *repo, const char *dir);

typedef enum impact_hook_state {
	IMPACT_HOOK_ABSENT = 0, /* no file of that name */
	IMPACT_HOOK_OURS,       /* impact's wrapper */
	IMPACT_HOOK_FOREIGN,    /* somebody else's hook */
} impact_hook_state;

typedef struct impact_hook_info {
	impact_hook_state state;
	bool saved;          /* <name>.impact-saved exists: it runs first */
	bool saved_runnable; /* ... and is executable (git's own rule) */
	char *path;          /* <dir>/<name>; owned */
	char *saved_path;    /* <dir>/<name>.impact-saved; owned */
	char *binary;        /* OURS: the impact the wrapper runs first; owned, or NULL */
} impact_hook_info;

/* Look at hook `name` in `dir`. Fails only on an unreadable file. */
int impact_hook_inspect(impact_hook_info *out, const char *dir, const char *name);
void impact_hook_info_release(impact_hook_info *info);

/*
 * The wrapper's text: runs `binary` (an absolute path, written quoted),
 * falling back to `impact` on PATH when that file is gone.
 */
void impact_hook_script(impact_buf *out, const char *name, const char *binary);

typedef enum impact_hook_change {
	IMPACT_HOOK_UNCHANGED = 0,
	IMPACT_HOOK_WRITTEN,       /* wrapper written (nothing was there, or ours was refreshed) */
	IMPACT_HOOK_CHAINED,       /* a foreign hook moved to .impact-saved, wrapper written */
	IMPACT_HOOK_REMOVED,       /* wrapper removed */
	IMPACT_HOOK_RESTORED,      /* wrapper removed, the saved hook put back */
	IMPACT_HOOK_NOT_OURS,      /* uninstall: the hook there is not impact's: left alone */
} impact_hook_change;

/*
 * Install impact's wrapper as `dir`/`name` (creating `dir`). Never
 * clobbers: a foreign hook is renamed to <name>.impact-saved first; when
 * that name is taken too, fails with IMPACT_EINVALID and changes nothing.
 * Installing over impact's own wrapper rewrites it (the binary may have
 * moved): installing twice equals installing once.
 */
int impact_hook_install(impact_hook_change *what, const char *dir, const char *name,
                        const char *binary);

/*
 * Remove impact's wrapper and rename <name>.impact-saved back, so the
 * directory holds exactly what it held before install. A foreign hook in
 * the wrapper's place is left alone (IMPACT_HOOK_NOT_OURS).
 */
int impact_hook_uninstall(impact_hook_change *what, const char *dir, const char *name);

/*
 * The absolute path of the running binary (/proc/self/exe), or NULL when
 * the system does not say. Caller frees.
 */
char *impact_self_exe(void);

/*
 * The rebase, cherry-pick or revert sequence in progress in the work tree
 * of `repo` ("rebase", "cherry-pick", "revert"), from git's state files
 * in its git directory; NULL when none. Static text.
 */
const char *impact_hooks_sequence(git_repository *repo);

#endif
