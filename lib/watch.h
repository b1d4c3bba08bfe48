/*
 * watch.h - the rollback watcher as a service: Alertmanager's webhook in,
 * decisions made durable by the ledger, actions run by a worker thread.
 *
 * Endpoints:
 *   POST /alert-hook   Alertmanager webhook (payload version 4).  Answers 200
 *                      with {"alerts":[{decision, reason, actions...}], ...}
 *                      once every decision is on disk; 400 malformed (with the
 *                      reason), 401 bad credentials, 405 not POST, 413 over
 *                      1 MiB, 415 not application/json, 500 when the decision
 *                      could not be made durable (Alertmanager retries).
 *   GET /health        "ok" (also HEAD); 503 with the reason while decisions
 *                      cannot be made durable (a full disk): the ledger
 *                      retries by itself and /health turns 200 again
 *   GET /metrics       Prometheus text exposition of the watcher's own metrics
 *   GET /status        JSON: last rollback, cooldown remaining, recent decisions
 * /alert-hook and /status need the credentials when auth is configured;
 * /health and /metrics never do.
 *
 * Each connection has its own thread (at most WATCH_CONN_LIMIT, and
 * WATCH_PER_IP_LIMIT per client address, so that one client cannot take
 * them all) and WATCH_REQUEST_TIMEOUT_SEC to send its whole request, so idle
 * or trickling clients cannot hold them either.  A request
 * waits for its decision's fdatasync, and requests waiting together share
 * one (group commit) without holding up other connections.  Actions never
 * run inside a request: decided jobs go to a FIFO queue served by one
 * worker thread, so rollbacks run one at a time and in order.
 */
#ifndef MM_WATCH_H
#define MM_WATCH_H

#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "httpd.h"
#include "policy.h"

#define WATCH_MAX_BODY		  ((size_t)1 << 20) /* 1 MiB, as Alertmanager groups are small */
#define WATCH_CONN_LIMIT	  1024u
#define WATCH_PER_IP_LIMIT	  64u /* connections from one address; Alertmanager uses a few */
#define WATCH_TIMEOUT_SEC	  10u
#define WATCH_REQUEST_TIMEOUT_SEC 5u /* to send a whole request (headers and body) */
#define WATCH_QUEUE_CAP		  1024 /* queued notifications past this are dropped (rollbacks never) */
#define WATCH_STOP_GRACE	  10.0 /* seconds a running job may take to finish on stop */

struct watch_config {
	const char *listen;	     /* "127.0.0.1:8080"; port 0 picks a free one */
	const struct policy *policy; /* borrowed; must outlive the service */
	int dry_run;		     /* decide and report, run nothing, never write state */
	const char *state_dir;	     /* NULL: memory only */
	const char *audit_path;	     /* NULL: no audit log */
	const char *bearer_token;    /* expected bearer token, or NULL */
	const char *basic_auth;	     /* expected "user:password", or NULL */
	int accept_loss;	     /* start even when the state lost records (see decisions.h) */
};

struct watch;

/*
 * Open the ledger, resume unfinished jobs (not in dry-run), start the worker
 * and the HTTP server.  NULL and err (MM_E_NET, MM_E_IO, MM_E_WRITE, MM_E_RUNTIME, MM_E_PARSE).
 */
struct watch *watch_start(const struct watch_config *cfg, struct mm_err *err);
/* The bound port. */
int watch_port(const struct watch *w);
/*
 * Stop serving, let the worker finish the job it is running (up to
 * WATCH_STOP_GRACE, after which it is interrupted and resumed by the next
 * start), write the final snapshot and free.  Accepts NULL.
 */
void watch_stop(struct watch *w);

/* Reopen the audit log (SIGHUP after logrotate). */
int watch_reopen_audit(struct watch *w, struct mm_err *err);

/* Wait until no job is queued or running; 0, or -1 after timeout seconds. */
int watch_wait_idle(struct watch *w, double timeout);

/* Append the Prometheus exposition of the watcher's metrics to out. */
void watch_metrics(struct watch *w, struct buf *out);

/* The status document served on /status (new reference). */
json_t *watch_status(struct watch *w);

/* Credentials: httpd_read_credential() and httpd_auth_ok() in httpd.h. */

#endif
