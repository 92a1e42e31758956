/*
 * ini.h - INI files (pytest.ini, tox.ini, setup.cfg) as pytest reads them.
 *
 * Owns the section -> key -> value map of one INI text, keeping the line of
 * each key. Follows Python's configparser, which pytest uses: `key = value`
 * and `key: value`, indented continuation lines joined with '\n', full-line
 * `#` and `;` comments, no inline comments, keys lower-cased, a key set
 * twice in a section is an error. (Why not libinih: see ini.c.)
 */
#ifndef IMPACT_INI_H
#define IMPACT_INI_H

#include "common.h"

typedef struct impact_ini impact_ini;

/*
 * Parse `len` bytes of `src`; `filename` is for messages. A malformed line
 * gives IMPACT_EINVALID, "<filename>:<line>: <what>". Returns 0 and *out
 * (free with impact_ini_free).
 */
int impact_ini_parse(impact_ini **out, const char *src, size_t len,
                     const char *filename);
void impact_ini_free(impact_ini *ini);

bool impact_ini_has_section(const impact_ini *ini, const char *section);
/* The value of key in section, or NULL; *line_out (if not NULL) gets its line. Borrowed. */
const char *impact_ini_get(const impact_ini *ini, const char *section,
                           const char *key, uint32_t *line_out);

/* The keys in file order: count, and key i's section, key and value (borrowed). */
size_t impact_ini_count(const impact_ini *ini);
void impact_ini_at(const impact_ini *ini, size_t i, const char **section, const char **key,
                   const char **value);
/* The sections in file order, with or without keys. */
size_t impact_ini_nsections(const impact_ini *ini);
const char *impact_ini_section_at(const impact_ini *ini, size_t i);

#endif
