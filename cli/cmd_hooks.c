/* cmd_hooks.c - placeholder: `impact hooks` is being written. */
#include "cli.h"

int cmd_hooks(int argc, char **argv, impact_cli *cli)
{
	IMPACT_UNUSED(argc);
	IMPACT_UNUSED(cli);
	fprintf(stderr, "impact %s: not available yet\n", argv[0]);
	return IMPACT_EXIT_USAGE;
}

int cmd_hook(int argc, char **argv, impact_cli *cli)
{
	return cmd_hooks(argc, argv, cli);
}
