/*
 * cmd_soak.c - `mmops soak`: run a soak (compressed against the simulator,
 * live against a /metrics endpoint or a Prometheus, or after the fact from
 * Prometheus's history), judge the gates of deploy/gates/soak.yaml and write
 * the reports.  Options, progress, signals and exit codes live here; the
 * engine is lib/soak, the gates lib/gates, the files lib/soakreport.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "cmds.h"
#include "err.h"
#include "gates.h"
#include "log.h"
#include "opt.h"
#include "soakreport.h"
#include "soak.h"
#include "xalloc.h"

#define SOAK_DEFAULT_SCRAPE "http://127.0.0.1:9100/metrics" /* mmops sim's default listen */

static double hours, interval, checkpoint_every, warmup, timeout, progress_every;
static const char *export_json, *export_md, *gate_summary, *export_html, *junit, *gates_path;
static const char *seed_str, *scrape_url, *prom_url, *from_str, *to_str, *state_path, *resume_path;
static int mock, abort_on_fail, verbose, check_only, print_gates, quiet, record_series;
static struct strlist faults;

static const struct opt opts[] = {
    {"hours", 0, OPT_DOUBLE, &hours, "H", "planned duration in hours (default 72)", 0, 0},
    {"mock", 0, OPT_BOOL, &mock, NULL,
     "soak the in-process simulator on a simulated clock (seconds for 72 h)", 0, 0},
    {"scrape", 0, OPT_STRING, &scrape_url, "URL",
     "scrape this /metrics URL in real time (default without a source: $MMOPS_SCRAPE_URL "
     "or " SOAK_DEFAULT_SCRAPE ")",
     0, 0},
    {"prometheus", 0, OPT_STRING, &prom_url, "URL",
     "query this Prometheus each interval (or over --from/--to)", 0, 0},
    {"from", 0, OPT_STRING, &from_str, "T",
     "with --prometheus: judge the soak that ran from T (RFC 3339 or epoch seconds)", 0, 0},
    {"to", 0, OPT_STRING, &to_str, "T",
     "with --prometheus: ... to T (query_range, step kept under 11,000 points)", 0, 0},
    {"interval", 0, OPT_DURATION, &interval, "D", "time between samples (default 15s)", 0, 0},
    {"timeout", 0, OPT_DURATION, &timeout, "D",
     "per scrape (default: the interval, at most 10s) or Prometheus query (10s; 30s with "
     "--from/--to); 0 is the default",
     0, 0},
    {"export-json", 0, OPT_STRING, &export_json, "FILE",
     "write soak_metrics.json: every series and aggregate, the run", 0, 0},
    {"export-md", 0, OPT_STRING, &export_md, "FILE",
     "write SOAK_RESULTS.md (GitHub-flavoured summary)", 0, 0},
    {"gate-summary", 0, OPT_STRING, &gate_summary, "FILE",
     "write gates_summary.json (verdict and every gate)", 0, 0},
    {"export-html", 0, OPT_STRING, &export_html, "FILE",
     "write a self-contained HTML report with charts", 0, 0},
    {"junit", 0, OPT_STRING, &junit, "FILE", "write JUnit XML, one testcase per gate", 0, 0},
    {"record-series", 0, OPT_BOOL, &record_series, NULL,
     "keep every series' windowed value after warm-up in --export-json (for mmops canary "
     "--baseline-soak; at most 1,000,000 per series; not checkpointed)",
     0, 0},
    {"gates", 0, OPT_STRING, &gates_path, "FILE",
     "gates file (default: the built-in copy of deploy/gates/soak.yaml)", 0, 0},
    {"seed", 0, OPT_STRING, &seed_str, "S", "with --mock: the simulator's seed (default 1)", 0, 0},
    {"fault", 0, OPT_LIST, &faults, "SPEC",
     "with --mock: inject a fault, e.g. latency:x4@30h+2h (repeatable)", 0, 0},
    {"warmup", 0, OPT_DURATION, &warmup, "D",
     "not judged at the start (default: the gates file's, 10m)", 0, 0},
    {"checkpoint-every", 0, OPT_DURATION, &checkpoint_every, "D",
     "soak time between checkpoints (default 5m; 0: only at the end)", 0, 0},
    {"state", 0, OPT_STRING, &state_path, "FILE",
     "checkpoint file (default for live sources: soak.state.json beside --export-json; --mock: "
     "none)",
     0, 0},
    {"resume", 0, OPT_STRING, &resume_path, "STATE", "continue the run checkpointed in STATE", 0,
     0},
    {"abort-on-fail", 0, OPT_BOOL, &abort_on_fail, NULL,
     "stop at the first sustained hard-gate breach", 0, 0},
    {"progress-every", 0, OPT_DURATION, &progress_every, "D",
     "when stderr is not a terminal: a progress line every D of soak time (default 5m; --mock 6h)",
     0, 0},
    {"check", 0, OPT_BOOL, &check_only, NULL, "only load and check the gates file, then exit", 0,
     0},
    {"print-gates", 0, OPT_BOOL, &print_gates, NULL, "print the built-in gates file and exit", 0,
     0},
    {"quiet", 'q', OPT_BOOL, &quiet, NULL, "no progress and no summary on stdout", 0, 0},
    {"verbose", 'v', OPT_BOOL, &verbose, NULL, "log every failed scrape", 0, 0},
    {NULL, 0, 0, NULL, NULL, NULL, 0, 0},
};

