/*
 * test_actions.c - the executor against a real HTTP server on 127.0.0.1
 * (lib/httpd) and real commands: order, rendered bodies and headers,
 * retries on 5xx and transport errors but not on 4xx, timeouts, skipped
 * actions, dry-run plans with secrets masked, argv without a shell, and
 * stopping early for shutdown.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "actions.h"
#include "buf.h"
#include "helpers.h"
#include "http.h"
#include "httpd.h"
#include "jsontree.h"
#include "xalloc.h"

#define MAX_SEEN 64

struct stub {
	pthread_mutex_t mu;
	struct httpd *h;
	int port;
	int n;
	char path[MAX_SEEN][64];
	char body[MAX_SEEN][512];
	char auth[MAX_SEEN][64];
	int flaky_left; /* /flaky answers 503 this many more times */
};

static void
stub_handler(const struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
	struct stub *s = ctx;
	int status = 200;

	pthread_mutex_lock(&s->mu);
	if (s->n < MAX_SEEN) {
		snprintf(s->path[s->n], sizeof(s->path[0]), "%s %s", req->method, req->path);
		snprintf(s->body[s->n], sizeof(s->body[0]), "%s", req->body);
		snprintf(s->auth[s->n], sizeof(s->auth[0]), "%s",
			 req->authorization ? req->authorization : "");
		s->n++;
	}
	if (strcmp(req->path, "/flaky") == 0 && s->flaky_left > 0) {
		s->flaky_left--;
		status = 503;
	}
	pthread_mutex_unlock(&s->mu);
	if (strcmp(req->path, "/bad") == 0)
		status = 400;
	if (strcmp(req->path, "/slow") == 0) {
		struct timespec ts = {1, 500000000L};

		nanosleep(&ts, NULL);
	}
	httpd_resp_text(resp, status, status == 200 ? "ok" : "nope\x01");
}

static struct stub *stub;

static int
group_setup(void **state)
{
	(void)state;
	http_global_init();
	stub = xcalloc(1, sizeof(*stub));
	pthread_mutex_init(&stub->mu, NULL);
	stub->h = helper_stub_start(stub_handler, stub, &stub->port);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	httpd_stop(stub->h);
	pthread_mutex_destroy(&stub->mu);
	free(stub);
	return 0;
}

static int
reset(void **state)
{
	(void)state;
	pthread_mutex_lock(&stub->mu);
	stub->n = 0;
	stub->flaky_left = 0;
	pthread_mutex_unlock(&stub->mu);
	return 0;
}

static struct policy *
load(const char *fmt)
{
	struct buf b = BUF_INIT(1 << 16);
	struct mm_err err;
	struct policy *p;

	/* every %d in fmt is the stub's port */
	buf_addf(&b, fmt, stub->port, stub->port, stub->port, stub->port, stub->port, stub->port);
	p = policy_loadb(b.data, b.len, "a.yaml", &err);
	if (!p)
		fail_msg("%s:%lu:%lu: %s\n%s", err.file, err.line, err.col, err.msg, b.data);
	buf_release(&b);
	return p;
}

struct fixture_alert {
	struct alert_label lab[2];
	struct alert a;
	struct tpl_ctx c;
};

static void
mk_ctx(struct fixture_alert *f, const char *name, enum decision_kind k)
{
	memset(f, 0, sizeof(*f));
	f->lab[0].name = (char *)"alertname";
	f->lab[0].value = (char *)name;
	f->lab[1].name = (char *)"severity";
	f->lab[1].value = (char *)"critical";
	f->a.labels.v = f->lab;
	f->a.labels.n = 2;
	f->a.starts_at = (char *)"2025-10-11T10:00:00Z";
	f->a.ends_at = f->a.generator_url = (char *)"";
	f->a.fingerprint = (char *)"ee622b2e520ab31e";
	f->c.alert = &f->a;
	f->c.decision = decision_name(k);
	f->c.gate = k == DECISION_ROLLBACK ? "hard" : "soft";
	f->c.rollback_id = k == DECISION_ROLLBACK ? 3 : 0;
	f->c.receiver = "r";
	f->c.external_url = "";
	f->c.group_key = "";
}

