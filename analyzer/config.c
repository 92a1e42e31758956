/*
 * config.c - impact's own configuration (see config.h).
 *
 * Not written yet (the rules work): every project gets the built-in
 * defaults, which select.c applies directly. The contract in config.h is
 * what select.c and the runner will read.
 */
#include "config.h"

#include "buildinfo.h"

int impact_config_load(impact_config **out, impact_file_reader read,
                       void *payload, const char *rules_dir)
{
	IMPACT_UNUSED(read);
	IMPACT_UNUSED(payload);
	IMPACT_UNUSED(rules_dir);
	*out = impact_xcalloc(1, sizeof(**out));
	return 0;
}

void impact_config_free(impact_config *cfg)
{
	free(cfg);
}

const impact_flaky *impact_config_match_flaky(const impact_config *cfg,
                                              const char *nodeid,
                                              const char *failure_text)
{
	IMPACT_UNUSED(cfg);
	IMPACT_UNUSED(nodeid);
	IMPACT_UNUSED(failure_text);
	return NULL;
}

const char *impact_config_rules_dir(void)
{
	return IMPACT_RULES_DIR;
}
