/*
 * soakreport.c - renders a finished (or interrupted) soak into the files people
 * and machines read: soak_metrics.json and gates_summary.json (canonical
 * JSON), SOAK_RESULTS.md (GitHub-flavoured: verdict first, then the gate
 * table with values and margins), a self-contained HTML page with one inline
 * SVG chart per gate and series, and JUnit XML.  Pure rendering: the numbers
 * all come from the struct soak_report the engine filled.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "atomicfile.h"
#include "jsontree.h"
#include "junit.h"
#include "soakreport.h"
#include "xalloc.h"

#define SOAKREPORT_MAX ((size_t)64 << 20)

/* ---- verdicts ---- */

void
soakreport_counts(const struct soak_report *r, unsigned counts[2][4])
{
	size_t i;

	memset(counts, 0, sizeof(unsigned) * 8);
	for (i = 0; i < r->ngates; i++)
		counts[r->gates[i].res.def->hard ? 1 : 0][r->gates[i].res.verdict]++;
}

const char *
soakreport_verdict(const struct soak_report *r)
{
	unsigned c[2][4];

	soakreport_counts(r, c);
	if (r->run.unreachable)
		return "error";
	if (c[1][VERDICT_FAIL] || c[1][VERDICT_NO_DATA])
		return "fail";
	if (c[1][VERDICT_ERROR])
		return "error";
	if (!r->run.complete)
		return "incomplete";
	return "pass";
}

/* ---- formatting helpers ---- */

static const char *
fmt_time(double t, char *buf, size_t n)
{
	if (isnan(t))
		snprintf(buf, n, "-");
	else
		clock_format_rfc3339(t, buf, n);
	return buf;
}

/* A number for people: 4 significant digits, no exponent for large values. */
static const char *
fmt_num(double v, char *buf, size_t n)
{
	if (isnan(v))
		snprintf(buf, n, "-");
	else if (isinf(v))
		snprintf(buf, n, "%s", v > 0 ? "+Inf" : "-Inf");
	else if (fabs(v) >= 1e4)
		snprintf(buf, n, "%.0f", v);
	else if (v == 0)
		snprintf(buf, n, "0");
	else
		snprintf(buf, n, "%.4g", v);
	return buf;
}

static const char *
fmt_val(double v, const char *unit, char *buf, size_t n)
{
	char num[48];

	fmt_num(v, num, sizeof(num));
	if (isnan(v) || !unit || !*unit)
		snprintf(buf, n, "%s", num);
	else
		snprintf(buf, n, "%s %s", num, unit);
	return buf;
}

static const char *
fmt_dur(double s, char *buf, size_t n)
{
	if (isnan(s))
		snprintf(buf, n, "-");
	else
		clock_format_duration(s < 0 ? 0 : s, buf, n);
	return buf;
}

/* value - threshold signed so that positive means "inside the gate". */
static double
margin(const struct gate_result *g)
{
	switch (g->def->op) {
	case OP_LT:
	case OP_LE:
		return g->def->threshold - g->value;
	case OP_GT:
	case OP_GE:
		return g->value - g->def->threshold;
	default:
		return NAN;
	}
}

static const char *
op_pretty(enum gate_op op)
{
	static const char *const p[] = {"<", "≤", ">", "≥", "=", "≠"};

	return (unsigned)op < 6 ? p[op] : "?";
}

/* op_pretty() as HTML text. */
static const char *
op_html(enum gate_op op)
{
	static const char *const p[] = {"&lt;", "≤", "&gt;", "≥", "=", "≠"};

	return (unsigned)op < 6 ? p[op] : "?";
}

static json_t *
jtime(double t)
{
	char b[CLOCK_RFC3339_MAX];

	if (isnan(t))
		return json_null();
	return json_string(clock_format_rfc3339(t, b, sizeof(b)));
}

static json_t *
jlabels(const struct series_sel *s)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; i < s->nlabels; i++)
		json_object_set_new(o, s->labels[i].name, json_string(s->labels[i].value));
	return o;
}

static json_t *
run_json(const struct soak_report *r, int full)
{
	const struct soakreport_run *u = &r->run;
	json_t *o = json_object(), *f;
	size_t i;

	json_object_set_new(o, "source", json_string(u->source));
	json_object_set_new(o, "target", json_string(u->target));
	json_object_set_new(o, "start", jtime(u->start));
	json_object_set_new(o, "end", jtime(u->end));
	json_object_set_new(o, "planned_hours", jsontree_real(u->planned / 3600));
	json_object_set_new(o, "elapsed_hours", jsontree_real(u->elapsed / 3600));
	json_object_set_new(o, "samples", json_integer((json_int_t)u->samples));
	json_object_set_new(o, "missing_scrapes", json_integer((json_int_t)u->missing));
	json_object_set_new(o, "complete", json_boolean(u->complete));
	if (!full)
		return o;
	json_object_set_new(o, "gates_file", json_string(u->gates_file));
	json_object_set_new(o, "interval_seconds", jsontree_real(u->interval));
	json_object_set_new(o, "warmup_seconds", jsontree_real(u->warmup));
	json_object_set_new(o, "interrupted", json_boolean(u->interrupted));
	json_object_set_new(o, "aborted", json_boolean(u->aborted));
	json_object_set_new(o, "abort_reason", json_string(u->abort_reason ? u->abort_reason : ""));
	json_object_set_new(o, "unreachable", json_boolean(u->unreachable));
	json_object_set_new(o, "last_error", json_string(u->last_error ? u->last_error : ""));
	json_object_set_new(o, "resumes", json_integer(u->resumes));
	if (strcmp(u->source, "mock") == 0) {
		char seed[32];

		snprintf(seed, sizeof(seed), "%llu", u->seed);
		json_object_set_new(o, "seed", json_string(seed));
		f = json_array();
		for (i = 0; i < u->nfaults; i++)
			json_array_append_new(f, json_string(u->faults[i]));
		json_object_set_new(o, "faults", f);
	}
	return o;
}

