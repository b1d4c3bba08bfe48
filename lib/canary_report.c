/*
 * canary_report.c - canary.json, the Markdown summary, the HTML page with
 * an ECDF plot per metric, and JUnit (canary_report.h).
 *
 * Every verdict is shown with what produced it: the samples per side after
 * aggregation, both summaries, U and its p, the Hodges-Lehmann shift and
 * interval, KS D and p, the effect against what the file allows.  A reader
 * can recompute any number from the JSON with scipy (docs/canary.md).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canary_report.h"
#include "clock.h"
#include "atomicfile.h"
#include "jsontree.h"
#include "junit.h"
#include "xalloc.h"

static const char *
fmt_time(double t, char *buf, size_t n)
{
	if (isnan(t))
		snprintf(buf, n, "-");
	else
		clock_format_rfc3339(t, buf, n);
	return buf;
}

static const char *
fmt_num(double v, char *buf, size_t n)
{
	if (isnan(v))
		snprintf(buf, n, "-");
	else if (isinf(v))
		snprintf(buf, n, "%sinf", v < 0 ? "-" : "");
	else
		snprintf(buf, n, "%.4g", v);
	return buf;
}

/* ---- JSON ---- */

static json_t *
side_json(const struct canary_side *s)
{
	json_t *o = json_object();

	json_object_set_new(o, "n", json_integer((json_int_t)s->n));
	json_object_set_new(o, "mean", jsontree_real(s->mean));
	json_object_set_new(o, "stddev", jsontree_real(s->stddev));
	json_object_set_new(o, "min", jsontree_real(s->min));
	json_object_set_new(o, "p01", jsontree_real(s->p01));
	json_object_set_new(o, "p50", jsontree_real(s->p50));
	json_object_set_new(o, "p95", jsontree_real(s->p95));
	json_object_set_new(o, "p99", jsontree_real(s->p99));
	json_object_set_new(o, "max", jsontree_real(s->max));
	json_object_set_new(o, "event_rate", jsontree_real(s->event_rate));
	json_object_set_new(o, "autocorrelation", jsontree_real(s->autocorr));
	return o;
}

