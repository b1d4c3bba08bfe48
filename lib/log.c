/*
 * log.c - the library's diagnostics go to a sink the tool installs; the
 * library itself never touches stdout or stderr.
 */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

static mm_log_sink_fn sink_fn;
static void *sink_ctx;
static enum mm_log_level sink_max = MM_LOG_INFO;

void
mm_log_set_sink(mm_log_sink_fn fn, void *ctx, enum mm_log_level max)
{
	sink_fn = fn;
	sink_ctx = ctx;
	sink_max = max;
}

int
mm_log_enabled(enum mm_log_level level)
{
	return sink_fn && level <= sink_max;
}

void
mm_log(enum mm_log_level level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!mm_log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sink_fn(level, msg, sink_ctx);
}
