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

/* A sub-command ("mmops readiness score"): one row of a command's table. */
struct cmd_sub {
	const char *name;
	int (*fn)(int argc, char **argv); /* argv[0] is the sub-command's name */
	const char *about;		  /* one line for the usage table */
};
/*
 * Run the sub-command argv[1] of command cmd from subs[0..n), so that every
 * command with sub-commands parses, helps and refuses the same way (main.c
 * does the same for the commands): none given prints the usage to stderr
 * and returns 2; "--help", "-h" or "help" prints it to stdout and returns 0;
 * an unknown name says which ones exist and returns 2.  The usage is head
 * ("usage: ...\n\nwhat it is\n"), then the table printed from subs.
 */
int cmd_dispatch(const char *cmd, const char *head, const struct cmd_sub *subs, size_t n, int argc,
		 char **argv);

#include "banned.h" /* last: see lib/banned.h */

#endif
