/*
 * cmd_canary.c - `mmops canary`: judge a candidate release against the
 * baseline it replaces.  Options, the choice of source, the summary on
 * stdout and the exit code live here; the statistics are lib/twosample,
 * the judge lib/canary, the sources lib/canary_source, the files
 * lib/canary_report.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "canary.h"
#include "canary_report.h"
#include "canary_source.h"
#include "clock.h"
#include "cmds.h"
#include "err.h"
#include "opt.h"
#include "promapi.h"
#include "sim.h"
#include "xalloc.h"

#define CANARY_RENDER_CAP ((size_t)4 << 20)

static double hours, interval, timeout;
static const char *config_path, *seed_str, *prom_url, *from_str, *to_str, *base_sel, *cand_sel;
static const char *base_soak, *cand_soak, *base_samples, *cand_samples;
static const char *out_json, *export_md, *export_html, *junit;
static int mock, fail_on_marginal, check_only, print_config, quiet;
static struct strlist faults;

static const struct opt opts[] = {
    {"mock", 0, OPT_BOOL, &mock, NULL,
     "two in-process simulators (seeds S and S+1) on a simulated clock", 0, 0},
    {"hours", 0, OPT_DOUBLE, &hours, "H", "with --mock: hours simulated per side (default 24)", 0,
     0},
    {"interval", 0, OPT_DURATION, &interval, "D", "with --mock: time between scrapes (default 15s)",
     0, 0},
    {"seed", 0, OPT_STRING, &seed_str, "S",
     "with --mock: the baseline's seed (default 1); the candidate's is S+1", 0, 0},
    {"candidate-fault", 0, OPT_LIST, &faults, "SPEC",
     "with --mock: a fault in the candidate, as mmops sim --fault (repeatable)", 0, 0},
    {"prometheus", 0, OPT_STRING, &prom_url, "URL",
     "query this Prometheus for both sides over --from/--to", 0, 0},
    {"from", 0, OPT_STRING, &from_str, "T", "with --prometheus: start (RFC 3339 or epoch seconds)",
     0, 0},
    {"to", 0, OPT_STRING, &to_str, "T", "with --prometheus: end", 0, 0},
    {"baseline", 0, OPT_STRING, &base_sel, "MATCHERS",
     "with --prometheus: the baseline's matchers, e.g. 'instance=\"mm-prod-1\"'", 0, 0},
    {"candidate", 0, OPT_STRING, &cand_sel, "MATCHERS",
     "with --prometheus: the candidate's matchers", 0, 0},
    {"timeout", 0, OPT_DURATION, &timeout, "D", "with --prometheus: per query (default 30s)", 0, 0},
    {"baseline-soak", 0, OPT_STRING, &base_soak, "FILE",
     "the baseline's soak_metrics.json (mmops soak --record-series)", 0, 0},
    {"candidate-soak", 0, OPT_STRING, &cand_soak, "FILE", "the candidate's soak_metrics.json", 0,
     0},
    {"baseline-samples", 0, OPT_STRING, &base_samples, "FILE",
     "the baseline's samples: {\"metric\": [numbers, ...], ...}", 0, 0},
    {"candidate-samples", 0, OPT_STRING, &cand_samples, "FILE", "the candidate's samples", 0, 0},
    {"config", 0, OPT_STRING, &config_path, "FILE",
     "metrics and thresholds (default: the built-in copy of deploy/gates/canary.yaml; samples "
     "files without it: every metric in either file, direction either)",
     0, 0},
    {"out-json", 0, OPT_STRING, &out_json, "FILE",
     "write canary.json: verdict, score, groups, every metric's statistics", 0, 0},
    {"export-md", 0, OPT_STRING, &export_md, "FILE",
     "write a Markdown summary (for $GITHUB_STEP_SUMMARY)", 0, 0},
    {"export-html", 0, OPT_STRING, &export_html, "FILE",
     "write an HTML report: both distributions per metric, the shift and its interval", 0, 0},
    {"junit", 0, OPT_STRING, &junit, "FILE", "write JUnit XML, a testcase per metric", 0, 0},
    {"fail-on-marginal", 0, OPT_BOOL, &fail_on_marginal, NULL,
     "exit 1 on a marginal verdict (default: warn, exit 0)", 0, 0},
    {"check", 0, OPT_BOOL, &check_only, NULL, "only load and check the config, then exit", 0, 0},
    {"print-config", 0, OPT_BOOL, &print_config, NULL, "print the built-in config and exit", 0, 0},
    {"quiet", 'q', OPT_BOOL, &quiet, NULL, "no summary on stdout", 0, 0},
    {NULL, 0, 0, NULL, NULL, NULL, 0, 0},
};

static const struct cmd_help help = {
    "canary",
    "(--mock | --prometheus URL --from T --to T --baseline M --candidate M |\n"
    "        --baseline-soak F --candidate-soak F | --baseline-samples F --candidate-samples F) "
    "[options]",
    "Judge a candidate release against the baseline it replaces, metric by metric: Mann-Whitney U\n"
    "(two-sided, tie-corrected), the Hodges-Lehmann shift with its distribution-free interval, "
    "the\n"
    "two-sample Kolmogorov-Smirnov test and the P99 beyond the shift, on one value per "
    "aggregation\n"
    "interval (1m; samples files are taken as aggregated) per side; mostly-zero metrics on their\n"
    "event rate.  Each metric is pass, high, low or nodata with the reason; the score is "
    "Kayenta's\n"
    "(per group passes/judged x 100, weighted; a critical metric breached makes it 0).\n"
    "docs/canary.md explains the method.\n"
    "Exit: 0 pass (marginal warns), 1 fail (or marginal with --fail-on-marginal), 2 usage, config "
    "or\n"
    "input, 3 a source failed (Prometheus unreachable or refusing a query) or a report was not "
    "written.",
    opts,
    "  mmops canary --mock --hours 24 --candidate-fault latency:x1.3 --export-html canary.html\n"
    "  mmops canary --prometheus http://prom:9090 --from 2026-01-01T00:00:00Z --to "
    "2026-01-01T06:00:00Z \\\n"
    "    --baseline 'instance=\"mm-prod-1\"' --candidate 'instance=\"mm-canary-1\"' --out-json "
    "canary.json\n"
    "  mmops canary --baseline-soak base/soak_metrics.json --candidate-soak "
    "cand/soak_metrics.json\n"
    "  mmops canary --baseline-samples base.json --candidate-samples cand.json --junit "
    "canary.xml\n",
};

static void
reset_opts(void)
{
	hours = interval = timeout = NAN;
	config_path = seed_str = prom_url = from_str = to_str = base_sel = cand_sel = NULL;
	base_soak = cand_soak = base_samples = cand_samples = NULL;
	out_json = export_md = export_html = junit = NULL;
	mock = fail_on_marginal = check_only = print_config = quiet = 0;
	strlist_release(&faults);
}

/* Per metric of the config: the two sides' samples. */
struct sides {
	size_t n;
	struct canary_series *b, *c;
};

