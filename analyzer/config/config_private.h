/*
 * config_private.h - what config.c (where the configuration comes from:
 * built-in sets, files, the extends chain, the load order) shares with
 * configkeys.c (every key checked, with its position, and stored). Only
 * analyzer/config/config*.c include it; the library's interface is
 * config.h.
 */
#ifndef IMPACT_CONFIG_PRIVATE_H
#define IMPACT_CONFIG_PRIVATE_H

#include "config.h"

#include "toml.h"

#include <stdarg.h>

typedef struct loader {
	impact_config *cfg;
	impact_file_reader read;
	void *payload;
	const char *rules_dir;
	impact_strlist loaded;  /* set names and repo paths already read */
	impact_strlist loading; /* the extends chain being read (cycles) */
} loader;

typedef struct ctx {
	loader *ld;
	const char *file; /* borrowed from cfg->sources */
	bool builtin;
} ctx;

/* Keys compare with '-' and '_' as the same character. */
static inline bool key_is(const char *key, const char *name)
{
	for (; *key && *name; key++, name++) {
		char a = *key == '_' ? '-' : *key, b = *name == '_' ? '-' : *name;
		if (a != b)
			return false;
	}
	return !*key && !*name;
}

static inline impact_config_where where_of(const char *file, bool builtin, uint32_t line, uint32_t col)
{
	impact_config_where w = { file, line, col, builtin };
	return w;
}

static inline int fail_at(const impact_config_where *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline int fail_at(const impact_config_where *w, const char *fmt, ...)
{
	impact_buf msg = IMPACT_BUF_INIT;
	va_list ap;
	int rc;
	impact_config_where_format(&msg, w);
	impact_buf_puts(&msg, ": ");
	va_start(ap, fmt);
	impact_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	rc = impact_error_set(IMPACT_EINVALID, "%s", msg.ptr);
	impact_buf_release(&msg);
	return rc;
}

static inline impact_config_where at(const ctx *c, const impact_toml_value *v)
{
	return where_of(c->file, c->builtin, v->line, v->col);
}

static inline impact_config_where at_key(const ctx *c, const impact_toml_kv *kv)
{
	return where_of(c->file, c->builtin, kv->line, kv->col);
}

/* configkeys.c: a whole table of keys (top level or [tool.impact]), and freeing what keys made. */
int config_load_table(const ctx *c, const impact_toml_value *t, const char *where);
void config_testspec_release(impact_testspec *t);
void config_patterns_release(impact_patterns *l);

/* config.c: what `extends` names, loaded in place (a shipped set, a file of the repository). */
int config_load_set(loader *ld, const char *name, const impact_config_where *from);
int config_load_repo_file(loader *ld, const char *path, const impact_config_where *from);

#endif
