/*
 * audit_private.h - what the parts of the audit share (audit.c: the run,
 * the sample, the suite runs; auditcompare.c: what failed and what the
 * selection covers; auditmutate.c: mutants of modules and functions;
 * auditfull.c: each commit of a range). Not part of the library's
 * interface: only the analyzer/audit/ files include it.
 */
#ifndef IMPACT_AUDIT_PRIVATE_H
#define IMPACT_AUDIT_PRIVATE_H

#include "audit.h"
#include "auditrun.h"
#include "cache.h"
#include "config.h"
#include "interp.h"
#include "mutate.h"
#include "project.h"
#include "snapshot.h"

/* The thirds of the ranking a module was drawn from, by band. */
static const char *const audit_band_names[3] = { "top", "middle", "bottom" };

/* What one audit holds while it runs. */
typedef struct audit {
	const impact_audit_opts *o;  /* points to `opts` */
	impact_audit_opts opts;      /* the caller's, completed from the configuration */
	impact_audit_report *rep;
	git_repository *repo;
	const char *repo_dir;        /* the work tree, or the git folder of a bare repository */
	const char *workdir;         /* the work tree without its '/', or NULL */
	git_oid head;
	git_tree *head_tree;
	impact_snapshot *snap;       /* HEAD's files */
	impact_config *config;       /* HEAD's configuration */
	impact_cache *cache;
	impact_python python;
	char *scratch;               /* the private temporary folder */
	impact_buf run_id;
	impact_suite_env env;
	unsigned runs;               /* suite runs so far: names their checkouts */
	impact_strlist baseline_ran; /* mutate: test files with a record in the run at HEAD */
	bool preflight_done;
	impact_strlist sel_args;     /* the selection's options: the caller's, plus --no-records
	                                unless the audit is of records */
	impact_strlist static_args;  /* records: the caller's plus --no-records */
	char *plugin_dir;            /* records: impact's pytest plugin folder */
} audit;

typedef struct candidate {
	uint32_t file;
	uint32_t importers;
	const char *path;
} candidate;

void audit_say(const audit *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool audit_interrupted(const audit *a);
int audit_stop_interrupted(audit *a);
impact_audit_record *audit_new_record(impact_audit_report *rep);
uint64_t audit_splitmix64(uint64_t *state);
void audit_rank_modules(candidate **out, size_t *n, const impact_project *p);
void audit_sample_order(size_t **order, uint8_t **band, size_t n, uint64_t seed);
int audit_suite_at(audit *a, impact_suite_result *out, const git_oid *commit,                     const impact_strlist *test_files);
void audit_why_unfinished(impact_buf *out, const audit *a, const impact_suite_result *r);
int audit_project_of(audit *a, impact_project **project, impact_snapshot *snap,                       impact_strlist *tests);
void audit_files_ran(impact_strlist *out, const impact_suite_result *r);
void audit_compare(impact_audit_record *rec, const impact_suite_result *run,                     const impact_audit_selection *sel, const impact_strlist *test_files,                     const char *marker, const impact_strlist *exclude,                     const impact_strlist *ran_before);
void audit_compare_static(impact_audit_record *rec, const impact_audit_selection *stat,                            const impact_strlist *test_files);
int audit_mutate(audit *a);
int audit_functions(audit *a);
int audit_full(audit *a);

#endif
