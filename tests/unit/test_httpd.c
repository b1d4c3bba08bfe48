/*
 * test_httpd.c - the libmicrohttpd wrapper, driven over real sockets on
 * 127.0.0.1 with a free port: one handler call per whole request, the body
 * cap (413 without calling the handler), the connection limit, the idle
 * timeout, the Allow / WWW-Authenticate headers and address errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "http.h"
#include "httpd.h"
#include "xalloc.h"

struct seen {
	int calls;
	char method[16];
	char path[128];
	char query[64];
	char addr[64];
	char ua[64];
	size_t body_len;
	int body_ok;
};

static void
echo_handler(const struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
	struct seen *s = ctx;
	const char *q = httpd_req_query(req, "x");
	const char *ua = httpd_req_header(req, "user-agent");
	size_t i;

	s->calls++;
	snprintf(s->method, sizeof(s->method), "%s", req->method);
	snprintf(s->path, sizeof(s->path), "%s", req->path);
	snprintf(s->query, sizeof(s->query), "%s", q ? q : "");
	snprintf(s->addr, sizeof(s->addr), "%s", req->remote_addr);
	snprintf(s->ua, sizeof(s->ua), "%s", ua ? ua : "");
	s->body_len = req->body_len;
	s->body_ok = req->body[req->body_len] == '\0';
	for (i = 0; i < req->body_len && s->body_ok; i++)
		if (req->body[i] != (char)('a' + i % 26))
			s->body_ok = 0;
	if (strcmp(req->path, "/json") == 0) {
		json_t *j = json_pack("{s:i,s:s}", "b", 2, "a", "x");

		httpd_resp_json(resp, 201, j);
		json_decref(j);
	} else if (strcmp(req->path, "/only-get") == 0 && strcmp(req->method, "GET") != 0) {
		resp->allow = "GET";
		httpd_resp_text(resp, 405, "method not allowed");
	} else if (strcmp(req->path, "/auth") == 0) {
		resp->www_authenticate = "Bearer";
		httpd_resp_text(resp, 401, "unauthorized");
	} else if (strcmp(req->path, "/big") == 0) {
		for (i = 0; i < 1000; i++)
			buf_addc(&resp->body, 'z');
	} else {
		buf_addf(&resp->body, "%s %s\n", req->method, req->path);
	}
}

static struct httpd *
start(struct seen *s, size_t max_body, unsigned conn_limit, unsigned timeout)
{
	struct httpd_config cfg = {0};
	struct mm_err err;
	struct httpd *h;

	cfg.listen = "127.0.0.1:0";
	cfg.max_body = max_body;
	cfg.conn_limit = conn_limit;
	cfg.timeout_sec = timeout;
	cfg.handler = echo_handler;
	cfg.ctx = s;
	mm_err_init(&err);
	h = httpd_start(&cfg, &err);
	assert_non_null(h);
	assert_true(httpd_port(h) > 0);
	return h;
}

static int
raw_connect(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Send a raw request and read the reply until the server closes (or 10 s). */
static char *
raw_request(int port, const char *req)
{
	struct buf b = BUF_INIT(1 << 20);
	double deadline = clock_mono() + 10;
	int fd = raw_connect(port);
	char tmp[4096];

	assert_true(write(fd, req, strlen(req)) == (ssize_t)strlen(req));
	while (clock_mono() < deadline) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t n;

		if (poll(&p, 1, 200) <= 0)
			continue;
		n = read(fd, tmp, sizeof(tmp));
		if (n <= 0)
			break;
		buf_add(&b, tmp, (size_t)n);
	}
	close(fd);
	return buf_detach(&b, NULL);
}

static char *
url_of(int port, const char *path)
{
	return xasprintf("http://127.0.0.1:%d%s", port, path);
}

static void
test_get_calls_handler_once_with_path_query_and_addr(void **state)
{
	struct seen s = {0};
	struct httpd *h = start(&s, 0, 0, 0);
	struct http_request rq = {0};
	struct http_response rs;
	struct mm_err err;
	char *u = url_of(httpd_port(h), "/hello?x=42");

	rq.url = u;
	assert_int_equal(http_do(&rq, &rs, &err), 0);
	assert_int_equal(rs.status, 200);
	assert_string_equal(rs.body.data, "GET /hello\n");
	assert_string_equal(rs.content_type, "text/plain; charset=utf-8");
	assert_int_equal(s.calls, 1);
	assert_string_equal(s.path, "/hello");
	assert_string_equal(s.query, "42");
	assert_string_equal(s.addr, "127.0.0.1");
	assert_string_equal(s.ua, "mmops/" MMOPS_VERSION);
	assert_int_equal(s.body_len, 0);
	assert_true(s.body_ok);
	http_response_release(&rs);
	free(u);
	httpd_stop(h);
	(void)state;
}

