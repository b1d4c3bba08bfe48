/* test_grafana.c - the Grafana client against an in-process stub, and the dashboard linter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "grafana.h"
#include "helpers.h"
#include "httpd.h"
#include "jsontree.h"
#include "xalloc.h"

/* ---- PromQL metric names ------------------------------------------------ */

static void
collect(const char *name, size_t len, void *ctx)
{
	struct buf *b = ctx;

	buf_addf(b, "%s%.*s", b->len ? " " : "", (int)len, name);
}

static char *
metrics_of(const char *expr)
{
	struct buf b = BUF_INIT(1 << 16);

	buf_adds(&b, "");
	grafana_expr_metrics(expr, collect, &b);
	return buf_detach(&b, NULL);
}

static void
test_expr_metrics_skip_functions_labels_keywords_and_variables(void **state)
{
	static const struct {
		const char *expr, *want;
	} t[] = {
	    {"mm_hit_ratio", "mm_hit_ratio"},
	    {"histogram_quantile(0.95, sum by (le) "
	     "(rate(mm_tick_latency_seconds_bucket{stage=\"tick_total\"}[5m]))) * 1000",
	     "mm_tick_latency_seconds_bucket"},
	    {"sum(rate(a_total[5m])) by (job) / on(instance) group_left(region) b", "a_total b"},
	    {"rate(x[$__rate_interval]) + ${var} + $v + y[[interval]] offset 1h", "x y"},
	    {"{__name__=\"mm_edge_bps\", job=~\"a|b\"}", "mm_edge_bps"},
	    {"{__name__=~\"mm_.*\"}", ""},
	    {"topk(5, label_replace(m1, \"dst\", \"$1\", \"src\", \"(.*)\")) and m2 unless bool m3",
	     "m1 m2 m3"},
	    {"1e3 * 0x1F + .5 - 5m_not_a_metric", ""},
	    {"max_over_time(m[1h:5m]) @ start()", "m"},
	    {"count_values(\"v\", build_info) # m_in_comment", "build_info"},
	    {"sum without (le, \"quoted\") (h_bucket)", "h_bucket"},
	    {"x:recorded:rate5m > Inf", "x:recorded:rate5m"},
	    {"\"unterminated", ""},
	    {"", ""},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *got = metrics_of(t[i].expr);

		if (strcmp(got, t[i].want) != 0)
			fail_msg("expr %s: got '%s', want '%s'", t[i].expr, got, t[i].want);
		free(got);
	}
	(void)state;
}

/* ---- small pieces --------------------------------------------------------- */

static void
test_uid_rule_is_grafanas(void **state)
{
	char forty[41], fortyone[42];

	memset(forty, 'a', 40);
	forty[40] = '\0';
	memset(fortyone, 'a', 41);
	fortyone[41] = '\0';
	assert_true(grafana_uid_valid("mm-operability"));
	assert_true(grafana_uid_valid("A_z-09"));
	assert_true(grafana_uid_valid(forty));
	assert_false(grafana_uid_valid(fortyone));
	assert_false(grafana_uid_valid(""));
	assert_false(grafana_uid_valid("a b"));
	assert_false(grafana_uid_valid("../etc"));
	assert_false(grafana_uid_valid(NULL));
	(void)state;
}

static void
test_normalize_drops_churn_only_and_copies(void **state)
{
	json_t *d = json_pack("{s:i, s:s, s:i, s:i, s:s, s:[]}", "id", 7, "uid", "u", "version", 4,
			      "iteration", 123, "title", "T", "panels");
	json_t *n = grafana_normalize(d);
	char *s = jsontree_dumps_compact(n);

	assert_string_equal(s, "{\"panels\":[],\"title\":\"T\",\"uid\":\"u\"}");
	assert_int_equal(json_integer_value(json_object_get(d, "version")), 4); /* input kept */
	assert_null(grafana_normalize(json_object_get(d, "panels")));
	free(s);
	json_decref(n);
	json_decref(d);
	(void)state;
}