static void
sides_init(struct sides *s, size_t n)
{
	s->n = n;
	s->b = xcalloc(n ? n : 1, sizeof(*s->b));
	s->c = xcalloc(n ? n : 1, sizeof(*s->c));
}

static void
sides_release(struct sides *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		canary_series_release(&s->b[i]);
		canary_series_release(&s->c[i]);
	}
	free(s->b);
	free(s->c);
}

static void
copy_series(struct canary_series *dst, const struct canary_series *src)
{
	size_t i;

	for (i = 0; i < src->n; i++)
		canary_series_add(dst, src->t[i], src->v[i]);
}

/* ---- sources ---- */

static int
run_mock(const struct canary_config *cfg, uint64_t seed, struct sides *sd, char **bdesc,
	 char **cdesc)
{
	struct sim_fault *fl = xcalloc(faults.n ? faults.n : 1, sizeof(*fl));
	struct canary_collector *col[2] = {NULL, NULL};
	struct sim *sim[2] = {NULL, NULL};
	struct buf render = BUF_INIT(CANARY_RENDER_CAP), fdesc = BUF_INIT(4096);
	double dur = (isnan(hours) ? 24 : hours) * 3600, step = isnan(interval) ? 15 : interval, t;
	struct mm_err err;
	size_t i, k;
	int ret = 2;

	mm_err_init(&err);
	for (i = 0; i < faults.n; i++) {
		char spec[SIM_FAULT_SPEC_MAX];

		if (sim_fault_parse(faults.v[i], 0, &fl[i], &err) < 0) {
			ret = opt_usage_error(&help, "--candidate-fault '%s': %s", faults.v[i],
					      err.msg);
			goto out;
		}
		buf_addf(&fdesc, ", fault %s", sim_fault_format(&fl[i], spec, sizeof(spec)));
	}
	for (k = 0; k < 2; k++) {
		struct sim_config sc;

		memset(&sc, 0, sizeof(sc));
		sc.seed = seed + k;
		sc.speed = 1;
		sc.faults = k ? fl : NULL;
		sc.nfaults = k ? faults.n : 0;
		if (!(sim[k] = sim_new(&sc, &err))) {
			ret = cmd_fail("canary", &err);
			goto out;
		}
		col[k] = canary_collector_new(cfg, 0);
	}
	for (t = step; t <= dur + 1e-9; t += step) {
		for (k = 0; k < 2; k++) {
			sim_advance_to(sim[k], t);
			buf_reset(&render);
			if (sim_render(sim[k], &render) < 0 ||
			    canary_collect_text(col[k], t, render.data, render.len, "<sim>", &err) <
				0) {
				if (!err.msg[0])
					mm_errf(&err, MM_E_RUNTIME,
						"the simulator's exposition is too large");
				ret = cmd_fail("canary", &err);
				goto out;
			}
		}
	}
	for (k = 0; k < 2; k++) {
		canary_collector_finish(col[k]);
		for (i = 0; i < cfg->nmetrics; i++)
			copy_series(k ? &sd->c[i] : &sd->b[i], canary_collector_series(col[k], i));
	}
	*bdesc = xasprintf("simulator seed %llu", (unsigned long long)seed);
	*cdesc = xasprintf("simulator seed %llu%s", (unsigned long long)seed + 1,
			   fdesc.data ? fdesc.data : "");
	ret = 0;
out:
	for (k = 0; k < 2; k++) {
		sim_free(sim[k]);
		canary_collector_free(col[k]);
	}
	buf_release(&render);
	buf_release(&fdesc);
	free(fl);
	return ret;
}

