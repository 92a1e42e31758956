/* cmd_status.c - placeholder: `impact status` is being written. */
#include "cli.h"

int cmd_status(int argc, char **argv, impact_cli *cli)
{
	IMPACT_UNUSED(argc);
	IMPACT_UNUSED(cli);
	fprintf(stderr, "impact %s: not available yet\n", argv[0]);
	return IMPACT_EXIT_USAGE;
}
