/*
 * http.c - HTTP requests through libcurl's easy interface, with the
 * project's safety rails applied to every request: timeouts, a response
 * cap enforced while receiving (a hostile server can make us refuse, never
 * make us buffer), TLS verification on, no redirects, http(s) only, and no
 * signals (curl's resolver must not use SIGALRM in a threaded program).
 *
 * libcurl is loaded with dlopen() on the first request, not linked: with
 * its TLS, LDAP, Kerberos, SSH and IDN dependencies it is most of the 43
 * libraries the dynamic loader would otherwise map at every start, 5 of the
 * 9 ms that `mmops golden` or `mmops scrape FILE` spent before main().
 * The calls below are curl's own names, bound to the loaded functions.
 */
#include <curl/curl.h>
#include <dlfcn.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "xalloc.h"

#define HTTP_MAX_HEADER_LINE 8192
#define HTTP_LIBCURL	     "libcurl.so.4" /* the soname of libcurl 7.16 and later */

/* The libcurl functions mmops calls, with the prototypes of curl/curl.h. */
static struct {
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char *(*easy_strerror)(CURLcode);
	void (*easy_cleanup)(CURL *);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
} cu;
static char cu_error[512]; /* why libcurl could not be loaded; "" when it was */

/* curl.h may define the first two as type-checking macros: bind ours instead. */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init    cu.global_init
#define curl_easy_init	    cu.easy_init
#define curl_easy_setopt    cu.easy_setopt
#define curl_easy_perform   cu.easy_perform
#define curl_easy_getinfo   cu.easy_getinfo
#define curl_easy_strerror  cu.easy_strerror
#define curl_easy_cleanup   cu.easy_cleanup
#define curl_slist_append   cu.slist_append
#define curl_slist_free_all cu.slist_free_all

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void
global_init_once(void)
{
	static const struct {
		const char *name;
		size_t off;
	} syms[] = {
#define SYM(f, n) {n, offsetof(__typeof__(cu), f)}
	    SYM(global_init, "curl_global_init"),	SYM(easy_init, "curl_easy_init"),
	    SYM(easy_setopt, "curl_easy_setopt"),	SYM(easy_perform, "curl_easy_perform"),
	    SYM(easy_getinfo, "curl_easy_getinfo"),	SYM(easy_strerror, "curl_easy_strerror"),
	    SYM(easy_cleanup, "curl_easy_cleanup"),	SYM(slist_append, "curl_slist_append"),
	    SYM(slist_free_all, "curl_slist_free_all"),
#undef SYM
	};
	void *h = dlopen(HTTP_LIBCURL, RTLD_NOW | RTLD_LOCAL);
	size_t i;

	if (!h) {
		snprintf(cu_error, sizeof(cu_error), "cannot load %s (install libcurl4): %s",
			 HTTP_LIBCURL, dlerror());
		return;
	}
	for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		void *f = dlsym(h, syms[i].name);

		if (!f) {
			snprintf(cu_error, sizeof(cu_error), "%s has no %s", HTTP_LIBCURL,
				 syms[i].name);
			memset(&cu, 0, sizeof(cu));
			return;
		}
		memcpy((char *)&cu + syms[i].off, &f, sizeof(f));
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void
http_global_init(void)
{
	pthread_once(&global_once, global_init_once);
}

int
http_is_url(const char *s)
{
	return s && (strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0);
}

void
http_response_init(struct http_response *r)
{
	r->status = 0;
	buf_init(&r->body, HTTP_DEFAULT_MAX_BODY);
	r->content_type = NULL;
	r->location = NULL;
}

void
http_response_release(struct http_response *r)
{
	if (!r)
		return;
	buf_release(&r->body);
	free(r->content_type);
	r->content_type = NULL;
	free(r->location);
	r->location = NULL;
	r->status = 0;
}

struct sink {
	struct buf *b;
	int too_big;
};

static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct sink *s = userdata;
	size_t n = size * nmemb;

	if (buf_add(s->b, ptr, n) < 0) {
		s->too_big = 1;
		return 0; /* makes curl stop with CURLE_WRITE_ERROR */
	}
	return n;
}