static json_t *
metric_json(const struct canary_result *r)
{
	const struct canary_metric *m = r->def;
	json_t *o = json_object(), *t;

	json_object_set_new(o, "name", json_string(m->name));
	json_object_set_new(o, "classification", json_string(canary_class_name(r->cls)));
	json_object_set_new(o, "reason", json_string(r->reason));
	json_object_set_new(o, "direction", json_string(canary_dir_name(m->direction)));
	json_object_set_new(o, "group", json_string(m->group));
	json_object_set_new(o, "weight", jsontree_real(m->weight));
	json_object_set_new(o, "unit", json_string(m->sel.unit ? m->sel.unit : ""));
	json_object_set_new(o, "allowed", jsontree_real(m->allowed));
	json_object_set_new(o, "critical_effect", jsontree_real(m->critical_effect));
	json_object_set_new(o, "critical", json_boolean(m->critical));
	json_object_set_new(o, "must_have_data", json_boolean(m->must_have_data));
	json_object_set_new(o, "min_samples", json_integer(m->min_samples));
	json_object_set_new(o, "critical_breach", json_boolean(r->critical_breach));
	json_object_set_new(o, "test", r->test && *r->test ? json_string(r->test) : json_null());
	json_object_set_new(o, "baseline", side_json(&r->base));
	json_object_set_new(o, "candidate", side_json(&r->cand));
	json_object_set_new(o, "ratio", jsontree_real(r->ratio));
	json_object_set_new(o, "shift_rel", jsontree_real(r->shift_rel));
	json_object_set_new(o, "p99_ratio", jsontree_real(r->p99_ratio));
	t = json_object();
	json_object_set_new(t, "u", jsontree_real(r->mwu.u));
	json_object_set_new(t, "p_value", jsontree_real(r->mwu.p));
	json_object_set_new(t, "method",
			    isnan(r->mwu.p) ? json_null()
					    : json_string(r->mwu.exact ? "exact" : "asymptotic"));
	json_object_set_new(t, "p_adjusted", jsontree_real(r->mwu_p_adj));
	json_object_set_new(o, "mann_whitney", t);
	t = json_object();
	json_object_set_new(t, "estimate", jsontree_real(r->hl.estimate));
	json_object_set_new(t, "ci_low", jsontree_real(r->hl.ci_low));
	json_object_set_new(t, "ci_high", jsontree_real(r->hl.ci_high));
	json_object_set_new(t, "confidence", jsontree_real(r->hl.confidence));
	json_object_set_new(t, "ci_low_adjusted", jsontree_real(r->hl_adj.ci_low));
	json_object_set_new(t, "ci_high_adjusted", jsontree_real(r->hl_adj.ci_high));
	json_object_set_new(o, "hodges_lehmann", t);
	t = json_object();
	json_object_set_new(t, "d", jsontree_real(r->ks.d));
	json_object_set_new(t, "p_value", jsontree_real(r->ks.p));
	json_object_set_new(t, "method",
			    isnan(r->ks.p) ? json_null()
					   : json_string(r->ks.exact ? "exact" : "asymptotic"));
	json_object_set_new(t, "p_adjusted", jsontree_real(r->ks_p_adj));
	json_object_set_new(o, "ks", t);
	t = json_object();
	json_object_set_new(t, "rho", jsontree_real(r->rho));
	json_object_set_new(t, "inflation", jsontree_real(r->inflation));
	json_object_set_new(t, "n_eff_baseline",
			    jsontree_real(isnan(r->inflation)
					      ? NAN
					      : (double)r->base.n / (r->inflation * r->inflation)));
	json_object_set_new(t, "n_eff_candidate",
			    jsontree_real(isnan(r->inflation)
					      ? NAN
					      : (double)r->cand.n / (r->inflation * r->inflation)));
	json_object_set_new(o, "autocorrelation", t);
	if (r->sparse) {
		t = json_object();
		json_object_set_new(t, "rate_ratio", jsontree_real(r->rate_ratio));
		json_object_set_new(t, "p_value", jsontree_real(r->rate_p));
		json_object_set_new(o, "event_rate", t);
	} else {
		json_object_set_new(o, "event_rate", json_null());
	}
	return o;
}

json_t *
canary_report_json(const struct canary_report *r)
{
	const struct canary_score *s = r->score;
	json_t *o = json_object(), *a, *g;
	char ts[CLOCK_RFC3339_MAX];
	size_t i;

	json_object_set_new(o, "mmops", jsontree_tool_meta());
	json_object_set_new(o, "generated_at",
			    json_string(fmt_time(r->generated_at, ts, sizeof(ts))));
	json_object_set_new(o, "verdict", json_string(canary_verdict_name(s->verdict)));
	json_object_set_new(o, "score", jsontree_real(s->score));
	json_object_set_new(o, "score_reason", json_string(s->reason));
	json_object_set_new(o, "source", json_string(r->source));
	json_object_set_new(o, "baseline", json_string(r->baseline ? r->baseline : ""));
	json_object_set_new(o, "candidate", json_string(r->candidate ? r->candidate : ""));
	json_object_set_new(o, "config", json_string(r->cfg->file));
	json_object_set_new(o, "confidence", jsontree_real(r->cfg->confidence));
	json_object_set_new(o, "aggregate_seconds", jsontree_real(r->cfg->aggregate));
	json_object_set_new(o, "thresholds",
			    json_pack("{s:o,s:o}", "pass", jsontree_real(r->cfg->pass), "marginal",
				      jsontree_real(r->cfg->marginal)));
	json_object_set_new(o, "from",
			    isnan(r->from) ? json_null()
					   : json_string(fmt_time(r->from, ts, sizeof(ts))));
	json_object_set_new(
	    o, "to", isnan(r->to) ? json_null() : json_string(fmt_time(r->to, ts, sizeof(ts))));
	a = json_array();
	for (i = 0; i < s->ngroups; i++) {
		const struct canary_group_score *gs = &s->groups[i];

		g = json_object();
		json_object_set_new(g, "name", json_string(gs->name));
		json_object_set_new(g, "weight", jsontree_real(gs->weight));
		json_object_set_new(g, "score", jsontree_real(gs->score));
		json_object_set_new(g, "metrics", json_integer((json_int_t)gs->nmetrics));
		json_object_set_new(g, "pass", json_integer((json_int_t)gs->npass));
		json_object_set_new(g, "high", json_integer((json_int_t)gs->nhigh));
		json_object_set_new(g, "low", json_integer((json_int_t)gs->nlow));
		json_object_set_new(g, "nodata", json_integer((json_int_t)gs->nnodata));
		json_array_append_new(a, g);
	}
	json_object_set_new(o, "groups", a);
	a = json_array();
	for (i = 0; i < r->n; i++)
		json_array_append_new(a, metric_json(&r->results[i]));
	json_object_set_new(o, "metrics", a);
	return o;
}