static const struct cmd_help help = {
    "soak",
    "--hours H [--mock | --scrape URL | --prometheus URL [--from T --to T]] [options]",
    "Run a soak and judge the gates of deploy/gates/soak.yaml (DESIGN.md §5): each gate's\n"
    "aggregate over the soak after warm-up, and its windowed value against the alert's for:.\n"
    "Reports are written atomically; with CI_FAKE_UTC they are byte-for-byte reproducible.\n"
    "Exit: 0 every hard gate passed (soft failures only warn), 1 a hard gate failed or had\n"
    "no data, 2 usage or gates file, 3 source unreachable for the whole run, a query error\n"
    "on a hard gate, or the run was interrupted (SIGINT/SIGTERM: reports marked incomplete).",
    opts,
    "  mmops soak --hours 72 --mock \\\n"
    "    --export-json artifacts/reports/soak_metrics.json \\\n"
    "    --export-md artifacts/reports/SOAK_RESULTS.md \\\n"
    "    --gate-summary artifacts/reports/gates_summary.json\n"
    "  mmops soak --mock --hours 72 --interval 1s --fault latency:x4@30h+2h \\\n"
    "    --export-html report.html --junit junit.xml\n"
    "  mmops soak --hours 72 --scrape http://bot:9100/metrics --state soak.state.json\n"
    "  mmops soak --resume soak.state.json --gate-summary gates_summary.json\n"
    "  mmops soak --prometheus http://127.0.0.1:9090 --from 2025-10-11T00:00:00Z \\\n"
    "    --to 2025-10-14T00:00:00Z --gate-summary gates_summary.json\n",
};

static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
	stop_flag = 1;
	/* A second signal kills the way the user expects. */
	signal(sig, SIG_DFL);
}

static void
reset_opts(void)
{
	hours = interval = checkpoint_every = warmup = timeout = progress_every = NAN;
	export_json = export_md = gate_summary = export_html = junit = gates_path = NULL;
	seed_str = scrape_url = prom_url = from_str = to_str = state_path = resume_path = NULL;
	mock = abort_on_fail = verbose = check_only = print_gates = quiet = record_series = 0;
	strlist_release(&faults);
}

/* ---- progress ---- */

struct prog {
	int tty;
	double every;	 /* soak seconds between log lines (not a tty) */
	double next_log; /* soak time of the next log line */
	double wall0, last_draw;
	double logged; /* soak time of the last log line */
	int drawn;
};

static void
on_progress(const struct soak_progress *p, void *ctx)
{
	struct prog *g = ctx;
	char el[32], pl[32], eta[32];
	double now = clock_mono(), pct = p->planned > 0 ? 100 * p->elapsed / p->planned : 0;
	double wall = now - g->wall0, left = NAN;

	if (p->elapsed > 0 && wall > 0)
		left = wall * (p->planned - p->elapsed) / p->elapsed;
	clock_format_duration(p->elapsed, el, sizeof(el));
	clock_format_duration(p->planned, pl, sizeof(pl));
	if (isnan(left) || left < 0)
		snprintf(eta, sizeof(eta), "?");
	else
		clock_format_duration(floor(left), eta, sizeof(eta));
	if (g->tty) {
		if (!p->done && now - g->last_draw < 0.2)
			return;
		g->last_draw = now;
		fprintf(
		    stderr,
		    "\r\033[Ksoak %s/%s %5.1f%%  ETA %s  samples %lu  missing %lu  breaching: %s",
		    el, pl, pct, p->done ? "0s" : eta, p->samples, p->missing,
		    p->breaching ? p->breaching_names : "none");
		g->drawn = 1;
		if (p->done)
			fputc('\n', stderr);
		fflush(stderr);
		return;
	}
	if (p->done && g->logged == p->elapsed)
		return;
	if (!p->done && p->elapsed < g->next_log)
		return;
	g->logged = p->elapsed;
	while (g->next_log <= p->elapsed)
		g->next_log += g->every;
	fprintf(stderr, "mmops soak: %s/%s (%.1f%%) samples %lu, missing %lu, breaching: %s%s\n",
		el, pl, pct, p->samples, p->missing, p->breaching ? p->breaching_names : "none",
		p->done ? " (done)" : "");
}

