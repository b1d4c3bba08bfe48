/* cmd_soak.c - placeholder until its issue lands; replaced by the real command. */
#include <stdio.h>

#include "cmds.h"

int
cmd_soak(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "mmops soak: not built yet\n");
	return 3;
}
