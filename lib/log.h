/*
 * log.h - where the library's diagnostics go.
 *
 * lib/ never writes to stdout or stderr itself: it calls mm_log(), which
 * hands the line to the sink the tool installed (src/ prints it with the
 * program name and a timestamp).  With no sink, messages are dropped.
 */
#ifndef MM_LOG_H
#define MM_LOG_H

enum mm_log_level { MM_LOG_ERROR, MM_LOG_WARN, MM_LOG_INFO, MM_LOG_DEBUG };

typedef void (*mm_log_sink_fn)(enum mm_log_level level, const char *msg, void *ctx);

/* Install the sink and the most verbose level passed to it. Not thread-safe: call at start-up. */
void mm_log_set_sink(mm_log_sink_fn fn, void *ctx, enum mm_log_level max);

/* Format and hand a message to the sink (thread-safe if the sink is). */
void mm_log(enum mm_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Whether messages at level would reach a sink (to skip costly formatting). */
int mm_log_enabled(enum mm_log_level level);

#include "banned.h" /* last: see banned.h */

#endif
