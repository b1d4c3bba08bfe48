/*
 * cmd_watch.c - `mmops watch`: the rollback watcher daemon.  Options, the
 * policy check (--check), signals and exit codes live here; the service
 * itself (HTTP, decisions, worker, metrics) is lib/watch.c.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cmds.h"
#include "err.h"
#include "atomicfile.h"
#include "http.h"
#include "httpd.h"
#include "log.h"
#include "opt.h"
#include "policy.h"
#include "watch.h"
#include "xalloc.h"

#define DEFAULT_POLICY	  "deploy/policies/rollback.yaml"
#define DEFAULT_STATE_DIR ".mmops-watch"

static struct {
	long port;
	const char *listen, *policy, *state_dir, *audit_log, *token_file, *basic_file, *port_file;
	int dry_run, check, verbose, accept_loss;
} o;

static const struct opt opts[] = {
    {"port", 'p', OPT_LONG, &o.port, "N",
     "listen on 127.0.0.1:N (default 8080; 0 picks a free port)", 0, 65535},
    {"listen", 0, OPT_STRING, &o.listen, "ADDR:PORT",
     "listen address instead of 127.0.0.1:PORT (\"[::1]:8080\", \"0.0.0.0:8080\")", 0, 0},
    {"policy", 0, OPT_STRING, &o.policy, "FILE", "rollback policy (default " DEFAULT_POLICY ")", 0,
     0},
    {"dry-run", 'n', OPT_BOOL, &o.dry_run, NULL,
     "decide and report what would run; run nothing, never write the state dir", 0, 0},
    {"state-dir", 0, OPT_STRING, &o.state_dir, "DIR",
     "dedup/cooldown state ($STATE_DIRECTORY, else " DEFAULT_STATE_DIR ")", 0, 0},
    {"audit-log", 0, OPT_STRING, &o.audit_log, "FILE",
     "append-only JSON lines audit log (default STATE_DIR/audit.jsonl; none in dry-run)", 0, 0},
    {"token-file", 0, OPT_STRING, &o.token_file, "FILE",
     "require 'Authorization: Bearer <token>' with the token in FILE", 0, 0},
    {"basic-auth-file", 0, OPT_STRING, &o.basic_file, "FILE",
     "require HTTP basic auth; FILE holds user:password", 0, 0},
    {"check", 0, OPT_BOOL, &o.check, NULL,
     "validate the policy (and credential files) and exit: 0 valid, 2 invalid", 0, 0},
    {"port-file", 0, OPT_STRING, &o.port_file, "FILE",
     "once listening, write the bound port to FILE (for --port 0)", 0, 0},
    {"accept-loss", 0, OPT_BOOL, &o.accept_loss, NULL,
     "start even when the state dir lost records (each loss is logged); without it a "
     "damaged journal or snapshot stops the start (exit 2)",
     0, 0},
    {"verbose", 'v', OPT_BOOL, &o.verbose, NULL, "log every decision", 0, 0},
    {NULL, 0, 0, NULL, NULL, NULL, 0, 0},
};

static const struct cmd_help help = {
    "watch",
    "[--port N | --listen ADDR:PORT] [--policy FILE] [--dry-run] [--state-dir DIR]\n"
    "       [--audit-log FILE] [--token-file FILE | --basic-auth-file FILE] [--check]\n"
    "       [--accept-loss]",
    "Receive Alertmanager's webhook on POST /alert-hook and turn hard alerts into a\n"
    "rollback: the policy's actions (scale the strategy to 0, open the circuit breaker,\n"
    "freeze orders, notify) run in order on a worker thread, at most one rollback at a\n"
    "time and none within the cooldown.  Soft alerts run the notify actions only.\n"
    "Each alert is decided on its own status and labels, once per (fingerprint,\n"
    "startsAt), across retries, several Alertmanagers and restarts; the answer lists\n"
    "every alert's decision (rollback, notify, ignored, duplicate, cooldown) and is\n"
    "sent only after the decision is on disk.  Resolved alerts are recorded and never\n"
    "undo a rollback.  Also serves GET /health, /metrics and /status.\n"
    "When the disk refuses (full), the webhook answers 500 and /health 503 until a\n"
    "write works again, which the watcher finds out by itself.  A state dir whose\n"
    "journal or snapshot cannot be read back whole (checksums) is not used without\n"
    "--accept-loss: the start says what was lost.\n"
    "SIGTERM/SIGINT stop (a running rollback gets 10s to finish, else it resumes at\n"
    "the next start); SIGHUP reopens the audit log (for logrotate).\n"
    "exit: 0 stopped by a signal or --check passed, 2 bad usage, policy or\n"
    "credentials, 3 cannot listen or keep the state.",
    opts,
    "  mmops watch --port 8080 --policy deploy/policies/rollback.yaml --dry-run\n"
    "  mmops watch --check --policy deploy/policies/rollback.yaml\n"
    "  curl -X POST http://localhost:8080/alert-hook -H 'Content-Type: application/json' \\\n"
    "      -d '{\"alerts\": [{\"labels\": {\"alertname\": \"SoakLatencyP95High\"}, "
    "\"status\": \"firing\"}]}'\n",
};

static void
describe_class(FILE *fp, const char *what, const struct alert_class *c)
{
	size_t i;

	fprintf(fp, "%s: %zu alert name%s, %zu matcher%s\n", what, c->nnames,
		c->nnames == 1 ? "" : "s", c->ngroups, c->ngroups == 1 ? "" : "s");
	for (i = 0; i < c->nnames; i++)
		fprintf(fp, "  alertname %s\n", c->alertnames[i]);
	for (i = 0; i < c->ngroups; i++)
		fprintf(fp, "  matcher %s\n", c->groups[i].text);
}

static int
do_check(const struct policy *p)
{
	char cd[32];
	size_t i;

	printf("policy %s is valid: cooldown %s, %zu action%s\n", p->file,
	       clock_format_duration(p->cooldown, cd, sizeof(cd)), p->nactions,
	       p->nactions == 1 ? "" : "s");
	describe_class(stdout, "hard (rollback)", &p->hard);
	describe_class(stdout, "soft (notify)", &p->soft);
	for (i = 0; i < p->nactions; i++) {
		const struct policy_action *a = &p->actions[i];

		printf("action %zu %s on%s%s: %s%s%s%s\n", i + 1, a->name,
		       a->on & (1u << DECISION_ROLLBACK) ? " rollback" : "",
		       a->on & (1u << DECISION_NOTIFY) ? " notify" : "",
		       a->kind == ACTION_HTTP ? a->method : "command",
		       a->kind == ACTION_HTTP ? " " : "",
		       a->kind == ACTION_HTTP ? a->url_shown : "",
		       a->skip_reason ? " (skipped: variable empty)" : "");
	}
	return 0;
}

static sigset_t sigs;

int
cmd_watch(int argc, char **argv)
{
	const char **pos = xcalloc((size_t)argc + 1, sizeof(*pos));
	char listen[300], *token = NULL, *basic = NULL, *audit = NULL;
	struct watch_config wc;
	struct policy *pol = NULL;
	struct watch *w = NULL;
	struct mm_err err;
	int npos, rc, sig;

	memset(&o, 0, sizeof(o));
	o.port = -1; /* not given: 8080, unless --listen */
	o.policy = DEFAULT_POLICY;
	rc = opt_parse(&help, argc, argv, pos, &npos);
	if (rc) {
		free(pos);
		return rc == 1 ? 0 : 2;
	}
	if (npos) {
		rc = opt_usage_error(&help, "unexpected argument '%s'", pos[0]);
		goto out;
	}
	if (o.port >= 0 && o.listen) {
		rc = opt_usage_error(&help, "--port and --listen exclude each other");
		goto out;
	}
	if (o.port < 0)
		o.port = 8080;
	if (o.token_file && o.basic_file) {
		rc =
		    opt_usage_error(&help, "--token-file and --basic-auth-file exclude each other");
		goto out;
	}
	cmd_log_to_stderr("watch", o.verbose);
	mm_err_init(&err);
	if (!(pol = policy_load_file(o.policy, &err))) {
		rc = cmd_fail("watch", &err);
		goto out;
	}
	if ((o.token_file && !(token = httpd_read_credential(o.token_file, &err))) ||
	    (o.basic_file && !(basic = httpd_read_credential(o.basic_file, &err)))) {
		rc = cmd_fail("watch", &err);
		goto out;
	}
	if (basic && !strchr(basic, ':')) {
		mm_errf(&err, MM_E_CONFIG, "basic auth file '%s' must hold user:password",
			o.basic_file);
		rc = cmd_fail("watch", &err);
		goto out;
	}
	if (o.check) {
		rc = do_check(pol);
		goto out;
	}
	if (!o.state_dir)
		o.state_dir = getenv("STATE_DIRECTORY") && *getenv("STATE_DIRECTORY")
				  ? getenv("STATE_DIRECTORY")
				  : DEFAULT_STATE_DIR;
	if (o.audit_log)
		audit = xstrdup(o.audit_log);
	else if (!o.dry_run)
		audit = xasprintf("%s/audit.jsonl", o.state_dir);
	if (o.listen)
		snprintf(listen, sizeof(listen), "%s", o.listen);
	else
		snprintf(listen, sizeof(listen), "127.0.0.1:%ld", o.port);

	/* Threads inherit this mask, so the signals arrive only at sigwait() below. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	http_global_init();

	memset(&wc, 0, sizeof(wc));
	wc.listen = listen;
	wc.policy = pol;
	wc.dry_run = o.dry_run;
	wc.state_dir = o.state_dir;
	wc.audit_path = audit;
	wc.bearer_token = token;
	wc.basic_auth = basic;
	wc.accept_loss = o.accept_loss;
	if (!(w = watch_start(&wc, &err))) {
		rc = cmd_fail("watch", &err);
		if (err.code == MM_E_PARSE && strstr(err.msg, "unless the loss is accepted"))
			fprintf(stderr,
				"mmops watch: the lines above say what was lost; start with "
				"--accept-loss to continue with the rest\n");
		goto out;
	}
	if (o.port_file) {
		char pb[16];
		int n = snprintf(pb, sizeof(pb), "%d\n", watch_port(w));

		if (atomicfile_write_atomic(o.port_file, pb, (size_t)n, &err) < 0) {
			watch_stop(w);
			rc = cmd_fail("watch", &err);
			goto out;
		}
	}
	mm_log(MM_LOG_INFO, "listening on %s (port %d); policy %s; state %s%s; audit %s%s", listen,
	       watch_port(w), pol->file, o.state_dir, o.dry_run ? " (read only)" : "",
	       audit ? audit : "none", o.dry_run ? "; DRY RUN: no action will run" : "");
	for (;;) {
		if (sigwait(&sigs, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			if (watch_reopen_audit(w, &err) < 0)
				mm_log(MM_LOG_ERROR, "SIGHUP: %s", err.msg);
			else
				mm_log(MM_LOG_INFO, "SIGHUP: audit log reopened (restart to change "
						    "the policy)");
			continue;
		}
		mm_log(MM_LOG_INFO, "%s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
		break;
	}
	watch_stop(w);
	rc = 0;
out:
	policy_free(pol);
	free(token);
	free(basic);
	free(audit);
	free(pos);
	return rc;
}