static const char seed_like[] =
    "variables:\n"
    "  base: {value: 'http://127.0.0.1:%d'}\n"
    "  token: {value: t0ken, secret: true}\n"
    "  empty: {value: ''}\n"
    "hard:\n"
    "  alertnames: [HardA]\n"
    "actions:\n"
    "  - name: scale\n"
    "    http:\n"
    "      url: '${base}/admin/scale'\n"
    "      headers: {Authorization: 'Bearer ${token}'}\n"
    "      body: '{\"replicas\": 0, \"why\": \"{{alertname}} #{{rollback_id}}\"}'\n"
    "  - name: breaker\n"
    "    http: {url: '${base}/admin/breaker', body: '{\"open\": true}'}\n"
    "  - name: freeze\n"
    "    http: {url: '${base}/admin/freeze', body: '{\"frozen\": true}'}\n"
    "  - name: page\n"
    "    on: [rollback, notify]\n"
    "    requires: [empty]\n"
    "    http: {url: '${base}/page'}\n"
    "  - name: notify\n"
    "    on: [rollback, notify]\n"
    "    http: {url: '${base}/notify', body: '{\"text\": \"{{decision}} {{labels.severity}}\"}'}\n";

static void
test_rollback_runs_actions_in_order_once(void **state)
{
	struct policy *p = load(seed_like);
	struct fixture_alert f;
	json_t *res;

	(void)state;
	mk_ctx(&f, "Hard\"A", DECISION_ROLLBACK);
	res = actions_run(p, DECISION_ROLLBACK, &f.c, NULL);
	assert_non_null(res);
	assert_int_equal(json_array_size(res), 5);
	assert_int_equal(stub->n, 4);
	assert_string_equal(stub->path[0], "POST /admin/scale");
	assert_string_equal(stub->path[1], "POST /admin/breaker");
	assert_string_equal(stub->path[2], "POST /admin/freeze");
	assert_string_equal(stub->path[3], "POST /notify");
	assert_string_equal(stub->body[0], "{\"replicas\": 0, \"why\": \"Hard\\\"A #3\"}");
	assert_string_equal(stub->auth[0], "Bearer t0ken");
	assert_string_equal(stub->body[3], "{\"text\": \"rollback critical\"}");
	assert_string_equal(jsontree_str(json_array_get(res, 0), "result", ""), "ok");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(res, 0), "http_status")),
			 200);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(res, 0), "attempts")),
			 1);
	assert_string_equal(jsontree_str(json_array_get(res, 3), "result", ""), "skipped");
	assert_string_equal(jsontree_str(json_array_get(res, 3), "reason", ""),
			    "variable 'empty' is empty");
	/* the secret never shows in a result */
	assert_null(strstr(jsontree_str(json_array_get(res, 0), "target", ""), "t0ken"));
	json_decref(res);
	policy_free(p);
}

static void
test_notify_runs_only_notify_actions(void **state)
{
	struct policy *p = load(seed_like);
	struct fixture_alert f;
	json_t *res;

	(void)state;
	mk_ctx(&f, "SoftC", DECISION_NOTIFY);
	res = actions_run(p, DECISION_NOTIFY, &f.c, NULL);
	assert_int_equal(json_array_size(res), 2);
	assert_int_equal(stub->n, 1);
	assert_string_equal(stub->path[0], "POST /notify");
	assert_string_equal(stub->body[0], "{\"text\": \"notify critical\"}");
	json_decref(res);
	policy_free(p);
}

