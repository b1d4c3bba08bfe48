/*
 * actions.c - the executor of the rollback policy.  It renders each action's
 * templates for the alert that triggered the decision, performs it with its
 * timeout and retries, and reports one JSON result per action.  It is only
 * ever called from the watcher's worker thread, never inside an HTTP
 * request, so a slow admin API cannot hold up Alertmanager.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actions.h"
#include "buf.h"
#include "http.h"
#include "runcmd.h"
#include "xalloc.h"

#define RENDER_CAP ((size_t)1 << 20)

static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
stopping(const struct actions_env *env)
{
	return env && env->stopping && env->stopping(env->arg);
}

/* Sleep up to secs, waking early when stopping; returns non-zero when stopping. */
static int
nap(double secs, const struct actions_env *env)
{
	double end = mono_now() + secs;

	while (!stopping(env)) {
		double left = end - mono_now();
		struct timespec ts;

		if (left <= 0)
			return 0;
		if (left > 0.05)
			left = 0.05;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(left * 1e9);
		nanosleep(&ts, NULL);
	}
	return 1;
}

static char *
render(const struct tpl *t, const struct tpl_ctx *ctx, int shown, int json_escape)
{
	struct buf b = BUF_INIT(RENDER_CAP);
	char *s;

	tpl_render(t, ctx, shown, json_escape, &b);
	s = xstrdup(b.data ? b.data : "");
	buf_release(&b);
	return s;
}

/* Printable snippet of untrusted bytes for an error message. */
static char *
snippet(const char *s, size_t len)
{
	size_t n = len < ACTIONS_ERROR_SNIPPET ? len : ACTIONS_ERROR_SNIPPET, i;
	char *out = xmalloc(n + 4);

	for (i = 0; i < n; i++)
		out[i] = ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f) ? ' ' : s[i];
	while (i > 0 && out[i - 1] == ' ')
		i--;
	if (n < len) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}

static const char *
kind_name(const struct policy_action *a)
{
	return a->kind == ACTION_HTTP ? "http" : "command";
}

static json_t *
argv_json(const struct tpl *v, size_t n, const struct tpl_ctx *ctx)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < n; i++) {
		char *s = render(&v[i], ctx, 1, 0);

		json_array_append_new(arr, json_string(s));
		free(s);
	}
	return arr;
}

static char *
target_of(const struct policy_action *a, const struct tpl_ctx *ctx)
{
	struct buf b = BUF_INIT(RENDER_CAP);
	char *s;
	size_t i;

	if (a->kind == ACTION_HTTP) {
		buf_addf(&b, "%s %s", a->method, a->url_shown);
	} else {
		for (i = 0; i < a->argc; i++) {
			char *arg = render(&a->argv[i], ctx, 1, 0);

			buf_addf(&b, "%s%s", i ? " " : "", arg);
			free(arg);
		}
	}
	s = xstrdup(b.data ? b.data : "");
	buf_release(&b);
	return s;
}

json_t *
actions_plan(const struct policy *p, enum decision_kind k, const struct tpl_ctx *ctx,
	     const char *status_word)
{
	json_t *plan = json_array();
	size_t i, h;

	for (i = 0; i < p->nactions; i++) {
		const struct policy_action *a = &p->actions[i];
		json_t *o;

		if (!(a->on & (1u << k)))
			continue;
		o = json_pack("{s:s, s:s, s:s, s:f, s:I}", "name", a->name, "kind", kind_name(a),
			      "status", a->skip_reason ? "skipped" : status_word, "timeout_seconds",
			      a->timeout, "retries", (json_int_t)a->retries);
		if (a->skip_reason)
			json_object_set_new(o, "reason", json_string(a->skip_reason));
		if (a->kind == ACTION_HTTP) {
			json_t *hdr = json_object();

			for (h = 0; h < a->nheaders; h++)
				json_object_set_new(hdr, a->headers[h].name,
						    json_string(a->headers[h].shown));
			json_object_set_new(o, "method", json_string(a->method));
			json_object_set_new(o, "url", json_string(a->url_shown));
			json_object_set_new(o, "headers", hdr);
			if (a->has_body) {
				char *body = render(&a->body, ctx, 1, 1);

				json_object_set_new(o, "body", json_string(body));
				free(body);
			}
		} else {
			json_object_set_new(o, "argv", argv_json(a->argv, a->argc, ctx));
			if (a->nenv)
				json_object_set_new(o, "env", argv_json(a->env, a->nenv, ctx));
		}
		json_array_append_new(plan, o);
	}
	return plan;
}

/* One HTTP attempt; returns 1 ok, 0 failed (retryable in *retry), error text in *msg. */
static int
http_attempt(const struct policy_action *a, const char *body, long *status, int *retry, char **msg)
{
	struct http_header hdr[64];
	struct http_request rq;
	struct http_response rs;
	struct mm_err err;
	size_t i, n = a->nheaders < 64 ? a->nheaders : 64;
	int ok = 0;

	for (i = 0; i < n; i++) {
		hdr[i].name = a->headers[i].name;
		hdr[i].value = a->headers[i].value;
	}
	memset(&rq, 0, sizeof(rq));
	rq.method = a->method;
	rq.url = a->url;
	rq.headers = hdr;
	rq.nheaders = n;
	if (body) {
		rq.body = body;
		rq.body_len = strlen(body);
	}
	rq.timeout = a->timeout;
	rq.max_body = ACTIONS_MAX_RESPONSE;
	http_response_init(&rs);
	*status = 0;
	*retry = 0;
	if (http_do(&rq, &rs, &err) < 0) {
		/* a response past the cap still answered: count it by its status */
		*msg = xstrdup(err.msg);
		*retry = err.code != MM_E_USAGE;
	} else {
		*status = rs.status;
		if (rs.status >= 200 && rs.status < 300) {
			ok = 1;
		} else {
			char *sn = snippet(rs.body.data ? rs.body.data : "", rs.body.len);

			*msg = xasprintf("HTTP %ld%s%s", rs.status, *sn ? ": " : "", sn);
			free(sn);
			*retry = rs.status >= 500 || rs.status == 408 || rs.status == 429;
		}
	}
	http_response_release(&rs);
	return ok;
}