static int
run_prometheus(const struct canary_config *cfg, double from, double to, struct sides *sd)
{
	struct mm_err err;
	size_t i;
	double step = 0;

	mm_err_init(&err);
	for (i = 0; i < cfg->nmetrics; i++) {
		if (canary_fetch_prometheus(prom_url, &cfg->metrics[i], base_sel, from, to,
					    cfg->aggregate, isnan(timeout) ? 30 : timeout,
					    &sd->b[i], &step, &err) < 0 ||
		    canary_fetch_prometheus(prom_url, &cfg->metrics[i], cand_sel, from, to,
					    cfg->aggregate, isnan(timeout) ? 30 : timeout,
					    &sd->c[i], &step, &err) < 0) {
			fprintf(stderr, "mmops canary: metric %s: ", cfg->metrics[i].name);
			cmd_fail("canary", &err);
			return 3;
		}
	}
	if (step > cfg->aggregate)
		fprintf(stderr,
			"mmops canary: warning: step raised to %gs to stay under %d points\n", step,
			PROMAPI_MAX_POINTS);
	return 0;
}

/* Samples or soak files: config metrics by name, or every metric in both without --config. */
static int
run_files(struct canary_config *cfg, int soak, struct sides *sd, int *own_metrics)
{
	struct canary_samples s[2];
	const char *path[2] = {soak ? base_soak : base_samples, soak ? cand_soak : cand_samples};
	struct mm_err err;
	size_t i, k, j;
	int ret = 2;

	memset(s, 0, sizeof(s));
	mm_err_init(&err);
	for (k = 0; k < 2; k++) {
		int rc = soak ? canary_soak_load(path[k], cfg->aggregate, &s[k], &err)
			      : canary_samples_load(path[k], &s[k], &err);

		if (rc < 0) {
			ret = cmd_fail("canary", &err);
			goto out;
		}
	}
	if (*own_metrics) {
		/* every metric in either file; one missing from a side is nodata */
		for (k = 0; k < 2; k++)
			for (i = 0; i < s[k].n; i++)
				if (!canary_find(cfg, s[k].names[i]) &&
				    !canary_add_default_metric(cfg, s[k].names[i])) {
					fprintf(stderr, "mmops canary: more than %d metrics\n",
						CANARY_MAX_METRICS);
					goto out;
				}
	}
	sides_init(sd, cfg->nmetrics);
	for (i = 0; i < cfg->nmetrics; i++)
		for (k = 0; k < 2; k++)
			for (j = 0; j < s[k].n; j++)
				if (strcmp(s[k].names[j], cfg->metrics[i].name) == 0)
					copy_series(k ? &sd->c[i] : &sd->b[i], &s[k].series[j]);
	ret = 0;
out:
	canary_samples_release(&s[0]);
	canary_samples_release(&s[1]);
	return ret;
}