static void
test_plan_runs_nothing_and_masks_secrets(void **state)
{
	struct policy *p = load(seed_like);
	struct fixture_alert f;
	json_t *plan, *a0;
	char *s;

	(void)state;
	mk_ctx(&f, "HardA", DECISION_ROLLBACK);
	plan = actions_plan(p, DECISION_ROLLBACK, &f.c, "planned");
	assert_int_equal(stub->n, 0);
	assert_int_equal(json_array_size(plan), 5);
	a0 = json_array_get(plan, 0);
	assert_string_equal(jsontree_str(a0, "status", ""), "planned");
	assert_string_equal(jsontree_str(a0, "method", ""), "POST");
	assert_string_equal(jsontree_str(a0, "body", ""),
			    "{\"replicas\": 0, \"why\": \"HardA #3\"}");
	assert_string_equal(jsontree_str(json_object_get(a0, "headers"), "Authorization", ""),
			    "Bearer ***");
	assert_string_equal(jsontree_str(json_array_get(plan, 3), "status", ""), "skipped");
	s = json_dumps(plan, 0);
	assert_null(strstr(s, "t0ken"));
	free(s);
	json_decref(plan);
	policy_free(p);
}

static void
test_retries_5xx_and_stops_on_success(void **state)
{
	struct policy *p = load("actions:\n  - name: f\n    retries: 3\n    retry_delay: 10ms\n"
				"    http: {url: 'http://127.0.0.1:%d/flaky'}\n");
	struct fixture_alert f;
	json_t *r;

	(void)state;
	stub->flaky_left = 2;
	mk_ctx(&f, "HardA", DECISION_ROLLBACK);
	r = actions_run_one(&p->actions[0], &f.c, NULL);
	assert_string_equal(jsontree_str(r, "result", ""), "ok");
	assert_int_equal(json_integer_value(json_object_get(r, "attempts")), 3);
	assert_int_equal(stub->n, 3);
	json_decref(r);
	policy_free(p);
}

static void
test_4xx_is_final_and_reported(void **state)
{
	struct policy *p = load("actions:\n  - name: b\n    retries: 3\n    retry_delay: 10ms\n"
				"    http: {url: 'http://127.0.0.1:%d/bad'}\n");
	struct fixture_alert f;
	json_t *r;

	(void)state;
	mk_ctx(&f, "HardA", DECISION_ROLLBACK);
	r = actions_run_one(&p->actions[0], &f.c, NULL);
	assert_string_equal(jsontree_str(r, "result", ""), "failed");
	assert_int_equal(json_integer_value(json_object_get(r, "attempts")), 1);
	assert_int_equal(json_integer_value(json_object_get(r, "http_status")), 400);
	/* the control byte of the answer is not copied into the report */
	assert_string_equal(jsontree_str(r, "error", ""), "HTTP 400: nope");
	json_decref(r);
	policy_free(p);
}

static void
test_transport_error_and_timeout_are_retried_then_fail(void **state)
{
	struct policy *p;
	struct fixture_alert f;
	json_t *r;

	(void)state;
	/* port 1 on 127.0.0.1: connection refused */
	p = load("actions:\n  - name: down\n    retries: 2\n    retry_delay: 10ms\n"
		 "    http: {url: 'http://127.0.0.1:1/x'}\n  - name: slow\n    timeout: 200ms\n"
		 "    http: {url: 'http://127.0.0.1:%d/slow'}\n");
	mk_ctx(&f, "HardA", DECISION_ROLLBACK);
	r = actions_run_one(&p->actions[0], &f.c, NULL);
	assert_string_equal(jsontree_str(r, "result", ""), "failed");
	assert_int_equal(json_integer_value(json_object_get(r, "attempts")), 3);
	assert_non_null(json_object_get(r, "error"));
	json_decref(r);
	r = actions_run_one(&p->actions[1], &f.c, NULL);
	assert_string_equal(jsontree_str(r, "result", ""), "failed");
	assert_null(json_object_get(r, "http_status"));
	json_decref(r);
	policy_free(p);
}