static int
command_attempt(const struct policy_action *a, const struct tpl_ctx *ctx, int *exit_code,
		char **msg)
{
	char **argv = xcalloc(a->argc + 1, sizeof(*argv)), **envv = NULL;
	struct runcmd cmd;
	struct runcmd_result r;
	struct mm_err err;
	size_t i;
	int ok = 0;

	for (i = 0; i < a->argc; i++)
		argv[i] = render(&a->argv[i], ctx, 0, 0);
	if (a->nenv) {
		envv = xcalloc(a->nenv + 1, sizeof(*envv));
		for (i = 0; i < a->nenv; i++)
			envv[i] = render(&a->env[i], ctx, 0, 0);
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.argv = (const char *const *)argv;
	cmd.env = (const char *const *)envv;
	cmd.timeout = a->timeout;
	runcmd_result_init(&r);
	*exit_code = -1;
	if (runcmd_run(&cmd, &r, &err) < 0) {
		*msg = xstrdup(err.msg);
	} else if (runcmd_ok(&r)) {
		ok = 1;
		*exit_code = 0;
	} else {
		char how[96], *sn = snippet(r.err.data ? r.err.data : "", r.err.len);

		if (r.exited)
			*exit_code = r.exit_code;
		*msg =
		    xasprintf("%s%s%s", runcmd_describe(&r, how, sizeof(how)), *sn ? ": " : "", sn);
		free(sn);
	}
	runcmd_result_release(&r);
	for (i = 0; i < a->argc; i++)
		free(argv[i]);
	free(argv);
	for (i = 0; envv && i < a->nenv; i++)
		free(envv[i]);
	free(envv);
	return ok;
}

json_t *
actions_run_one(const struct policy_action *a, const struct tpl_ctx *ctx,
		const struct actions_env *env)
{
	char *target = target_of(a, ctx), *body = NULL, *msg = NULL;
	double start = mono_now();
	long attempts = 0, status = 0;
	int ok = 0, retry = 1, exit_code = -1;
	json_t *r;

	r = json_pack("{s:s, s:s, s:s}", "name", a->name, "kind", kind_name(a), "target", target);
	free(target);
	if (a->skip_reason) {
		json_object_set_new(r, "result", json_string("skipped"));
		json_object_set_new(r, "reason", json_string(a->skip_reason));
		json_object_set_new(r, "attempts", json_integer(0));
		json_object_set_new(r, "duration_seconds", json_real(0));
		return r;
	}
	if (a->kind == ACTION_HTTP && a->has_body)
		body = render(&a->body, ctx, 0, 1);
	while (!ok && retry && attempts <= a->retries) {
		if (attempts && nap(a->retry_delay, env))
			break;
		free(msg);
		msg = NULL;
		attempts++;
		if (a->kind == ACTION_HTTP) {
			ok = http_attempt(a, body, &status, &retry, &msg);
		} else {
			ok = command_attempt(a, ctx, &exit_code, &msg);
			retry = 1;
		}
		if (stopping(env))
			break;
	}
	json_object_set_new(r, "result", json_string(ok ? "ok" : "failed"));
	json_object_set_new(r, "attempts", json_integer(attempts));
	json_object_set_new(r, "duration_seconds", json_real(mono_now() - start));
	if (a->kind == ACTION_HTTP && status)
		json_object_set_new(r, "http_status", json_integer(status));
	if (a->kind == ACTION_COMMAND && exit_code >= 0)
		json_object_set_new(r, "exit_code", json_integer(exit_code));
	if (!ok)
		json_object_set_new(r, "error", json_string(msg ? msg : "interrupted by shutdown"));
	free(msg);
	free(body);
	return r;
}

json_t *
actions_run(const struct policy *p, enum decision_kind k, const struct tpl_ctx *ctx,
	    const struct actions_env *env)
{
	json_t *results = json_array();
	size_t i;

	for (i = 0; i < p->nactions; i++) {
		const struct policy_action *a = &p->actions[i];
		json_t *r;

		if (!(a->on & (1u << k)))
			continue;
		if (stopping(env)) {
			json_decref(results);
			return NULL;
		}
		r = actions_run_one(a, ctx, env);
		if (stopping(env) &&
		    strcmp(json_string_value(json_object_get(r, "result")), "ok")) {
			/* cut short by shutdown: leave the job unfinished so a restart resumes it
			 */
			json_decref(r);
			json_decref(results);
			return NULL;
		}
		if (env && env->on_result)
			env->on_result(a, r, env->arg);
		json_array_append_new(results, r);
	}
	return results;
}