/* ---- Markdown ---- */

/* Table cells: no '|' and no newline. */
static const char *
class_icon(enum canary_class c)
{
	static const char *const icons[] = {"pass", "**HIGH**", "**LOW**", "nodata"};

	return icons[c];
}

int
canary_report_markdown(const struct canary_report *r, struct buf *b)
{
	const struct canary_score *s = r->score;
	char t1[CLOCK_RFC3339_MAX], n1[32], n2[32], n3[32], n4[32];
	size_t i;

	buf_addf(b, "# Canary: %s (score %s)\n\n", canary_verdict_name(s->verdict),
		 fmt_num(s->score, n1, sizeof(n1)));
	buf_adds(b, "Baseline: `");
	buf_add_mdcell(b, r->baseline ? r->baseline : "");
	buf_adds(b, "`, candidate: `");
	buf_add_mdcell(b, r->candidate ? r->candidate : "");
	buf_addf(b, "` (%s). Score: ", r->source);
	buf_add_mdcell(b, s->reason);
	buf_addf(b, "; pass >= %s, marginal >= %s. Confidence %s, samples aggregated per %gs.\n\n",
		 fmt_num(r->cfg->pass, n1, sizeof(n1)), fmt_num(r->cfg->marginal, n2, sizeof(n2)),
		 fmt_num(r->cfg->confidence, n3, sizeof(n3)), r->cfg->aggregate);
	buf_adds(b, "| group | weight | score | pass | high | low | nodata "
		    "|\n|---|---:|---:|---:|---:|---:|---:|\n");
	for (i = 0; i < s->ngroups; i++) {
		const struct canary_group_score *g = &s->groups[i];

		buf_adds(b, "| ");
		buf_add_mdcell(b, g->name);
		buf_addf(b, " | %s | %s | %zu | %zu | %zu | %zu |\n",
			 fmt_num(g->weight, n1, sizeof(n1)), fmt_num(g->score, n2, sizeof(n2)),
			 g->npass, g->nhigh, g->nlow, g->nnodata);
	}
	buf_adds(b, "\n| metric | result | n base/cand | p50 base -> cand | p99 base -> cand | U p "
		    "(adj.) | HL [CI, adj.] | KS D (p adj.) | why |\n"
		    "|---|---|---:|---:|---:|---:|---:|---:|---|\n");
	for (i = 0; i < r->n; i++) {
		const struct canary_result *x = &r->results[i];
		char p1[32], p2[32], q1[32], q2[32], ks[32], kp[32];

		buf_adds(b, "| ");
		buf_add_mdcell(b, x->def->name);
		buf_addf(
		    b, "%s | %s | %zu/%zu | %s -> %s | %s -> %s | %s | %s [%s, %s] | %s (%s) | ",
		    x->def->critical ? " (critical)" : "", class_icon(x->cls), x->base.n, x->cand.n,
		    fmt_num(x->base.p50, p1, sizeof(p1)), fmt_num(x->cand.p50, p2, sizeof(p2)),
		    fmt_num(x->base.p99, q1, sizeof(q1)), fmt_num(x->cand.p99, q2, sizeof(q2)),
		    fmt_num(x->mwu_p_adj, n1, sizeof(n1)), fmt_num(x->hl.estimate, n2, sizeof(n2)),
		    fmt_num(x->hl_adj.ci_low, n3, sizeof(n3)),
		    fmt_num(x->hl_adj.ci_high, n4, sizeof(n4)), fmt_num(x->ks.d, ks, sizeof(ks)),
		    fmt_num(x->ks_p_adj, kp, sizeof(kp)));
		buf_add_mdcell(b, x->reason);
		buf_adds(b, " |\n");
	}
	buf_addf(b, "\nGenerated by mmops %s at %s.\n", MMOPS_VERSION,
		 fmt_time(r->generated_at, t1, sizeof(t1)));
	return buf_failed(b) ? -1 : 0;
}

