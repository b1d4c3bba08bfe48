/*
 * watch.c - the rollback watcher service: the HTTP handler (auth, method,
 * media type, payload checks, per-alert decisions through the ledger, the
 * answer), a FIFO job queue with one worker thread that runs the actions,
 * and the watcher's own Prometheus metrics.  The request path never waits
 * for anything but the ledger's fdatasync; everything slow happens on the
 * worker.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "actions.h"
#include "alert.h"
#include "clock.h"
#include "jsonwrite.h"
#include "jsontree.h"
#include "decisions.h"
#include "log.h"
#include "promhist.h"
#include "watch.h"
#include "xalloc.h"

/* ---- metrics ---- */

static const double action_buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
					1,     2.5,  5,	    10,	  30,  60};
#define N_ACTION_BUCKETS (sizeof(action_buckets) / sizeof(action_buckets[0]))
static const double request_buckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
					 0.01,	 0.025,	  0.05,	  0.1,	 0.25,	 1};
#define N_REQUEST_BUCKETS (sizeof(request_buckets) / sizeof(request_buckets[0]))
/* mmops's own share of alert-to-action (DESIGN.md §7: action start <= 1 ms). */
static const double share_buckets[] = {0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001,
				       0.0025,	0.005,	  0.01,	   0.025,  0.1,	    1};
#define N_SHARE_BUCKETS (sizeof(share_buckets) / sizeof(share_buckets[0]))
_Static_assert(N_ACTION_BUCKETS <= PROMHIST_MAX_BOUNDS &&
		   N_REQUEST_BUCKETS <= PROMHIST_MAX_BOUNDS &&
		   N_SHARE_BUCKETS <= PROMHIST_MAX_BOUNDS,
	       "the histograms' bounds fit a struct promhist");
static const int http_codes[] = {200, 400, 401, 404, 405, 415, 500, 503};
#define N_CODES (sizeof(http_codes) / sizeof(http_codes[0]))
static const char *const result_names[] = {"ok", "failed", "skipped"};
#define N_RESULTS 3
static const char *const status_names[] = {"firing", "resolved", "unknown"};

struct action_metrics {
	unsigned long long result[N_RESULTS];
	struct promhist dur;
};

struct metrics {
	pthread_mutex_t mu;
	unsigned long long notifications[3];
	unsigned long long alerts[2];
	unsigned long long decisions[DECISION__COUNT];
	unsigned long long rollbacks, dedup_hits, cooldown_skips, auth_failures, queue_dropped;
	unsigned long long http[N_CODES];
	unsigned long long jobs_done[2]; /* rollback, notify */
	struct action_metrics *act;	 /* one per policy action */
	struct promhist req;
	struct promhist decision;	 /* request read -> decisions durable */
	struct promhist action_start[2]; /* decision durable -> first action started, by kind */
};

/* ---- the service ---- */

struct job_node {
	struct decisions_job *job;
	double durable_at; /* clock_mono() when its decision was durable */
	struct job_node *next;
};

struct watch {
	struct watch_config cfg;
	const struct policy *pol;
	struct decisions *ledger;
	struct httpd *httpd;
	char *expect_bearer; /* "token" */
	char *expect_basic;  /* base64 of user:password */
	double started_at;
	/* queue */
	pthread_mutex_t qmu;
	pthread_cond_t qcv;    /* work arrived or stop */
	pthread_cond_t idlecv; /* queue drained and worker idle */
	struct job_node *head, *tail;
	size_t depth;
	int running, stop, stop_now, worker_started;
	pthread_t worker;
	struct metrics m;
};

static void
count_code(struct watch *w, int code)
{
	size_t i;

	pthread_mutex_lock(&w->m.mu);
	for (i = 0; i < N_CODES; i++)
		if (http_codes[i] == code)
			w->m.http[i]++;
	pthread_mutex_unlock(&w->m.mu);
}

