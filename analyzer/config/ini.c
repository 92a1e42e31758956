/*
 * ini.c - INI files as pytest reads them (see ini.h).
 *
 * pytest reads pytest.ini, tox.ini and setup.cfg with Python's
 * configparser, so this follows configparser: sections in brackets,
 * `key = value` or `key: value` (keys lower-cased, as optionxform does),
 * indented continuation lines joined with '\n', full-line '#' and ';'
 * comments, no inline comments, a key set twice in one section is an
 * error (configparser's strict mode). Debian's libinih was the first
 * choice, but it is built with a 200-byte line limit, inline ';' comments
 * and no line numbers, which misreads real files (long addopts lines), so
 * the few rules are implemented here instead.
 */
#include "ini.h"

#include "buf.h"

typedef struct ini_key {
	char *section, *key;
	impact_buf value;
	uint32_t line;
} ini_key;

struct impact_ini {
	ini_key *keys;
	size_t n, alloc;
	char **sections;
	size_t nsections, asections;
};

static char *trim_dup(const char *s, size_t n, bool lower)
{
	char *out;
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	out = impact_xstrndup(s, n);
	if (lower)
		for (char *p = out; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	return out;
}

static ini_key *find(const impact_ini *ini, const char *section, const char *key)
{
	for (size_t i = 0; i < ini->n; i++)
		if (!strcmp(ini->keys[i].section, section) && !strcmp(ini->keys[i].key, key))
			return &ini->keys[i];
	return NULL;
}

int impact_ini_parse(impact_ini **out, const char *src, size_t len, const char *filename)
{
	impact_ini *ini = impact_xcalloc(1, sizeof(*ini));
	const char *file = filename ? filename : "(ini)";
	char *section = NULL;
	ini_key *last = NULL; /* the key a continuation line extends */
	size_t off = 0;
	uint32_t line = 0;
	int rc = 0;

	*out = NULL;
	if (len >= 3 && !memcmp(src, "\xef\xbb\xbf", 3))
		off = 3;
	while (off < len && !rc) {
		const char *s = src + off, *nl = memchr(s, '\n', len - off);
		size_t n = nl ? (size_t)(nl - s) : len - off;
		size_t i = 0;
		line++;
		off += n + (nl ? 1 : 0);
		if (memchr(s, '\0', n)) {
			rc = impact_error_set(IMPACT_EINVALID, "%s:%u: a NUL byte (is this a text file?)", file, line);
			break;
		}
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == n || s[i] == '\r') {
			/* A blank line ends nothing in configparser: values may hold them. */
			if (last && last->value.size)
				impact_buf_putc(&last->value, '\n');
			continue;
		}
		if (s[i] == '#' || s[i] == ';')
			continue;
		if (i > 0 && last) {
			/* An indented line continues the last value. */
			char *t = trim_dup(s + i, n - i, false);
			if (last->value.size)
				impact_buf_putc(&last->value, '\n');
			impact_buf_puts(&last->value, t);
			free(t);
			continue;
		}
		if (s[i] == '[') {
			const char *close = memchr(s + i, ']', n - i);
			if (!close) {
				rc = impact_error_set(IMPACT_EINVALID, "%s:%u: a section header needs its ']'", file, line);
				break;
			}
			free(section);
			section = trim_dup(s + i + 1, (size_t)(close - s - i - 1), false);
			IMPACT_PUSH(ini->sections, ini->nsections, ini->asections, impact_xstrdup(section));
			last = NULL;
			continue;
		}
		{
			size_t k = i;
			ini_key entry;
			while (k < n && s[k] != '=' && s[k] != ':')
				k++;
			if (k == n) {
				rc = impact_error_set(IMPACT_EINVALID, "%s:%u: expected 'key = value' or a [section]",
				                      file, line);
				break;
			}
			if (!section) {
				rc = impact_error_set(IMPACT_EINVALID, "%s:%u: a key before any [section]", file, line);
				break;
			}
			entry.section = impact_xstrdup(section);
			entry.key = trim_dup(s + i, k - i, true);
			entry.line = line;
			impact_buf_init(&entry.value);
			{
				char *v = trim_dup(s + k + 1, n - k - 1, false);
				impact_buf_puts(&entry.value, v);
				free(v);
			}
			if (!*entry.key || find(ini, entry.section, entry.key)) {
				rc = impact_error_set(IMPACT_EINVALID, *entry.key
				                      ? "%s:%u: '%s' is set twice in [%s] (keep one)"
				                      : "%s:%u: a key needs a name%s%s", file, line,
				                      entry.key, entry.section);
				free(entry.section);
				free(entry.key);
				impact_buf_release(&entry.value);
				break;
			}
			IMPACT_PUSH(ini->keys, ini->n, ini->alloc, entry);
			last = &ini->keys[ini->n - 1];
		}
	}
	/* Trailing blank lines added to a value are not part of it. */
	for (size_t k = 0; k < ini->n; k++)
		while (ini->keys[k].value.size && ini->keys[k].value.ptr[ini->keys[k].value.size - 1] == '\n')
			impact_buf_truncate(&ini->keys[k].value, ini->keys[k].value.size - 1);
	free(section);
	if (rc) {
		impact_ini_free(ini);
		return rc;
	}
	*out = ini;
	return 0;
}

void impact_ini_free(impact_ini *ini)
{
	if (!ini)
		return;
	for (size_t i = 0; i < ini->n; i++) {
		free(ini->keys[i].section);
		free(ini->keys[i].key);
		impact_buf_release(&ini->keys[i].value);
	}
	for (size_t i = 0; i < ini->nsections; i++)
		free(ini->sections[i]);
	free(ini->sections);
	free(ini->keys);
	free(ini);
}

bool impact_ini_has_section(const impact_ini *ini, const char *section)
{
	for (size_t i = 0; i < ini->nsections; i++)
		if (!strcmp(ini->sections[i], section))
			return true;
	return false;
}

const char *impact_ini_get(const impact_ini *ini, const char *section,
                           const char *key, uint32_t *line_out)
{
	ini_key *k = find(ini, section, key);
	if (!k)
		return NULL;
	if (line_out)
		*line_out = k->line;
	return k->value.ptr;
}

size_t impact_ini_count(const impact_ini *ini)
{
	return ini->n;
}

void impact_ini_at(const impact_ini *ini, size_t i, const char **section, const char **key,
                   const char **value)
{
	*section = ini->keys[i].section;
	*key = ini->keys[i].key;
	*value = ini->keys[i].value.ptr ? ini->keys[i].value.ptr : "";
}

size_t impact_ini_nsections(const impact_ini *ini)
{
	return ini->nsections;
}

const char *impact_ini_section_at(const impact_ini *ini, size_t i)
{
	return ini->sections[i];
}
