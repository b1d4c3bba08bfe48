/*
 * cmds.h - the commands of mmops.  Each cmd_<name>() gets argv with argv[0]
 * being the command name and returns the process exit code (DESIGN.md §2:
 * 0 ok, 1 negative verdict, 2 usage/config/input, 3 runtime).
 */
#ifndef MM_CMDS_H
#define MM_CMDS_H

int cmd_soak(int argc, char **argv);
int cmd_golden(int argc, char **argv);
int cmd_readiness(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_scrape(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_alerts(int argc, char **argv);
int cmd_grafana(int argc, char **argv);
int cmd_canary(int argc, char **argv);

/* src/util.c: shared bits of the tool side. */
struct mm_err;
/* Print "mmops CMD: <formatted err>" to stderr and return its exit code. */
int cmd_fail(const char *cmd, const struct mm_err *err);
/* Install a log sink printing "mmops CMD: level: msg" to stderr. */
void cmd_log_to_stderr(const char *cmd, int verbose);

#include "banned.h"	/* last: see lib/banned.h */

#endif
