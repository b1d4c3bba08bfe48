/*
 * http.h - the one HTTP client of mmops (libcurl): scrapes, the Prometheus
 * and Grafana APIs, the watcher's rollback actions.
 *
 * Every request has a whole-request timeout and a connect timeout, every
 * response body a cap; TLS verification stays on (a request may name its
 * own CA bundle); redirects are never followed, so credentials in a header
 * never travel to another host: a 3xx comes back as a response with its
 * Location for the caller to report; only http:// and https:// URLs are
 * accepted.  The User-Agent is
 * "mmops/VERSION".  http_do() is thread-safe once http_global_init() ran.
 */
#ifndef MM_HTTP_H
#define MM_HTTP_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

#define HTTP_DEFAULT_MAX_BODY	 ((size_t)64 << 20) /* response cap: 64 MiB */
#define HTTP_DEFAULT_TIMEOUT	 10.0		    /* seconds, whole request */
#define HTTP_MAX_CONNECT_TIMEOUT 5.0		    /* default connect timeout cap */

struct http_header {
	const char *name, *value;
};

struct http_request {
	const char *method; /* "GET" default */
	const char *url;
	const struct http_header *headers;
	size_t nheaders;
	const char *body; /* sent when non-NULL (body_len bytes) */
	size_t body_len;
	double timeout;		/* seconds, whole request; 0 = HTTP_DEFAULT_TIMEOUT */
	double connect_timeout; /* 0 = min(timeout, HTTP_MAX_CONNECT_TIMEOUT) */
	size_t max_body;	/* response cap; 0 = HTTP_DEFAULT_MAX_BODY; past it: MM_E_LIMIT */
	const char *ca_file;	/* PEM bundle to verify the server with; NULL = the system's */
};

/*
 * The answer.  body is NUL-terminated; content_type is a malloc'd copy of the
 * header or NULL.  Release with http_response_release() (also after failure).
 */
struct http_response {
	long status;
	struct buf body;
	char *content_type;
	char
	    *location; /* a 3xx's Location, resolved to an absolute URL (never followed); or NULL */
};

/* Zero a response before first use (http_do also does it). */
void http_response_init(struct http_response *r);
/* Free the contents; accepts NULL. */
void http_response_release(struct http_response *r);

/*
 * Perform the request.  0 when an HTTP response arrived (any status, 4xx and
 * 5xx included); -1 and err on failure: MM_E_NET for transport errors and
 * timeouts ("GET http://x/: Couldn't connect to server"), MM_E_LIMIT when the
 * body passed max_body, MM_E_USAGE for a URL that is not http(s).
 */
int http_do(const struct http_request *req, struct http_response *resp, struct mm_err *err);

/* Call once from the main thread before threads start (curl_global_init); idempotent. */
void http_global_init(void);

/* Whether s looks like an http:// or https:// URL (case-insensitive scheme). */
int http_is_url(const char *s);

#endif