static void
test_post_body_arrives_whole(void **state)
{
	struct seen s = {0};
	struct httpd *h = start(&s, 0, 0, 0);
	struct http_request rq = {0};
	struct http_response rs;
	struct mm_err err;
	size_t n = 300000, i;
	char *body = xmalloc(n);
	char *u = url_of(httpd_port(h), "/hook");

	for (i = 0; i < n; i++)
		body[i] = (char)('a' + i % 26);
	rq.method = "POST";
	rq.url = u;
	rq.body = body;
	rq.body_len = n;
	assert_int_equal(http_do(&rq, &rs, &err), 0);
	assert_int_equal(rs.status, 200);
	assert_int_equal(s.calls, 1);
	assert_string_equal(s.method, "POST");
	assert_int_equal(s.body_len, n);
	assert_true(s.body_ok);
	http_response_release(&rs);
	free(body);
	free(u);
	httpd_stop(h);
	(void)state;
}

static void
test_oversize_body_is_413_without_handler(void **state)
{
	struct seen s = {0};
	struct httpd *h = start(&s, 1024, 0, 0);
	struct http_request rq = {0};
	struct http_response rs;
	struct mm_err err;
	char body[2048];
	char *u = url_of(httpd_port(h), "/hook");

	memset(body, 'a', sizeof(body));
	rq.method = "POST";
	rq.url = u;
	rq.body = body;
	rq.body_len = sizeof(body);
	assert_int_equal(http_do(&rq, &rs, &err), 0);
	assert_int_equal(rs.status, 413);
	assert_int_equal(s.calls, 0);
	http_response_release(&rs);

	/* exactly at the cap is fine */
	rq.body_len = 1024;
	memset(body, 0, sizeof(body));
	assert_int_equal(http_do(&rq, &rs, &err), 0);
	assert_int_equal(rs.status, 200);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.body_len, 1024);
	http_response_release(&rs);
	free(u);
	httpd_stop(h);
	(void)state;
}

static void
test_oversize_chunked_body_is_413(void **state)
{
	struct seen s = {0};
	struct httpd *h = start(&s, 1024, 0, 0);
	struct buf req = BUF_INIT(1 << 20);
	char *reply;
	int i;

	buf_adds(&req, "POST /hook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
		       "Connection: close\r\n\r\n");
	for (i = 0; i < 4; i++) {
		buf_adds(&req, "200\r\n");
		for (int k = 0; k < 0x200; k++)
			buf_addc(&req, 'q');
		buf_adds(&req, "\r\n");
	}
	buf_adds(&req, "0\r\n\r\n");
	reply = raw_request(httpd_port(h), req.data);
	assert_non_null(strstr(reply, " 413 "));
	assert_int_equal(s.calls, 0);
	free(reply);
	buf_release(&req);
	httpd_stop(h);
	(void)state;
}

static void
test_json_helper_sets_type_and_canonical_body(void **state)
{
	struct seen s = {0};
	struct httpd *h = start(&s, 0, 0, 0);
	struct http_request rq = {0};
	struct http_response rs;
	struct mm_err err;
	char *u = url_of(httpd_port(h), "/json");

	rq.url = u;
	assert_int_equal(http_do(&rq, &rs, &err), 0);
	assert_int_equal(rs.status, 201);
	assert_string_equal(rs.content_type, "application/json");
	assert_string_equal(rs.body.data, "{\"a\":\"x\",\"b\":2}\n");
	http_response_release(&rs);
	free(u);
	httpd_stop(h);
	(void)state;
}

static void
test_allow_and_www_authenticate_headers_are_sent(void **state)
{
	struct seen s = {0};
	struct httpd *h = start(&s, 0, 0, 0);
	char *r1 = raw_request(httpd_port(h), "DELETE /only-get HTTP/1.1\r\nHost: x\r\n"
					      "Connection: close\r\n\r\n");
	char *r2 = raw_request(httpd_port(h), "GET /auth HTTP/1.1\r\nHost: x\r\n"
					      "Connection: close\r\n\r\n");

	assert_non_null(strstr(r1, "HTTP/1.1 405"));
	assert_non_null(strstr(r1, "Allow: GET\r\n"));
	assert_non_null(strstr(r2, "HTTP/1.1 401"));
	assert_non_null(strstr(r2, "WWW-Authenticate: Bearer\r\n"));
	free(r1);
	free(r2);
	httpd_stop(h);
	(void)state;
}