/* ---- options into engine options ---- */

static int
parse_seed(uint64_t *seed)
{
	char *end;
	unsigned long long v;

	*seed = 1;
	if (!seed_str)
		return 0;
	errno = 0;
	v = strtoull(seed_str, &end, 10);
	if (errno || end == seed_str || *end || seed_str[0] == '-')
		return opt_usage_error(&help, "--seed: '%s' is not a non-negative integer",
				       seed_str);
	*seed = v;
	return 0;
}

/* The default checkpoint file for live sources: beside the JSON report. */
static char *
default_state_path(void)
{
	const char *slash;

	if (!export_json || !(slash = strrchr(export_json, '/')))
		return xstrdup("soak.state.json");
	return xasprintf("%.*s/soak.state.json", (int)(slash - export_json), export_json);
}

static int
build_opts(struct soak_opts *o, char **state_own)
{
	struct mm_err err;
	int nsrc = !!mock + !!scrape_url + !!prom_url;

	memset(o, 0, sizeof(*o));
	if (nsrc > 1)
		return opt_usage_error(&help,
				       "choose one source: --mock, --scrape or --prometheus");
	if ((from_str || to_str) && !prom_url)
		return opt_usage_error(&help, "--from and --to need --prometheus");
	if (!!from_str != !!to_str)
		return opt_usage_error(&help, "--from and --to go together");
	if (faults.n && !mock)
		return opt_usage_error(&help, "--fault needs --mock");
	if (seed_str && !mock)
		return opt_usage_error(&help, "--seed needs --mock");
	if (!isnan(hours) && !(hours > 0))
		return opt_usage_error(&help, "--hours must be greater than 0");
	if (!isnan(interval) && !(interval > 0))
		return opt_usage_error(&help, "--interval must be longer than 0s");
	o->duration = (isnan(hours) ? 72 : hours) * 3600;
	o->interval = isnan(interval) ? 15 : interval;
	o->warmup = isnan(warmup) ? -1 : warmup;
	o->timeout = isnan(timeout) ? 0 : timeout;
	o->abort_on_fail = abort_on_fail;
	o->record_series = record_series;
	o->checkpoint_every = isnan(checkpoint_every) ? 300 : checkpoint_every;
	if (mock) {
		o->source = SOAK_SRC_MOCK;
		if (parse_seed(&o->seed))
			return 2;
		o->faults = faults.v;
		o->nfaults = faults.n;
	} else if (prom_url) {
		o->url = prom_url;
		o->source = SOAK_SRC_PROM_LIVE;
		if (from_str) {
			mm_err_init(&err);
			if (clock_parse_time(from_str, &o->from, &err) < 0)
				return opt_usage_error(&help, "--from: '%s' is not a time",
						       from_str);
			if (clock_parse_time(to_str, &o->to, &err) < 0)
				return opt_usage_error(&help, "--to: '%s' is not a time", to_str);
			if (!(o->to > o->from))
				return opt_usage_error(&help, "--to must be after --from");
			if (!isnan(hours))
				return opt_usage_error(&help,
						       "--hours does not go with --from/--to");
			o->source = SOAK_SRC_PROM_RANGE;
		}
	} else {
		const char *env = getenv("MMOPS_SCRAPE_URL");

		o->source = SOAK_SRC_SCRAPE;
		o->url = scrape_url ? scrape_url : env && *env ? env : SOAK_DEFAULT_SCRAPE;
	}
	if (state_path)
		o->state_path = state_path;
	else if (o->source == SOAK_SRC_SCRAPE || o->source == SOAK_SRC_PROM_LIVE)
		o->state_path = *state_own = default_state_path();
	return 0;
}