static void
test_client_url_and_credentials(void **state)
{
	struct grafana_client c;
	struct mm_err err;

	assert_int_equal(grafana_client_init(&c, "http://g:3000/grafana//", &err), 0);
	assert_string_equal(c.base, "http://g:3000/grafana");
	assert_int_equal(grafana_client_set_basic(&c, "admin:pa:ss", &err), 0);
	assert_string_equal(c.auth, "Basic YWRtaW46cGE6c3M=");
	assert_int_equal(grafana_client_set_basic(&c, "ab:", &err), 0);
	assert_string_equal(c.auth, "Basic YWI6");
	assert_int_equal(grafana_client_set_basic(&c, "a:", &err), 0);
	assert_string_equal(c.auth, "Basic YTo=");
	assert_int_equal(grafana_client_set_token(&c, "t0k", &err), 0);
	assert_string_equal(c.auth, "Bearer t0k");
	assert_int_equal(grafana_client_set_token(&c, "a\r\nX-Evil: 1", &err), -1);
	assert_int_equal(err.code, MM_E_USAGE);
	assert_string_equal(c.auth, "Bearer t0k"); /* a refused secret changes nothing */
	assert_int_equal(grafana_client_set_basic(&c, "nocolon", &err), -1);
	grafana_client_release(&c);
	assert_int_equal(grafana_client_init(&c, "http://u:p@g/", &err), -1);
	assert_int_equal(grafana_client_init(&c, "http://g/?orgId=1", &err), -1);
	assert_int_equal(grafana_client_init(&c, "ftp://g/", &err), -1);
	grafana_client_release(&c);
	(void)state;
}

static void
test_read_secret_takes_the_first_line_trimmed(void **state)
{
	char path[] = "/tmp/mmops-secret-XXXXXX";
	int fd = mkstemp(path);
	struct mm_err err;
	char *s;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "glsa_abc \t\r\nsecond\n", 19), 19);
	close(fd);
	s = grafana_read_secret(path, &err);
	assert_non_null(s);
	assert_string_equal(s, "glsa_abc");
	free(s);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "\n\n", 2), 2);
	close(fd);
	assert_null(grafana_read_secret(path, &err));
	assert_int_equal(err.code, MM_E_CONFIG);
	unlink(path);
	assert_null(grafana_read_secret(path, &err));
	assert_int_equal(err.code, MM_E_IO);
	(void)state;
}

/* ---- the client against a stub ------------------------------------------ */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char last_body[8192], last_auth[256], last_path[512];
static int searches;

static void
stub(const struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
	const char *page = httpd_req_query(req, "page");

	(void)ctx;
	pthread_mutex_lock(&mu);
	snprintf(last_body, sizeof(last_body), "%.*s", (int)req->body_len, req->body);
	snprintf(last_auth, sizeof(last_auth), "%s", req->authorization ? req->authorization : "");
	snprintf(last_path, sizeof(last_path), "%s", req->path);
	if (strcmp(req->path, "/api/search") == 0)
		searches++;
	pthread_mutex_unlock(&mu);
	resp->content_type = "application/json";
	if (strcmp(req->path, "/api/health") == 0) {
		buf_adds(&resp->body,
			 "{\"commit\":\"x\",\"database\":\"ok\",\"version\":\"10.4.0\"}");
	} else if (strcmp(req->path, "/api/dashboards/uid/known") == 0) {
		buf_adds(
		    &resp->body,
		    "{\"dashboard\":{\"id\":3,\"uid\":\"known\",\"version\":5,\"title\":\"K\"},"
		    "\"meta\":{\"folderUid\":\"ops\"}}");
	} else if (strncmp(req->path, "/api/dashboards/uid/", 20) == 0) {
		resp->status = 404;
		buf_adds(&resp->body, "{\"message\":\"Dashboard not found\"}");
	} else if (strcmp(req->path, "/api/dashboards/db") == 0) {
		if (strstr(req->body, "\"version\":5")) {
			buf_adds(&resp->body, "{\"status\":\"success\",\"version\":6,\"uid\":"
					      "\"known\",\"url\":\"/d/known/k\"}");
		} else {
			resp->status = 412;
			buf_adds(&resp->body,
				 "{\"message\":\"The dashboard has been changed by someone else\","
				 "\"status\":\"version-mismatch\"}");
		}
	} else if (strcmp(req->path, "/api/search") == 0) {
		/* pages of 2: a, b | b (shifted), c | (empty) */
		if (!page || strcmp(page, "1") == 0)
			buf_adds(&resp->body,
				 "[{\"uid\":\"a\",\"title\":\"A\",\"type\":\"dash-db\"},"
				 "{\"uid\":\"b\",\"title\":\"B\",\"type\":\"dash-db\","
				 "\"folderUid\":\"f\"}]");
		else if (strcmp(page, "2") == 0)
			buf_adds(&resp->body,
				 "[{\"uid\":\"b\",\"title\":\"B\",\"type\":\"dash-db\"},"
				 "{\"uid\":\"c\",\"title\":\"C\",\"type\":\"dash-db\"}]");
		else
			buf_adds(&resp->body, "[]");
	} else if (strcmp(req->path, "/broken/api/health") == 0) {
		resp->status = 502;
		resp->content_type = "text/html";
		buf_adds(&resp->body, "<html>bad gateway</html>\nmore");
	}
}

static struct httpd *srv;
static int port;

