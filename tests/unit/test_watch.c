/*
 * test_watch.c - the watcher service end to end over HTTP on 127.0.0.1: the
 * seed's cases (hard-gate detection, rollback execution, dry-run), the
 * answer not waiting for the actions, one rollback at a time, duplicate
 * deliveries, restarts (no repeat, unfinished rollbacks resumed), resolved
 * alerts, the refusals (401, 404, 405, 413, 415, 400), /status and /metrics.
 * The bot's admin API is a stub server recording every call.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "helpers.h"
#include "http.h"
#include "httpd.h"
#include "jsontree.h"
#include "decisions.h"
#include "watch.h"
#include "xalloc.h"

#define MAX_CALLS 64

struct admin {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct httpd *h;
	int port;
	int n;
	char calls[MAX_CALLS][64];
	char bodies[MAX_CALLS][256];
	int hold_scale;	   /* /admin/scale waits while this is set */
	int scale_waiting; /* a /admin/scale request is being held */
	int scale_done;
};

static struct admin *adm;

static void
admin_handler(const struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
	struct admin *a = ctx;

	pthread_mutex_lock(&a->mu);
	if (strcmp(req->path, "/admin/scale") == 0) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 20; /* a safety net: the test always releases sooner */
		a->scale_waiting = 1;
		pthread_cond_broadcast(&a->cv);
		while (a->hold_scale)
			if (pthread_cond_timedwait(&a->cv, &a->mu, &ts) != 0)
				break;
		a->scale_waiting = 0;
	}
	if (a->n < MAX_CALLS) {
		snprintf(a->calls[a->n], sizeof(a->calls[0]), "%s %s", req->method, req->path);
		snprintf(a->bodies[a->n], sizeof(a->bodies[0]), "%s", req->body);
		a->n++;
	}
	if (strcmp(req->path, "/admin/scale") == 0)
		a->scale_done++;
	pthread_mutex_unlock(&a->mu);
	httpd_resp_text(resp, 200, "ok");
}

static int
group_setup(void **state)
{
	(void)state;
	http_global_init();
	adm = xcalloc(1, sizeof(*adm));
	pthread_mutex_init(&adm->mu, NULL);
	pthread_cond_init(&adm->cv, NULL);
	adm->h = helper_stub_start(admin_handler, adm, &adm->port);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	httpd_stop(adm->h);
	free(adm);
	return 0;
}

struct fx {
	char dir[64];
	char *state_dir;
	struct policy *pol;
	struct watch *w;
	int port;
};

static struct policy *
seed_policy(double cooldown)
{
	char *text = xasprintf(
	    "cooldown: %gs\n"
	    "variables:\n"
	    "  admin: {value: 'http://127.0.0.1:%d'}\n"
	    "hard:\n"
	    "  alertnames: [SoakLatencyP95High, SoakDeadlineMissRate, SoakEdgeDegradation,\n"
	    "               SoakMDCacheHitRatio, SoakCircuitBreakerOpen, SoakGuardTrip]\n"
	    "  matchers: ['gate=\"hard\"']\n"
	    "soft:\n"
	    "  alertnames: [SoakMakerTakerImbalance, SoakWSLagHigh]\n"
	    "actions:\n"
	    "  - name: scale_strategy_to_zero\n"
	    "    http: {url: '${admin}/admin/scale', body: '{\"replicas\": 0}'}\n"
	    "  - name: open_circuit_breaker\n"
	    "    http: {url: '${admin}/admin/breaker', body: '{\"open\": true}'}\n"
	    "  - name: freeze_order_placements\n"
	    "    http: {url: '${admin}/admin/freeze', body: '{\"frozen\": true}'}\n"
	    "  - name: notify\n"
	    "    on: [rollback, notify]\n"
	    "    http: {url: '${admin}/notify', body: '{\"text\": \"{{decision}} "
	    "{{alertname}}\"}'}\n",
	    cooldown, adm->port);
	struct mm_err err;
	struct policy *p = policy_loadb(text, strlen(text), "seed.yaml", &err);

	if (!p)
		fail_msg("%s:%lu:%lu: %s", err.file, err.line, err.col, err.msg);
	free(text);
	return p;
}

