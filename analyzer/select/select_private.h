/*
 * select_private.h - what select.c (the walk and the list of tests)
 * shares with classify.c (what each change is, by the rules). Only
 * analyzer/select/select.c and classify.c include it; the library's
 * interface is select.h.
 */
#ifndef IMPACT_SELECT_PRIVATE_H
#define IMPACT_SELECT_PRIVATE_H

#include "select.h"

/* The collector (a pytest_collect_file hook) that collects `path`, or NULL. */
static inline const impact_collector *collector_of(const impact_project *p, const char *path)
{
	for (size_t i = 0; i < p->collectors.n; i++)
		if (impact_collector_collects(&p->collectors.v[i], path))
			return &p->collectors.v[i];
	return NULL;
}

/*
 * Phase 1 of impact_select: classify each change into sel->changes, note
 * for each rule the first change it matched (`rule_by`), and push the
 * walk's seeds (see classify.c).
 */
void select_classify_changes(impact_selection *sel, const impact_project *p,
                             const impact_changeset *changes, const impact_config *config,
                             const impact_select_opts *opts, const bool *runner,
                             const impact_change **rule_by, impact_u32vec *seeds);

#endif