static void
test_connection_limit_refuses_extra_connections(void **state)
{
	struct seen s = {0};
	struct httpd *h = start(&s, 0, 2, 30);
	struct http_request rq = {0};
	struct http_response rs;
	struct mm_err err;
	char *u = url_of(httpd_port(h), "/x");
	double deadline;
	int a, b, ok;

	a = raw_connect(httpd_port(h));
	b = raw_connect(httpd_port(h));
	rq.url = u;
	rq.timeout = 3;
	/* Two idle connections fill the limit: the third is closed unanswered. */
	assert_int_equal(http_do(&rq, &rs, &err), -1);
	assert_int_equal(err.code, MM_E_NET);
	http_response_release(&rs);
	assert_int_equal(s.calls, 0);
	close(a);
	close(b);
	/* Once they are gone, requests are served again (poll, the close is async). */
	deadline = clock_mono() + 10;
	ok = 0;
	while (!ok && clock_mono() < deadline) {
		ok = http_do(&rq, &rs, &err) == 0 && rs.status == 200;
		http_response_release(&rs);
		if (!ok)
			usleep(50000);
	}
	assert_true(ok);
	free(u);
	httpd_stop(h);
	(void)state;
}

static void
test_idle_connection_is_closed_after_timeout(void **state)
{
	struct seen s = {0};
	struct httpd *h = start(&s, 0, 0, 1);
	int fd = raw_connect(httpd_port(h));
	double deadline = clock_mono() + 15;
	int closed = 0;
	char c;

	while (!closed && clock_mono() < deadline) {
		struct pollfd p = {fd, POLLIN, 0};

		if (poll(&p, 1, 200) > 0)
			closed = read(fd, &c, 1) <= 0;
	}
	assert_true(closed);
	close(fd);
	httpd_stop(h);
	(void)state;
}

static struct httpd *
start_guarded(struct seen *s, unsigned per_ip, unsigned request_timeout)
{
	struct httpd_config cfg = {0};
	struct mm_err err;
	struct httpd *h;

	cfg.listen = "127.0.0.1:0";
	cfg.conn_limit = 100;
	cfg.timeout_sec = 30;
	cfg.per_ip_limit = per_ip;
	cfg.request_timeout_sec = request_timeout;
	cfg.thread_per_connection = 1;
	cfg.handler = echo_handler;
	cfg.ctx = s;
	h = httpd_start(&cfg, &err);
	assert_non_null(h);
	return h;
}

/* A connection to 127.0.0.1:port from the local address src ("127.0.0.2"). */
static int
connect_from(int port, const char *src)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, src, &sa.sin_addr), 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Send req on fd and read until the server closes or 10 s pass; 1 when the answer was 200. */
static int
answered_200(int fd, const char *req)
{
	double deadline = clock_mono() + 10;
	char tmp[4096];
	size_t got = 0;

	assert_true(write(fd, req, strlen(req)) == (ssize_t)strlen(req));
	while (clock_mono() < deadline && got < sizeof(tmp) - 1) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t n;

		if (poll(&p, 1, 200) <= 0)
			continue;
		n = read(fd, tmp + got, sizeof(tmp) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		tmp[got] = '\0';
		if (strstr(tmp, "\r\n\r\n"))
			break;
	}
	tmp[got] = '\0';
	close(fd);
	return strncmp(tmp, "HTTP/1.1 200", 12) == 0;
}

static void
test_trickling_client_is_cut_at_the_request_deadline(void **state)
{
	struct seen s = {0};
	struct httpd *h = start_guarded(&s, 0, 1);
	int fd = raw_connect(httpd_port(h));
	double deadline = clock_mono() + 10;
	int closed = 0;
	char c;

	/* a header line every 200 ms: MHD's idle timeout (30 s) restarts each time */
	assert_true(write(fd, "GET / HTTP/1.1\r\n", 16) == 16);
	while (!closed && clock_mono() < deadline) {
		struct pollfd p = {fd, POLLIN, 0};

		if (write(fd, "X-Slow: 1\r\n", 11) != 11)
			closed = 1;
		else if (poll(&p, 1, 200) > 0)
			closed = read(fd, &c, 1) <= 0;
	}
	assert_true(closed);
	assert_int_equal(s.calls, 0);
	close(fd);
	/* a request sent in time is served */
	assert_true(answered_200(raw_connect(httpd_port(h)), "GET /x HTTP/1.1\r\nHost: a\r\n\r\n"));
	httpd_stop(h);
	(void)state;
}