/* ---- HTML ---- */

#define PW 720
#define PH 260
#define PL 60
#define PR 16
#define PT 16
#define PB 34

/* One ECDF as an SVG path, at most CANARY_PLOT_POINTS steps. */
static void
ecdf_path(struct buf *b, const double *v, size_t n, double lo, double hi, const char *color,
	  const char *label)
{
	size_t k, steps = n < CANARY_PLOT_POINTS ? n : CANARY_PLOT_POINTS;
	double span = hi > lo ? hi - lo : 1;

	if (!n)
		return;
	buf_addf(b, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"2\" aria-label=\"", color);
	buf_add_html(b, label);
	buf_addf(b, "\" d=\"M%.1f %.1f", (double)PL, (double)(PH - PB));
	for (k = 1; k <= steps; k++) {
		size_t idx = (size_t)((double)k * (double)n / (double)steps) - 1;
		double x = PL + (v[idx] - lo) / span * (PW - PL - PR);
		double y = (PH - PB) - (double)(idx + 1) / (double)n * (PH - PB - PT);
		double yprev =
		    (PH - PB) -
		    (k == 1 ? 0
			    : (double)((size_t)((double)(k - 1) * (double)n / (double)steps)) /
				  (double)n * (PH - PB - PT));

		buf_addf(b, " L%.1f %.1f L%.1f %.1f", x, yprev, x, y);
	}
	buf_addf(b, " L%.1f %.1f\"/>\n", (double)(PW - PR), (double)(PH - PB) - (PH - PB - PT));
}

