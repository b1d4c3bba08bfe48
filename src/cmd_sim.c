/*
 * cmd_sim.c - `mmops sim`: the simulated market maker.  With --listen it
 * serves GET /metrics and the admin API the rollback watcher calls (scale,
 * breaker, freeze, faults, state), its simulated clock running --speed times
 * faster than the wall clock; with --report it runs H simulated hours at
 * once and writes the deterministic edge report.  The model is lib/sim.c;
 * this file maps wall time to simulated time and HTTP to model operations.
 * Exit 0 on a clean stop (SIGINT/SIGTERM, --duration) or a written report,
 * 2 on usage errors, 3 when the port cannot be bound or a file not written.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "cmds.h"
#include "atomicfile.h"
#include "httpd.h"
#include "jsontree.h"
#include "log.h"
#include "opt.h"
#include "sim.h"
#include "edgereport.h"
#include "xalloc.h"

#define SIM_MAX_BODY ((size_t)64 << 10) /* admin requests are tiny */
#define STEP_NS	     20000000L		/* the clock loop wakes every 20 ms */

static const char default_listen[] = "127.0.0.1:9100";
static const char *listen_addr = default_listen, *soakreport_path, *token_file, *port_file;
static double speed = 1, duration, hours = NAN; /* hours: NAN until given (24) */
static long seed = 1, replicas = 1;
static struct strlist fault_specs;

/* clang-format off */
static const struct opt sim_opts[] = {
	{ "listen", 0, OPT_STRING, &listen_addr, "ADDR", "serve on host:port (default 127.0.0.1:9100; port 0 picks one)", 0, 0 },
	{ "speed", 0, OPT_DOUBLE, &speed, "N", "simulated seconds per wall second (default 1)", 0, 0 },
	{ "seed", 0, OPT_LONG, &seed, "S", "random seed of the model (default 1)", 0, 0x7fffffffffffffffL },
	{ "fault", 0, OPT_LIST, &fault_specs, "SPEC", "KIND[:xK][@START][+DURATION], e.g. latency:x4@30h+2h (repeatable)", 0, 0 },
	{ "replicas", 0, OPT_LONG, &replicas, "N", "initial strategy replicas (default 1)", 1, SIM_MAX_REPLICAS },
	{ "token-file", 0, OPT_STRING, &token_file, "FILE", "require 'Authorization: Bearer <token>' on /admin/*", 0, 0 },
	{ "port-file", 0, OPT_STRING, &port_file, "FILE", "write the bound port to FILE once listening", 0, 0 },
	{ "duration", 0, OPT_DURATION, &duration, "D", "stop serving after D of wall time (default: until SIGINT/SIGTERM)", 0, 0 },
	{ "report", 0, OPT_STRING, &soakreport_path, "FILE", "do not serve: write the edge report of --hours to FILE ('-' stdout)", 0, 0 },
	{ "hours", 0, OPT_DOUBLE, &hours, "H", "simulated hours for --report (default 24)", 0, 0 },
	{ NULL, 0, 0, NULL, NULL, NULL, 0, 0 },
};

static const struct cmd_help sim_help = {
	"sim",
	"[--listen ADDR] [--speed N] [--seed S] [--fault SPEC]... | --report FILE --hours H",
	"A deterministic simulated market maker exporting the metric contract of\n"
	"docs/metrics.md on GET /metrics, with an admin API for the rollback actions:\n"
	"  GET  /admin/state                        the model's state as JSON\n"
	"  POST /admin/scale   {\"replicas\":0}       0 stops trading (counters stop)\n"
	"  POST /admin/breaker {\"open\":true}        open or close the circuit breaker\n"
	"  POST /admin/freeze  {\"frozen\":true}      freeze or unfreeze order placement\n"
	"  POST /admin/fault   {\"spec\":\"cache:x5+30m\"}  inject a fault now; {\"clear\":true} ends all\n"
	"Fault kinds (each breaches its gate): latency, cache, deadline, edge, wslag,\n"
	"guard[:NAME], breaker, taker.  With --report the model runs --hours simulated\n"
	"hours at once and writes a byte-reproducible edge report.",
	sim_opts,
	"  mmops sim --listen 127.0.0.1:9100 --speed 60 --fault latency:x4@30m+10m\n"
	"  curl -s localhost:9100/metrics | promtool check metrics\n"
	"  curl -s -XPOST -H 'Content-Type: application/json' -d '{\"replicas\":0}' \\\n"
	"    localhost:9100/admin/scale\n"
	"  mmops sim --report EDGE_REPORT.json --hours 24 --seed 1\n",
};
/* clang-format on */