static void
start(struct fx *f, int dry_run, const char *bearer, const char *basic)
{
	struct watch_config c;
	struct mm_err err;

	memset(&c, 0, sizeof(c));
	c.listen = "127.0.0.1:0";
	c.policy = f->pol;
	c.dry_run = dry_run;
	c.state_dir = f->state_dir;
	c.bearer_token = bearer;
	c.basic_auth = basic;
	f->w = watch_start(&c, &err);
	if (!f->w)
		fail_msg("watch_start: %s", err.msg);
	f->port = watch_port(f->w);
}

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/mmops-watch-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->state_dir = xasprintf("%s/state", f->dir);
	f->pol = seed_policy(900);
	pthread_mutex_lock(&adm->mu);
	adm->n = 0;
	adm->scale_done = 0;
	adm->hold_scale = 0;
	pthread_mutex_unlock(&adm->mu);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	watch_stop(f->w);
	policy_free(f->pol);
	helper_rm_rf(f->dir);
	free(f->state_dir);
	free(f);
	return 0;
}

struct reply {
	long status;
	json_t *json;
	char text[512];
	char *www_auth;
};

static void
request(struct fx *f, const char *method, const char *path, const char *ctype, const char *body,
	size_t body_len, const char *auth, struct reply *r)
{
	struct http_header h[2];
	struct http_request rq;
	struct http_response rs;
	struct mm_err err;
	char *url = xasprintf("http://127.0.0.1:%d%s", f->port, path);
	size_t n = 0;

	if (ctype) {
		h[n].name = "Content-Type";
		h[n++].value = ctype;
	}
	if (auth) {
		h[n].name = "Authorization";
		h[n++].value = auth;
	}
	memset(&rq, 0, sizeof(rq));
	rq.method = method;
	rq.url = url;
	rq.headers = h;
	rq.nheaders = n;
	rq.body = body;
	rq.body_len = body_len;
	rq.timeout = 10;
	memset(r, 0, sizeof(*r));
	if (http_do(&rq, &rs, &err) < 0)
		fail_msg("%s %s: %s", method, url, err.msg);
	r->status = rs.status;
	snprintf(r->text, sizeof(r->text), "%s", rs.body.data ? rs.body.data : "");
	if (rs.content_type && strncmp(rs.content_type, "application/json", 16) == 0)
		r->json = json_loadb(rs.body.data, rs.body.len, 0, NULL);
	http_response_release(&rs);
	free(url);
}

static void
hook(struct fx *f, const char *body, const char *auth, struct reply *r)
{
	request(f, "POST", "/alert-hook", "application/json", body, strlen(body), auth, r);
}

/* The decision of alert i in a hook answer. */
static const char *
decision(const struct reply *r, size_t i)
{
	return jsontree_str(json_array_get(json_object_get(r->json, "alerts"), i), "decision", "?");
}

static char *
payload(const char *status, const char *name, const char *fp, const char *starts)
{
	return xasprintf(
	    "{\"version\":\"4\",\"status\":\"%s\",\"receiver\":\"mmops\",\"groupKey\":\"g\","
	    "\"alerts\":[{\"status\":\"%s\",\"labels\":{\"alertname\":\"%s\",\"gate\":\"hard\"},"
	    "\"annotations\":{},\"startsAt\":\"%s\",\"endsAt\":\"0001-01-01T00:00:00Z\","
	    "\"fingerprint\":\"%s\"}]}",
	    status, status, name, starts, fp);
}

static int
admin_calls(void)
{
	int n;

	pthread_mutex_lock(&adm->mu);
	n = adm->n;
	pthread_mutex_unlock(&adm->mu);
	return n;
}