static void
plot(struct buf *b, const struct canary_result *r)
{
	double lo, hi, span, x0, x1, xl, xh, y;
	char n1[32], n2[32], n3[32];
	const char *unit = r->def->sel.unit ? r->def->sel.unit : "";
	int i;

	if (!r->base.n || !r->cand.n) {
		buf_adds(b, "<p class=\"nodata\">no plot: a side has no samples</p>\n");
		return;
	}
	lo = fmin(r->base.min, r->cand.min);
	hi = fmax(r->base.max, r->cand.max);
	if (!(hi > lo))
		hi = lo + 1;
	span = hi - lo;
	buf_addf(b,
		 "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 "
		 "0 %d %d\" role=\"img\" aria-label=\"",
		 PW, PH, PW, PH);
	buf_add_html(b, r->def->name);
	buf_adds(b, ": ECDF of baseline and candidate\">\n");
	buf_addf(b,
		 "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fafafa\" "
		 "stroke=\"#ccc\"/>\n",
		 PL, PT, PW - PL - PR, PH - PT - PB);
	for (i = 0; i <= 4; i++) {
		double v = lo + span * i / 4, x = PL + (double)i / 4 * (PW - PL - PR);

		y = (PH - PB) - (double)i / 4 * (PH - PB - PT);
		buf_addf(
		    b,
		    "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>\n",
		    x, PH - PB + 14, fmt_num(v, n1, sizeof(n1)));
		buf_addf(
		    b,
		    "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%.2f</text>\n",
		    PL - 4, y + 4, (double)i / 4);
	}
	buf_addf(b, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">",
		 (PW + PL) / 2, PH - 4);
	buf_add_html(b, r->def->name);
	if (*unit) {
		buf_adds(b, " (");
		buf_add_html(b, unit);
		buf_adds(b, ")");
	}
	buf_adds(b, " per interval; y: share of intervals at or below x</text>\n");
	/* the HL shift: from the baseline median to median + estimate, its interval as a band */
	if (!isnan(r->hl.estimate)) {
		x0 = PL + (r->base.p50 - lo) / span * (PW - PL - PR);
		x1 = PL + (r->base.p50 + r->hl.estimate - lo) / span * (PW - PL - PR);
		xl = PL + (r->base.p50 + r->hl_adj.ci_low - lo) / span * (PW - PL - PR);
		xh = PL + (r->base.p50 + r->hl_adj.ci_high - lo) / span * (PW - PL - PR);
		y = (PH - PB) - 0.5 * (PH - PB - PT);
		buf_addf(b,
			 "<rect class=\"hl-ci\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"10\" "
			 "fill=\"#d62728\" fill-opacity=\"0.25\"><title>HL %s interval, adjusted "
			 "for autocorrelation [%s, %s]</title></rect>\n",
			 fmin(xl, xh), y - 5, fabs(xh - xl) < 1 ? 1 : fabs(xh - xl),
			 fmt_num(r->hl.confidence, n1, sizeof(n1)),
			 fmt_num(r->hl_adj.ci_low, n2, sizeof(n2)),
			 fmt_num(r->hl_adj.ci_high, n3, sizeof(n3)));
		buf_addf(b,
			 "<line class=\"hl-shift\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			 "stroke=\"#d62728\" stroke-width=\"2\"/>\n",
			 x0, y, x1, y);
		buf_addf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#d62728\"/>\n", x1, y);
	}
	ecdf_path(b, r->bv, r->base.n, lo, hi, "#1f77b4", "baseline ECDF");
	ecdf_path(b, r->cv, r->cand.n, lo, hi, "#ff7f0e", "candidate ECDF");
	buf_addf(
	    b,
	    "<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"#1f77b4\">baseline (n=%zu)</text>\n",
	    PL + 8, PT + 16, r->base.n);
	buf_addf(
	    b,
	    "<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"#ff7f0e\">candidate (n=%zu)</text>\n",
	    PL + 8, PT + 32, r->cand.n);
	buf_addf(b,
		 "<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"#d62728\">HL shift from the "
		 "baseline median</text>\n",
		 PL + 8, PT + 48);
	buf_adds(b, "</svg>\n");
}

static void
stat_row(struct buf *b, const char *name, double base, double cand)
{
	char n1[32], n2[32];

	buf_addf(b, "<tr><th>%s</th><td>%s</td><td>%s</td></tr>\n", name,
		 fmt_num(base, n1, sizeof(n1)), fmt_num(cand, n2, sizeof(n2)));
}