/* ---- output ---- */

static void
print_summary(const struct canary_report *r)
{
	size_t i;
	char sc[32];

	snprintf(sc, sizeof(sc), "%.4g", r->score->score);
	printf("canary: %s (score %s; %s)\n", canary_verdict_name(r->score->verdict), sc,
	       r->score->reason);
	printf("  %-18s %-7s %13s  %s\n", "metric", "result", "n base/cand", "why");
	for (i = 0; i < r->n; i++) {
		const struct canary_result *x = &r->results[i];
		char n[32];

		snprintf(n, sizeof(n), "%zu/%zu", x->base.n, x->cand.n);
		printf("  %-18s %-7s %13s  %s\n", x->def->name, canary_class_name(x->cls), n,
		       x->reason);
	}
}

static int
write_reports(const struct canary_report *r)
{
	const struct {
		const char *path;
		int (*fn)(const struct canary_report *, const char *, struct mm_err *);
	} w[] = {
	    {out_json, canary_write_json},
	    {export_md, canary_write_markdown},
	    {export_html, canary_write_html},
	    {junit, canary_write_junit},
	};
	size_t i;
	int failed = 0;

	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		struct mm_err err;

		if (!w[i].path)
			continue;
		mm_err_init(&err);
		if (w[i].fn(r, w[i].path, &err) < 0) {
			char msg[MM_ERR_MSG_MAX + MM_ERR_FILE_MAX + 8];

			fprintf(stderr, "mmops canary: cannot write report: %s\n",
				mm_err_format(&err, msg, sizeof(msg)));
			failed = 1;
		} else if (!quiet) {
			printf("report: %s\n", w[i].path);
		}
	}
	return failed ? -1 : 0;
}

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
	if (errno || end == seed_str || *end || seed_str[0] == '-' || v == UINT64_MAX)
		return opt_usage_error(&help, "--seed: '%s' is not a non-negative integer",
				       seed_str);
	*seed = v;
	return 0;
}

/* Which source, with the options that go with it. */
static int
check_source(int *src)
{
	int nsrc =
	    !!mock + !!prom_url + !!(base_soak || cand_soak) + !!(base_samples || cand_samples);

	if (nsrc != 1)
		return opt_usage_error(
		    &help,
		    "choose one source: --mock, --prometheus, --baseline-soak/--candidate-soak or "
		    "--baseline-samples/--candidate-samples");
	if (!mock && (faults.n || seed_str || !isnan(hours) || !isnan(interval)))
		return opt_usage_error(
		    &help, "--candidate-fault, --seed, --hours and --interval go with --mock");
	if (!prom_url && (from_str || to_str || base_sel || cand_sel || !isnan(timeout)))
		return opt_usage_error(
		    &help,
		    "--from, --to, --baseline, --candidate and --timeout go with --prometheus");
	if (prom_url && (!from_str || !to_str || !base_sel || !cand_sel))
		return opt_usage_error(
		    &help, "--prometheus needs --from, --to, --baseline and --candidate");
	if ((base_soak || cand_soak) && !(base_soak && cand_soak))
		return opt_usage_error(&help, "--baseline-soak and --candidate-soak go together");
	if ((base_samples || cand_samples) && !(base_samples && cand_samples))
		return opt_usage_error(&help,
				       "--baseline-samples and --candidate-samples go together");
	if (!isnan(hours) && !(hours > 0))
		return opt_usage_error(&help, "--hours must be greater than 0");
	if (!isnan(interval) && !(interval > 0))
		return opt_usage_error(&help, "--interval must be longer than 0s");
	*src = mock ? 0 : prom_url ? 1 : base_soak ? 2 : 3;
	return 0;
}

