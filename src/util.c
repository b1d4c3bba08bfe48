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

static const char *log_cmd = "mmops";

static void
stderr_sink(enum mm_log_level level, const char *msg, void *ctx)
{
	static const char *names[] = { "error", "warning", "info", "debug" };

	(void)ctx;
	fprintf(stderr, "mmops %s: %s: %s\n", log_cmd, names[level], msg);
}

void
cmd_log_to_stderr(const char *cmd, int verbose)
{
	log_cmd = cmd;
	mm_log_set_sink(stderr_sink, NULL, verbose ? MM_LOG_DEBUG : MM_LOG_INFO);
}
