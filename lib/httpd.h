/*
 * httpd.h - a small HTTP server on libmicrohttpd, for `mmops sim` (metrics and
 * admin API) and `mmops watch` (the Alertmanager webhook).
 *
 * The wrapper runs libmicrohttpd's own polling thread (epoll, falling back to
 * poll), with a connection limit and an idle timeout always set (MHD's
 * default timeout is "never"), optionally a per-address limit and a bound on
 * the time to send a whole request (enforced by a reaper thread here).  It buffers each request
 * body up to max_body and then calls the handler ONCE with the whole request; a body past the cap
 * is answered 413 Payload Too Large by the wrapper without calling the
 * handler.  The handler fills a struct httpd_resp and returns; it must not
 * block (queue slow work to a thread of your own).  With threads <= 1 the
 * handler is never called concurrently; with a thread pool it may be.
 *
 * The library never prints: MHD's own diagnostics go to mm_log().
 */
#ifndef MM_HTTPD_H
#define MM_HTTPD_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"

#define HTTPD_DEFAULT_MAX_BODY	  ((size_t)1 << 20)  /* request body cap: 1 MiB */
#define HTTPD_MAX_RESP_BODY	  ((size_t)64 << 20) /* response body cap: 64 MiB */
#define HTTPD_DEFAULT_CONN_LIMIT  256u
#define HTTPD_DEFAULT_TIMEOUT_SEC 10u

/*
 * One request, valid only during the handler call: every pointer is borrowed
 * from the wrapper and dies when the handler returns.
 */
struct httpd_req {
	const char *method;	   /* "GET", "POST", ... */
	const char *path;	   /* "/alert-hook" (no query string) */
	const char *content_type;  /* header value or NULL */
	const char *authorization; /* header value or NULL */
	const char *body;	   /* NUL-terminated, body_len bytes; "" when none */
	size_t body_len;
	const char *remote_addr; /* "127.0.0.1", "::1" */
	void *conn;		 /* opaque (the MHD connection) */
};

/* Query argument name ("?name=value", URL-decoded) or NULL; borrowed like req. */
const char *httpd_req_query(const struct httpd_req *req, const char *name);
/* Request header (case-insensitive name) or NULL; borrowed like req. */
const char *httpd_req_header(const struct httpd_req *req, const char *name);

/*
 * What the handler answers.  The wrapper sets the defaults before the call
 * and frees body afterwards.
 */
struct httpd_resp {
	int status;		      /* default 200 */
	const char *content_type;     /* default "text/plain; charset=utf-8"; static string */
	struct buf body;	      /* handler appends here (capped at HTTPD_MAX_RESP_BODY) */
	const char *allow;	      /* when set, sent as the Allow header (for 405) */
	const char *www_authenticate; /* when set, sent as WWW-Authenticate (for 401) */
};

typedef void (*httpd_handler_fn)(const struct httpd_req *req, struct httpd_resp *resp, void *ctx);

struct httpd_config {
	/*
	 * "127.0.0.1:8080", "[::1]:0", "localhost:9100" (resolved, first
	 * address wins), ":0" or ":PORT" mean 127.0.0.1; port 0 = pick a free one.
	 */
	const char *listen;
	size_t max_body;      /* 0 = HTTPD_DEFAULT_MAX_BODY */
	unsigned conn_limit;  /* 0 = HTTPD_DEFAULT_CONN_LIMIT */
	unsigned timeout_sec; /* idle connection timeout; 0 = HTTPD_DEFAULT_TIMEOUT_SEC */
	unsigned threads;     /* 0 or 1 = 1 internal polling thread; >1 = thread pool */
	httpd_handler_fn handler;
	void *ctx;
	unsigned per_ip_limit; /* connections per client address; 0 = no limit */
	/*
	 * 1: a thread per connection (poll) instead of the pool, for handlers
	 * that wait (the watcher waits for fdatasync): a waiting request then
	 * never holds up another connection.  threads is ignored.
	 */
	int thread_per_connection;
	/*
	 * Seconds a connection may take to send a whole request (headers and
	 * body), counted from its accept or from the end of its previous
	 * answer; past it the connection is shut down.  MHD's own timeout
	 * (timeout_sec) restarts with every byte, so a client trickling a
	 * header line every few seconds would hold its slot for ever without
	 * this.  A request being answered is never cut.  0 = no bound.
	 * With a bound, an eighth of conn_limit is also kept free: past that
	 * the oldest connections still waiting for their request are cut.
	 */
	unsigned request_timeout_sec;
};

struct httpd;

/*
 * Bind, listen and start serving.  NULL and err (MM_E_NET with the reason,
 * e.g. "cannot bind '127.0.0.1:80': Address already in use"; MM_E_USAGE for
 * a malformed listen address) on failure.
 */
struct httpd *httpd_start(const struct httpd_config *cfg, struct mm_err *err);

/* The bound port (useful when listen asked for port 0). */
int httpd_port(const struct httpd *h);

/* Stop accepting, finish in-flight requests, free.  Accepts NULL. */
void httpd_stop(struct httpd *h);

/*
 * Helper: set status, "application/json" content type and append the
 * canonical compact JSON of j plus a newline.  j stays the caller's.
 */
void httpd_resp_json(struct httpd_resp *resp, int status, const json_t *j);

/* Helper: set status and a one-line plain text body ("method not allowed\n"). */
void httpd_resp_text(struct httpd_resp *resp, int status, const char *text);

/* Constant-time equality of two byte strings (time depends only on the lengths). */
int httpd_ct_equal(const char *a, size_t alen, const char *b, size_t blen);

/*
 * 1 when req carries "Authorization: <scheme> <expected>" (scheme "Bearer"
 * or "Basic", matched case-insensitively; expected compared in constant
 * time, so neither its content nor its length leaks through the timing).
 */
int httpd_auth_ok(const struct httpd_req *req, const char *scheme, const char *expected);

/* The most a credential file may hold. */
#define HTTPD_MAX_CREDENTIAL 4096

/*
 * Read a credential file (bearer token or "user:password"): one line, the
 * trailing newline dropped, not empty, no control characters, at most
 * HTTPD_MAX_CREDENTIAL bytes.  Caller frees.  NULL and err (MM_E_IO,
 * MM_E_CONFIG, MM_E_LIMIT).
 */
char *httpd_read_credential(const char *path, struct mm_err *err);

/* Helper: split "host:port" / "[v6]:port" / ":port"; 0 or -1 and err (MM_E_USAGE). */
int httpd_split_hostport(const char *spec, char *host, size_t hostsz, int *port,
			 struct mm_err *err);

#endif