/* With --resume, options that define the run may be repeated but not changed. */
static int
check_resume_conflicts(const struct soak_opts *rec)
{
	static const char *const names[] = {"mock", "scrape", "prometheus", "prometheus"};
	const char *given = mock ? "mock" : scrape_url ? "scrape" : prom_url ? "prometheus" : NULL;

	if (given && strcmp(given, names[rec->source]) != 0)
		return opt_usage_error(&help, "--resume: the checkpoint is of a --%s run, not --%s",
				       names[rec->source], given);
	if ((scrape_url || prom_url) && rec->url &&
	    strcmp(scrape_url ? scrape_url : prom_url, rec->url) != 0)
		return opt_usage_error(&help, "--resume: the checkpoint's URL is '%s'", rec->url);
	if (!isnan(hours) && rec->source != SOAK_SRC_PROM_RANGE &&
	    fabs(hours * 3600 - rec->duration) > 1e-6)
		return opt_usage_error(&help, "--resume: the checkpoint's run is %g hours, not %g",
				       rec->duration / 3600, hours);
	if (!isnan(interval) && rec->source != SOAK_SRC_PROM_RANGE &&
	    fabs(interval - rec->interval) > 1e-9)
		return opt_usage_error(&help, "--resume: the checkpoint's interval is %gs",
				       rec->interval);
	/* The engine runs with the recorded values: a different one would be ignored. */
	if (abort_on_fail && !rec->abort_on_fail)
		return opt_usage_error(&help,
				       "--resume: the checkpoint's run has no --abort-on-fail");
	if (!isnan(timeout) && fabs(timeout - rec->timeout) > 1e-9) {
		if (rec->timeout > 0)
			return opt_usage_error(&help, "--resume: the checkpoint's --timeout is %gs",
					       rec->timeout);
		return opt_usage_error(&help,
				       "--resume: the checkpoint's run has the default --timeout");
	}
	if (!isnan(checkpoint_every) && fabs(checkpoint_every - rec->checkpoint_every) > 1e-9)
		return opt_usage_error(&help,
				       "--resume: the checkpoint's --checkpoint-every is %gs",
				       rec->checkpoint_every);
	if (gates_path)
		return opt_usage_error(
		    &help, "--resume: the checkpoint carries its own gates; drop --gates");
	if (record_series)
		return opt_usage_error(
		    &help, "--resume: recorded series are not checkpointed; drop --record-series");
	if (faults.n || seed_str || from_str || !isnan(warmup))
		return opt_usage_error(&help, "--resume: --fault, --seed, --from/--to and --warmup "
					      "are taken from the checkpoint");
	return 0;
}

/* ---- output ---- */

static void
print_summary(const struct soak_report *r)
{
	const struct soakreport_run *u = &r->run;
	char el[32];
	size_t i;

	clock_format_duration(u->elapsed, el, sizeof(el));
	printf("soak: %s (%s, %s, %lu samples, %lu missing)\n", soakreport_verdict(r), u->source,
	       el, u->samples, u->missing);
	printf("  %-20s %-4s %-8s %-22s %s\n", "gate", "kind", "verdict", "value", "threshold");
	for (i = 0; i < r->ngates; i++) {
		const struct gate_result *g = &r->gates[i].res;
		const struct gate_def *d = g->def;
		char v[64], val[80];

		if (isnan(g->value))
			snprintf(val, sizeof(val), "-");
		else {
			snprintf(v, sizeof(v), "%.4g", g->value);
			snprintf(val, sizeof(val), "%s%s%s %s", v, *d->sel.unit ? " " : "",
				 d->sel.unit, gates_agg_name(d->agg));
		}
		printf("  %-20s %-4s %-8s %-22s %s %.6g%s%s\n", d->name, d->hard ? "hard" : "soft",
		       gates_verdict_name(g->verdict), val, gates_op_name(d->op), d->threshold,
		       *d->sel.unit ? " " : "", d->sel.unit);
	}
}

static int
write_reports(const struct soak_report *r)
{
	const struct {
		const char **path;
		int (*fn)(const struct soak_report *, const char *, struct mm_err *);
	} w[] = {
	    {&export_json, soakreport_write_metrics}, {&export_md, soakreport_write_markdown},
	    {&gate_summary, soakreport_write_gates},  {&export_html, soakreport_write_html},
	    {&junit, soakreport_write_junit},
	};
	size_t i;
	int failed = 0;

	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		struct mm_err err;

		if (!*w[i].path)
			continue;
		mm_err_init(&err);
		if (w[i].fn(r, *w[i].path, &err) < 0) {
			char msg[MM_ERR_MSG_MAX + MM_ERR_FILE_MAX + 8];

			fprintf(stderr, "mmops soak: cannot write report: %s\n",
				mm_err_format(&err, msg, sizeof(msg)));
			failed = 1;
		} else if (!quiet) {
			printf("report: %s\n", *w[i].path);
		}
	}
	return failed ? -1 : 0;
}