static void
test_per_address_limit_keeps_room_for_other_clients(void **state)
{
	struct seen s = {0};
	struct httpd *h = start_guarded(&s, 2, 0);
	int a = connect_from(httpd_port(h), "127.0.0.1"),
	    b = connect_from(httpd_port(h), "127.0.0.1");

	/* 127.0.0.1 holds its two: its third connection is refused, another address is served */
	assert_false(answered_200(connect_from(httpd_port(h), "127.0.0.1"),
				  "GET /x HTTP/1.1\r\nHost: a\r\n\r\n"));
	assert_true(answered_200(connect_from(httpd_port(h), "127.0.0.2"),
				 "GET /x HTTP/1.1\r\nHost: a\r\n\r\n"));
	assert_int_equal(s.calls, 1);
	assert_string_equal(s.addr, "127.0.0.2");
	close(a);
	close(b);
	httpd_stop(h);
	(void)state;
}

static void
test_an_eighth_of_the_slots_is_kept_free_for_new_clients(void **state)
{
	struct seen s = {0};
	struct httpd_config cfg = {0};
	struct mm_err err;
	struct httpd *h;
	double deadline;
	int fds[16], i, ok = 0, closed = 0;
	char c;

	cfg.listen = "127.0.0.1:0";
	cfg.conn_limit = 16;
	cfg.timeout_sec = 60;
	cfg.request_timeout_sec = 60; /* far beyond this test: only the reserve can cut */
	cfg.thread_per_connection = 1;
	cfg.handler = echo_handler;
	cfg.ctx = &s;
	h = httpd_start(&cfg, &err);
	assert_non_null(h);
	for (i = 0; i < 16; i++)
		fds[i] = raw_connect(httpd_port(h));
	deadline = clock_mono() + 10;
	while (!ok && clock_mono() < deadline)
		ok = answered_200(raw_connect(httpd_port(h)), "GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_true(ok);
	/* the room was made by cutting the oldest idle connections */
	{
		struct pollfd p = {fds[0], POLLIN, 0};

		if (poll(&p, 1, 2000) > 0)
			closed = read(fds[0], &c, 1) <= 0;
	}
	assert_true(closed);
	for (i = 0; i < 16; i++)
		close(fds[i]);
	httpd_stop(h);
	(void)state;
}

static void
test_auth_is_checked_by_one_constant_time_compare(void **state)
{
	struct httpd_req req;

	(void)state;
	memset(&req, 0, sizeof(req));
	assert_false(httpd_auth_ok(&req, "Bearer", "s3cret"));
	req.authorization = "Bearer s3cret";
	assert_true(httpd_auth_ok(&req, "Bearer", "s3cret"));
	req.authorization = "bearer   s3cret";
	assert_true(httpd_auth_ok(&req, "Bearer", "s3cret"));
	req.authorization = "Bearer s3cre"; /* a prefix: same path as any mismatch */
	assert_false(httpd_auth_ok(&req, "Bearer", "s3cret"));
	req.authorization = "Bearer s3cretX";
	assert_false(httpd_auth_ok(&req, "Bearer", "s3cret"));
	req.authorization = "Basic s3cret";
	assert_false(httpd_auth_ok(&req, "Bearer", "s3cret"));
	req.authorization = "Bearers3cret";
	assert_false(httpd_auth_ok(&req, "Bearer", "s3cret"));
	assert_true(httpd_ct_equal("abc", 3, "abc", 3));
	assert_false(httpd_ct_equal("abc", 3, "abcabc", 6));
}

static void
test_credential_file_is_one_line(void **state)
{
	char dir[] = "/tmp/mmops-cred-XXXXXX", path[64];
	struct mm_err err;
	char *c;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t", dir);
	f = fopen(path, "w");
	fputs("tok-en\n", f);
	fclose(f);
	c = httpd_read_credential(path, &err);
	assert_string_equal(c, "tok-en");
	free(c);
	f = fopen(path, "w");
	fputs("a\nb\n", f);
	fclose(f);
	assert_null(httpd_read_credential(path, &err));
	assert_int_equal(err.code, MM_E_CONFIG);
	f = fopen(path, "w");
	fclose(f);
	assert_null(httpd_read_credential(path, &err));
	assert_non_null(strstr(err.msg, "is empty"));
	unlink(path);
	rmdir(dir);
}

static void
test_bad_listen_addresses_are_refused(void **state)
{
	static const char *bad[] = {
	    "nohostport", "127.0.0.1:99999", "127.0.0.1:x", "::1:80", "[::1", ""};
	struct httpd_config cfg = {0};
	struct mm_err err;
	size_t i;

	cfg.handler = echo_handler;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg.listen = bad[i];
		mm_err_init(&err);
		assert_null(httpd_start(&cfg, &err));
		assert_int_equal(err.code, MM_E_USAGE);
	}
	cfg.listen = "127.0.0.1:0";
	cfg.handler = NULL;
	assert_null(httpd_start(&cfg, &err));
	(void)state;
}