static void
test_command_gets_alert_values_as_argv_not_shell(void **state)
{
	char dir[] = "/tmp/mmops-actions-XXXXXX", *text, *out, *pwned;
	struct fixture_alert f;
	struct policy *p;
	struct buf b = BUF_INIT(4096);
	struct mm_err err;
	struct stat st;
	json_t *r;

	(void)state;
	assert_non_null(mkdtemp(dir));
	out = xasprintf("%s/out", dir);
	pwned = xasprintf("%s/pwned", dir);
	text = xasprintf(
	    "actions:\n  - name: c\n    command: [/bin/sh, -c, 'printf %%s \"$1\" > \"$2\"; "
	    "printf %%s \"$WHO\" >> \"$2\"', sh, '{{alertname}}', '%s']\n"
	    "    env: {WHO: '|{{labels.severity}}'}\n",
	    out);
	p = policy_loadb(text, strlen(text), "c.yaml", &err);
	assert_non_null(p);
	mk_ctx(&f, "$(touch PWNED); `touch PWNED`", DECISION_ROLLBACK);
	f.lab[0].value = xasprintf("$(touch %s); `touch %s`", pwned, pwned);
	r = actions_run_one(&p->actions[0], &f.c, NULL);
	assert_string_equal(jsontree_str(r, "result", ""), "ok");
	assert_int_equal(json_integer_value(json_object_get(r, "exit_code")), 0);
	assert_int_equal(buf_read_file(&b, out, &err), 0);
	assert_non_null(strstr(b.data, "$(touch "));
	assert_non_null(strstr(b.data, "|critical"));
	assert_int_equal(stat(pwned, &st), -1);
	json_decref(r);
	buf_release(&b);
	unlink(out);
	rmdir(dir);
	free(f.lab[0].value);
	free(out);
	free(pwned);
	free(text);
	policy_free(p);
}

static void
test_failing_command_is_retried_and_reports_stderr(void **state)
{
	static const char text[] = "actions:\n  - name: c\n    retries: 1\n    retry_delay: 10ms\n"
				   "    command: [/bin/sh, -c, 'echo broken >&2; exit 4']\n";
	struct fixture_alert f;
	struct mm_err err;
	struct policy *p = policy_loadb(text, strlen(text), "c.yaml", &err);
	json_t *r;

	(void)state;
	mk_ctx(&f, "HardA", DECISION_ROLLBACK);
	r = actions_run_one(&p->actions[0], &f.c, NULL);
	assert_string_equal(jsontree_str(r, "result", ""), "failed");
	assert_int_equal(json_integer_value(json_object_get(r, "attempts")), 2);
	assert_int_equal(json_integer_value(json_object_get(r, "exit_code")), 4);
	assert_string_equal(jsontree_str(r, "error", ""), "exit 4: broken");
	json_decref(r);
	policy_free(p);
}

static int
always_stopping(void *arg)
{
	(void)arg;
	return 1;
}

static void
test_stopping_leaves_the_job_unfinished(void **state)
{
	struct policy *p = load(seed_like);
	struct actions_env env = {NULL, always_stopping, NULL};
	struct fixture_alert f;

	(void)state;
	mk_ctx(&f, "HardA", DECISION_ROLLBACK);
	assert_null(actions_run(p, DECISION_ROLLBACK, &f.c, &env));
	assert_int_equal(stub->n, 0);
	policy_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_rollback_runs_actions_in_order_once, reset),
	    cmocka_unit_test_setup(test_notify_runs_only_notify_actions, reset),
	    cmocka_unit_test_setup(test_plan_runs_nothing_and_masks_secrets, reset),
	    cmocka_unit_test_setup(test_retries_5xx_and_stops_on_success, reset),
	    cmocka_unit_test_setup(test_4xx_is_final_and_reported, reset),
	    cmocka_unit_test_setup(test_transport_error_and_timeout_are_retried_then_fail, reset),
	    cmocka_unit_test_setup(test_command_gets_alert_values_as_argv_not_shell, reset),
	    cmocka_unit_test_setup(test_failing_command_is_retried_and_reports_stderr, reset),
	    cmocka_unit_test_setup(test_stopping_leaves_the_job_unfinished, reset),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