static long
to_ms(double seconds)
{
	if (seconds <= 0)
		return 0;
	if (seconds > 86400.0 * 7)
		seconds = 86400.0 * 7;
	return (long)(seconds * 1000.0 + 0.5);
}

int
http_do(const struct http_request *req, struct http_response *resp, struct mm_err *err)
{
	char errbuf[CURL_ERROR_SIZE];
	struct curl_slist *hdrs = NULL;
	const char *method = req->method ? req->method : "GET";
	double timeout = req->timeout > 0 ? req->timeout : HTTP_DEFAULT_TIMEOUT;
	double ctimeout = req->connect_timeout;
	size_t cap = req->max_body ? req->max_body : HTTP_DEFAULT_MAX_BODY;
	struct sink sink;
	CURLcode rc;
	CURL *c;
	char *ct = NULL;
	size_t i;
	int ret = -1;

	http_response_init(resp);
	buf_init(&resp->body, cap);
	if (!req->url || !http_is_url(req->url))
		return mm_errf(err, MM_E_USAGE, "not an http(s) URL: '%s'",
			       req->url ? req->url : "");
	if (ctimeout <= 0)
		ctimeout = timeout < HTTP_MAX_CONNECT_TIMEOUT ? timeout : HTTP_MAX_CONNECT_TIMEOUT;
	http_global_init();
	if (cu_error[0])
		return mm_errf(err, MM_E_RUNTIME, "%s", cu_error);
	if (!(c = curl_easy_init()))
		return mm_errf(err, MM_E_RUNTIME, "cannot create a curl handle");

	sink.b = &resp->body;
	sink.too_big = 0;
	errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, to_ms(timeout));
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, to_ms(ctimeout));
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (req->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, req->ca_file);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "mmops/" MMOPS_VERSION);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)cap);
	/* Accept gzip like Prometheus does; the cap applies to the decoded bytes. */
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	if (strcmp(method, "GET") == 0 && !req->body) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else {
		if (req->body) {
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
		}
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	}
	for (i = 0; i < req->nheaders; i++) {
		char line[HTTP_MAX_HEADER_LINE];
		int n = snprintf(line, sizeof(line), "%s: %s", req->headers[i].name,
				 req->headers[i].value);
		struct curl_slist *t;

		if (n < 0 || (size_t)n >= sizeof(line)) {
			mm_errf(err, MM_E_LIMIT, "header '%s' is longer than %d bytes",
				req->headers[i].name, HTTP_MAX_HEADER_LINE);
			goto out;
		}
		if (!(t = curl_slist_append(hdrs, line))) {
			mm_errf(err, MM_E_RUNTIME, "cannot build request headers");
			goto out;
		}
		hdrs = t;
	}
	/* curl sends "Expect: 100-continue" for big bodies; servers here answer directly. */
	if (req->body) {
		struct curl_slist *t = curl_slist_append(hdrs, "Expect:");

		if (t)
			hdrs = t;
	}
	if (hdrs)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);

	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		if (sink.too_big || rc == CURLE_FILESIZE_EXCEEDED)
			mm_errf(err, MM_E_LIMIT,
				"%s %s: response larger than the limit of %zu bytes", method,
				req->url, cap);
		else
			mm_errf(err, MM_E_NET, "%s %s: %s", method, req->url,
				errbuf[0] ? errbuf : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
		resp->content_type = xstrdup(ct);
	ct = NULL;
	if (resp->status >= 300 && resp->status < 400 &&
	    curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &ct) == CURLE_OK && ct)
		resp->location = xstrdup(ct);
	if (!resp->body.data)
		buf_add(&resp->body, "", 0);
	ret = 0;
out:
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	if (ret < 0) {
		/* keep the struct safe to release and to inspect */
		resp->status = 0;
	}
	return ret;
}
