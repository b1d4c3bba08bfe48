/*
 * test_promapi.c - the Prometheus HTTP API client: decoding answers (vector,
 * matrix, scalar, NaN/Inf strings, errors with their codes), the range step
 * under the 11,000-point limit, URL encoding, and real requests against an
 * in-process stand-in server that checks the query parameters.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http.h"
#include "httpd.h"
#include "promapi.h"

static void
test_parse_vector_and_matrix(void **st)
{
	static const char vec[] =
	    "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
	    "{\"metric\":{\"le\":\"+Inf\",\"__name__\":\"x_bucket\"},\"value\":[1700000000.5,"
	    "\"12\"]}]}}";
	static const char mat[] = "{\"status\":\"success\",\"warnings\":[\"w\"],\"data\":{"
				  "\"resultType\":\"matrix\",\"result\":["
				  "{\"metric\":{\"b\":\"2\",\"a\":\"1\"},\"values\":[[1,\"NaN\"],["
				  "2,\"+Inf\"],[3,\"-1e-3\"]]}]}}";
	struct promapi_result r;
	struct mm_err err;

	(void)st;
	assert_int_equal(promapi_parse(vec, strlen(vec), 200, &r, &err), 0);
	assert_string_equal(r.type, "vector");
	assert_int_equal(r.nseries, 1);
	assert_string_equal(r.series[0].labels[0].name, "__name__"); /* sorted */
	assert_string_equal(promapi_label(&r.series[0], "le"), "+Inf");
	assert_true(r.series[0].pts[0].t == 1700000000.5 && r.series[0].pts[0].v == 12);
	promapi_result_release(&r);

	assert_int_equal(promapi_parse(mat, strlen(mat), 200, &r, &err), 0);
	assert_string_equal(r.type, "matrix");
	assert_int_equal(r.nwarnings, 1);
	assert_int_equal(r.series[0].n, 3);
	assert_true(isnan(r.series[0].pts[0].v));
	assert_true(isinf(r.series[0].pts[1].v));
	assert_true(r.series[0].pts[2].v == -1e-3);
	assert_string_equal(r.series[0].labels[0].name, "a");
	promapi_result_release(&r);
}

static void
test_parse_errors_keep_their_kind(void **st)
{
	static const char bad[] =
	    "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"1:5: parse error\"}";
	static const char busy[] =
	    "{\"status\":\"error\",\"errorType\":\"unavailable\",\"error\":\"overloaded\"}";
	static const char junk[] = "<html>502 Bad Gateway</html>";
	static const char badval[] =
	    "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
	    "{\"metric\":{},\"value\":[1,\"twelve\"]}]}}";
	struct promapi_result r;
	struct mm_err err;

	(void)st;
	assert_int_equal(promapi_parse(bad, strlen(bad), 400, &r, &err), -1);
	assert_int_equal(err.code, MM_E_RUNTIME);
	assert_non_null(strstr(err.msg, "bad_data: 1:5: parse error (HTTP 400)"));
	assert_int_equal(promapi_parse(busy, strlen(busy), 503, &r, &err), -1);
	assert_int_equal(err.code, MM_E_NET);
	assert_int_equal(promapi_parse(junk, strlen(junk), 502, &r, &err), -1);
	assert_int_equal(err.code, MM_E_NET);
	assert_int_equal(promapi_parse(junk, strlen(junk), 200, &r, &err), -1);
	assert_int_equal(err.code, MM_E_PARSE);
	assert_int_equal(promapi_parse(badval, strlen(badval), 200, &r, &err), -1);
	assert_non_null(strstr(err.msg, "'twelve' is not a number"));
	assert_int_equal(r.nseries, 0);
}