static void
test_seed_hard_gate_rolls_back_exactly_once(void **state)
{
	struct fx *f = *state;
	char *body =
	    payload("firing", "SoakLatencyP95High", "ee622b2e520ab31e", "2025-10-11T10:00:00Z");
	struct reply r;
	json_t *a0, *acts;

	start(f, 0, NULL, NULL);
	hook(f, body, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(decision(&r, 0), "rollback");
	a0 = json_array_get(json_object_get(r.json, "alerts"), 0);
	assert_int_equal(json_integer_value(json_object_get(a0, "rollback_id")), 1);
	acts = json_object_get(a0, "actions");
	assert_int_equal(json_array_size(acts), 4);
	assert_string_equal(jsontree_str(json_array_get(acts, 0), "status", ""), "queued");
	assert_false(json_is_true(json_object_get(r.json, "dry_run")));
	json_decref(r.json);
	/* a retry and a second Alertmanager deliver the same alert */
	hook(f, body, NULL, &r);
	assert_string_equal(decision(&r, 0), "duplicate");
	json_decref(r.json);
	hook(f, body, NULL, &r);
	assert_string_equal(decision(&r, 0), "duplicate");
	json_decref(r.json);
	assert_int_equal(watch_wait_idle(f->w, 20), 0);
	assert_int_equal(admin_calls(), 4);
	assert_string_equal(adm->calls[0], "POST /admin/scale");
	assert_string_equal(adm->calls[1], "POST /admin/breaker");
	assert_string_equal(adm->calls[2], "POST /admin/freeze");
	assert_string_equal(adm->calls[3], "POST /notify");
	assert_string_equal(adm->bodies[0], "{\"replicas\": 0}");
	assert_string_equal(adm->bodies[3], "{\"text\": \"rollback SoakLatencyP95High\"}");
	free(body);
}

static void
test_decides_each_alert_on_its_own_labels(void **state)
{
	struct fx *f = *state;
	/* group status "resolved", but one alert in it is firing and hard */
	static const char body[] =
	    "{\"status\":\"resolved\",\"commonLabels\":{\"gate\":\"soft\"},\"alerts\":["
	    "{\"status\":\"resolved\",\"labels\":{\"alertname\":\"SoakWSLagHigh\"},\"fingerprint\":"
	    "\"1\"},"
	    "{\"status\":\"firing\",\"labels\":{\"alertname\":\"SoakWSLagHigh\"},\"fingerprint\":"
	    "\"2\"},"
	    "{\"status\":\"firing\",\"labels\":{\"alertname\":\"Anything\",\"gate\":\"hard\"},"
	    "\"fingerprint\":\"3\"},"
	    "{\"status\":\"firing\",\"labels\":{\"alertname\":\"Watchdog\"},\"fingerprint\":\"4\"}]"
	    "}";
	struct reply r;

	start(f, 0, NULL, NULL);
	hook(f, body, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(decision(&r, 0), "ignored");
	assert_string_equal(decision(&r, 1), "notify");
	assert_string_equal(decision(&r, 2), "rollback");
	assert_string_equal(decision(&r, 3), "ignored");
	assert_int_equal(json_integer_value(json_object_get(r.json, "received")), 4);
	json_decref(r.json);
	assert_int_equal(watch_wait_idle(f->w, 20), 0);
	/* the notification and the rollback's four actions */
	assert_int_equal(admin_calls(), 5);
}

static void
test_dry_run_reports_and_runs_nothing(void **state)
{
	struct fx *f = *state;
	char *body = payload("firing", "SoakGuardTrip", "abc", "2025-10-11T10:00:00Z");
	struct reply r;
	json_t *acts;

	start(f, 1, NULL, NULL);
	hook(f, body, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_true(json_is_true(json_object_get(r.json, "dry_run")));
	assert_string_equal(decision(&r, 0), "rollback");
	acts = json_object_get(json_array_get(json_object_get(r.json, "alerts"), 0), "actions");
	assert_int_equal(json_array_size(acts), 4);
	assert_string_equal(jsontree_str(json_array_get(acts, 0), "status", ""), "planned");
	assert_non_null(strstr(jsontree_str(json_array_get(acts, 0), "url", ""), "/admin/scale"));
	assert_string_equal(jsontree_str(json_array_get(acts, 0), "body", ""), "{\"replicas\": 0}");
	assert_non_null(strstr(jsontree_str(json_array_get(acts, 1), "url", ""), "/admin/breaker"));
	json_decref(r.json);
	assert_int_equal(watch_wait_idle(f->w, 5), 0);
	assert_int_equal(admin_calls(), 0);
	/* nothing written to the state dir */
	assert_int_equal(access(f->state_dir, F_OK), -1);
	free(body);
}

static void
test_answer_does_not_wait_for_actions_and_one_rollback_at_a_time(void **state)
{
	struct fx *f = *state;
	char *b1 = payload("firing", "SoakLatencyP95High", "f1", "2025-10-11T10:00:00Z");
	char *b2 = payload("firing", "SoakGuardTrip", "f2", "2025-10-11T10:00:00Z");
	struct reply r;
	struct timespec ts;

	policy_free(f->pol);
	f->pol = seed_policy(0); /* no cooldown: only "in progress" can hold the second */
	pthread_mutex_lock(&adm->mu);
	adm->hold_scale = 1;
	pthread_mutex_unlock(&adm->mu);
	start(f, 0, NULL, NULL);
	hook(f, b1, NULL, &r);
	assert_string_equal(decision(&r, 0), "rollback");
	json_decref(r.json);
	/* the worker is now inside /admin/scale, held by the stub */
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 20;
	pthread_mutex_lock(&adm->mu);
	while (!adm->scale_waiting)
		assert_int_equal(pthread_cond_timedwait(&adm->cv, &adm->mu, &ts), 0);
	assert_int_equal(adm->scale_done, 0);
	pthread_mutex_unlock(&adm->mu);
	/* a request answered while the action is held cannot be waiting for it */
	hook(f, b2, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(decision(&r, 0), "cooldown");
	assert_non_null(
	    strstr(jsontree_str(json_array_get(json_object_get(r.json, "alerts"), 0), "reason", ""),
		   "rollback 1 is in progress"));
	json_decref(r.json);
	pthread_mutex_lock(&adm->mu);
	assert_int_equal(adm->scale_done, 0);
	adm->hold_scale = 0;
	pthread_cond_broadcast(&adm->cv);
	pthread_mutex_unlock(&adm->mu);
	assert_int_equal(watch_wait_idle(f->w, 20), 0);
	assert_int_equal(adm->scale_done, 1);
	assert_int_equal(admin_calls(), 4);
	free(b1);
	free(b2);
}

static void
test_restart_neither_repeats_nor_forgets(void **state)
{
	struct fx *f = *state;
	char *b1 = payload("firing", "SoakEdgeDegradation", "e1", "2025-10-11T10:00:00Z");
	char *b2 = payload("firing", "SoakGuardTrip", "e2", "2025-10-11T10:05:00Z");
	struct reply r;
	json_t *st;

	start(f, 0, NULL, NULL);
	hook(f, b1, NULL, &r);
	assert_string_equal(decision(&r, 0), "rollback");
	json_decref(r.json);
	assert_int_equal(watch_wait_idle(f->w, 20), 0);
	watch_stop(f->w);
	f->w = NULL;
	start(f, 0, NULL, NULL);
	hook(f, b1, NULL, &r);
	assert_string_equal(decision(&r, 0), "duplicate");
	json_decref(r.json);
	hook(f, b2, NULL, &r);
	assert_string_equal(decision(&r, 0), "cooldown");
	json_decref(r.json);
	request(f, "GET", "/status", NULL, NULL, 0, NULL, &r);
	st = r.json;
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(st, "last_rollback"), "id")), 1);
	assert_true(json_number_value(json_object_get(st, "cooldown_remaining_seconds")) > 0);
	assert_true(json_array_size(json_object_get(st, "recent_decisions")) >= 2);
	json_decref(st);
	assert_int_equal(watch_wait_idle(f->w, 20), 0);
	assert_int_equal(admin_calls(), 4);
	free(b1);
	free(b2);
}

static void
test_unfinished_rollback_is_resumed_at_start(void **state)
{
	struct fx *f = *state;
	char *body = payload("firing", "SoakCircuitBreakerOpen", "r1", "2025-10-11T10:00:00Z");
	struct decisions_opts o;
	struct decisions_verdict v;
	struct alert_payload p;
	struct mm_err err;
	struct decisions *l;
	uint64_t seq;

	/* a watcher that decided and died before its actions finished */
	memset(&o, 0, sizeof(o));
	o.state_dir = f->state_dir;
	assert_non_null(l = decisions_open(&o, 1760000000, &err));
	assert_int_equal(alert_payload_decode(body, strlen(body), &p, &err), 0);
	assert_int_equal(decisions_decide(l, f->pol, &p, 1760000000, 0, &v, &seq, &err), 0);
	assert_int_equal(decisions_commit(l, seq, &err), 0);
	assert_int_equal(v.kind, DECISION_ROLLBACK);
	decisions_job_free(v.job);
	decisions_close(l, 1760000001);
	alert_payload_release(&p);
	start(f, 0, NULL, NULL);
	assert_int_equal(watch_wait_idle(f->w, 20), 0);
	assert_int_equal(admin_calls(), 4);
	assert_string_equal(adm->calls[0], "POST /admin/scale");
	free(body);
}

static void
test_resolved_never_undoes_a_rollback(void **state)
{
	struct fx *f = *state;
	char *fire = payload("firing", "SoakLatencyP95High", "x1", "2025-10-11T10:00:00Z");
	char *res = payload("resolved", "SoakLatencyP95High", "x1", "2025-10-11T10:00:00Z");
	struct reply r;

	start(f, 0, NULL, NULL);
	hook(f, fire, NULL, &r);
	json_decref(r.json);
	hook(f, res, NULL, &r);
	assert_string_equal(decision(&r, 0), "ignored");
	assert_null(
	    json_object_get(json_array_get(json_object_get(r.json, "alerts"), 0), "actions"));
	json_decref(r.json);
	assert_int_equal(watch_wait_idle(f->w, 20), 0);
	assert_int_equal(admin_calls(), 4);
	free(fire);
	free(res);
}

static void
test_refusals(void **state)
{
	struct fx *f = *state;
	struct buf big = BUF_INIT((size_t)2 << 20);
	struct reply r;
	size_t i;

	start(f, 0, NULL, NULL);
	request(f, "GET", "/alert-hook", NULL, NULL, 0, NULL, &r);
	assert_int_equal(r.status, 405);
	request(f, "PUT", "/alert-hook", "application/json", "{}", 2, NULL, &r);
	assert_int_equal(r.status, 405);
	request(f, "POST", "/alert-hook", "text/plain", "{\"alerts\":[]}", 13, NULL, &r);
	assert_int_equal(r.status, 415);
	request(f, "POST", "/alert-hook", NULL, "{\"alerts\":[]}", 13, NULL, &r);
	assert_int_equal(r.status, 415);
	request(f, "POST", "/alert-hook", "application/json; charset=utf-8", "{\"alerts\":[]}", 13,
		NULL, &r);
	assert_int_equal(r.status, 200);
	json_decref(r.json);
	request(f, "POST", "/alert-hook", "application/json", "{\"alerts\": [", 12, NULL, &r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(jsontree_str(r.json, "error", ""), "body:1:"));
	json_decref(r.json);
	request(f, "POST", "/alert-hook", "application/json", "{\"alerts\": [{\"status\": 1}]}", 27,
		NULL, &r);
	assert_int_equal(r.status, 400);
	assert_string_equal(jsontree_str(r.json, "error", ""),
			    "alerts[0].status: expected a string, got a number");
	json_decref(r.json);
	buf_adds(&big, "{\"alerts\":[],\"x\":\"");
	for (i = 0; i < ((size_t)1 << 20); i++)
		buf_addc(&big, 'a');
	buf_adds(&big, "\"}");
	request(f, "POST", "/alert-hook", "application/json", big.data, big.len, NULL, &r);
	assert_int_equal(r.status, 413);
	buf_release(&big);
	request(f, "GET", "/nope", NULL, NULL, 0, NULL, &r);
	assert_int_equal(r.status, 404);
	request(f, "POST", "/health", "application/json", "{}", 2, NULL, &r);
	assert_int_equal(r.status, 405);
	request(f, "GET", "/health", NULL, NULL, 0, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.text, "ok\n");
}

static void
test_bearer_and_basic_auth(void **state)
{
	struct fx *f = *state;
	static const char body[] = "{\"alerts\":[]}";
	struct reply r;
	struct buf m = BUF_INIT(1 << 20);

	start(f, 0, "s3cret-token", NULL);
	hook(f, body, NULL, &r);
	assert_int_equal(r.status, 401);
	hook(f, body, "Bearer wrong", &r);
	assert_int_equal(r.status, 401);
	hook(f, body, "Bearer s3cret-token-longer", &r);
	assert_int_equal(r.status, 401);
	hook(f, body, "Basic czNjcmV0LXRva2Vu", &r);
	assert_int_equal(r.status, 401);
	hook(f, body, "Bearer s3cret-token", &r);
	assert_int_equal(r.status, 200);
	json_decref(r.json);
	hook(f, body, "bearer s3cret-token", &r);
	assert_int_equal(r.status, 200);
	json_decref(r.json);
	request(f, "GET", "/status", NULL, NULL, 0, NULL, &r);
	assert_int_equal(r.status, 401);
	request(f, "GET", "/health", NULL, NULL, 0, NULL, &r);
	assert_int_equal(r.status, 200);
	request(f, "GET", "/metrics", NULL, NULL, 0, NULL, &r);
	assert_int_equal(r.status, 200);
	watch_metrics(f->w, &m);
	assert_non_null(strstr(m.data, "mmops_watch_auth_failures_total 5\n"));
	buf_release(&m);
	watch_stop(f->w);

	/* basic: alertmanager:pa55 */
	start(f, 0, NULL, "alertmanager:pa55");
	hook(f, body, "Basic YWxlcnRtYW5hZ2VyOnBhNTU=", &r);
	assert_int_equal(r.status, 200);
	json_decref(r.json);
	hook(f, body, "Basic YWxlcnRtYW5hZ2VyOnBhNTY=", &r);
	assert_int_equal(r.status, 401);
	hook(f, body, "Bearer alertmanager:pa55", &r);
	assert_int_equal(r.status, 401);
}

static void
test_unwritable_audit_log_refuses_to_start(void **state)
{
	struct fx *f = *state;
	struct watch_config c;
	struct mm_err err;

	memset(&c, 0, sizeof(c));
	c.listen = "127.0.0.1:0";
	c.policy = f->pol;
	c.state_dir = f->state_dir;
	c.audit_path = "/dev/full"; /* every write fails with ENOSPC */
	assert_null(watch_start(&c, &err));
	assert_int_equal(err.code, MM_E_WRITE);
	assert_non_null(strstr(err.msg, "No space left on device"));
}

static void
test_undurable_decision_is_answered_500_and_runs_nothing(void **state)
{
	struct fx *f = *state;
	struct buf body = BUF_INIT(1 << 20);
	struct rlimit old, small;
	struct reply r;
	int i;

	start(f, 0, NULL, NULL);
	/* the journal record carries the whole alert: past the file size limit */
	buf_adds(&body, "{\"alerts\":[{\"status\":\"firing\",\"labels\":{\"alertname\":"
			"\"SoakGuardTrip\"},\"annotations\":{\"description\":\"");
	for (i = 0; i < 8000; i++)
		buf_addc(&body, 'x');
	buf_adds(&body, "\"}}]}");
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = old;
	small.rlim_cur = 4096;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	hook(f, body.data, NULL, &r);
	setrlimit(RLIMIT_FSIZE, &old);
	assert_int_equal(r.status, 500);
	assert_non_null(strstr(jsontree_str(r.json, "error", ""), "cannot append to the journal"));
	json_decref(r.json);
	/* Alertmanager retries: refused again (fail closed until a restart), nothing ran */
	hook(f, body.data, NULL, &r);
	assert_int_equal(r.status, 500);
	json_decref(r.json);
	assert_int_equal(watch_wait_idle(f->w, 5), 0);
	assert_int_equal(admin_calls(), 0);
	buf_release(&body);
}

static void
test_constant_time_compare(void **state)
{
	(void)state;
	assert_true(httpd_ct_equal("abc", 3, "abc", 3));
	assert_false(httpd_ct_equal("abc", 3, "abd", 3));
	assert_false(httpd_ct_equal("abc", 3, "abcabc", 6));
	assert_false(httpd_ct_equal("", 0, "a", 1));
	assert_true(httpd_ct_equal("", 0, "", 0));
}

static void
test_metrics_count_what_happened(void **state)
{
	struct fx *f = *state;
	char *b1 = payload("firing", "SoakLatencyP95High", "m1", "2025-10-11T10:00:00Z");
	char *b2 = payload("firing", "SoakGuardTrip", "m2", "2025-10-11T10:00:00Z");
	struct buf m = BUF_INIT(1 << 20);
	struct reply r;

	start(f, 0, NULL, NULL);
	hook(f, b1, NULL, &r);
	json_decref(r.json);
	hook(f, b1, NULL, &r);
	json_decref(r.json);
	hook(f, b2, NULL, &r);
	json_decref(r.json);
	request(f, "GET", "/alert-hook", NULL, NULL, 0, NULL, &r);
	assert_int_equal(watch_wait_idle(f->w, 20), 0);
	watch_metrics(f->w, &m);
	assert_non_null(strstr(m.data, "mmops_watch_notifications_total{status=\"firing\"} 3\n"));
	assert_non_null(strstr(m.data, "mmops_watch_alerts_total{status=\"firing\"} 3\n"));
	assert_non_null(strstr(m.data, "mmops_watch_decisions_total{decision=\"rollback\"} 1\n"));
	assert_non_null(strstr(m.data, "mmops_watch_decisions_total{decision=\"duplicate\"} 1\n"));
	assert_non_null(strstr(m.data, "mmops_watch_decisions_total{decision=\"cooldown\"} 1\n"));
	assert_non_null(strstr(m.data, "mmops_watch_rollbacks_total 1\n"));
	assert_non_null(strstr(m.data, "mmops_watch_dedup_hits_total 1\n"));
	assert_non_null(strstr(m.data, "mmops_watch_cooldown_skips_total 1\n"));
	assert_non_null(strstr(m.data, "mmops_watch_http_requests_total{code=\"405\"} 1\n"));
	assert_non_null(strstr(m.data,
			       "mmops_watch_actions_total{action=\"scale_strategy_to_zero\","
			       "result=\"ok\"} 1\n"));
	assert_non_null(strstr(m.data, "mmops_watch_action_duration_seconds_count{action="
				       "\"open_circuit_breaker\"} 1\n"));
	assert_non_null(strstr(m.data, "mmops_watch_jobs_completed_total{kind=\"rollback\"} 1\n"));
	assert_non_null(strstr(m.data, "mmops_watch_queue_depth 0\n"));
	assert_non_null(strstr(m.data, "mmops_watch_request_duration_seconds_count 3\n"));
	/* mmops's share: three decisions made durable, one rollback started */
	assert_non_null(strstr(m.data, "mmops_watch_decision_seconds_count 3\n"));
	assert_non_null(
	    strstr(m.data, "mmops_watch_action_start_seconds_count{kind=\"rollback\"} 1\n"));
	assert_non_null(
	    strstr(m.data, "mmops_watch_action_start_seconds_count{kind=\"notify\"} 0\n"));
	assert_non_null(strstr(m.data, "mmops_watch_action_start_seconds_bucket{kind=\"rollback\","
				       "le=\"+Inf\"} 1\n"));
	buf_release(&m);
	free(b1);
	free(b2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_seed_hard_gate_rolls_back_exactly_once, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_decides_each_alert_on_its_own_labels, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_dry_run_reports_and_runs_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_answer_does_not_wait_for_actions_and_one_rollback_at_a_time, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restart_neither_repeats_nor_forgets, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_unfinished_rollback_is_resumed_at_start, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_resolved_never_undoes_a_rollback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bearer_and_basic_auth, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unwritable_audit_log_refuses_to_start, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_undurable_decision_is_answered_500_and_runs_nothing, setup, teardown),
	    cmocka_unit_test(test_constant_time_compare),
	    cmocka_unit_test_setup_teardown(test_metrics_count_what_happened, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
