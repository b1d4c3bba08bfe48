/* cmd_golden.c - placeholder until its issue lands; replaced by the real command. */
#include <stdio.h>

#include "cmds.h"

int
cmd_golden(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "mmops golden: not built yet\n");
	return 3;
}