int
canary_report_html(const struct canary_report *r, struct buf *b)
{
	const struct canary_score *s = r->score;
	char t1[CLOCK_RFC3339_MAX], n1[32], n2[32], n3[32];
	size_t i;

	buf_adds(
	    b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	       "<title>mmops canary</title>\n<style>\n"
	       "body{font-family:sans-serif;margin:2em;max-width:1100px}"
	       "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid "
	       "#ccc;padding:2px 8px;text-align:left}"
	       ".pass{color:#2ca02c}.high,.low,.fail{color:#d62728}.nodata,.marginal{color:#b8860b}"
	       "section{margin:1.5em 0;border-top:1px solid #ddd}\n"
	       "</style>\n</head>\n<body>\n");
	buf_addf(b, "<h1>Canary: <span class=\"%s\">%s</span>, score %s</h1>\n",
		 canary_verdict_name(s->verdict), canary_verdict_name(s->verdict),
		 fmt_num(s->score, n1, sizeof(n1)));
	buf_adds(b, "<p>Baseline <code>");
	buf_add_html(b, r->baseline ? r->baseline : "");
	buf_adds(b, "</code>, candidate <code>");
	buf_add_html(b, r->candidate ? r->candidate : "");
	buf_adds(b, "</code>, source ");
	buf_add_html(b, r->source);
	buf_adds(b, ". ");
	buf_add_html(b, s->reason);
	buf_addf(b,
		 ". Pass at %s, marginal at %s; confidence %s; samples aggregated per %gs; config ",
		 fmt_num(r->cfg->pass, n1, sizeof(n1)), fmt_num(r->cfg->marginal, n2, sizeof(n2)),
		 fmt_num(r->cfg->confidence, n3, sizeof(n3)), r->cfg->aggregate);
	buf_add_html(b, r->cfg->file);
	buf_adds(b, ".</p>\n<table><tr><th>group</th><th>weight</th><th>score</th><th>pass</"
		    "th><th>high</th><th>low</th><th>nodata</th></tr>\n");
	for (i = 0; i < s->ngroups; i++) {
		const struct canary_group_score *g = &s->groups[i];

		buf_adds(b, "<tr><td>");
		buf_add_html(b, g->name);
		buf_addf(b,
			 "</td><td>%s</td><td>%s</td><td>%zu</td><td>%zu</td><td>%zu</td><td>%zu</"
			 "td></tr>\n",
			 fmt_num(g->weight, n1, sizeof(n1)), fmt_num(g->score, n2, sizeof(n2)),
			 g->npass, g->nhigh, g->nlow, g->nnodata);
	}
	buf_adds(b, "</table>\n");
	for (i = 0; i < r->n; i++) {
		const struct canary_result *x = &r->results[i];

		buf_adds(b, "<section>\n<h2>");
		buf_add_html(b, x->def->name);
		buf_addf(b, ": <span class=\"%s\">%s</span>%s</h2>\n<p>", canary_class_name(x->cls),
			 canary_class_name(x->cls), x->def->critical ? " (critical)" : "");
		buf_add_html(b, x->reason);
		buf_adds(b, "</p>\n");
		plot(b, x);
		buf_adds(b, "<table><tr><th></th><th>baseline</th><th>candidate</th></tr>\n");
		buf_addf(b, "<tr><th>n</th><td>%zu</td><td>%zu</td></tr>\n", x->base.n, x->cand.n);
		stat_row(b, "mean", x->base.mean, x->cand.mean);
		stat_row(b, "stddev", x->base.stddev, x->cand.stddev);
		stat_row(b, "p50", x->base.p50, x->cand.p50);
		stat_row(b, "p95", x->base.p95, x->cand.p95);
		stat_row(b, "p99", x->base.p99, x->cand.p99);
		stat_row(b, "event rate", x->base.event_rate, x->cand.event_rate);
		stat_row(b, "lag-1 autocorrelation", x->base.autocorr, x->cand.autocorr);
		buf_adds(b, "</table>\n<table>\n");
		buf_addf(b,
			 "<tr><th>Mann-Whitney U "
			 "(candidate)</th><td>%s</td><th>p</th><td>%s</td></tr>\n",
			 fmt_num(x->mwu.u, n1, sizeof(n1)), fmt_num(x->mwu.p, n2, sizeof(n2)));
		buf_addf(b, "<tr><th>Hodges-Lehmann shift</th><td>%s</td><th>interval</th><td>[",
			 fmt_num(x->hl.estimate, n1, sizeof(n1)));
		buf_addf(b, "%s, %s] at %s</td></tr>\n", fmt_num(x->hl.ci_low, n1, sizeof(n1)),
			 fmt_num(x->hl.ci_high, n2, sizeof(n2)),
			 fmt_num(x->hl.confidence, n3, sizeof(n3)));
		buf_addf(b,
			 "<tr><th>Kolmogorov-Smirnov D</th><td>%s</td><th>p</th><td>%s</td></tr>\n",
			 fmt_num(x->ks.d, n1, sizeof(n1)), fmt_num(x->ks.p, n2, sizeof(n2)));
		buf_addf(b,
			 "<tr><th>lag-1 autocorrelation "
			 "used</th><td>%s</td><th>inflation</th><td>%s</td></tr>\n",
			 fmt_num(x->rho, n1, sizeof(n1)), fmt_num(x->inflation, n2, sizeof(n2)));
		buf_addf(b,
			 "<tr><th>U p, adjusted</th><td>%s</td><th>KS p, "
			 "adjusted</th><td>%s</td></tr>\n",
			 fmt_num(x->mwu_p_adj, n1, sizeof(n1)),
			 fmt_num(x->ks_p_adj, n2, sizeof(n2)));
		buf_addf(b,
			 "<tr><th>HL interval, adjusted</th><td colspan=\"3\">[%s, %s]</td></tr>\n",
			 fmt_num(x->hl_adj.ci_low, n1, sizeof(n1)),
			 fmt_num(x->hl_adj.ci_high, n2, sizeof(n2)));
		buf_addf(b, "<tr><th>direction</th><td>%s</td><th>allowed</th><td>%s</td></tr>\n",
			 canary_dir_name(x->def->direction),
			 fmt_num(x->def->allowed, n1, sizeof(n1)));
		buf_adds(b, "</table>\n</section>\n");
	}
	buf_addf(b, "<p>Generated by mmops %s at %s.</p>\n</body>\n</html>\n", MMOPS_VERSION,
		 fmt_time(r->generated_at, t1, sizeof(t1)));
	return buf_failed(b) ? -1 : 0;
}