static json_t *
gate_json(const struct soak_report *r, const struct gate_result *g)
{
	const struct gate_def *d = g->def;
	json_t *o = json_object();
	char sel[4096], expr[4096];

	json_object_set_new(o, "name", json_string(d->name));
	json_object_set_new(o, "description", json_string(d->description));
	json_object_set_new(o, "kind", json_string(d->hard ? "hard" : "soft"));
	json_object_set_new(o, "verdict", json_string(gates_verdict_name(g->verdict)));
	json_object_set_new(o, "passed", json_boolean(g->verdict == VERDICT_PASS));
	json_object_set_new(o, "value", jsontree_real(g->value));
	json_object_set_new(o, "threshold", jsontree_real(d->threshold));
	json_object_set_new(o, "op", json_string(gates_op_name(d->op)));
	json_object_set_new(o, "unit", json_string(d->sel.unit));
	json_object_set_new(o, "aggregate", json_string(gates_agg_name(d->agg)));
	json_object_set_new(o, "metric", json_string(d->sel.metric));
	json_object_set_new(o, "selector",
			    json_string(gates_selector_str(&d->sel, sel, sizeof(sel))));
	json_object_set_new(o, "scale", jsontree_real(d->sel.scale));
	json_object_set_new(o, "margin", jsontree_real(isnan(g->value) ? NAN : margin(g)));
	json_object_set_new(o, "reason", json_string(g->reason));
	json_object_set_new(o, "aggregate_breached", json_boolean(g->aggregate_breached));
	json_object_set_new(o, "window_seconds", jsontree_real(d->window));
	json_object_set_new(o, "for_seconds", jsontree_real(d->alert.for_s));
	json_object_set_new(o, "no_data_rule", json_string(gates_nodata_name(d->no_data)));
	json_object_set_new(o, "alert", json_string(d->alert.name));
	json_object_set_new(o, "alert_expr", json_string(gates_alert_expr(d, expr, sizeof(expr))));
	json_object_set_new(o, "first_breach", jtime(g->first_breach));
	json_object_set_new(
	    o, "first_breach_offset_seconds",
	    jsontree_real(isnan(g->first_breach) ? NAN : g->first_breach - r->run.start));
	json_object_set_new(o, "first_sustained_breach", jtime(g->first_sustained));
	json_object_set_new(o, "longest_breach_seconds", jsontree_real(g->longest));
	json_object_set_new(o, "longest_breach_start", jtime(g->longest_start));
	json_object_set_new(o, "breach_seconds", jsontree_real(g->breach_seconds));
	json_object_set_new(o, "evaluations", json_integer((json_int_t)g->evals));
	json_object_set_new(o, "breach_evaluations", json_integer((json_int_t)g->breach_evals));
	return o;
}

json_t *
soakreport_gates_json(const struct soak_report *r)
{
	json_t *o = jsontree_tool_meta(), *gates = json_array(), *warn = json_array();
	unsigned c[2][4];
	const char *names[] = {"soft", "hard"};
	size_t i, k;

	soakreport_counts(r, c);
	for (i = 0; i < r->ngates; i++) {
		const struct gate_result *g = &r->gates[i].res;

		json_array_append_new(gates, gate_json(r, g));
		if (!g->def->hard && g->verdict != VERDICT_PASS)
			json_array_append_new(warn, json_string(g->def->name));
	}
	json_object_set_new(o, "generated_at", jtime(r->run.generated_at));
	json_object_set_new(o, "verdict", json_string(soakreport_verdict(r)));
	json_object_set_new(o, "passed", json_boolean(strcmp(soakreport_verdict(r), "pass") == 0));
	for (k = 0; k < 2; k++) {
		json_t *cnt = json_object();

		for (i = 0; i < 4; i++)
			json_object_set_new(cnt, gates_verdict_name((enum gate_verdict)i),
					    json_integer(c[k][i]));
		json_object_set_new(o, names[k], cnt);
	}
	json_object_set_new(o, "warnings", warn);
	json_object_set_new(o, "gates", gates);
	json_object_set_new(o, "run", run_json(r, 0));
	json_object_set_new(o, "interrupted", json_boolean(r->run.interrupted));
	json_object_set_new(o, "aborted", json_boolean(r->run.aborted));
	json_object_set_new(o, "abort_reason",
			    json_string(r->run.abort_reason ? r->run.abort_reason : ""));
	return o;
}

static json_t *
aggs_json(const struct soakreport_series *s)
{
	const struct series_aggs *a = &s->aggs;
	json_t *o = json_object();
	static const struct {
		const char *name;
		size_t off;
	} f[] = {
	    {"p50", offsetof(struct series_aggs, p50)},
	    {"p90", offsetof(struct series_aggs, p90)},
	    {"p95", offsetof(struct series_aggs, p95)},
	    {"p99", offsetof(struct series_aggs, p99)},
	    {"p999", offsetof(struct series_aggs, p999)},
	    {"mean", offsetof(struct series_aggs, mean)},
	    {"min", offsetof(struct series_aggs, min)},
	    {"max", offsetof(struct series_aggs, max)},
	    {"last", offsetof(struct series_aggs, last)},
	    {"increase", offsetof(struct series_aggs, increase)},
	    {"ema1h", offsetof(struct series_aggs, ema1h)},
	    {"ema24h", offsetof(struct series_aggs, ema24h)},
	};
	/* Which aggregates belong to which type, so the JSON is regular per type. */
	static const char *const by_type[3] = {
	    [MTYPE_GAUGE] = "mean min max last ema1h ema24h",
	    [MTYPE_COUNTER] = "increase min max last",
	    [MTYPE_HISTOGRAM] = "p50 p90 p95 p99 p999",
	};
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		const char *list = by_type[s->sel->type], *p = strstr(list, f[i].name);
		size_t n = strlen(f[i].name);

		if (!p || (p[n] && p[n] != ' ') || (p != list && p[-1] != ' '))
			continue;
		json_object_set_new(o, f[i].name,
				    jsontree_real(*(const double *)((const char *)a + f[i].off)));
	}
	if (s->sel->type == MTYPE_HISTOGRAM)
		json_object_set_new(o, "count", jsontree_real(a->count));
	return o;
}

