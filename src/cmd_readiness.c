/* cmd_readiness.c - placeholder until its issue lands; replaced by the real command. */
#include <stdio.h>

#include "cmds.h"

int
cmd_readiness(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "mmops readiness: not built yet\n");
	return 3;
}