static void
test_address_in_use_is_a_net_error(void **state)
{
	struct seen s = {0};
	struct httpd *h = start(&s, 0, 0, 0), *h2;
	struct httpd_config cfg = {0};
	struct mm_err err;
	char *l = xasprintf("127.0.0.1:%d", httpd_port(h));

	cfg.listen = l;
	cfg.handler = echo_handler;
	mm_err_init(&err);
	h2 = httpd_start(&cfg, &err);
	assert_null(h2);
	assert_int_equal(err.code, MM_E_NET);
	assert_non_null(strstr(err.msg, "in use"));
	free(l);
	httpd_stop(h);
	httpd_stop(NULL);
	(void)state;
}

static void
test_split_hostport_forms(void **state)
{
	char host[64];
	int port;
	struct mm_err err;

	assert_int_equal(httpd_split_hostport(":0", host, sizeof(host), &port, &err), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 0);
	assert_int_equal(httpd_split_hostport("[::1]:9100", host, sizeof(host), &port, &err), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 9100);
	assert_int_equal(httpd_split_hostport("localhost:80", host, sizeof(host), &port, &err), 0);
	assert_string_equal(host, "localhost");
	assert_int_equal(port, 80);
	assert_int_equal(httpd_split_hostport("h:-1", host, sizeof(host), &port, &err), -1);
	(void)state;
}

static void
test_thread_pool_serves(void **state)
{
	struct seen s = {0};
	struct httpd_config cfg = {0};
	struct http_request rq = {0};
	struct http_response rs;
	struct mm_err err;
	struct httpd *h;
	char *u;

	cfg.listen = ":0";
	cfg.threads = 2;
	cfg.handler = echo_handler;
	cfg.ctx = &s;
	h = httpd_start(&cfg, &err);
	assert_non_null(h);
	u = url_of(httpd_port(h), "/pool");
	rq.url = u;
	assert_int_equal(http_do(&rq, &rs, &err), 0);
	assert_string_equal(rs.body.data, "GET /pool\n");
	http_response_release(&rs);
	free(u);
	httpd_stop(h);
	(void)state;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_get_calls_handler_once_with_path_query_and_addr),
	    cmocka_unit_test(test_post_body_arrives_whole),
	    cmocka_unit_test(test_oversize_body_is_413_without_handler),
	    cmocka_unit_test(test_oversize_chunked_body_is_413),
	    cmocka_unit_test(test_json_helper_sets_type_and_canonical_body),
	    cmocka_unit_test(test_allow_and_www_authenticate_headers_are_sent),
	    cmocka_unit_test(test_connection_limit_refuses_extra_connections),
	    cmocka_unit_test(test_idle_connection_is_closed_after_timeout),
	    cmocka_unit_test(test_trickling_client_is_cut_at_the_request_deadline),
	    cmocka_unit_test(test_per_address_limit_keeps_room_for_other_clients),
	    cmocka_unit_test(test_an_eighth_of_the_slots_is_kept_free_for_new_clients),
	    cmocka_unit_test(test_auth_is_checked_by_one_constant_time_compare),
	    cmocka_unit_test(test_credential_file_is_one_line),
	    cmocka_unit_test(test_bad_listen_addresses_are_refused),
	    cmocka_unit_test(test_address_in_use_is_a_net_error),
	    cmocka_unit_test(test_split_hostport_forms),
	    cmocka_unit_test(test_thread_pool_serves),
	};

	http_global_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
