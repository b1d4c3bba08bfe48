/*
 * test_http.c - the libcurl client against a local lib/httpd server and
 * against sockets that misbehave: status codes pass through, the response
 * cap is enforced, unreachable and silent servers are MM_E_NET, only
 * http(s) URLs are accepted, headers and bodies are sent.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http.h"
#include "httpd.h"
#include "xalloc.h"

static void
handler(const struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
	const char *h = httpd_req_header(req, "X-Test");
	int i;

	(void)ctx;
	if (strcmp(req->path, "/missing") == 0) {
		httpd_resp_text(resp, 404, "not found");
	} else if (strcmp(req->path, "/big") == 0) {
		for (i = 0; i < 5000; i++)
			buf_addc(&resp->body, 'b');
	} else {
		resp->content_type = "application/x-echo";
		buf_addf(&resp->body, "%s|%s|%s|%.*s", req->method, req->path, h ? h : "-",
			 (int)req->body_len, req->body);
	}
}

static struct httpd *srv;
static int port;

static int
setup(void **state)
{
	struct httpd_config cfg = {0};
	struct mm_err err;

	cfg.listen = "127.0.0.1:0";
	cfg.handler = handler;
	srv = httpd_start(&cfg, &err);
	if (!srv)
		return -1;
	port = httpd_port(srv);
	(void)state;
	return 0;
}

static int
teardown(void **state)
{
	httpd_stop(srv);
	(void)state;
	return 0;
}

static void
test_status_and_body_pass_through(void **state)
{
	struct http_request rq = {0};
	struct http_response rs;
	struct mm_err err;
	char *u = xasprintf("http://127.0.0.1:%d/missing", port);

	rq.url = u;
	assert_int_equal(http_do(&rq, &rs, &err), 0);
	assert_int_equal(rs.status, 404);
	assert_string_equal(rs.body.data, "not found\n");
	http_response_release(&rs);
	http_response_release(&rs); /* twice is harmless */
	free(u);
	(void)state;
}

static void
test_method_headers_and_body_are_sent(void **state)
{
	struct http_header hd[] = {{"X-Test", "yes"}};
	struct http_request rq = {0};
	struct http_response rs;
	struct mm_err err;
	char *u = xasprintf("http://127.0.0.1:%d/admin/scale", port);

	rq.method = "PUT";
	rq.url = u;
	rq.headers = hd;
	rq.nheaders = 1;
	rq.body = "{\"replicas\":0}";
	rq.body_len = strlen(rq.body);
	assert_int_equal(http_do(&rq, &rs, &err), 0);
	assert_int_equal(rs.status, 200);
	assert_string_equal(rs.content_type, "application/x-echo");
	assert_string_equal(rs.body.data, "PUT|/admin/scale|yes|{\"replicas\":0}");
	http_response_release(&rs);
	free(u);
	(void)state;
}

static void
test_response_over_cap_is_limit_error(void **state)
{
	struct http_request rq = {0};
	struct http_response rs;
	struct mm_err err;
	char *u = xasprintf("http://127.0.0.1:%d/big", port);

	rq.url = u;
	rq.max_body = 100;
	mm_err_init(&err);
	assert_int_equal(http_do(&rq, &rs, &err), -1);
	assert_int_equal(err.code, MM_E_LIMIT);
	assert_non_null(strstr(err.msg, "limit"));
	http_response_release(&rs);
	rq.max_body = 5000;
	assert_int_equal(http_do(&rq, &rs, &err), 0);
	assert_int_equal(rs.body.len, 5000);
	http_response_release(&rs);
	free(u);
	(void)state;
}

static int
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), p;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	p = ntohs(sa.sin_port);
	close(fd);
	return p;
}

static void
test_unreachable_is_net_error(void **state)
{
	struct http_request rq = {0};
	struct http_response rs;
	struct mm_err err;
	char *u = xasprintf("http://127.0.0.1:%d/metrics", free_port());

	rq.url = u;
	mm_err_init(&err);
	assert_int_equal(http_do(&rq, &rs, &err), -1);
	assert_int_equal(err.code, MM_E_NET);
	assert_non_null(strstr(err.msg, u));
	http_response_release(&rs);
	free(u);
	(void)state;
}

static void
test_silent_server_times_out(void **state)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	struct http_request rq = {0};
	struct http_response rs;
	struct mm_err err;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char *u;

	/* A socket that listens but never answers. */
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	u = xasprintf("http://127.0.0.1:%d/", ntohs(sa.sin_port));
	rq.url = u;
	rq.timeout = 0.3;
	mm_err_init(&err);
	assert_int_equal(http_do(&rq, &rs, &err), -1);
	assert_int_equal(err.code, MM_E_NET);
	if (!strstr(err.msg, "imeout") && !strstr(err.msg, "timed out"))
		fail_msg("not a timeout: %s", err.msg);
	http_response_release(&rs);
	close(fd);
	free(u);
	(void)state;
}

static void
test_only_http_urls(void **state)
{
	static const char *bad[] = {"file:///etc/passwd", "ftp://x/", "gopher://x", "/tmp/x", ""};
	struct http_request rq = {0};
	struct http_response rs;
	struct mm_err err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rq.url = bad[i];
		mm_err_init(&err);
		assert_int_equal(http_do(&rq, &rs, &err), -1);
		assert_int_equal(err.code, MM_E_USAGE);
		http_response_release(&rs);
	}
	assert_true(http_is_url("HTTPS://example.org"));
	assert_false(http_is_url("metrics.txt"));
	assert_false(http_is_url(NULL));
	(void)state;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_status_and_body_pass_through),
	    cmocka_unit_test(test_method_headers_and_body_are_sent),
	    cmocka_unit_test(test_response_over_cap_is_limit_error),
	    cmocka_unit_test(test_unreachable_is_net_error),
	    cmocka_unit_test(test_silent_server_times_out),
	    cmocka_unit_test(test_only_http_urls),
	};

	http_global_init();
	return cmocka_run_group_tests(tests, setup, teardown);
}
