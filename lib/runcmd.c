/*
 * runcmd.c - run an argv command with a timeout, in its own process group,
 * with a minimal environment and capped output capture (git's run-command,
 * without ever going through a shell).  The child is started with
 * posix_spawn() so the calling process, which has threads, never runs code
 * between fork and exec; everything else is a poll() loop that reads both
 * pipes, watches the deadline and reaps the child.
 */
#define _GNU_SOURCE /* pipe2, posix_spawn_file_actions_addclosefrom_np */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runcmd.h"
#include "xalloc.h"

#define POLL_STEP_MS 20

static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
runcmd_result_init(struct runcmd_result *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->out, RUNCMD_DEFAULT_OUTPUT_CAP);
	buf_init(&r->err, RUNCMD_DEFAULT_OUTPUT_CAP);
}

void
runcmd_result_release(struct runcmd_result *r)
{
	if (!r)
		return;
	buf_release(&r->out);
	buf_release(&r->err);
}

int
runcmd_ok(const struct runcmd_result *r)
{
	return r->exited && r->exit_code == 0 && !r->timed_out;
}

const char *
runcmd_describe(const struct runcmd_result *r, char *out, size_t n)
{
	if (r->timed_out)
		snprintf(out, n, "timed out after %.3gs%s", r->duration,
			 r->signaled ? (r->term_signal == SIGKILL ? " (killed)" : " (terminated)")
				     : "");
	else if (r->exited)
		snprintf(out, n, "exit %d", r->exit_code);
	else if (r->signaled)
		snprintf(out, n, "signal %d", r->term_signal);
	else
		snprintf(out, n, "unknown status");
	return out;
}

/* Find argv0 in RUNCMD_PATH when it has no slash; the result is a fresh string. */
static char *
resolve_path(const char *argv0)
{
	const char *p = RUNCMD_PATH, *colon;

	if (strchr(argv0, '/'))
		return xstrdup(argv0);
	while (*p) {
		char *cand;
		size_t dlen;

		colon = strchr(p, ':');
		dlen = colon ? (size_t)(colon - p) : strlen(p);
		cand = xasprintf("%.*s/%s", (int)dlen, p, argv0);
		if (access(cand, X_OK) == 0)
			return cand;
		free(cand);
		if (!colon)
			break;
		p = colon + 1;
	}
	return NULL;
}

/* Read what is available on fd into b; past the cap the bytes are dropped. Returns 0 at EOF. */
static int
drain_fd(int fd, struct buf *b, int *truncated)
{
	char chunk[8192];
	ssize_t n;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n > 0) {
			size_t room = b->cap > b->len ? b->cap - b->len : 0;
			size_t take = (size_t)n < room ? (size_t)n : room;

			if (take)
				buf_add(b, chunk, take);
			if (take < (size_t)n)
				*truncated = 1;
			continue;
		}
		if (n == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 1;
		return 0; /* treat read errors like EOF: stop watching the fd */
	}
}

static void
set_status(struct runcmd_result *r, int status)
{
	if (WIFEXITED(status)) {
		r->exited = 1;
		r->exit_code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		r->signaled = 1;
		r->term_signal = WTERMSIG(status);
	}
}

static int
build_env(const struct runcmd *cmd, const char **envp, struct mm_err *err)
{
	size_t n = 0, i;

	envp[n++] = "PATH=" RUNCMD_PATH;
	envp[n++] = "LANG=C";
	for (i = 0; cmd->env && cmd->env[i]; i++) {
		if (n >= RUNCMD_MAX_ENV)
			return mm_errf(err, MM_E_USAGE,
				       "too many environment entries (more than %d)",
				       RUNCMD_MAX_ENV - 3);
		if (!strchr(cmd->env[i], '=') || cmd->env[i][0] == '=')
			return mm_errf(err, MM_E_USAGE, "environment entry is not NAME=value: '%s'",
				       cmd->env[i]);
		envp[n++] = cmd->env[i];
	}
	envp[n] = NULL;
	return 0;
}

static int
spawn_child(const struct runcmd *cmd, const char *path, const char **envp, int outfd, int errfd,
	    pid_t *pid, struct mm_err *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, outfd, 1);
	posix_spawn_file_actions_adddup2(&fa, errfd, 2);
	if (cmd->cwd)
		posix_spawn_file_actions_addchdir_np(&fa, cmd->cwd);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	sigemptyset(&none);
	/* Dispositions the parent set (SIGPIPE ignored, ...) must not leak into the child. */
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
					  POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(pid, path, &fa, &at, (char *const *)cmd->argv, (char *const *)envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc != 0)
		return mm_errf(err, MM_E_RUNTIME, "cannot run '%s': %s", path, strerror(rc));
	return 0;
}

