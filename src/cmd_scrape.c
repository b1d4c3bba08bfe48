/* cmd_scrape.c - placeholder until its issue lands; replaced by the real command. */
#include <stdio.h>

#include "cmds.h"

int
cmd_scrape(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "mmops scrape: not built yet\n");
	return 3;
}
