/*
 * watch.h - what counts as a save in a work tree, seen with inotify.
 *
 * Owns the watches of `impact watch`: one per folder of the work tree
 * (recursively; folders created, moved in or recreated later are watched
 * as they appear, and a moved-away or deleted one is dropped), and the
 * rule of what counts: a file the repository tracks or would track
 * (never .git/, a path its ignore rules exclude unless tracked,
 * __pycache__, .pytest_cache, editor swap and backup files), with a
 * burst of writes (an editor's save, a write-to-temp-then-rename) taken
 * as one save. When the system's inotify watches run out it fails and
 * says so, naming fs.inotify.max_user_watches and the number needed,
 * rather than watching less.
 *
 * It never reads file contents, never writes anything, and decides
 * nothing about tests: cli/cmd_watch.c asks it for the next save.
 */
#ifndef IMPACT_WATCH_H
#define IMPACT_WATCH_H

#include "buf.h"

#include <git2.h>
#include <signal.h>

typedef struct impact_watch impact_watch;

/*
 * Watch the work tree `workdir` of `repo` (both borrowed; they must
 * outlive the watch). Returns 0 and *out (free with impact_watch_free),
 * IMPACT_ERROR with the message set when inotify is missing or its
 * watches run out (the message names the limit and the number needed).
 */
int impact_watch_open(impact_watch **out, git_repository *repo, const char *workdir);
void impact_watch_free(impact_watch *w);

/* The number of folders watched. */
size_t impact_watch_folders(const impact_watch *w);

/*
 * Read what inotify has ready, without waiting. Returns the number of
 * changes that count, pending since the last impact_watch_next (0: none),
 * or IMPACT_ERROR when a new folder could not be watched.
 */
int impact_watch_poll(impact_watch *w);

/*
 * Wait for the next save: until a change that counts is pending (one may
 * be already), then until no event came for `settle_ms` (at most 2 s in
 * all), so a burst is one save. Returns 1 and appends the changed paths
 * (repository-relative, each once; a removed folder ends with '/') to
 * `out`; 0 when `*stop` became nonzero first (checked every 50 ms);
 * IMPACT_ERROR as impact_watch_poll.
 */
int impact_watch_next(impact_watch *w, impact_strlist *out, int settle_ms,
                      volatile sig_atomic_t *stop);

/* Is `name` (a file name, no folder) an editor's swap, backup or lock file? */
bool impact_watch_is_editor_file(const char *name);

#endif