void
soakreport_recording_add(struct soakreport_recording *r, double t, double v)
{
	if (r->n >= SOAKREPORT_RECORD_MAX) {
		r->truncated = 1;
		return;
	}
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 1024;
		r->t = xrealloc(r->t, r->cap * sizeof(*r->t));
		r->v = xrealloc(r->v, r->cap * sizeof(*r->v));
	}
	r->t[r->n] = t;
	r->v[r->n] = v;
	r->n++;
}

void
soakreport_recording_release(struct soakreport_recording *r)
{
	if (!r)
		return;
	free(r->t);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/* {"label": "p95 over 5m", "t": [...], "v": [...], "truncated": false} */
static json_t *
recording_json(const struct soakreport_recording *rec, const char *label)
{
	json_t *o = json_object(), *t = json_array(), *v = json_array();
	size_t i;

	for (i = 0; i < rec->n; i++) {
		json_array_append_new(t, jsontree_real(rec->t[i]));
		json_array_append_new(v, jsontree_real(rec->v[i]));
	}
	json_object_set_new(o, "label", json_string(label ? label : ""));
	json_object_set_new(o, "t", t);
	json_object_set_new(o, "v", v);
	json_object_set_new(o, "truncated", json_boolean(rec->truncated));
	return o;
}

json_t *
soakreport_metrics_json(const struct soak_report *r)
{
	json_t *o = jsontree_tool_meta(), *series = json_object(), *gates = json_object();
	char sel[4096];
	size_t i;

	for (i = 0; i < r->nseries; i++) {
		const struct soakreport_series *s = &r->series[i];
		json_t *e = json_object();

		json_object_set_new(e, "metric", json_string(s->sel->metric));
		json_object_set_new(e, "labels", jlabels(s->sel));
		json_object_set_new(e, "selector",
				    json_string(gates_selector_str(s->sel, sel, sizeof(sel))));
		json_object_set_new(e, "type", json_string(gates_type_name(s->sel->type)));
		json_object_set_new(e, "unit", json_string(s->sel->unit));
		json_object_set_new(e, "scale", jsontree_real(s->sel->scale));
		json_object_set_new(e, "samples", json_integer((json_int_t)s->aggs.samples));
		json_object_set_new(e, "resets", json_integer((json_int_t)s->aggs.resets));
		json_object_set_new(e, "aggregates", aggs_json(s));
		json_object_set_new(e, "error", s->error ? json_string(s->error) : json_null());
		if (s->rec)
			json_object_set_new(e, "recorded", recording_json(s->rec, s->chart_label));
		json_object_set_new(series, s->name, e);
	}
	for (i = 0; i < r->ngates; i++) {
		const struct gate_result *g = &r->gates[i].res;

		json_t *e = json_pack("{s:s,s:o,s:s,s:s}", "aggregate", gates_agg_name(g->def->agg),
				      "value", jsontree_real(g->value), "unit", g->def->sel.unit,
				      "verdict", gates_verdict_name(g->verdict));

		if (r->gates[i].rec)
			json_object_set_new(e, "recorded",
					    recording_json(r->gates[i].rec, "windowed"));
		json_object_set_new(gates, g->def->name, e);
	}
	json_object_set_new(o, "generated_at", jtime(r->run.generated_at));
	json_object_set_new(o, "verdict", json_string(soakreport_verdict(r)));
	json_object_set_new(o, "run", run_json(r, 1));
	json_object_set_new(o, "series", series);
	json_object_set_new(o, "gates", gates);
	return o;
}

/* ---- Markdown ---- */

static const char *
verdict_badge(const char *v)
{
	if (strcmp(v, "pass") == 0)
		return "✅ PASS";
	if (strcmp(v, "fail") == 0)
		return "❌ FAIL";
	if (strcmp(v, "incomplete") == 0)
		return "⚠️ INCOMPLETE";
	return "🛑 ERROR";
}

static const char *
verdict_word(const char *v)
{
	if (strcmp(v, "pass") == 0)
		return "PASS";
	if (strcmp(v, "fail") == 0)
		return "FAIL";
	if (strcmp(v, "incomplete") == 0)
		return "INCOMPLETE";
	return "ERROR";
}

static const char *
gate_badge(enum gate_verdict v, int hard)
{
	switch (v) {
	case VERDICT_PASS:
		return "✅ pass";
	case VERDICT_FAIL:
		return hard ? "❌ fail" : "⚠️ fail (soft)";
	case VERDICT_NO_DATA:
		return hard ? "❔ no data" : "❔ no data (soft)";
	case VERDICT_ERROR:
		return "🛑 error";
	}
	return "?";
}

/* A table cell: pipes escaped, newlines flattened. */
static void
md_run_line(const struct soak_report *r, struct buf *b)
{
	const struct soakreport_run *u = &r->run;
	char s[CLOCK_RFC3339_MAX], e[CLOCK_RFC3339_MAX], pl[32], el[32];

	buf_addf(b, "%s soak of %s (%s), %s → %s, %s of %s planned; %lu samples, %lu missing.\n",
		 fmt_dur(u->planned, pl, sizeof(pl)), u->target, u->source,
		 fmt_time(u->start, s, sizeof(s)), fmt_time(u->end, e, sizeof(e)),
		 fmt_dur(u->elapsed, el, sizeof(el)), pl, u->samples, u->missing);
}

int
soakreport_markdown(const struct soak_report *r, struct buf *b)
{
	const struct soakreport_run *u = &r->run;
	const char *v = soakreport_verdict(r);
	unsigned c[2][4];
	size_t i;

	soakreport_counts(r, c);
	buf_addf(b, "# Soak results: %s\n\n", verdict_badge(v));
	md_run_line(r, b);
	buf_addf(b,
		 "\nHard gates: %u passed, %u failed, %u no data, %u errors. "
		 "Soft gates: %u passed, %u failed, %u no data, %u errors.\n",
		 c[1][0], c[1][1], c[1][2], c[1][3], c[0][0], c[0][1], c[0][2], c[0][3]);
	if (u->unreachable)
		buf_addf(b, "\n> **The source was unreachable for the whole run**: %s\n",
			 u->last_error);
	if (u->aborted)
		buf_addf(b, "\n> **Aborted (--abort-on-fail)**: %s\n", u->abort_reason);
	else if (u->interrupted)
		buf_addf(
		    b, "\n> **Incomplete**: interrupted after %s; the gates judge only what ran.\n",
		    fmt_dur(u->elapsed, (char[32]){0}, 32));
	for (i = 0; i < r->ngates; i++) {
		const struct gate_result *g = &r->gates[i].res;

		if (!g->def->hard && g->verdict != VERDICT_PASS) {
			buf_addf(b, "\n> **Warning** (soft gate %s): ", g->def->name);
			buf_add_mdcell(b, g->reason);
			buf_addc(b, '\n');
		}
	}
	buf_adds(b, "\n## Gates\n\n"
		    "| Gate | Kind | Verdict | Value | Threshold | Margin | First breach | Longest "
		    "breach | Alert (for) |\n"
		    "|---|---|---|---:|---|---:|---|---:|---|\n");
	for (i = 0; i < r->ngates; i++) {
		const struct gate_result *g = &r->gates[i].res;
		const struct gate_def *d = g->def;
		char val[64], th[64], m[64], fb[32], lg[32], fr[32];

		buf_addf(b, "| %s | %s | %s | %s %s | %s %s | %s | ", d->name,
			 d->hard ? "hard" : "soft", gate_badge(g->verdict, d->hard),
			 fmt_val(g->value, d->sel.unit, val, sizeof(val)),
			 isnan(g->value) ? "" : gates_agg_name(d->agg), op_pretty(d->op),
			 fmt_val(d->threshold, d->sel.unit, th, sizeof(th)),
			 isnan(g->value) ? "-" : fmt_val(margin(g), d->sel.unit, m, sizeof(m)));
		if (isnan(g->first_breach))
			buf_adds(b, "- | - |");
		else
			buf_addf(b, "+%s | %s |",
				 fmt_dur(g->first_breach - u->start, fb, sizeof(fb)),
				 fmt_dur(g->longest, lg, sizeof(lg)));
		buf_addf(b, " %s (%s) |\n", d->alert.name, fmt_dur(d->alert.for_s, fr, sizeof(fr)));
	}
	buf_adds(b, "\n<details><summary>Why each gate got its verdict</summary>\n\n");
	for (i = 0; i < r->ngates; i++) {
		buf_addf(b, "- **%s**: ", r->gates[i].res.def->name);
		buf_add_mdcell(b, r->gates[i].res.reason);
		buf_addc(b, '\n');
	}
	buf_adds(b, "\n</details>\n\n## Series\n\n"
		    "| Series | Selector | p50 | p95 | p99 | mean | min | max | last | EMA 1h | "
		    "EMA 24h | samples |\n"
		    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	for (i = 0; i < r->nseries; i++) {
		const struct soakreport_series *s = &r->series[i];
		const struct series_aggs *a = &s->aggs;
		const double vals[] = {a->p50, a->p95,	a->p99,	  a->mean,  a->min,
				       a->max, a->last, a->ema1h, a->ema24h};
		char sel[4096], n[48];
		size_t k;

		buf_addf(b, "| %s%s%s%s | `", s->name, *s->sel->unit ? " (" : "", s->sel->unit,
			 *s->sel->unit ? ")" : "");
		buf_add_mdcell(b, gates_selector_str(s->sel, sel, sizeof(sel)));
		buf_adds(b, "` |");
		for (k = 0; k < sizeof(vals) / sizeof(vals[0]); k++)
			buf_addf(b, " %s |", fmt_num(vals[k], n, sizeof(n)));
		buf_addf(b, " %lu |\n", a->samples);
	}
	{
		char gen[CLOCK_RFC3339_MAX], iv[32], wu[32];

		buf_addf(b, "\n## Run\n\n| | |\n|---|---|\n| source | %s |\n| target | ",
			 u->source);
		buf_add_mdcell(b, u->target);
		buf_addf(b,
			 " |\n| gates file | %s |\n| interval | %s |\n| warm-up | %s |\n"
			 "| samples | %lu |\n| missing scrapes | %lu |\n| complete | %s |\n"
			 "| resumed | %u time%s |\n",
			 u->gates_file, fmt_dur(u->interval, iv, sizeof(iv)),
			 fmt_dur(u->warmup, wu, sizeof(wu)), u->samples, u->missing,
			 u->complete ? "yes" : "no", u->resumes, u->resumes == 1 ? "" : "s");
		if (strcmp(u->source, "mock") == 0) {
			buf_addf(b, "| seed | %llu |\n| faults | ", u->seed);
			if (!u->nfaults)
				buf_adds(b, "none");
			for (i = 0; i < u->nfaults; i++)
				buf_addf(b, "%s`%s`", i ? ", " : "", u->faults[i]);
			buf_adds(b, " |\n");
		}
		if (u->last_error && *u->last_error) {
			buf_adds(b, "| last scrape error | ");
			buf_add_mdcell(b, u->last_error);
			buf_adds(b, " |\n");
		}
		buf_addf(b, "\nGenerated by mmops %s at %s.\n", MMOPS_VERSION,
			 fmt_time(u->generated_at, gen, sizeof(gen)));
	}
	return buf_failed(b) ? -1 : 0;
}

/* ---- HTML + SVG ---- */

#define SVG_W 1080
#define SVG_H 230
#define PAD_L 64
#define PAD_R 16
#define PAD_T 14
#define PAD_B 30

/* A "nice" tick step for a span: 1, 2 or 5 times a power of ten. */
static double
nice_step(double span, int ticks)
{
	double raw = span / ticks, p = pow(10, floor(log10(raw))), f = raw / p;

	if (f <= 1)
		return p;
	if (f <= 2)
		return 2 * p;
	if (f <= 5)
		return 5 * p;
	return 10 * p;
}

static void
svg_chart(struct buf *b, const struct chart *c, const char *unit, int has_th, double th,
	  double warmup, const char *aria)
{
	double lo = INFINITY, hi = -INFINITY, step, y, pw = SVG_W - PAD_L - PAD_R,
	       ph = SVG_H - PAD_T - PAD_B, xstep;
	size_t i, start;
	int any = 0, first;
	char n[48];

#define X(i_) (PAD_L + pw * ((double)(i_) + 0.5) / (double)c->nb)
#define Y(v_) (PAD_T + ph * (1 - ((v_)-lo) / (hi - lo)))
	for (i = 0; i < c->nb; i++) {
		if (!c->b[i].n)
			continue;
		any = 1;
		if (c->b[i].min < lo)
			lo = c->b[i].min;
		if (c->b[i].max > hi)
			hi = c->b[i].max;
	}
	buf_addf(b, "<svg viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", SVG_W, SVG_H);
	buf_add_html(b, aria);
	buf_adds(b, "\">\n");
	if (!any) {
		buf_addf(b, "<text x=\"%d\" y=\"%d\" class=\"nodata\">no data</text></svg>\n",
			 SVG_W / 2 - 30, SVG_H / 2);
		return;
	}
	if (has_th) {
		if (th < lo)
			lo = th;
		if (th > hi)
			hi = th;
	}
	if (hi - lo < 1e-12) {
		double d = fabs(hi) > 0 ? fabs(hi) * 0.1 : 1;

		lo -= d;
		hi += d;
	} else {
		double d = (hi - lo) * 0.08;

		hi += d;
		if (lo - d >= 0 || lo < 0)
			lo -= d;
		else
			lo = 0;
	}
	/* Warm-up, greyed. */
	if (warmup > 0) {
		double w = pw * warmup / c->span;

		if (w > pw)
			w = pw;
		buf_addf(
		    b,
		    "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%.1f\" class=\"warmup\"/>\n",
		    PAD_L, PAD_T, w, ph);
	}
	/* Breaches: runs of buckets with a breach. */
	for (i = 0; i < c->nb; i++) {
		if (!c->b[i].breach)
			continue;
		start = i;
		while (i + 1 < c->nb && c->b[i + 1].breach)
			i++;
		buf_addf(
		    b,
		    "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%.1f\" class=\"breach\"/>\n",
		    PAD_L + pw * (double)start / (double)c->nb, PAD_T,
		    pw * (double)(i - start + 1) / (double)c->nb, ph);
	}
	/* Y grid and labels. */
	step = nice_step(hi - lo, 4);
	for (y = ceil(lo / step) * step; y <= hi + step * 1e-9; y += step) {
		buf_addf(b,
			 "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
			 "<text x=\"%d\" y=\"%.1f\" class=\"yl\">%s</text>\n",
			 PAD_L, SVG_W - PAD_R, Y(y), Y(y), PAD_L - 6, Y(y) + 4,
			 fmt_num(fabs(y) < step * 1e-9 ? 0 : y, n, sizeof(n)));
	}
	/* X labels: hours since the start. */
	xstep = nice_step(c->span / 3600, 8) * 3600;
	if (xstep < 60)
		xstep = 60;
	for (y = 0; y <= c->span + 1e-9; y += xstep) {
		char d[32];

		buf_addf(b, "<text x=\"%.1f\" y=\"%d\" class=\"xl\">%s%s</text>\n",
			 PAD_L + pw * y / c->span, SVG_H - 8, y > 0 ? "+" : "",
			 y > 0 ? fmt_dur(y, d, sizeof(d)) : "start");
	}
	/* The min..max envelope, then the mean line. */
	buf_adds(b, "<path class=\"band\" d=\"");
	first = 1;
	for (i = 0; i < c->nb; i++) {
		if (!c->b[i].n)
			continue;
		buf_addf(b, "%c%.1f %.1f", first ? 'M' : 'L', X(i), Y(c->b[i].max));
		first = 0;
	}
	for (i = c->nb; i-- > 0;) {
		if (!c->b[i].n)
			continue;
		buf_addf(b, "L%.1f %.1f", X(i), Y(c->b[i].min));
	}
	buf_adds(b, "Z\"/>\n<path class=\"line\" d=\"");
	first = 1;
	for (i = 0; i < c->nb; i++) {
		if (!c->b[i].n) {
			first = 1; /* a gap stays a gap */
			continue;
		}
		buf_addf(b, "%c%.1f %.1f", first ? 'M' : 'L', X(i), Y(c->b[i].sum / c->b[i].n));
		first = 0;
	}
	buf_adds(b, "\"/>\n");
	if (has_th) {
		buf_addf(b,
			 "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" class=\"th\"/>"
			 "<text x=\"%d\" y=\"%.1f\" class=\"thl\">threshold %s%s",
			 PAD_L, SVG_W - PAD_R, Y(th), Y(th), SVG_W - PAD_R - 4, Y(th) - 4,
			 fmt_num(th, n, sizeof(n)), unit && *unit ? " " : "");
		buf_add_html(b, unit ? unit : "");
		buf_adds(b, "</text>\n");
	}
	buf_addf(
	    b, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%.1f\" class=\"frame\"/>\n</svg>\n",
	    PAD_L, PAD_T, pw, ph);
#undef X
#undef Y
}

static const char html_css[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:24px auto;"
    "max-width:1120px;color:#1f2328;padding:0 16px}"
    "h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 10px;border-bottom:1px solid "
    "#d0d7de;padding-bottom:4px}"
    ".banner{padding:14px 18px;border-radius:8px;margin:12px 0 18px;font-size:15px}"
    ".banner b{font-size:20px;margin-right:10px}"
    ".pass{background:#dafbe1;border:1px solid #4ac26b}.fail{background:#ffebe9;border:1px solid "
    "#ff8182}"
    ".incomplete,.warn{background:#fff8c5;border:1px solid "
    "#d4a72c}.error{background:#f6e8ff;border:1px solid #a475f9}"
    "table{border-collapse:collapse;width:100%;font-size:13px}th,td{border:1px solid "
    "#d0d7de;padding:5px 8px;text-align:left}"
    "th{background:#f6f8fa}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:"
    "nowrap}"
    ".v-pass{color:#1a7f37;font-weight:600}.v-fail{color:#cf222e;font-weight:600}"
    ".v-soft{color:#9a6700;font-weight:600}.v-no_data{color:#6e7781;font-weight:600}.v-error{color:"
    "#8250df;font-weight:600}"
    ".card{border:1px solid #d0d7de;border-radius:8px;padding:10px 14px;margin:14px 0}"
    ".card h3{font-size:15px;margin:0 0 2px}.card p{margin:0 0 6px;color:#57606a;font-size:12.5px}"
    ".card p.why{font-size:13px}"
    "svg{width:100%;height:auto;display:block}"
    "svg .band{fill:#54aeff;fill-opacity:.25;stroke:none}svg "
    ".line{fill:none;stroke:#0969da;stroke-width:1.4}"
    "svg .th{stroke:#cf222e;stroke-width:1.3;stroke-dasharray:6 4}svg "
    ".thl{fill:#cf222e;font-size:11px;text-anchor:end}"
    "svg .breach{fill:#ff8182;fill-opacity:.28}svg .warmup{fill:#8c959f;fill-opacity:.15}"
    "svg .grid{stroke:#eaeef2}svg .frame{fill:none;stroke:#d0d7de}"
    "svg .yl{font-size:11px;fill:#57606a;text-anchor:end}svg "
    ".xl{font-size:11px;fill:#57606a;text-anchor:middle}"
    "svg .nodata{fill:#6e7781;font-size:14px}"
    ".legend span{display:inline-block;margin-right:14px;font-size:12px;color:#57606a}"
    ".sw{display:inline-block;width:12px;height:10px;margin-right:4px;vertical-align:middle}"
    "footer{margin-top:30px;color:#6e7781;font-size:12px}code{font-size:12px}";

static const char *
verdict_class(enum gate_verdict v, int hard)
{
	if (v == VERDICT_FAIL)
		return hard ? "v-fail" : "v-soft";
	if (v == VERDICT_NO_DATA)
		return "v-no_data";
	if (v == VERDICT_ERROR)
		return "v-error";
	return "v-pass";
}

int
soakreport_html(const struct soak_report *r, struct buf *b)
{
	const struct soakreport_run *u = &r->run;
	const char *v = soakreport_verdict(r);
	unsigned c[2][4];
	char s1[CLOCK_RFC3339_MAX], s2[CLOCK_RFC3339_MAX], d1[32], d2[32];
	size_t i;

	soakreport_counts(r, c);
	buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		    "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
		    "<title>Soak results: ");
	buf_adds(b, v);
	buf_addf(b, "</title>\n<style>%s</style></head><body>\n", html_css);
	/* No emoji here: headless browsers and CI artefact viewers often lack the font. */
	buf_addf(b, "<h1>Soak results</h1>\n<div class=\"banner %s\"><b>%s</b>", v,
		 verdict_word(v));
	buf_addf(b, "%s soak of ", fmt_dur(u->planned, d1, sizeof(d1)));
	buf_add_html(b, u->target);
	buf_addf(b,
		 " (%s), %s → %s, %s covered; %lu samples, %lu missing.<br>"
		 "Hard gates: %u pass, %u fail, %u no data, %u error · soft gates: %u pass, %u "
		 "fail, %u no data, %u error.",
		 u->source, fmt_time(u->start, s1, sizeof(s1)), fmt_time(u->end, s2, sizeof(s2)),
		 fmt_dur(u->elapsed, d2, sizeof(d2)), u->samples, u->missing, c[1][0], c[1][1],
		 c[1][2], c[1][3], c[0][0], c[0][1], c[0][2], c[0][3]);
	if (u->aborted) {
		buf_adds(b, "<br><b style=\"font-size:14px\">Aborted:</b> ");
		buf_add_html(b, u->abort_reason);
	} else if (u->interrupted) {
		buf_adds(b, "<br><b style=\"font-size:14px\">Incomplete:</b> interrupted; the "
			    "gates judge only what ran.");
	}
	if (u->unreachable) {
		buf_adds(b, "<br><b style=\"font-size:14px\">Source unreachable:</b> ");
		buf_add_html(b, u->last_error);
	}
	buf_adds(
	    b,
	    "</div>\n<h2>Gates</h2>\n<table><tr><th>Gate</th><th>Kind</th><th>Verdict</th>"
	    "<th>Aggregate</th><th>Value</th><th>Threshold</th><th>Margin</th><th>First breach</th>"
	    "<th>Longest breach</th><th>Alert (for)</th></tr>\n");
	for (i = 0; i < r->ngates; i++) {
		const struct gate_result *g = &r->gates[i].res;
		const struct gate_def *d = g->def;
		char val[64], th[64], m[64], fb[32], lg[32], fr[32];

		buf_addf(b,
			 "<tr><td><a href=\"#g-%s\">%s</a></td><td>%s</td><td class=\"%s\">%s</td>"
			 "<td>%s</td><td class=\"n\">",
			 d->name, d->name, d->hard ? "hard" : "soft",
			 verdict_class(g->verdict, d->hard), gates_verdict_name(g->verdict),
			 gates_agg_name(d->agg));
		buf_add_html(b, fmt_val(g->value, d->sel.unit, val, sizeof(val)));
		buf_adds(b, "</td><td class=\"n\">");
		buf_add_html(b, op_pretty(d->op));
		buf_addc(b, ' ');
		buf_add_html(b, fmt_val(d->threshold, d->sel.unit, th, sizeof(th)));
		buf_adds(b, "</td><td class=\"n\">");
		buf_add_html(b,
			     isnan(g->value) ? "-" : fmt_val(margin(g), d->sel.unit, m, sizeof(m)));
		buf_adds(b, "</td>");
		if (isnan(g->first_breach))
			buf_adds(b, "<td>-</td><td class=\"n\">-</td>");
		else
			buf_addf(b, "<td>+%s</td><td class=\"n\">%s</td>",
				 fmt_dur(g->first_breach - u->start, fb, sizeof(fb)),
				 fmt_dur(g->longest, lg, sizeof(lg)));
		buf_addf(b, "<td>%s (%s)</td></tr>\n", d->alert.name,
			 fmt_dur(d->alert.for_s, fr, sizeof(fr)));
	}
	buf_adds(b,
		 "</table>\n<h2>Gates over time</h2>\n<div class=\"legend\">"
		 "<span><i class=\"sw\" style=\"background:#0969da\"></i>windowed value (mean per "
		 "pixel)</span>"
		 "<span><i class=\"sw\" style=\"background:#54aeff;opacity:.4\"></i>min–max</span>"
		 "<span><i class=\"sw\" style=\"background:#cf222e\"></i>threshold</span>"
		 "<span><i class=\"sw\" style=\"background:#ff8182;opacity:.5\"></i>breach</span>"
		 "<span><i class=\"sw\" "
		 "style=\"background:#8c959f;opacity:.4\"></i>warm-up</span></div>\n");
	for (i = 0; i < r->ngates; i++) {
		const struct gate_result *g = &r->gates[i].res;
		const struct gate_def *d = g->def;
		char th[64], w[32], aria[256], sel[4096];

		buf_addf(
		    b,
		    "<div class=\"card\" id=\"g-%s\"><h3>%s <span class=\"%s\">%s</span></h3><p>",
		    d->name, d->name, verdict_class(g->verdict, d->hard),
		    gates_verdict_name(g->verdict));
		buf_add_html(b, *d->description ? d->description : d->name);
		if (gates_agg_quantile(d->agg) >= 0 || (d->agg == AGG_MEAN && d->window > 0) ||
		    d->agg == AGG_INCREASE)
			buf_addf(b, " · %s %s over the soak; charted: %s over %s windows · <code>",
				 gates_agg_name(d->agg), op_html(d->op), gates_agg_name(d->agg),
				 fmt_dur(d->window, w, sizeof(w)));
		else
			buf_addf(b, " · %s %s over the soak; charted: %s at each sample · <code>",
				 gates_agg_name(d->agg), op_html(d->op),
				 d->agg == AGG_EMA1H || d->agg == AGG_EMA24H
				     ? gates_agg_name(d->agg)
				     : "the value");
		buf_add_html(b, gates_selector_str(&d->sel, sel, sizeof(sel)));
		buf_addf(b, "</code></p>\n<p class=\"why %s\">",
			 verdict_class(g->verdict, d->hard));
		buf_add_html(b, g->reason);
		buf_adds(b, "</p>\n");
		snprintf(aria, sizeof(aria), "%s over time against threshold %s", d->name,
			 fmt_val(d->threshold, d->sel.unit, th, sizeof(th)));
		svg_chart(b, r->gates[i].chart, d->sel.unit, 1, d->threshold, u->warmup, aria);
		buf_adds(b, "</div>\n");
	}
	if (r->nseries)
		buf_adds(b, "<h2>Series</h2>\n");
	for (i = 0; i < r->nseries; i++) {
		const struct soakreport_series *s = &r->series[i];
		const struct series_aggs *a = &s->aggs;
		char sel[4096], aria[256], n1[48], n2[48], n3[48];

		buf_addf(b, "<div class=\"card\"><h3>%s", s->name);
		if (*s->sel->unit) {
			buf_adds(b, " (");
			buf_add_html(b, s->sel->unit);
			buf_adds(b, ")");
		}
		buf_adds(b, "</h3><p><code>");
		buf_add_html(b, gates_selector_str(s->sel, sel, sizeof(sel)));
		buf_addf(b, "</code> · charted: %s · ", s->chart_label);
		if (s->sel->type == MTYPE_HISTOGRAM)
			buf_addf(b, "p50 %s, p95 %s, p99 %s over the soak",
				 fmt_num(a->p50, n1, sizeof(n1)), fmt_num(a->p95, n2, sizeof(n2)),
				 fmt_num(a->p99, n3, sizeof(n3)));
		else if (s->sel->type == MTYPE_GAUGE)
			buf_addf(b, "mean %s, min %s, max %s", fmt_num(a->mean, n1, sizeof(n1)),
				 fmt_num(a->min, n2, sizeof(n2)), fmt_num(a->max, n3, sizeof(n3)));
		else
			buf_addf(b, "increase %s", fmt_num(a->increase, n1, sizeof(n1)));
		if (s->error) {
			buf_adds(b, " · <span class=\"v-error\">");
			buf_add_html(b, s->error);
			buf_adds(b, "</span>");
		}
		buf_adds(b, "</p>\n");
		snprintf(aria, sizeof(aria), "%s over time", s->name);
		svg_chart(b, s->chart, s->sel->unit, 0, 0, u->warmup, aria);
		buf_adds(b, "</div>\n");
	}
	buf_addf(b, "<footer>Generated by mmops %s at %s from ", MMOPS_VERSION,
		 fmt_time(u->generated_at, s1, sizeof(s1)));
	buf_add_html(b, u->gates_file);
	buf_addf(b, "; %lu samples every %s, warm-up %s.</footer>\n</body></html>\n", u->samples,
		 fmt_dur(u->interval, d1, sizeof(d1)), fmt_dur(u->warmup, d2, sizeof(d2)));
	return buf_failed(b) ? -1 : 0;
}

/* ---- JUnit ---- */

int
soakreport_junit(const struct soak_report *r, struct buf *b)
{
	const struct soakreport_run *u = &r->run;
	struct junit_case *cases = xcalloc(r->ngates ? r->ngates : 1, sizeof(*cases));
	char **texts = xcalloc(r->ngates ? r->ngates : 1, sizeof(*texts));
	char ts[CLOCK_RFC3339_MAX], missing[32];
	struct junit_property props[] = {
	    {"source", u->source},
	    {"target", u->target},
	    {"gates_file", u->gates_file},
	    {"verdict", soakreport_verdict(r)},
	    {"complete", u->complete ? "true" : "false"},
	    {"abort_reason", u->abort_reason ? u->abort_reason : ""},
	    {"missing_scrapes", missing},
	};
	struct junit_suite suite = {"soak gates",
				    u->elapsed,
				    fmt_time(u->start, ts, sizeof(ts)),
				    props,
				    sizeof(props) / sizeof(props[0]),
				    cases,
				    r->ngates};
	struct mm_err err;
	size_t i;
	int ret;

	snprintf(missing, sizeof(missing), "%lu", u->missing);
	for (i = 0; i < r->ngates; i++) {
		const struct gate_result *g = &r->gates[i].res;
		const struct gate_def *d = g->def;
		struct junit_case *k = &cases[i];
		char val[64], th[64];
		struct buf t = BUF_INIT(1 << 16);

		k->classname = d->hard ? "soak.hard" : "soak.soft";
		k->name = d->name;
		if (g->verdict == VERDICT_PASS) {
			k->outcome = JUNIT_PASS;
			k->text = g->reason;
			continue;
		}
		if (!d->hard) {
			buf_addf(&t, "soft gate (warning): %s", g->reason);
			k->outcome = JUNIT_SKIPPED;
			k->message = texts[i] = buf_detach(&t, NULL);
			continue;
		}
		k->outcome = g->verdict == VERDICT_ERROR ? JUNIT_ERROR : JUNIT_FAILURE;
		k->type = g->verdict == VERDICT_ERROR ? "error" : gates_verdict_name(g->verdict);
		k->message = g->reason;
		buf_addf(&t, "%s: %s %s %s %s; alert %s", d->name, gates_agg_name(d->agg),
			 fmt_val(g->value, d->sel.unit, val, sizeof(val)), gates_op_name(d->op),
			 fmt_val(d->threshold, d->sel.unit, th, sizeof(th)), d->alert.name);
		k->text = texts[i] = buf_detach(&t, NULL);
	}
	ret = junit_write("mmops soak", &suite, 1, b, &err);
	for (i = 0; i < r->ngates; i++)
		free(texts[i]);
	free(texts);
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
soakreport_write_metrics(const struct soak_report *r, const char *path, struct mm_err *err)
{
	json_t *j = soakreport_metrics_json(r);
	int ret = jsontree_write_file(path, j, err);

	json_decref(j);
	return ret;
}

int
soakreport_write_gates(const struct soak_report *r, const char *path, struct mm_err *err)
{
	json_t *j = soakreport_gates_json(r);
	int ret = jsontree_write_file(path, j, err);

	json_decref(j);
	return ret;
}

int
soakreport_write_markdown(const struct soak_report *r, const char *path, struct mm_err *err)
{
	struct buf b = BUF_INIT(SOAKREPORT_MAX);

	return write_buf(path, &b, soakreport_markdown(r, &b), err);
}

int
soakreport_write_html(const struct soak_report *r, const char *path, struct mm_err *err)
{
	struct buf b = BUF_INIT(SOAKREPORT_MAX);

	return write_buf(path, &b, soakreport_html(r, &b), err);
}

int
soakreport_write_junit(const struct soak_report *r, const char *path, struct mm_err *err)
{
	struct buf b = BUF_INIT(SOAKREPORT_MAX);

	return write_buf(path, &b, soakreport_junit(r, &b), err);
}