static char *
base64(const char *s)
{
	static const char tbl[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s), i, o = 0;
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);

	for (i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)s[i] << 16;

		if (i + 1 < n)
			v |= (unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		out[o++] = tbl[(v >> 18) & 63];
		out[o++] = tbl[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? tbl[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

/* 1 when the request carries the configured credentials (or none are configured). */
static int
authorized(struct watch *w, const struct httpd_req *req, struct httpd_resp *resp)
{
	const char *h = req->authorization;

	if (!w->expect_bearer && !w->expect_basic)
		return 1;
	if (httpd_auth_ok(req, w->expect_bearer ? "Bearer" : "Basic",
			  w->expect_bearer ? w->expect_bearer : w->expect_basic))
		return 1;
	pthread_mutex_lock(&w->m.mu);
	w->m.auth_failures++;
	pthread_mutex_unlock(&w->m.mu);
	mm_log(MM_LOG_WARN, "%s %s from %s: %s credentials", req->method, req->path,
	       req->remote_addr, h ? "wrong" : "missing");
	resp->www_authenticate =
	    w->expect_bearer ? "Bearer realm=\"mmops watch\"" : "Basic realm=\"mmops watch\"";
	httpd_resp_text(resp, 401, "unauthorized");
	return 0;
}

static int
is_json_type(const char *ct)
{
	static const char want[] = "application/json";
	size_t n = sizeof(want) - 1;

	if (!ct)
		return 0;
	while (*ct == ' ')
		ct++;
	if (strncasecmp(ct, want, n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ')
		ct++;
	return *ct == '\0' || *ct == ';';
}

static void
resp_error(struct httpd_resp *resp, int status, const char *msg)
{
	json_t *j = json_pack("{s:s}", "error", msg);

	httpd_resp_json(resp, status, j);
	json_decref(j);
}

/* Queue a job for the worker (takes it).  Returns 0, or -1 when dropped. */
static int
enqueue(struct watch *w, struct decisions_job *j, double durable_at)
{
	struct job_node *n;

	pthread_mutex_lock(&w->qmu);
	if (w->depth >= WATCH_QUEUE_CAP && j->kind != DECISION_ROLLBACK) {
		pthread_mutex_unlock(&w->qmu);
		pthread_mutex_lock(&w->m.mu);
		w->m.queue_dropped++;
		pthread_mutex_unlock(&w->m.mu);
		mm_log(MM_LOG_WARN,
		       "queue full: notification job %ld for %s not run (it stays "
		       "pending and resumes at the next start)",
		       j->id, alert_name(&j->alert));
		decisions_job_free(j);
		return -1;
	}
	n = xcalloc(1, sizeof(*n));
	n->job = j;
	n->durable_at = durable_at;
	if (w->tail)
		w->tail->next = n;
	else
		w->head = n;
	w->tail = n;
	w->depth++;
	pthread_cond_signal(&w->qcv);
	pthread_mutex_unlock(&w->qmu);
	return 0;
}

static void
tpl_ctx_for(struct tpl_ctx *c, const struct alert *a, enum decision_kind k, enum hardness g,
	    long rollback_id, const char *receiver, const char *ext, const char *gk)
{
	c->alert = a;
	c->decision = decision_name(k);
	c->gate = hardness_name(g);
	c->rollback_id = rollback_id;
	c->receiver = receiver;
	c->external_url = ext;
	c->group_key = gk;
}

static void
handle_hook(struct watch *w, const struct httpd_req *req, struct httpd_resp *resp)
{
	struct decisions_verdict *v = NULL;
	struct alert_payload p;
	struct mm_err err;
	uint64_t seq;
	double now, t0 = clock_mono(), durable_at;
	size_t i;
	int st;

	memset(&p, 0, sizeof(p));
	if (!is_json_type(req->content_type)) {
		httpd_resp_text(resp, 415, "unsupported media type: send application/json");
		return;
	}
	if (alert_payload_decode(req->body, req->body_len, &p, &err) < 0) {
		char msg[MM_ERR_MSG_MAX + MM_ERR_FILE_MAX + 32];

		resp_error(resp, 400, mm_err_format(&err, msg, sizeof(msg)));
		mm_log(MM_LOG_INFO, "rejected a payload from %s: %s", req->remote_addr, msg);
		goto out;
	}
	if (clock_now(&now, &err) < 0) {
		resp_error(resp, 500, err.msg);
		goto out;
	}
	v = p.nalerts ? xcalloc(p.nalerts, sizeof(*v)) : NULL;
	if (decisions_decide(w->ledger, w->pol, &p, now, w->cfg.dry_run, v, &seq, &err) < 0 ||
	    decisions_commit(w->ledger, seq, &err) < 0) {
		for (i = 0; i < p.nalerts; i++)
			decisions_job_free(v[i].job);
		resp_error(resp, 500, err.msg);
		goto out;
	}
	durable_at = clock_mono();
	/*
	 * The decisions are durable: the jobs may run now, while the answer is
	 * written (the worker starting them is mmops's share of alert-to-action).
	 */
	for (i = 0; i < p.nalerts; i++)
		if (v[i].job)
			enqueue(w, v[i].job, durable_at);
	/* The answer, written directly in canonical key order (the hot path). */
	buf_reset(&resp->body);
	buf_adds(&resp->body, "{\"alerts\":[");
	for (i = 0; i < p.nalerts; i++) {
		const struct alert *a = &p.alerts[i];
		struct jsonwrite jw;

		if (i)
			buf_addc(&resp->body, ',');
		jsonwrite_begin(&jw, &resp->body);
		if (v[i].kind == DECISION_ROLLBACK || v[i].kind == DECISION_NOTIFY) {
			struct tpl_ctx c;
			json_t *plan;
			char *text;

			tpl_ctx_for(&c, a, v[i].kind, v[i].gate,
				    v[i].kind == DECISION_ROLLBACK ? v[i].rollback_id : 0,
				    p.receiver, p.external_url, p.group_key);
			plan = actions_plan(w->pol, v[i].kind, &c,
					    w->cfg.dry_run ? "planned" : "queued");
			text = jsontree_dumps_compact(plan);
			jsonwrite_raw(&jw, "actions", text);
			free(text);
			json_decref(plan);
		}
		jsonwrite_str(&jw, "alertname", alert_name(a));
		jsonwrite_str(&jw, "decision", decision_name(v[i].kind));
		jsonwrite_str(&jw, "fingerprint", a->fingerprint);
		jsonwrite_str(&jw, "gate", hardness_name(v[i].gate));
		jsonwrite_str(&jw, "reason", v[i].reason);
		if (v[i].rollback_id)
			jsonwrite_int(&jw, "rollback_id", v[i].rollback_id);
		jsonwrite_str(&jw, "startsAt", a->starts_at);
		jsonwrite_str(&jw, "status", alert_status_name(a->status));
		jsonwrite_end(&jw);
		if (v[i].kind == DECISION_ROLLBACK)
			mm_log(MM_LOG_WARN, "%srollback %ld decided for %s (%s, fingerprint %s)",
			       w->cfg.dry_run ? "dry-run: " : "", v[i].rollback_id, alert_name(a),
			       v[i].reason, a->fingerprint);
		else if (mm_log_enabled(MM_LOG_DEBUG))
			mm_log(MM_LOG_DEBUG, "%s %s: %s (%s)", alert_name(a), a->fingerprint,
			       decision_name(v[i].kind), v[i].reason);
	}
	buf_addf(&resp->body, "],\"dry_run\":%s,\"received\":%zu,\"status\":\"ok\"}\n",
		 w->cfg.dry_run ? "true" : "false", p.nalerts);
	if (buf_failed(&resp->body)) {
		/* The decisions are durable; only the answer did not fit. */
		resp_error(resp, 500, "answer larger than the response limit");
		goto out;
	}
	resp->status = 200;
	resp->content_type = "application/json";
	pthread_mutex_lock(&w->m.mu);
	st = strcmp(p.status, "firing") == 0 ? 0 : strcmp(p.status, "resolved") == 0 ? 1 : 2;
	w->m.notifications[st]++;
	for (i = 0; i < p.nalerts; i++) {
		w->m.alerts[p.alerts[i].status == ALERT_RESOLVED]++;
		w->m.decisions[v[i].kind]++;
		if (v[i].kind == DECISION_ROLLBACK)
			w->m.rollbacks++;
		else if (v[i].kind == DECISION_DUPLICATE)
			w->m.dedup_hits++;
		else if (v[i].kind == DECISION_COOLDOWN)
			w->m.cooldown_skips++;
	}
	for (i = 0; i < p.nalerts; i++)
		if (v[i].shed)
			w->m.queue_dropped++;
	promhist_observe(&w->m.req, request_buckets, N_REQUEST_BUCKETS, clock_mono() - t0);
	promhist_observe(&w->m.decision, share_buckets, N_SHARE_BUCKETS, durable_at - t0);
	pthread_mutex_unlock(&w->m.mu);
out:
	free(v);
	alert_payload_release(&p);
}

json_t *
watch_status(struct watch *w)
{
	char ts[CLOCK_RFC3339_MAX];
	json_t *o, *meta;
	double now = 0;
	size_t depth;
	int running;

	if (clock_now(&now, NULL) < 0)
		now = 0;
	o = decisions_status(w->ledger, w->pol, now);
	meta = jsontree_tool_meta();
	json_object_update(o, meta);
	json_decref(meta);
	pthread_mutex_lock(&w->qmu);
	depth = w->depth;
	running = w->running;
	pthread_mutex_unlock(&w->qmu);
	json_object_set_new(o, "dry_run", json_boolean(w->cfg.dry_run));
	json_object_set_new(o, "policy", json_string(w->pol->file));
	json_object_set_new(o, "started_at",
			    json_string(clock_format_rfc3339(w->started_at, ts, sizeof(ts))));
	json_object_set_new(o, "queue_depth", json_integer((json_int_t)depth));
	json_object_set_new(o, "worker_busy", json_boolean(running));
	return o;
}

void
watch_metrics(struct watch *w, struct buf *out)
{
	struct metrics *m = &w->m;
	double now = 0, left;
	size_t i, k, depth;
	int in_progress = 0;

	if (clock_now(&now, NULL) < 0)
		now = 0;
	left = decisions_cooldown_remaining(w->ledger, w->pol, now, &in_progress);
	pthread_mutex_lock(&w->qmu);
	depth = w->depth;
	pthread_mutex_unlock(&w->qmu);
	pthread_mutex_lock(&m->mu);
	buf_adds(out, "# HELP mmops_watch_build_info The running mmops watch.\n"
		      "# TYPE mmops_watch_build_info gauge\n");
	buf_addf(out, "mmops_watch_build_info{dry_run=\"%s\",version=\"%s\"} 1\n",
		 w->cfg.dry_run ? "true" : "false", MMOPS_VERSION);
	buf_adds(out, "# HELP mmops_watch_notifications_total Webhook notifications accepted, by "
		      "group status.\n# TYPE mmops_watch_notifications_total counter\n");
	for (i = 0; i < 3; i++)
		buf_addf(out, "mmops_watch_notifications_total{status=\"%s\"} %llu\n",
			 status_names[i], m->notifications[i]);
	buf_adds(out, "# HELP mmops_watch_alerts_total Alerts received, by their own status.\n"
		      "# TYPE mmops_watch_alerts_total counter\n");
	for (i = 0; i < 2; i++)
		buf_addf(out, "mmops_watch_alerts_total{status=\"%s\"} %llu\n", status_names[i],
			 m->alerts[i]);
	buf_adds(out, "# HELP mmops_watch_decisions_total Per-alert decisions, by kind.\n"
		      "# TYPE mmops_watch_decisions_total counter\n");
	for (i = 0; i < DECISION__COUNT; i++)
		buf_addf(out, "mmops_watch_decisions_total{decision=\"%s\"} %llu\n",
			 decision_name((enum decision_kind)i), m->decisions[i]);
	buf_addf(out,
		 "# HELP mmops_watch_rollbacks_total Rollbacks decided.\n"
		 "# TYPE mmops_watch_rollbacks_total counter\nmmops_watch_rollbacks_total %llu\n",
		 m->rollbacks);
	buf_addf(out,
		 "# HELP mmops_watch_dedup_hits_total Alerts already decided before "
		 "(retries, repeats, other Alertmanagers).\n"
		 "# TYPE mmops_watch_dedup_hits_total counter\nmmops_watch_dedup_hits_total %llu\n",
		 m->dedup_hits);
	buf_addf(out,
		 "# HELP mmops_watch_cooldown_skips_total Hard alerts not rolled back because "
		 "of the cooldown or a rollback in progress.\n"
		 "# TYPE mmops_watch_cooldown_skips_total counter\n"
		 "mmops_watch_cooldown_skips_total %llu\n",
		 m->cooldown_skips);
	buf_addf(out,
		 "# HELP mmops_watch_auth_failures_total Requests refused for missing or "
		 "wrong credentials.\n# TYPE mmops_watch_auth_failures_total counter\n"
		 "mmops_watch_auth_failures_total %llu\n",
		 m->auth_failures);
	buf_adds(out, "# HELP mmops_watch_http_requests_total HTTP requests answered by the "
		      "handler, by status code.\n# TYPE mmops_watch_http_requests_total counter\n");
	for (i = 0; i < N_CODES; i++)
		buf_addf(out, "mmops_watch_http_requests_total{code=\"%d\"} %llu\n", http_codes[i],
			 m->http[i]);
	buf_adds(out, "# HELP mmops_watch_jobs_completed_total Rollback and notification jobs "
		      "finished by the worker.\n# TYPE mmops_watch_jobs_completed_total counter\n");
	buf_addf(out,
		 "mmops_watch_jobs_completed_total{kind=\"rollback\"} %llu\n"
		 "mmops_watch_jobs_completed_total{kind=\"notify\"} %llu\n",
		 m->jobs_done[0], m->jobs_done[1]);
	buf_addf(out,
		 "# HELP mmops_watch_jobs_dropped_total Notifications shed (no job) because "
		 "too many were pending.\n# TYPE mmops_watch_jobs_dropped_total counter\n"
		 "mmops_watch_jobs_dropped_total %llu\n",
		 m->queue_dropped);
	buf_adds(out, "# HELP mmops_watch_actions_total Actions run, by action and result.\n"
		      "# TYPE mmops_watch_actions_total counter\n");
	for (i = 0; i < w->pol->nactions; i++)
		for (k = 0; k < N_RESULTS; k++)
			buf_addf(out,
				 "mmops_watch_actions_total{action=\"%s\",result=\"%s\"} %llu\n",
				 w->pol->actions[i].name, result_names[k], m->act[i].result[k]);
	buf_adds(out, "# HELP mmops_watch_action_duration_seconds Time an action took, retries "
		      "included.\n# TYPE mmops_watch_action_duration_seconds histogram\n");
	for (i = 0; i < w->pol->nactions; i++) {
		char lab[128];

		snprintf(lab, sizeof(lab), "action=\"%s\"", w->pol->actions[i].name);
		promhist_write(out, "mmops_watch_action_duration_seconds", lab, &m->act[i].dur,
			       action_buckets, N_ACTION_BUCKETS);
	}
	buf_adds(out,
		 "# HELP mmops_watch_request_duration_seconds Time from a webhook request to "
		 "its durable answer.\n# TYPE mmops_watch_request_duration_seconds histogram\n");
	promhist_write(out, "mmops_watch_request_duration_seconds", "", &m->req, request_buckets,
		       N_REQUEST_BUCKETS);
	buf_adds(out, "# HELP mmops_watch_decision_seconds Time from a webhook request read to its "
		      "decisions durable (fdatasync done).\n"
		      "# TYPE mmops_watch_decision_seconds histogram\n");
	promhist_write(out, "mmops_watch_decision_seconds", "", &m->decision, share_buckets,
		       N_SHARE_BUCKETS);
	buf_adds(out, "# HELP mmops_watch_action_start_seconds Time from a decision durable to "
		      "the worker starting its first action.\n"
		      "# TYPE mmops_watch_action_start_seconds histogram\n");
	promhist_write(out, "mmops_watch_action_start_seconds", "kind=\"rollback\"",
		       &m->action_start[0], share_buckets, N_SHARE_BUCKETS);
	promhist_write(out, "mmops_watch_action_start_seconds", "kind=\"notify\"",
		       &m->action_start[1], share_buckets, N_SHARE_BUCKETS);
	pthread_mutex_unlock(&m->mu);
	buf_addf(out,
		 "# HELP mmops_watch_queue_depth Jobs waiting for the worker.\n"
		 "# TYPE mmops_watch_queue_depth gauge\nmmops_watch_queue_depth %zu\n",
		 depth);
	buf_addf(out,
		 "# HELP mmops_watch_rollback_in_progress 1 while a rollback's actions run.\n"
		 "# TYPE mmops_watch_rollback_in_progress gauge\n"
		 "mmops_watch_rollback_in_progress %d\n",
		 in_progress);
	buf_addf(out,
		 "# HELP mmops_watch_cooldown_remaining_seconds Time until another rollback "
		 "may start.\n# TYPE mmops_watch_cooldown_remaining_seconds gauge\n"
		 "mmops_watch_cooldown_remaining_seconds %.3f\n",
		 left);
	buf_addf(out,
		 "# HELP mmops_watch_remembered_alerts Alerts (fingerprint, startsAt) in the "
		 "dedup table.\n# TYPE mmops_watch_remembered_alerts gauge\n"
		 "mmops_watch_remembered_alerts %zu\n",
		 decisions_entries(w->ledger));
	buf_addf(out,
		 "# HELP mmops_watch_durable 1 while decisions can be made durable; 0 while "
		 "the state or audit log cannot be written (the webhook answers 500).\n"
		 "# TYPE mmops_watch_durable gauge\nmmops_watch_durable %d\n",
		 decisions_healthy(w->ledger, NULL, 0, NULL));
}

/* The endpoints: path, allowed methods, needs auth, handler. */
struct route {
	const char *path;
	int post; /* 1: POST only; 0: GET and HEAD */
	int auth;
	void (*fn)(struct watch *w, const struct httpd_req *req, struct httpd_resp *resp);
};

/* 503 while decisions cannot be made durable, so systemd, a balancer or Prometheus notices. */
static void
handle_health(struct watch *w, const struct httpd_req *req, struct httpd_resp *resp)
{
	char why[MM_ERR_MSG_MAX], ts[CLOCK_RFC3339_MAX], *msg;
	double since;

	(void)req;
	if (decisions_healthy(w->ledger, why, sizeof(why), &since)) {
		httpd_resp_text(resp, 200, "ok");
		return;
	}
	msg = xasprintf("unavailable: decisions cannot be made durable since %s: %s (retrying)",
			clock_format_rfc3339(since, ts, sizeof(ts)), why);
	httpd_resp_text(resp, 503, msg);
	free(msg);
}

static void
handle_metrics(struct watch *w, const struct httpd_req *req, struct httpd_resp *resp)
{
	(void)req;
	resp->status = 200;
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	watch_metrics(w, &resp->body);
}

static void
handle_status(struct watch *w, const struct httpd_req *req, struct httpd_resp *resp)
{
	json_t *s = watch_status(w);

	(void)req;
	httpd_resp_json(resp, 200, s);
	json_decref(s);
}

static const struct route routes[] = {
    {"/alert-hook", 1, 1, handle_hook},	 {"/health", 0, 0, handle_health},
    {"/-/healthy", 0, 0, handle_health}, {"/metrics", 0, 0, handle_metrics},
    {"/status", 0, 1, handle_status},
};

static void
handler(const struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
	struct watch *w = ctx;
	const struct route *r = NULL;
	size_t i;

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (strcmp(routes[i].path, req->path) == 0)
			r = &routes[i];
	if (!r) {
		httpd_resp_text(resp, 404, "not found");
	} else if (r->post && strcmp(req->method, "POST") != 0) {
		resp->allow = "POST";
		httpd_resp_text(resp, 405, "method not allowed: use POST");
	} else if (!r->post && strcmp(req->method, "GET") != 0 &&
		   strcmp(req->method, "HEAD") != 0) {
		resp->allow = "GET, HEAD";
		httpd_resp_text(resp, 405, "method not allowed: use GET");
	} else if (!r->auth || authorized(w, req, resp)) {
		r->fn(w, req, resp);
	}
	count_code(w, resp->status);
}

/* ---- the worker ---- */

struct run_ctx {
	struct watch *w;
	const struct decisions_job *job;
};

static int
worker_stopping(void *arg)
{
	struct watch *w = ((struct run_ctx *)arg)->w;
	int s;

	pthread_mutex_lock(&w->qmu);
	s = w->stop_now;
	pthread_mutex_unlock(&w->qmu);
	return s;
}

static void
on_result(const struct policy_action *a, const json_t *result, void *arg)
{
	struct run_ctx *rc = arg;
	struct watch *w = rc->w;
	const char *res = jsontree_str(result, "result", "failed");
	size_t idx = (size_t)(a - w->pol->actions), k;
	struct mm_err err;
	json_t *rec;
	double now = 0;

	pthread_mutex_lock(&w->m.mu);
	for (k = 0; k < N_RESULTS; k++)
		if (strcmp(result_names[k], res) == 0)
			w->m.act[idx].result[k]++;
	if (strcmp(res, "skipped") != 0)
		promhist_observe(&w->m.act[idx].dur, action_buckets, N_ACTION_BUCKETS,
				 jsontree_num(result, "duration_seconds", 0));
	pthread_mutex_unlock(&w->m.mu);
	mm_log(strcmp(res, "failed") == 0 ? MM_LOG_ERROR : MM_LOG_INFO, "%s %ld: action %s: %s%s%s",
	       decision_name(rc->job->kind),
	       rc->job->kind == DECISION_ROLLBACK ? rc->job->rollback_id : rc->job->id, a->name,
	       res, json_object_get(result, "error") ? ": " : "",
	       jsontree_str(result, "error", ""));
	rec = json_deep_copy(result);
	json_object_set_new(rec, "event", json_string("action"));
	json_object_set_new(rec, "job", json_integer(rc->job->id));
	json_object_set_new(rec, "decision", json_string(decision_name(rc->job->kind)));
	if (rc->job->rollback_id)
		json_object_set_new(rec, "rollback_id", json_integer(rc->job->rollback_id));
	json_object_set_new(rec, "alertname", json_string(alert_name(&rc->job->alert)));
	if (clock_now(&now, NULL) < 0)
		now = 0;
	if (decisions_audit(w->ledger, rec, now, 1, &err) < 0)
		mm_log(MM_LOG_ERROR, "cannot write the audit record of action %s: %s", a->name,
		       err.msg);
	json_decref(rec);
}

static void
run_job(struct watch *w, struct decisions_job *j)
{
	struct actions_env env;
	struct run_ctx rc = {w, j};
	struct tpl_ctx c;
	struct mm_err err;
	json_t *results;
	double now = 0;

	if (j->resumed)
		mm_log(MM_LOG_WARN, "resuming %s job %ld (rollback %ld) decided before a restart",
		       decision_name(j->kind), j->id, j->rollback_id);
	tpl_ctx_for(&c, &j->alert, j->kind, j->gate, j->rollback_id, j->receiver, j->external_url,
		    j->group_key);
	env.on_result = on_result;
	env.stopping = worker_stopping;
	env.arg = &rc;
	results = actions_run(w->pol, j->kind, &c, &env);
	if (!results) {
		mm_log(MM_LOG_WARN, "job %ld interrupted by shutdown; it resumes at the next start",
		       j->id);
		return;
	}
	if (clock_now(&now, NULL) < 0)
		now = 0;
	if (decisions_job_done(w->ledger, j, results, now, &err) < 0)
		mm_log(MM_LOG_ERROR, "cannot record the end of job %ld: %s", j->id, err.msg);
	pthread_mutex_lock(&w->m.mu);
	w->m.jobs_done[j->kind == DECISION_ROLLBACK ? 0 : 1]++;
	pthread_mutex_unlock(&w->m.mu);
	if (j->kind == DECISION_ROLLBACK) {
		size_t i, n[3] = {0, 0, 0};
		json_t *r;

		json_array_foreach(results, i, r)
		{
			const char *res = jsontree_str(r, "result", "");

			n[strcmp(res, "ok") == 0 ? 0 : strcmp(res, "failed") == 0 ? 1 : 2]++;
		}
		mm_log(n[1] ? MM_LOG_ERROR : MM_LOG_WARN,
		       "rollback %ld finished: %zu action%s ok, %zu failed, %zu skipped",
		       j->rollback_id, n[0], n[0] == 1 ? "" : "s", n[1], n[2]);
	}
	json_decref(results);
}

static void
housekeeping(struct watch *w)
{
	struct mm_err err;
	double now = 0;

	/* a failed ledger retries by itself, so /health turns 200 without a request */
	(void)decisions_recover(w->ledger, NULL);
	if (!decisions_needs_compact(w->ledger))
		return;
	if (clock_now(&now, NULL) < 0)
		return;
	if (decisions_compact(w->ledger, now, w->pol->retention, &err) < 0)
		mm_log(MM_LOG_ERROR, "cannot compact the state: %s", err.msg);
}

static void *
worker_main(void *arg)
{
	struct watch *w = arg;

	pthread_mutex_lock(&w->qmu);
	for (;;) {
		struct job_node *n;

		while (!w->head && !w->stop) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			if (pthread_cond_timedwait(&w->qcv, &w->qmu, &ts) == ETIMEDOUT) {
				pthread_mutex_unlock(&w->qmu);
				housekeeping(w);
				pthread_mutex_lock(&w->qmu);
			}
		}
		if (w->stop || !w->head)
			break;
		n = w->head;
		w->head = n->next;
		if (!w->head)
			w->tail = NULL;
		w->depth--;
		w->running = 1;
		pthread_mutex_unlock(&w->qmu);
		/* Jobs resumed at start-up were decided by another process. */
		if (!n->job->resumed) {
			pthread_mutex_lock(&w->m.mu);
			promhist_observe(
			    &w->m.action_start[n->job->kind == DECISION_ROLLBACK ? 0 : 1],
			    share_buckets, N_SHARE_BUCKETS, clock_mono() - n->durable_at);
			pthread_mutex_unlock(&w->m.mu);
		}
		run_job(w, n->job);
		decisions_job_free(n->job);
		free(n);
		housekeeping(w);
		pthread_mutex_lock(&w->qmu);
		w->running = 0;
		if (!w->head)
			pthread_cond_broadcast(&w->idlecv);
	}
	w->running = 0;
	pthread_cond_broadcast(&w->idlecv);
	pthread_mutex_unlock(&w->qmu);
	return NULL;
}

int
watch_wait_idle(struct watch *w, double timeout)
{
	struct timespec ts;
	int ret = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)timeout;
	ts.tv_nsec += (long)((timeout - (double)(time_t)timeout) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->qmu);
	while ((w->head || w->running) && ret == 0)
		if (pthread_cond_timedwait(&w->idlecv, &w->qmu, &ts) == ETIMEDOUT)
			ret = -1;
	pthread_mutex_unlock(&w->qmu);
	return ret;
}

static void
watch_free(struct watch *w)
{
	struct job_node *n, *next;
	double now = 0;

	for (n = w->head; n; n = next) {
		next = n->next;
		decisions_job_free(n->job);
		free(n);
	}
	if (clock_now(&now, NULL) < 0)
		now = 0;
	decisions_close(w->ledger, now);
	free(w->expect_bearer);
	free(w->expect_basic);
	free(w->m.act);
	pthread_mutex_destroy(&w->m.mu);
	pthread_mutex_destroy(&w->qmu);
	pthread_cond_destroy(&w->qcv);
	pthread_cond_destroy(&w->idlecv);
	free(w);
}

struct watch *
watch_start(const struct watch_config *cfg, struct mm_err *err)
{
	struct watch *w = xcalloc(1, sizeof(*w));
	struct httpd_config hc;
	struct decisions_opts lo;
	struct decisions_job **pending = NULL;
	size_t npending, i;
	double now;

	w->cfg = *cfg;
	w->pol = cfg->policy;
	pthread_mutex_init(&w->m.mu, NULL);
	pthread_mutex_init(&w->qmu, NULL);
	pthread_cond_init(&w->qcv, NULL);
	pthread_cond_init(&w->idlecv, NULL);
	w->m.act = xcalloc(w->pol->nactions ? w->pol->nactions : 1, sizeof(*w->m.act));
	if (cfg->bearer_token)
		w->expect_bearer = xstrdup(cfg->bearer_token);
	else if (cfg->basic_auth)
		w->expect_basic = base64(cfg->basic_auth);
	if (clock_now(&now, err) < 0)
		goto fail;
	w->started_at = now;
	memset(&lo, 0, sizeof(lo));
	lo.state_dir = cfg->state_dir;
	lo.read_only = cfg->dry_run;
	lo.audit_path = cfg->audit_path;
	lo.accept_loss = cfg->accept_loss;
	lo.max_pending_notify = WATCH_QUEUE_CAP;
	if (!(w->ledger = decisions_open(&lo, now, err)))
		goto fail;
	if (!cfg->dry_run) {
		npending = decisions_take_pending(w->ledger, &pending);
		for (i = 0; i < npending; i++)
			enqueue(w, pending[i], clock_mono());
		free(pending);
	}
	if (pthread_create(&w->worker, NULL, worker_main, w) != 0) {
		mm_errf(err, MM_E_RUNTIME, "cannot start the worker thread");
		goto fail;
	}
	w->worker_started = 1;
	memset(&hc, 0, sizeof(hc));
	hc.listen = cfg->listen ? cfg->listen : "127.0.0.1:8080";
	hc.max_body = WATCH_MAX_BODY;
	hc.conn_limit = WATCH_CONN_LIMIT;
	hc.timeout_sec = WATCH_TIMEOUT_SEC;
	hc.per_ip_limit = WATCH_PER_IP_LIMIT;
	hc.request_timeout_sec = WATCH_REQUEST_TIMEOUT_SEC;
	/* a request waits for its fdatasync: it must not hold up other connections */
	hc.thread_per_connection = 1;
	hc.handler = handler;
	hc.ctx = w;
	if (!(w->httpd = httpd_start(&hc, err)))
		goto fail;
	{
		json_t *rec = json_pack("{s:s, s:s, s:s, s:b, s:I}", "event", "start", "version",
					MMOPS_VERSION, "policy", w->pol->file, "dry_run",
					cfg->dry_run, "port", (json_int_t)httpd_port(w->httpd));

		if (decisions_audit(w->ledger, rec, now, 1, err) < 0) {
			json_decref(rec);
			goto fail;
		}
		json_decref(rec);
	}
	return w;
fail:
	watch_stop(w);
	return NULL;
}

int
watch_reopen_audit(struct watch *w, struct mm_err *err)
{
	return decisions_reopen_audit(w->ledger, err);
}

int
watch_port(const struct watch *w)
{
	return httpd_port(w->httpd);
}

void
watch_stop(struct watch *w)
{
	if (!w)
		return;
	httpd_stop(w->httpd);
	w->httpd = NULL;
	if (w->worker_started) {
		struct timespec ts;
		int done = 0;

		pthread_mutex_lock(&w->qmu);
		w->stop = 1;
		pthread_cond_broadcast(&w->qcv);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += (time_t)WATCH_STOP_GRACE;
		while (w->running && !done)
			if (pthread_cond_timedwait(&w->idlecv, &w->qmu, &ts) == ETIMEDOUT)
				done = 1;
		w->stop_now = 1;
		pthread_mutex_unlock(&w->qmu);
		pthread_join(w->worker, NULL);
	}
	watch_free(w);
}
