/*
 * pyplugin.h - `pytest --impact` in the project's interpreter: the
 * minimal distribution `impact plugin install` writes into its
 * site-packages, and exactly that removed again.
 *
 * Owns the on-disk format of that distribution (one module and one
 * dist-info folder: METADATA, INSTALLER "impact", entry_points.txt with
 * the pytest11 entry point, RECORD listing every file) in one place, for
 * install, uninstall and inspection alike. It does not choose the
 * interpreter (interp.c) and never prints.
 */
#ifndef IMPACT_PYPLUGIN_H
#define IMPACT_PYPLUGIN_H

#include "interp.h"

/* The module (share/impact/python/<it>.py) and its pytest11 entry point name. */
#define IMPACT_PYPLUGIN_MODULE "impact_pytest_select"
/* The distribution's name, as its METADATA spells it. */
#define IMPACT_PYPLUGIN_DIST "impact-pytest-select"

/* Where an interpreter installs pure-Python packages. */
typedef struct impact_pysite {
	char *purelib; /* absolute; owned */
	bool venv;     /* sys.prefix != sys.base_prefix: a virtual environment */
} impact_pysite;

/*
 * Ask `py` (started in `workdir`) for its site-packages. Fails with
 * IMPACT_EPYTHON and a message naming the interpreter when it does not
 * run or answers something that is not an existing folder.
 */
int impact_pysite_query(impact_pysite *out, const impact_python *py, const char *workdir);
void impact_pysite_release(impact_pysite *site);

typedef enum impact_pyplugin_state {
	IMPACT_PYPLUGIN_ABSENT = 0, /* no distribution of impact's there */
	IMPACT_PYPLUGIN_CURRENT,    /* installed, its module is the one given */
	IMPACT_PYPLUGIN_OUTDATED,   /* installed, its module differs (or is missing) */
} impact_pyplugin_state;

typedef struct impact_pyplugin_info {
	impact_pyplugin_state state;
	char *dist_info; /* absolute path of the dist-info folder, or NULL; owned */
	char *module;    /* absolute path of the installed module; owned */
} impact_pyplugin_info;

/*
 * What `purelib` holds of impact's plugin, compared with the module file
 * `module_src`. Only a dist-info folder whose INSTALLER says "impact"
 * counts as impact's. Fails on an unreadable folder.
 */
int impact_pyplugin_inspect(impact_pyplugin_info *out, const char *purelib,
                            const char *module_src);
void impact_pyplugin_info_release(impact_pyplugin_info *info);

/*
 * Write the module (a copy of `module_src`) and its dist-info into
 * `purelib`, each file atomically; an older install of impact's is
 * replaced. Fails with IMPACT_EINVALID, touching nothing, when a module
 * of that name is there and no distribution of impact's owns it.
 */
int impact_pyplugin_install(const char *purelib, const char *module_src,
                            const char *version);

/*
 * Remove exactly what install wrote (the files its RECORD lists, the
 * module's byte-compiled copies, the dist-info folder, and __pycache__
 * when that leaves it empty). *removed says whether anything was there.
 */
int impact_pyplugin_uninstall(bool *removed, const char *purelib);

#endif