static int
setup(void **state)
{
	srv = helper_stub_start(stub, NULL, &port);
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
client(struct grafana_client *c, const char *prefix)
{
	char *u = xasprintf("http://127.0.0.1:%d%s", port, prefix);
	struct mm_err err;

	assert_int_equal(grafana_client_init(c, u, &err), 0);
	assert_int_equal(grafana_client_set_token(c, "tok", &err), 0);
	free(u);
}

static void
test_health_get_and_404(void **state)
{
	struct grafana_client c;
	struct grafana_status st;
	struct mm_err err;
	char *v = NULL;
	json_t *j;

	client(&c, "");
	assert_int_equal(grafana_health(&c, &v, &st, &err), 0);
	assert_string_equal(v, "10.4.0");
	free(v);
	j = grafana_get_dashboard(&c, "known", &st, &err);
	assert_non_null(j);
	assert_string_equal(last_auth, "Bearer tok");
	json_decref(j);
	assert_null(grafana_get_dashboard(&c, "a b/c", &st, &err));
	assert_int_equal(st.status, 404);
	assert_string_equal(st.message, "Dashboard not found");
	assert_string_equal(last_path, "/api/dashboards/uid/a b/c"); /* sent as a%20b%2Fc */
	assert_non_null(strstr(err.msg, "a%20b%2Fc"));
	assert_non_null(
	    strstr(err.msg, "dashboard 'a b/c' not found (404 Not Found: Dashboard not found)"));
	grafana_client_release(&c);
	(void)state;
}

static void
test_a_proxy_error_page_gives_its_first_line(void **state)
{
	struct grafana_client c;
	struct grafana_status st;
	struct mm_err err;

	client(&c, "/broken");
	assert_int_equal(grafana_health(&c, NULL, &st, &err), -1);
	assert_int_equal(st.status, 502);
	assert_int_equal(err.code, MM_E_NET);
	assert_non_null(
	    strstr(err.msg, "Grafana failed (502 Bad Gateway: <html>bad gateway</html>)"));
	grafana_client_release(&c);
	(void)state;
}

static void
test_search_pages_until_short_and_keeps_each_uid_once(void **state)
{
	struct grafana_client c;
	struct grafana_status st;
	struct grafana_hit *h;
	struct mm_err err;
	size_t n;

	client(&c, "");
	searches = 0;
	assert_int_equal(grafana_search(&c, 2, &h, &n, &st, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(h[0].uid, "a");
	assert_string_equal(h[1].uid, "b");
	assert_string_equal(h[1].folder_uid, "f");
	assert_string_equal(h[2].uid, "c");
	assert_int_equal(searches, 3);
	grafana_hits_free(h, n);
	grafana_client_release(&c);
	(void)state;
}

static void
test_save_sends_id_null_folder_and_base_version(void **state)
{
	struct grafana_client c;
	struct grafana_status st;
	struct grafana_save sv = {0};
	struct mm_err err;
	json_t *d = json_pack("{s:i, s:s, s:s, s:i}", "id", 9, "uid", "known", "title", "K",
			      "iteration", 1);
	json_t *ans, *sent;
	char *body = NULL;

	client(&c, "");
	sv.dashboard = d;
	sv.folder_uid = "ops";
	sv.message = "m";
	sv.version = 5;
	ans = grafana_save_dashboard(&c, &sv, &body, &st, &err);
	assert_non_null(ans);
	assert_int_equal(json_integer_value(json_object_get(ans, "version")), 6);
	sent = json_loads(last_body, 0, NULL);
	assert_true(json_is_null(json_object_get(json_object_get(sent, "dashboard"), "id")));
	assert_null(json_object_get(json_object_get(sent, "dashboard"), "iteration"));
	assert_string_equal(jsontree_str(sent, "folderUid", "?"), "ops");
	assert_string_equal(jsontree_str(sent, "message", "?"), "m");
	assert_false(jsontree_bool(sent, "overwrite", 1));
	assert_string_equal(body, last_body);
	assert_int_equal(json_integer_value(json_object_get(d, "id")), 9); /* the caller's copy */
	json_decref(sent);
	json_decref(ans);
	free(body);

	sv.version = 4;
	assert_null(grafana_save_dashboard(&c, &sv, NULL, &st, &err));
	assert_int_equal(st.status, 412);
	assert_string_equal(st.gstatus, "version-mismatch");
	assert_non_null(strstr(err.msg, "changed on the server"));
	sv.version = -1; /* a new dashboard: no version at all */
	assert_null(grafana_save_dashboard(&c, &sv, NULL, &st, &err));
	assert_null(strstr(last_body, "\"version\""));
	json_decref(d);
	grafana_client_release(&c);
	(void)state;
}

/* ---- lint ----------------------------------------------------------------- */

static void
test_lint_positions_follow_the_pointer(void **state)
{
	const char *text = "{\n"
			   "  \"title\": \"\",\n"
			   "  \"uid\": \"ok\", \"schemaVersion\": 37,\n"
			   "  \"panels\": [\n"
			   "    {\"id\": 1, \"type\": \"text\", \"gridPos\": {\"x\": 0, \"y\": 0, "
			   "\"w\": 24, \"h\": 2}},\n"
			   "    {\"id\": 1, \"type\": \"text\",\n"
			   "     \"gridPos\": {\"x\": 20, \"y\": 1, \"w\": 4, \"h\": 2}}\n"
			   "  ]\n"
			   "}\n";
	struct grafana_lint l;
	struct mm_err err;
	size_t i;
	int seen = 0;

	assert_int_equal(grafana_lint_text(text, strlen(text), "d.json", NULL, &l, &err), 0);
	assert_int_equal(l.count, 3);
	for (i = 0; i < l.n; i++) {
		const struct grafana_problem *p = &l.v[i];

		if (strcmp(p->pointer, "/title") == 0) {
			assert_int_equal(p->line, 2);
			assert_int_equal(p->col, 12);
			seen |= 1;
		} else if (strcmp(p->pointer, "/panels/1/id") == 0) {
			assert_int_equal(p->line, 6);
			assert_int_equal(p->col, 12);
			seen |= 2;
		} else if (strcmp(p->pointer, "/panels/1/gridPos") == 0) {
			assert_int_equal(p->line, 7);
			assert_int_equal(p->col, 17);
			assert_non_null(strstr(p->msg, "overlaps /panels/0"));
			seen |= 4;
		}
	}
	assert_int_equal(seen, 7);
	grafana_lint_release(&l);
	assert_int_equal(grafana_lint_text("{\"a\":", 5, "x.json", NULL, &l, &err), -1);
	assert_int_equal(err.code, MM_E_PARSE);
	assert_string_equal(err.file, "x.json");
	grafana_lint_release(&l);
	(void)state;
}

static void
test_lint_contract_and_gates_from_the_built_in_file(void **state)
{
	const char *text =
	    "{\"title\":\"t\",\"uid\":\"u\",\"schemaVersion\":37,"
	    "\"templating\":{\"list\":[{\"name\":\"ds\",\"type\":\"datasource\"}]},"
	    "\"panels\":[{\"id\":1,\"type\":\"timeseries\",\"gridPos\":{\"x\":0,\"y\":0,\"w\":24,"
	    "\"h\":8},"
	    "\"datasource\":\"$ds\","
	    "\"fieldConfig\":{\"defaults\":{\"unit\":\"s\",\"thresholds\":{\"steps\":[{\"value\":"
	    "null},{\"value\":0.2}]}}},"
	    "\"targets\":[{\"refId\":\"A\",\"expr\":\"mm_ws_lag_max_seconds  *  1000\"},"
	    "{\"refId\":\"B\",\"expr\":\"rate(mm_ws_lag_seconds_count[5m]) + "
	    "mm_ws_lag_seconds_total + mm_hit_ratio_sum\"}]}]}";
	struct gate_config *g = gates_load_default(NULL);
	struct grafana_lint l;
	struct mm_err err;
	char all[4096] = "";
	size_t i;

	assert_non_null(g);
	assert_int_equal(grafana_lint_text(text, strlen(text), "d.json", g, &l, &err), 0);
	for (i = 0; i < l.n; i++)
		snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s: %s\n", l.v[i].pointer,
			 l.v[i].msg);
	/* 200 ms is 0.2 s: the ws_lag step is right; _count of a histogram is in the
	 * contract, _total of a histogram and _sum of a gauge are not. */
	assert_int_equal(l.count, 2);
	assert_non_null(strstr(all, "metric 'mm_ws_lag_seconds_total' is not in"));
	assert_non_null(strstr(all, "metric 'mm_hit_ratio_sum' is not in"));
	grafana_lint_release(&l);
	gates_free(g);
	(void)state;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_expr_metrics_skip_functions_labels_keywords_and_variables),
	    cmocka_unit_test(test_uid_rule_is_grafanas),
	    cmocka_unit_test(test_normalize_drops_churn_only_and_copies),
	    cmocka_unit_test(test_client_url_and_credentials),
	    cmocka_unit_test(test_read_secret_takes_the_first_line_trimmed),
	    cmocka_unit_test(test_health_get_and_404),
	    cmocka_unit_test(test_a_proxy_error_page_gives_its_first_line),
	    cmocka_unit_test(test_search_pages_until_short_and_keeps_each_uid_once),
	    cmocka_unit_test(test_save_sends_id_null_folder_and_base_version),
	    cmocka_unit_test(test_lint_positions_follow_the_pointer),
	    cmocka_unit_test(test_lint_contract_and_gates_from_the_built_in_file),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
