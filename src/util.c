/*
 * util.c - the tool side's shared helpers: turning a library error into a
 * message and an exit code, and the stderr log sink.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmds.h"
#include "err.h"
#include "log.h"

int
cmd_fail(const char *cmd, const struct mm_err *err)
{
	char msg[MM_ERR_MSG_MAX + MM_ERR_FILE_MAX + 64];

	fprintf(stderr, "mmops %s: %s\n", cmd, mm_err_format(err, msg, sizeof(msg)));
	return mm_err_exit_code(err);
}

static void
sub_usage(FILE *fp, const char *cmd, const char *head, const struct cmd_sub *subs, size_t n)
{
	size_t i;

	fprintf(fp, "%s\nsub-commands:\n", head);
	for (i = 0; i < n; i++)
		fprintf(fp, "  %-10s %s\n", subs[i].name, subs[i].about);
	fprintf(fp, "\n'mmops %s <sub-command> --help' shows its options.\n", cmd);
}

int
cmd_dispatch(const char *cmd, const char *head, const struct cmd_sub *subs, size_t n, int argc,
	     char **argv)
{
	size_t i;

	if (argc < 2) {
		sub_usage(stderr, cmd, head, subs, n);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		sub_usage(stdout, cmd, head, subs, n);
		return 0;
	}
	for (i = 0; i < n; i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "mmops %s: '%s' is not a sub-command (", cmd, argv[1]);
	for (i = 0; i < n; i++)
		fprintf(stderr, "%s%s", i ? ", " : "", subs[i].name);
	fprintf(stderr, ")\nhint: see 'mmops %s --help'\n", cmd);
	return 2;
}

static const char *log_cmd = "mmops";

static void
stderr_sink(enum mm_log_level level, const char *msg, void *ctx)
{
	static const char *names[] = {"error", "warning", "info", "debug"};

	(void)ctx;
	fprintf(stderr, "mmops %s: %s: %s\n", log_cmd, names[level], msg);
}

void
cmd_log_to_stderr(const char *cmd, int verbose)
{
	log_cmd = cmd;
	mm_log_set_sink(stderr_sink, NULL, verbose ? MM_LOG_DEBUG : MM_LOG_INFO);
}