struct server {
	pthread_mutex_t mu;
	struct sim *sim;
	double t0;     /* clock_mono() at start */
	double sim_t0; /* simulated time at t0 */
	char *token;   /* NULL = no auth */
};

static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void
reset_options(void)
{
	listen_addr = default_listen;
	soakreport_path = token_file = port_file = NULL;
	speed = 1;
	duration = 0;
	hours = NAN;
	seed = 1;
	replicas = 1;
	strlist_release(&fault_specs);
}

/* Bring the model to the simulated time the wall clock says; caller holds mu. */
static void
catch_up(struct server *sv)
{
	sim_advance_to(sv->sim, sv->sim_t0 + (clock_mono() - sv->t0) * speed);
}

/* The bearer token, compared in constant time (lib/httpd, as the watcher does). */
static int
authorized(const struct server *sv, const struct httpd_req *req)
{
	return !sv->token || httpd_auth_ok(req, "Bearer", sv->token);
}

static void
json_error(struct httpd_resp *resp, int status, const char *msg)
{
	json_t *j = json_pack("{s:s}", "error", msg);

	httpd_resp_json(resp, status, j);
	json_decref(j);
}

static int
is_json(const char *ct)
{
	size_t n = strlen("application/json");

	return ct && strncasecmp(ct, "application/json", n) == 0 &&
	       (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* Apply one admin POST; 0 or -1 with msg filled (the 400 reason). */
static int
admin_post(struct server *sv, const char *what, json_t *body, char *msg, size_t msz)
{
	const char *reason = json_string_value(json_object_get(body, "reason"));
	struct mm_err err;
	json_t *v;

	mm_err_init(&err);
	if (!reason)
		reason = "-";
	if (strcmp(what, "scale") == 0) {
		v = json_object_get(body, "replicas");
		if (!json_is_integer(v)) {
			snprintf(msg, msz, "want {\"replicas\": N}");
			return -1;
		}
		if (sim_scale(sv->sim, (long)json_integer_value(v), &err) < 0) {
			snprintf(msg, msz, "%s", err.msg);
			return -1;
		}
		mm_log(MM_LOG_INFO, "admin: scale replicas=%lld reason=%.200s",
		       (long long)json_integer_value(v), reason);
	} else if (strcmp(what, "breaker") == 0) {
		v = json_object_get(body, "open");
		if (!json_is_boolean(v)) {
			snprintf(msg, msz, "want {\"open\": true|false}");
			return -1;
		}
		sim_set_breaker(sv->sim, json_is_true(v));
		mm_log(MM_LOG_INFO, "admin: breaker open=%d reason=%.200s", json_is_true(v),
		       reason);
	} else if (strcmp(what, "freeze") == 0) {
		v = json_object_get(body, "frozen");
		if (!json_is_boolean(v)) {
			snprintf(msg, msz, "want {\"frozen\": true|false}");
			return -1;
		}
		sim_set_frozen(sv->sim, json_is_true(v));
		mm_log(MM_LOG_INFO, "admin: frozen=%d reason=%.200s", json_is_true(v), reason);
	} else if (strcmp(what, "fault") == 0) {
		struct sim_fault f;

		if (json_is_true(json_object_get(body, "clear"))) {
			sim_clear_faults(sv->sim);
			mm_log(MM_LOG_INFO, "admin: faults cleared reason=%.200s", reason);
			return 0;
		}
		v = json_object_get(body, "spec");
		if (!json_is_string(v)) {
			snprintf(msg, msz,
				 "want {\"spec\": \"KIND[:xK][@START][+DURATION]\"} or {\"clear\": "
				 "true}");
			return -1;
		}
		if (sim_fault_parse(json_string_value(v), sim_time(sv->sim), &f, &err) < 0 ||
		    sim_add_fault(sv->sim, &f, &err) < 0) {
			snprintf(msg, msz, "%s", err.msg);
			return -1;
		}
		mm_log(MM_LOG_INFO, "admin: fault %s reason=%.200s", json_string_value(v), reason);
	} else {
		snprintf(msg, msz, "no such admin endpoint");
		return -2;
	}
	return 0;
}

static void
handle(const struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
	struct server *sv = ctx;
	int get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
	int post = strcmp(req->method, "POST") == 0;

	if (strcmp(req->path, "/metrics") == 0) {
		if (!get) {
			resp->allow = "GET, HEAD";
			httpd_resp_text(resp, 405, "method not allowed");
			return;
		}
		resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
		pthread_mutex_lock(&sv->mu);
		catch_up(sv);
		if (sim_render(sv->sim, &resp->body) < 0)
			httpd_resp_text(resp, 500, "exposition too large");
		pthread_mutex_unlock(&sv->mu);
		return;
	}
	if (strcmp(req->path, "/healthz") == 0 || strcmp(req->path, "/") == 0) {
		if (!get) {
			resp->allow = "GET, HEAD";
			httpd_resp_text(resp, 405, "method not allowed");
			return;
		}
		httpd_resp_text(resp, 200,
				strcmp(req->path, "/") == 0
				    ? "mmops sim: GET /metrics, /admin/state; see docs/sim.md"
				    : "ok");
		return;
	}
	if (strncmp(req->path, "/admin/", 7) != 0) {
		httpd_resp_text(resp, 404, "not found");
		return;
	}
	if (!authorized(sv, req)) {
		resp->www_authenticate = "Bearer realm=\"mmops-sim\"";
		json_error(resp, 401, "missing or wrong bearer token");
		return;
	}
	if (strcmp(req->path, "/admin/state") == 0) {
		json_t *st;

		if (!get) {
			resp->allow = "GET, HEAD";
			json_error(resp, 405, "method not allowed");
			return;
		}
		pthread_mutex_lock(&sv->mu);
		catch_up(sv);
		st = sim_state_json(sv->sim);
		pthread_mutex_unlock(&sv->mu);
		httpd_resp_json(resp, 200, st);
		json_decref(st);
		return;
	}
	{
		static const char *const posts[] = {"scale", "breaker", "freeze", "fault"};
		const char *what = req->path + 7;
		char msg[MM_ERR_MSG_MAX + 64];
		struct mm_err err;
		json_t *body, *st;
		size_t i;
		int r;

		for (i = 0; i < sizeof(posts) / sizeof(posts[0]); i++)
			if (strcmp(what, posts[i]) == 0)
				break;
		if (i == sizeof(posts) / sizeof(posts[0])) {
			json_error(resp, 404, "no such admin endpoint");
			return;
		}
		if (!post) {
			resp->allow = "POST";
			json_error(resp, 405, "method not allowed");
			return;
		}
		if (!is_json(req->content_type)) {
			json_error(resp, 415, "Content-Type must be application/json");
			return;
		}
		if (!(body = jsontree_loadb(req->body, req->body_len, "request", &err)) ||
		    !json_is_object(body)) {
			if (body)
				snprintf(msg, sizeof(msg), "the body must be a JSON object");
			else
				mm_err_format(&err, msg, sizeof(msg));
			json_decref(body);
			json_error(resp, 400, msg);
			return;
		}
		pthread_mutex_lock(&sv->mu);
		catch_up(sv);
		r = admin_post(sv, what, body, msg, sizeof(msg));
		st = r == 0 ? sim_state_json(sv->sim) : NULL;
		pthread_mutex_unlock(&sv->mu);
		json_decref(body);
		if (r < 0) {
			json_error(resp, 400, msg);
			return;
		}
		httpd_resp_json(resp, 200, st);
		json_decref(st);
	}
}

static int
read_token(struct server *sv)
{
	struct mm_err err;

	if (!(sv->token = httpd_read_credential(token_file, &err)))
		return cmd_fail("sim", &err);
	return 0;
}

static int
serve(struct sim *sim)
{
	struct httpd_config cfg = {0};
	struct server sv;
	struct sigaction sa;
	struct httpd *h;
	struct mm_err err;
	double end;
	int ret = 0;

	memset(&sv, 0, sizeof(sv));
	sv.sim = sim;
	if (token_file && (ret = read_token(&sv)) != 0)
		return ret;
	pthread_mutex_init(&sv.mu, NULL);
	sv.t0 = clock_mono();
	cfg.listen = listen_addr;
	cfg.max_body = SIM_MAX_BODY;
	cfg.conn_limit = 64;
	cfg.timeout_sec = 10;
	cfg.handler = handle;
	cfg.ctx = &sv;
	if (!(h = httpd_start(&cfg, &err))) {
		pthread_mutex_destroy(&sv.mu);
		free(sv.token);
		return cmd_fail("sim", &err);
	}
	if (port_file) {
		char line[32];
		int n = snprintf(line, sizeof(line), "%d\n", httpd_port(h));

		if (atomicfile_write_atomic(port_file, line, (size_t)n, &err) < 0) {
			httpd_stop(h);
			pthread_mutex_destroy(&sv.mu);
			free(sv.token);
			fprintf(stderr, "mmops sim: %s\n", err.msg);
			return 3;
		}
	}
	{
		char host[256];
		int port;

		if (httpd_split_hostport(listen_addr, host, sizeof(host), &port, NULL) < 0)
			snprintf(host, sizeof(host), "?");
		fprintf(stderr, "mmops sim: listening on http://%s%s%s:%d (speed %g, seed %ld)\n",
			strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "",
			httpd_port(h), speed, seed);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	end = duration > 0 ? sv.t0 + duration : INFINITY;
	/* Keep the model moving between requests so a catch-up never gets long. */
	while (!stop_flag && clock_mono() < end) {
		struct timespec ts = {0, STEP_NS};

		nanosleep(&ts, NULL);
		pthread_mutex_lock(&sv.mu);
		catch_up(&sv);
		pthread_mutex_unlock(&sv.mu);
	}
	httpd_stop(h);
	pthread_mutex_destroy(&sv.mu);
	free(sv.token);
	fprintf(stderr, "mmops sim: stopped at simulated %.1fs\n", sim_time(sim));
	return 0;
}

static int
write_report(const struct sim_config *cfg)
{
	struct mm_err err;
	json_t *rep;
	char *text;
	int ret = 0;

	if (!(rep = edgereport_edge(cfg, hours, &err)))
		return cmd_fail("sim", &err);
	if (strcmp(soakreport_path, "-") == 0) {
		text = jsontree_dumps(rep);
		if (fputs(text, stdout) == EOF || fflush(stdout) != 0) {
			fprintf(stderr, "mmops sim: cannot write the report: %s\n",
				strerror(errno));
			ret = 3;
		}
		free(text);
	} else if (jsontree_write_file(soakreport_path, rep, &err) < 0) {
		fprintf(stderr, "mmops sim: %s\n", err.msg);
		ret = 3;
	}
	json_decref(rep);
	return ret;
}

int
cmd_sim(int argc, char **argv)
{
	const char **pos = xcalloc((size_t)argc + 1, sizeof(*pos));
	struct sim_fault faults[SIM_MAX_FAULTS];
	struct sim_config cfg = {0};
	struct mm_err err;
	struct sim *sim = NULL;
	int npos, r, ret = 2;
	size_t i;

	reset_options();
	r = opt_parse(&sim_help, argc, argv, pos, &npos);
	if (r != 0) {
		ret = r == 1 ? 0 : 2;
		goto out;
	}
	if (npos > 0) {
		ret = opt_usage_error(&sim_help, "unexpected argument '%s'", pos[0]);
		goto out;
	}
	if (!(speed > 0) || speed > 1e6) {
		ret = opt_usage_error(&sim_help, "--speed must be above 0 and at most 1e6, not %g",
				      speed);
		goto out;
	}
	/* Options of the other mode would be silently ignored: refuse them. */
	if (!soakreport_path && !isnan(hours)) {
		ret = opt_usage_error(&sim_help, "--hours goes with --report (serving runs until "
						 "stopped, or for --duration of wall time)");
		goto out;
	}
	if (soakreport_path &&
	    (listen_addr != default_listen || token_file || port_file || duration > 0)) {
		ret =
		    opt_usage_error(&sim_help, "--%s does not go with --report (nothing is served)",
				    listen_addr != default_listen ? "listen"
				    : token_file		  ? "token-file"
				    : port_file			  ? "port-file"
								  : "duration");
		goto out;
	}
	if (isnan(hours))
		hours = 24;
	if (fault_specs.n > SIM_MAX_FAULTS) {
		ret = opt_usage_error(&sim_help, "more than %d --fault options", SIM_MAX_FAULTS);
		goto out;
	}
	for (i = 0; i < fault_specs.n; i++) {
		if (sim_fault_parse(fault_specs.v[i], 0, &faults[i], &err) < 0) {
			ret = opt_usage_error(&sim_help, "%s", err.msg);
			goto out;
		}
	}
	cmd_log_to_stderr("sim", 0);
	cfg.seed = (uint64_t)seed;
	cfg.speed = speed;
	cfg.faults = faults;
	cfg.nfaults = fault_specs.n;
	cfg.replicas = (unsigned)replicas;
	if (soakreport_path) {
		ret = write_report(&cfg);
		goto out;
	}
	if (!(sim = sim_new(&cfg, &err))) {
		ret = cmd_fail("sim", &err);
		goto out;
	}
	ret = serve(sim);
out:
	sim_free(sim);
	free(pos);
	strlist_release(&fault_specs);
	return ret;
}