static void
warn_soft(const struct soak_report *r)
{
	size_t i;

	for (i = 0; i < r->ngates; i++) {
		const struct gate_result *g = &r->gates[i].res;

		if (!g->def->hard && g->verdict != VERDICT_PASS)
			fprintf(stderr, "mmops soak: warning: soft gate %s %s: %s\n", g->def->name,
				gates_verdict_name(g->verdict), g->reason);
		else if (g->def->hard && g->verdict != VERDICT_PASS)
			fprintf(stderr, "mmops soak: hard gate %s %s: %s\n", g->def->name,
				gates_verdict_name(g->verdict), g->reason);
	}
	if (r->run.aborted)
		fprintf(stderr, "mmops soak: aborted: %s\n", r->run.abort_reason);
	if (r->run.interrupted)
		fprintf(stderr,
			"mmops soak: interrupted: reports cover %s of the run and are marked "
			"incomplete\n",
			r->run.complete ? "all" : "part");
	if (r->run.unreachable)
		fprintf(stderr, "mmops soak: the source was unreachable for the whole run: %s\n",
			r->run.last_error);
}

int
cmd_soak(int argc, char **argv)
{
	struct gate_config *cfg = NULL;
	struct soak *s = NULL;
	struct soak_opts o;
	struct soak_report rep;
	struct mm_err err;
	struct prog prog;
	struct sigaction sa;
	char *state_own = NULL;
	const char **pos = xcalloc((size_t)argc + 1, sizeof(*pos));
	int npos = 0, rc, ret = 2;
	double now;

	reset_opts();
	mm_err_init(&err);
	rc = opt_parse(&help, argc, argv, pos, &npos);
	if (rc) {
		ret = rc == 1 ? 0 : 2;
		goto out;
	}
	if (npos) {
		ret = opt_usage_error(&help, "unexpected argument '%s'", pos[0]);
		goto out;
	}
	cmd_log_to_stderr("soak", verbose);
	if (print_gates) {
		fputs(gates_default_yaml, stdout);
		ret = 0;
		goto out;
	}
	if (!resume_path) {
		cfg = gates_path ? gates_load_file(gates_path, &err) : gates_load_default(&err);
		if (!cfg) {
			ret = cmd_fail("soak", &err);
			goto out;
		}
		if (check_only) {
			printf("%s: %zu gates, %zu recorded series, %zu metrics declared: ok\n",
			       cfg->file, cfg->ngates, cfg->nrecord, cfg->nmetrics);
			ret = 0;
			goto out;
		}
		if ((ret = build_opts(&o, &state_own)) != 0)
			goto out;
	} else {
		if (check_only) {
			ret = opt_usage_error(&help, "--check does not go with --resume");
			goto out;
		}
		memset(&o, 0, sizeof(o));
		o.state_path = state_path;
	}

	memset(&prog, 0, sizeof(prog));
	prog.tty = !quiet && isatty(STDERR_FILENO);
	prog.wall0 = clock_mono();
	o.stop = &stop_flag;
	o.progress = quiet ? NULL : on_progress;
	o.progress_ctx = &prog;

	if (resume_path) {
		if (!(s = soak_resume(resume_path, &o, &err))) {
			ret = cmd_fail("soak", &err);
			goto out;
		}
		if ((ret = check_resume_conflicts(soak_get_opts(s))) != 0)
			goto out;
	} else if (!(s = soak_new(&o, cfg, &err))) {
		ret = cmd_fail("soak", &err);
		goto out;
	}
	prog.every = !isnan(progress_every) && progress_every > 0 ? progress_every
		     : soak_get_opts(s)->source == SOAK_SRC_MOCK  ? 6 * 3600
								  : 300;
	prog.next_log = prog.every;
	prog.logged = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (soak_run(s, &err) < 0) {
		/* A checkpoint that cannot be written: still report what ran. */
		cmd_fail("soak", &err);
	}
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);

	if (clock_now(&now, &err) < 0) {
		ret = cmd_fail("soak", &err);
		goto out;
	}
	soak_report(s, now, &rep);
	warn_soft(&rep);
	if (!quiet)
		print_summary(&rep);
	ret = soak_exit_code(&rep);
	if (write_reports(&rep) < 0 && ret == 0)
		ret = 3;
out:
	soak_free(s);
	gates_free(cfg);
	free(state_own);
	free(pos);
	strlist_release(&faults);
	return ret;
}