static void
test_step_stays_under_the_point_limit(void **st)
{
	double s;

	(void)st;
	assert_true(promapi_choose_step(0, 3600, 15) == 15);
	assert_true(promapi_choose_step(0, 3600, 0.2) == 1); /* whole seconds */
	s = promapi_choose_step(0, 72 * 3600, 1);	     /* 259,201 points at 1 s */
	assert_true(s == 24);
	assert_true(72 * 3600 / s + 1 <= PROMAPI_MAX_POINTS);
	assert_true(72 * 3600 / (s - 1) + 1 > PROMAPI_MAX_POINTS);
	s = promapi_choose_step(0, 10999, 1); /* exactly 11,000 points */
	assert_true(s == 1);
	assert_true(promapi_choose_step(0, 11000, 1) == 2);
}

static void
test_urlencode(void **st)
{
	char *e = promapi_urlencode("x_bucket{le=\"0.1\"} + 1/2");

	(void)st;
	assert_string_equal(e, "x_bucket%7Ble%3D%220.1%22%7D%20%2B%201%2F2");
	free(e);
}

struct seen {
	char path[128], query[256], start[64], end[64], step[64], time[64];
};

static void
handler(const struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
	struct seen *s = ctx;
	const char *v;

	snprintf(s->path, sizeof(s->path), "%s", req->path);
	snprintf(s->query, sizeof(s->query), "%s", (v = httpd_req_query(req, "query")) ? v : "");
	snprintf(s->start, sizeof(s->start), "%s", (v = httpd_req_query(req, "start")) ? v : "");
	snprintf(s->end, sizeof(s->end), "%s", (v = httpd_req_query(req, "end")) ? v : "");
	snprintf(s->step, sizeof(s->step), "%s", (v = httpd_req_query(req, "step")) ? v : "");
	snprintf(s->time, sizeof(s->time), "%s", (v = httpd_req_query(req, "time")) ? v : "");
	resp->content_type = "application/json";
	if (strstr(s->query, "bad")) {
		resp->status = 400;
		buf_adds(&resp->body,
			 "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"nope\"}");
		return;
	}
	buf_adds(
	    &resp->body,
	    strcmp(req->path, "/api/v1/query_range") == 0
		? "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{"
		  "\"metric\":{},\"values\":[[10,\"1\"],[20,\"2\"]]}]}}"
		: "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}");
}

static void
test_queries_against_a_stand_in_server(void **st)
{
	struct seen s;
	struct httpd_config cfg = {.listen = "127.0.0.1:0", .handler = handler, .ctx = &s};
	struct promapi_result r;
	struct mm_err err;
	struct httpd *h;
	char base[64];

	(void)st;
	http_global_init();
	memset(&s, 0, sizeof(s));
	h = httpd_start(&cfg, &err);
	assert_non_null(h);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d/", httpd_port(h));
	assert_int_equal(
	    promapi_query_range(base, "x_bucket{stage=\"a b\"}", 10, 20, 10, 5, &r, &err), 0);
	assert_string_equal(s.path, "/api/v1/query_range");
	assert_string_equal(s.query, "x_bucket{stage=\"a b\"}");
	assert_string_equal(s.start, "10.000");
	assert_string_equal(s.end, "20.000");
	assert_string_equal(s.step, "10.000");
	assert_int_equal(r.series[0].n, 2);
	promapi_result_release(&r);
	assert_int_equal(promapi_query(base, "up", 1234.5, 5, &r, &err), 0);
	assert_string_equal(s.path, "/api/v1/query");
	assert_string_equal(s.time, "1234.500");
	assert_int_equal(r.nseries, 0);
	promapi_result_release(&r);
	assert_int_equal(promapi_query(base, "bad", NAN, 5, &r, &err), -1);
	assert_int_equal(err.code, MM_E_RUNTIME);
	assert_string_equal(s.time, "");
	httpd_stop(h);
	/* Nothing listens any more: a transport error, MM_E_NET. */
	assert_int_equal(promapi_query(base, "up", NAN, 2, &r, &err), -1);
	assert_int_equal(err.code, MM_E_NET);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_vector_and_matrix),
	    cmocka_unit_test(test_parse_errors_keep_their_kind),
	    cmocka_unit_test(test_step_stays_under_the_point_limit),
	    cmocka_unit_test(test_urlencode),
	    cmocka_unit_test(test_queries_against_a_stand_in_server),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
