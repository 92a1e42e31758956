/*
 * state.c - impact's folder under the git dir (see state.h).
 */
#include "state.h"

#include "buf.h"

#include <sys/stat.h>

char *impact_state_path(git_repository *repo, const char *name)
{
	impact_buf p = IMPACT_BUF_INIT;
	impact_buf_printf(&p, "%simpact", git_repository_commondir(repo));
	mkdir(p.ptr, 0777); /* exists already, or the write that follows says why not */
	if (name && *name)
		impact_buf_printf(&p, "/%s", name);
	return impact_buf_detach(&p);
}