int
runcmd_run(const struct runcmd *cmd, struct runcmd_result *r, struct mm_err *err)
{
	const char *envp[RUNCMD_MAX_ENV + 1];
	int outp[2] = {-1, -1}, errp[2] = {-1, -1};
	double timeout, grace, start, term_at = 0, reaped_at = 0;
	size_t cap, nargs;
	char *path = NULL;
	pid_t pid = -1;
	int ret = -1, reaped = 0, killed = 0, status;

	if (!cmd->argv || !cmd->argv[0] || !cmd->argv[0][0])
		return mm_errf(err, MM_E_USAGE, "empty command");
	for (nargs = 0; cmd->argv[nargs]; nargs++)
		if (nargs >= RUNCMD_MAX_ARGS)
			return mm_errf(err, MM_E_USAGE, "too many arguments (more than %d)",
				       RUNCMD_MAX_ARGS);
	if (build_env(cmd, envp, err) < 0)
		return -1;
	if (!(path = resolve_path(cmd->argv[0])))
		return mm_errf(err, MM_E_RUNTIME, "cannot run '%s': not found in %s", cmd->argv[0],
			       RUNCMD_PATH);
	timeout = cmd->timeout > 0 ? cmd->timeout : RUNCMD_DEFAULT_TIMEOUT;
	grace = cmd->grace > 0 ? cmd->grace : RUNCMD_DEFAULT_GRACE;
	cap = cmd->output_cap ? cmd->output_cap : RUNCMD_DEFAULT_OUTPUT_CAP;
	buf_release(&r->out);
	buf_release(&r->err);
	memset(r, 0, sizeof(*r));
	buf_init(&r->out, cap);
	buf_init(&r->err, cap);

	/* Only our read ends are non-blocking: the child's stdout must block as usual. */
	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
	    fcntl(outp[0], F_SETFL, O_NONBLOCK) < 0 || fcntl(errp[0], F_SETFL, O_NONBLOCK) < 0) {
		mm_errf(err, MM_E_RUNTIME, "cannot create a pipe: %s", strerror(errno));
		goto out;
	}
	start = mono_now();
	if (spawn_child(cmd, path, envp, outp[1], errp[1], &pid, err) < 0)
		goto out;
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;

	while (!reaped || outp[0] >= 0 || errp[0] >= 0) {
		struct pollfd pfd[2];
		nfds_t nfd = 0;
		double now = mono_now(), wait = POLL_STEP_MS / 1000.0;
		pid_t w;

		if (!reaped && !r->timed_out && now - start >= timeout) {
			r->timed_out = 1;
			term_at = now;
			kill(-pid, SIGTERM);
		}
		if (!reaped && r->timed_out && !killed && now - term_at >= grace) {
			killed = 1;
			kill(-pid, SIGKILL);
		}
		if (reaped && now - reaped_at >= RUNCMD_DRAIN_SEC) {
			/* The leader is gone; whatever still holds the pipes is its leftover. */
			kill(-pid, SIGKILL);
			break;
		}
		if (outp[0] >= 0) {
			pfd[nfd].fd = outp[0];
			pfd[nfd++].events = POLLIN;
		}
		if (errp[0] >= 0) {
			pfd[nfd].fd = errp[0];
			pfd[nfd++].events = POLLIN;
		}
		if (!reaped && !r->timed_out && timeout - (now - start) < wait)
			wait = timeout - (now - start);
		if (poll(nfd ? pfd : NULL, nfd, (int)(wait * 1000) + 1) < 0 && errno != EINTR) {
			mm_errf(err, MM_E_RUNTIME, "poll: %s", strerror(errno));
			kill(-pid, SIGKILL);
			break;
		}
		if (outp[0] >= 0 && !drain_fd(outp[0], &r->out, &r->out_truncated)) {
			close(outp[0]);
			outp[0] = -1;
		}
		if (errp[0] >= 0 && !drain_fd(errp[0], &r->err, &r->err_truncated)) {
			close(errp[0]);
			errp[0] = -1;
		}
		if (!reaped) {
			w = waitpid(pid, &status, WNOHANG);
			if (w == pid) {
				reaped = 1;
				reaped_at = mono_now();
				set_status(r, status);
			}
		}
	}
	if (!reaped) {
		/* Only reached after a poll failure: the group was killed, reap it. */
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		set_status(r, status);
	}
	r->duration = mono_now() - start;
	if (r->timed_out)
		kill(-pid, SIGKILL);
	ret = 0;
out:
	if (outp[0] >= 0)
		close(outp[0]);
	if (outp[1] >= 0)
		close(outp[1]);
	if (errp[0] >= 0)
		close(errp[0]);
	if (errp[1] >= 0)
		close(errp[1]);
	free(path);
	return ret;
}
