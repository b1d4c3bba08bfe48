/*
 * runcmd.h - run a command from an argv array, never through a shell.
 *
 * The child is started with posix_spawn(): its own process group, stdin from
 * /dev/null, a minimal environment (PATH=/usr/bin:/bin, LANG=C plus what the
 * caller lists), default signal dispositions, an empty signal mask and no
 * inherited file descriptors beyond 0-2.  Its stdout and stderr are captured
 * into capped buffers (what passes the cap is read and thrown away, so the
 * child never blocks on a full pipe).  Past the timeout the whole group gets
 * SIGTERM, and SIGKILL after the grace period; the child is always reaped
 * before runcmd_run() returns.  When the child exits but something it left
 * behind in its group still holds the pipes open, the group is killed after
 * RUNCMD_DRAIN_SEC so a daemonising helper cannot stall the caller.
 *
 * Thread-safe: any number of threads may run commands at once.
 */
#ifndef MM_RUNCMD_H
#define MM_RUNCMD_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

#define RUNCMD_MAX_ARGS		  256
#define RUNCMD_MAX_ENV		  64
#define RUNCMD_DEFAULT_OUTPUT_CAP ((size_t)64 << 10) /* 64 KiB per stream */
#define RUNCMD_DEFAULT_TIMEOUT	  10.0		     /* seconds */
#define RUNCMD_DEFAULT_GRACE	  2.0		     /* SIGTERM to SIGKILL, seconds */
#define RUNCMD_DRAIN_SEC	  0.2
#define RUNCMD_PATH		  "/usr/bin:/bin"

struct runcmd {
	const char *const
	    *argv;		/* argv[0] absolute, or looked up in RUNCMD_PATH; NULL-terminated */
	const char *const *env; /* extra "NAME=value" entries, NULL-terminated; may be NULL */
	const char *cwd;	/* NULL: inherit */
	double timeout;		/* seconds; 0 = RUNCMD_DEFAULT_TIMEOUT */
	double grace;		/* seconds; 0 = RUNCMD_DEFAULT_GRACE */
	size_t output_cap;	/* per stream; 0 = RUNCMD_DEFAULT_OUTPUT_CAP */
};

struct runcmd_result {
	int exited; /* 1: exited normally, exit_code is valid */
	int exit_code;
	int signaled; /* 1: killed by term_signal */
	int term_signal;
	int timed_out;	   /* 1: the timeout fired and the group was signalled */
	int out_truncated; /* 1: stdout passed the cap */
	int err_truncated;
	double duration; /* seconds from spawn to reap */
	struct buf out;	 /* captured stdout (capped) */
	struct buf err;	 /* captured stderr (capped) */
};

void runcmd_result_init(struct runcmd_result *r);
void runcmd_result_release(struct runcmd_result *r);

/*
 * Run cmd and wait for it.  Returns 0 when the child was started and reaped
 * (whatever its exit status; look at r), -1 and err when it could not be
 * started (MM_E_USAGE for a bad argv, MM_E_RUNTIME with the reason for
 * spawn failures, e.g. "cannot run '/x': No such file or directory").
 * r must have been initialised; its buffers are reset first.
 */
int runcmd_run(const struct runcmd *cmd, struct runcmd_result *r, struct mm_err *err);

/* 1 when r is a clean success: exited with status 0 and no timeout. */
int runcmd_ok(const struct runcmd_result *r);

/* A short human description of how the child ended: "exit 0", "signal 9", "timed out after 2s". */
const char *runcmd_describe(const struct runcmd_result *r, char *buf, size_t n);

#endif
