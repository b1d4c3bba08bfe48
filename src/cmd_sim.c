/* cmd_sim.c - placeholder until its issue lands; replaced by the real command. */
#include <stdio.h>

#include "cmds.h"

int
cmd_sim(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "mmops sim: not built yet\n");
	return 3;
}
