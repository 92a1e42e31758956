/*
 * state.h - where impact keeps its own files: `<common git dir>/impact/`
 * (the parse cache, the run history, last-run.json and its log, recorded
 * dependencies, background-run locks, sinks of runs in progress). Under
 * the common dir so linked worktrees share them; never in the work tree,
 * so nothing impact writes shows in `git status`.
 */
#ifndef IMPACT_STATE_H
#define IMPACT_STATE_H

#include <git2.h>

/*
 * The path of `name` in impact's folder of `repo` ("" for the folder
 * itself), creating the folder (0700 is not forced: the repository's own
 * permissions rule). Never fails: a folder that cannot be made shows when
 * the file is written. Caller frees.
 */
char *impact_state_path(git_repository *repo, const char *name);

#endif