int
cmd_canary(int argc, char **argv)
{
	static const char *const src_names[] = {"mock", "prometheus", "soak", "samples"};
	struct canary_config *cfg = NULL;
	struct canary_result *res = NULL;
	struct canary_score score;
	struct canary_report rep;
	struct sides sd;
	struct mm_err err;
	const char **pos = xcalloc((size_t)argc + 1, sizeof(*pos));
	char *bdesc = NULL, *cdesc = NULL;
	double from = NAN, to = NAN, now;
	uint64_t seed = 1;
	int npos = 0, rc, ret = 2, src = 0, own_metrics = 0;
	size_t i;

	reset_opts();
	mm_err_init(&err);
	memset(&sd, 0, sizeof(sd));
	memset(&score, 0, sizeof(score));
	rc = opt_parse(&help, argc, argv, pos, &npos);
	if (rc) {
		ret = rc == 1 ? 0 : 2;
		goto out;
	}
	if (npos) {
		ret = opt_usage_error(&help, "unexpected argument '%s'", pos[0]);
		goto out;
	}
	cmd_log_to_stderr("canary", 0);
	if (print_config) {
		fputs(canary_default_yaml, stdout);
		ret = 0;
		goto out;
	}
	cfg = config_path ? canary_load_file(config_path, &err) : canary_load_default(&err);
	if (!cfg) {
		ret = cmd_fail("canary", &err);
		goto out;
	}
	if (check_only) {
		printf("%s: %zu metrics, %zu groups: ok\n", cfg->file, cfg->nmetrics, cfg->ngroups);
		ret = 0;
		goto out;
	}
	if ((ret = check_source(&src)) != 0)
		goto out;
	ret = 2;
	if (src == 3 && !config_path) {
		/* samples files without --config: every metric in the files, the defaults */
		canary_drop_metrics(cfg);
		own_metrics = 1;
	}
	switch (src) {
	case 0:
		if (parse_seed(&seed))
			goto out;
		sides_init(&sd, cfg->nmetrics);
		if ((ret = run_mock(cfg, seed, &sd, &bdesc, &cdesc)) != 0)
			goto out;
		break;
	case 1:
		if (clock_parse_time(from_str, &from, &err) < 0 ||
		    clock_parse_time(to_str, &to, &err) < 0) {
			ret = opt_usage_error(&help, "--from/--to: %s", err.msg);
			goto out;
		}
		if (!(to - from >= cfg->aggregate)) {
			ret = opt_usage_error(
			    &help,
			    "--to must be at least one aggregation interval (%gs) after --from",
			    cfg->aggregate);
			goto out;
		}
		if (canary_side_check(base_sel, &err) < 0 ||
		    canary_side_check(cand_sel, &err) < 0) {
			ret = opt_usage_error(&help, "%s", err.msg);
			goto out;
		}
		sides_init(&sd, cfg->nmetrics);
		if ((ret = run_prometheus(cfg, from, to, &sd)) != 0)
			goto out;
		bdesc = xstrdup(base_sel);
		cdesc = xstrdup(cand_sel);
		break;
	default:
		if ((ret = run_files(cfg, src == 2, &sd, &own_metrics)) != 0)
			goto out;
		bdesc = xstrdup(src == 2 ? base_soak : base_samples);
		cdesc = xstrdup(src == 2 ? cand_soak : cand_samples);
		break;
	}

	res = xcalloc(cfg->nmetrics ? cfg->nmetrics : 1, sizeof(*res));
	for (i = 0; i < cfg->nmetrics; i++)
		canary_judge(&cfg->metrics[i], cfg->confidence, src != 3, sd.b[i].v, sd.b[i].n,
			     sd.c[i].v, sd.c[i].n, &res[i]);
	canary_score(cfg, res, cfg->nmetrics, &score);
	if (clock_now(&now, &err) < 0) {
		ret = cmd_fail("canary", &err);
		goto out;
	}
	memset(&rep, 0, sizeof(rep));
	rep.cfg = cfg;
	rep.source = src_names[src];
	rep.baseline = bdesc;
	rep.candidate = cdesc;
	rep.generated_at = now;
	rep.from = from;
	rep.to = to;
	rep.n = cfg->nmetrics;
	rep.results = res;
	rep.score = &score;
	if (!quiet)
		print_summary(&rep);
	for (i = 0; i < cfg->nmetrics; i++)
		if (res[i].cls == CANARY_HIGH || res[i].cls == CANARY_LOW)
			fprintf(stderr, "mmops canary: %s %s: %s\n", res[i].def->name,
				canary_class_name(res[i].cls), res[i].reason);
	if (score.verdict == CANARY_V_MARGINAL)
		fprintf(stderr, "mmops canary: %s: marginal (score %.4g, pass at %.4g)\n",
			fail_on_marginal ? "failing" : "warning", score.score, cfg->pass);
	ret = score.verdict == CANARY_V_PASS	   ? 0
	      : score.verdict == CANARY_V_MARGINAL ? (fail_on_marginal ? 1 : 0)
						   : 1;
	if (write_reports(&rep) < 0)
		ret = 3;
out:
	free(res);
	canary_score_release(&score);
	sides_release(&sd);
	canary_free(cfg);
	free(bdesc);
	free(cdesc);
	free(pos);
	strlist_release(&faults);
	return ret;
}
