/* cmd_watch.c - placeholder until its issue lands; replaced by the real command. */
#include <stdio.h>

#include "cmds.h"

int
cmd_watch(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "mmops watch: not built yet\n");
	return 3;
}