/* ---- JUnit ---- */

int
canary_report_junit(const struct canary_report *r, struct buf *b)
{
	const struct canary_score *s = r->score;
	struct junit_case *cases = xcalloc(r->n ? r->n : 1, sizeof(*cases));
	char score[32];
	struct junit_property props[] = {
	    {"source", r->source},
	    {"baseline", r->baseline ? r->baseline : ""},
	    {"candidate", r->candidate ? r->candidate : ""},
	    {"config", r->cfg->file},
	    {"verdict", canary_verdict_name(s->verdict)},
	    {"score", score},
	    {"score_reason", s->reason},
	};
	struct junit_suite suite = {"canary", 0,   NULL, props, sizeof(props) / sizeof(props[0]),
				    cases,    r->n};
	struct mm_err err;
	size_t i;
	int ret;

	snprintf(score, sizeof(score), "%.6g", s->score);
	for (i = 0; i < r->n; i++) {
		const struct canary_result *x = &r->results[i];
		struct junit_case *k = &cases[i];

		k->classname = "canary";
		k->name = x->def->name;
		k->message = x->reason;
		k->text = x->reason;
		switch (x->cls) {
		case CANARY_PASS:
			k->outcome = JUNIT_PASS;
			k->message = NULL;
			break;
		case CANARY_HIGH:
		case CANARY_LOW:
			k->outcome = JUNIT_FAILURE;
			k->type = canary_class_name(x->cls);
			break;
		case CANARY_NODATA:
			k->outcome = x->def->must_have_data ? JUNIT_FAILURE : JUNIT_SKIPPED;
			k->type = x->def->must_have_data ? "nodata" : NULL;
			if (!x->def->must_have_data)
				k->text = NULL;
			break;
		}
	}
	ret = junit_write("mmops canary", &suite, 1, b, &err);
	free(cases);
	return ret;
}

/* ---- writing ---- */

static int
write_buf(const char *path, struct buf *b, int rc, struct mm_err *err)
{
	int ret;

	if (rc < 0) {
		buf_release(b);
		return mm_errf(err, MM_E_LIMIT, "report '%s' is larger than %zu bytes", path,
			       b->cap);
	}
	ret = atomicfile_write_atomic(path, b->data ? b->data : "", b->len, err);
	buf_release(b);
	return ret;
}

int
canary_write_json(const struct canary_report *r, const char *path, struct mm_err *err)
{
	json_t *j = canary_report_json(r);
	int ret = jsontree_write_file(path, j, err);

	json_decref(j);
	return ret;
}

int
canary_write_markdown(const struct canary_report *r, const char *path, struct mm_err *err)
{
	struct buf b = BUF_INIT(CANARY_REPORT_MAX);

	return write_buf(path, &b, canary_report_markdown(r, &b), err);
}

int
canary_write_html(const struct canary_report *r, const char *path, struct mm_err *err)
{
	struct buf b = BUF_INIT(CANARY_REPORT_MAX);

	return write_buf(path, &b, canary_report_html(r, &b), err);
}

int
canary_write_junit(const struct canary_report *r, const char *path, struct mm_err *err)
{
	struct buf b = BUF_INIT(CANARY_REPORT_MAX);

	return write_buf(path, &b, canary_report_junit(r, &b), err);
}
