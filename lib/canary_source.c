/*
 * canary_source.c - the canary's samples from scrapes, Prometheus, soak
 * recordings and samples files (canary_source.h).
 *
 * All four end in the same shape, one value per metric, side and
 * aggregation interval, so the judge never knows where its numbers came
 * from, and the same series judged from a scrape or from Prometheus gives
 * the same verdict.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "canary_source.h"
#include "jsontree.h"
#include "promapi.h"
#include "promtext.h"
#include "xalloc.h"

void
canary_series_add(struct canary_series *s, double t, double v)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 256;
		s->t = xrealloc(s->t, s->cap * sizeof(*s->t));
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->t[s->n] = t;
	s->v[s->n] = v;
	s->n++;
}

void
canary_series_release(struct canary_series *s)
{
	if (!s)
		return;
	free(s->t);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* ---- scrapes ---- */

struct acc {
	const struct canary_metric *m;
	/* this scrape */
	struct hbucket b[STATS_MAX_BUCKETS];
	size_t nb;
	double sum;
	size_t cnt;
	int seen, bad;
	/* across scrapes */
	struct stats_hist hist;
	struct stats_counter ctr;
	double slot_sum; /* gauge: sum of scrape means in the interval; counter: increase */
	size_t slot_cnt;
	struct canary_series out;
};

struct canary_collector {
	const struct canary_config *cfg;
	double t0;
	long slot; /* the interval being filled, -1 before the first scrape */
	double slot_end;
	size_t n;
	struct acc *a;
};

struct canary_collector *
canary_collector_new(const struct canary_config *cfg, double t0)
{
	struct canary_collector *c = xcalloc(1, sizeof(*c));
	size_t i;

	c->cfg = cfg;
	c->t0 = t0;
	c->slot = -1;
	c->n = cfg->nmetrics;
	c->a = xcalloc(c->n ? c->n : 1, sizeof(*c->a));
	for (i = 0; i < c->n; i++) {
		c->a[i].m = &cfg->metrics[i];
		stats_hist_init(&c->a[i].hist);
		stats_counter_init(&c->a[i].ctr);
	}
	return c;
}

void
canary_collector_free(struct canary_collector *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++) {
		stats_hist_release(&c->a[i].hist);
		canary_series_release(&c->a[i].out);
	}
	free(c->a);
	free(c);
}

struct canary_series *
canary_collector_series(struct canary_collector *c, size_t i)
{
	return &c->a[i].out;
}

/* Whether sample s (already of the right name) matches the selector's labels. */
static int
labels_match(const struct series_sel *sel, const struct prom_sample *s)
{
	size_t i;

	for (i = 0; i < sel->nlabels; i++) {
		const struct prom_str *v = prom_sample_label(s, sel->labels[i].name);

		if (!v || !prom_str_eq(*v, sel->labels[i].value))
			return 0;
	}
	return 1;
}

static int
name_is(struct prom_str n, const char *base, const char *suffix)
{
	size_t bl = strlen(base), sl = strlen(suffix);

	return n.len == bl + sl && memcmp(n.p, base, bl) == 0 && memcmp(n.p + bl, suffix, sl) == 0;
}

static int
on_sample(const struct prom_sample *s, void *ctx)
{
	struct canary_collector *c = ctx;
	size_t i, k;

	for (i = 0; i < c->n; i++) {
		struct acc *a = &c->a[i];
		const struct series_sel *sel = &a->m->sel;

		if (sel->type == MTYPE_HISTOGRAM) {
			const struct prom_str *le;
			double lev;

			if (!name_is(s->name, sel->metric, "_bucket") || !labels_match(sel, s))
				continue;
			if (!(le = prom_sample_label(s, "le")) ||
			    prom_parse_float(le->p, le->len, &lev) < 0)
				continue;
			a->seen = 1;
			for (k = 0; k < a->nb; k++)
				if (a->b[k].le == lev)
					break;
			if (k == a->nb) {
				if (a->nb == STATS_MAX_BUCKETS) {
					a->bad = 1;
					continue;
				}
				a->b[a->nb].le = lev;
				a->b[a->nb].count = 0;
				a->nb++;
			}
			a->b[k].count += s->value;
		} else {
			if (!name_is(s->name, sel->metric, "") || !labels_match(sel, s) ||
			    isnan(s->value))
				continue;
			a->seen = 1;
			a->sum += s->value;
			a->cnt++;
		}
	}
	return 0;
}

/* The value of interval slot for every metric with data in it. */
static void
flush(struct canary_collector *c)
{
	size_t i;

	if (c->slot < 0)
		return;
	for (i = 0; i < c->n; i++) {
		struct acc *a = &c->a[i];
		double v = NAN;

		switch (a->m->sel.type) {
		case MTYPE_HISTOGRAM:
			if (stats_hist_count(&a->hist) > 0)
				v = stats_hist_quantile(&a->hist, a->m->quantile);
			stats_hist_zero(&a->hist);
			break;
		case MTYPE_COUNTER:
			if (a->slot_cnt)
				v = a->slot_sum;
			break;
		case MTYPE_GAUGE:
			if (a->slot_cnt)
				v = a->slot_sum / (double)a->slot_cnt;
			break;
		}
		if (!isnan(v))
			canary_series_add(&a->out, c->slot_end, v * a->m->sel.scale);
		a->slot_sum = 0;
		a->slot_cnt = 0;
	}
}

int
canary_collect_text(struct canary_collector *c, double t, const char *data, size_t len,
		    const char *name, struct mm_err *err)
{
	double w = c->cfg->aggregate;
	long slot = t > c->t0 ? (long)ceil((t - c->t0) / w) - 1 : 0;
	size_t i;

	for (i = 0; i < c->n; i++) {
		c->a[i].nb = 0;
		c->a[i].sum = 0;
		c->a[i].cnt = 0;
		c->a[i].seen = c->a[i].bad = 0;
	}
	if (promtext_parse(data, len, name, 0, on_sample, c, err) < 0)
		return -1;
	if (slot != c->slot) {
		flush(c);
		c->slot = slot;
		c->slot_end = c->t0 + (double)(slot + 1) * w;
	}
	for (i = 0; i < c->n; i++) {
		struct acc *a = &c->a[i];

		if (!a->seen || a->bad)
			continue;
		switch (a->m->sel.type) {
		case MTYPE_HISTOGRAM:
			if (stats_buckets_check(a->b, a->nb))
				continue; /* not a histogram this scrape: no value */
			stats_hist_add(&a->hist, a->b, a->nb, 1);
			break;
		case MTYPE_COUNTER:
			a->slot_sum += stats_counter_add(&a->ctr, a->sum);
			a->slot_cnt++;
			break;
		case MTYPE_GAUGE:
			a->slot_sum += a->sum / (double)a->cnt;
			a->slot_cnt++;
			break;
		}
	}
	return 0;
}

void
canary_collector_finish(struct canary_collector *c)
{
	flush(c);
	c->slot = -1;
}

/* ---- Prometheus ---- */

int
canary_side_check(const char *sel, struct mm_err *err)
{
	const char *p;
	int inq = 0;

	if (!sel || !*sel)
		return mm_errf(err, MM_E_USAGE, "a side selector is empty");
	if (strlen(sel) >= CANARY_SIDE_SEL_MAX)
		return mm_errf(err, MM_E_USAGE, "a side selector is longer than %d bytes",
			       CANARY_SIDE_SEL_MAX);
	for (p = sel; *p; p++) {
		if (*p == '\n' || *p == '\r')
			return mm_errf(err, MM_E_USAGE, "selector '%s': no newlines", sel);
		if (*p == '\\' && inq && p[1]) {
			p++;
			continue;
		}
		if (*p == '"')
			inq = !inq;
		else if (!inq && (*p == '{' || *p == '}'))
			return mm_errf(err, MM_E_USAGE,
				       "selector '%s': give the matchers without braces, e.g. "
				       "instance=\"mm-canary-1\"",
				       sel);
	}
	if (inq)
		return mm_errf(err, MM_E_USAGE, "selector '%s': unterminated quote", sel);
	if (!strpbrk(sel, "=~!"))
		return mm_errf(err, MM_E_USAGE,
			       "selector '%s': expected label matchers like instance=\"x\"", sel);
	return 0;
}

/* metric{labels,side} into b. */
static void
selector(struct buf *b, const struct series_sel *s, const char *suffix, const char *side)
{
	size_t i;
	const char *p;

	buf_addf(b, "%s%s{", s->metric, suffix);
	for (i = 0; i < s->nlabels; i++) {
		buf_addf(b, "%s=\"", s->labels[i].name);
		for (p = s->labels[i].value; *p; p++) {
			if (*p == '"' || *p == '\\')
				buf_addc(b, '\\');
			if (*p == '\n')
				buf_adds(b, "\\n");
			else
				buf_addc(b, *p);
		}
		buf_adds(b, "\",");
	}
	buf_addf(b, "%s}", side);
}

const char *
canary_promql(const struct canary_metric *m, const char *side, double window, char *out, size_t n)
{
	struct buf b = BUF_INIT(8192);
	char w[32], sc[40];

	snprintf(w, sizeof(w), "%lds", (long)(window < 1 ? 1 : window));
	snprintf(sc, sizeof(sc), "%.17g", m->sel.scale);
	switch (m->sel.type) {
	case MTYPE_HISTOGRAM:
		buf_addf(&b, "histogram_quantile(%.17g, sum by (le) (rate(", m->quantile);
		selector(&b, &m->sel, "_bucket", side);
		buf_addf(&b, "[%s])))", w);
		break;
	case MTYPE_COUNTER:
		buf_adds(&b, "sum(increase(");
		selector(&b, &m->sel, "", side);
		buf_addf(&b, "[%s]))", w);
		break;
	case MTYPE_GAUGE:
		buf_adds(&b, "avg(avg_over_time(");
		selector(&b, &m->sel, "", side);
		buf_addf(&b, "[%s]))", w);
		break;
	}
	if (m->sel.scale != 1)
		buf_addf(&b, " * %s", sc);
	snprintf(out, n, "%s", b.data ? b.data : "");
	buf_release(&b);
	return out;
}

int
canary_fetch_prometheus(const char *base, const struct canary_metric *m, const char *side,
			double from, double to, double aggregate, double timeout,
			struct canary_series *out, double *step_used, struct mm_err *err)
{
	struct promapi_result r;
	char q[16384];
	double step = promapi_choose_step(from + aggregate, to, aggregate);
	size_t i, j;
	int ret = -1;

	*step_used = step;
	canary_promql(m, side, step, q, sizeof(q));
	promapi_result_init(&r);
	if (promapi_query_range(base, q, from + step, to, step, timeout, &r, err) < 0)
		goto out;
	if (strcmp(r.type, "matrix") != 0) {
		mm_errf(err, MM_E_PARSE, "query '%s': expected a matrix, got %s", q, r.type);
		goto out;
	}
	/* The outer aggregation leaves one series (none without data). */
	for (i = 0; i < r.nseries; i++)
		for (j = 0; j < r.series[i].n; j++)
			if (isfinite(r.series[i].pts[j].v))
				canary_series_add(out, r.series[i].pts[j].t, r.series[i].pts[j].v);
	ret = 0;
out:
	promapi_result_release(&r);
	return ret;
}

/* ---- files ---- */

void
canary_samples_release(struct canary_samples *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++) {
		free(s->names[i]);
		canary_series_release(&s->series[i]);
	}
	free(s->names);
	free(s->series);
	memset(s, 0, sizeof(*s));
}

static void
samples_alloc(struct canary_samples *out, size_t n)
{
	memset(out, 0, sizeof(*out));
	out->names = xcalloc(n ? n : 1, sizeof(*out->names));
	out->series = xcalloc(n ? n : 1, sizeof(*out->series));
}

int
canary_samples_load(const char *path, struct canary_samples *out, struct mm_err *err)
{
	json_t *j = jsontree_load_file(path, err), *v;
	const char *key;
	size_t k;

	memset(out, 0, sizeof(*out));
	if (!j)
		return -1;
	if (!json_is_object(j)) {
		json_decref(j);
		return mm_errf(err, MM_E_PARSE,
			       "%s: expected an object {\"metric name\": [numbers, ...], ...}",
			       path);
	}
	if (json_object_size(j) > CANARY_MAX_SERIES_FILE) {
		json_decref(j);
		return mm_errf(err, MM_E_LIMIT, "%s: more than %d metrics", path,
			       CANARY_MAX_SERIES_FILE);
	}
	samples_alloc(out, json_object_size(j));
	json_object_foreach(j, key, v)
	{
		struct canary_series *s = &out->series[out->n];
		size_t i;
		json_t *e;

		if (!json_is_array(v) || json_array_size(v) > CANARY_MAX_SAMPLES) {
			mm_errf(err, json_is_array(v) ? MM_E_LIMIT : MM_E_PARSE,
				"%s: \"%s\": expected an array of at most %d numbers", path, key,
				CANARY_MAX_SAMPLES);
			goto fail;
		}
		out->names[out->n++] = xstrdup(key);
		json_array_foreach(v, i, e)
		{
			if (json_is_null(e))
				continue;
			if (!json_is_number(e)) {
				mm_errf(err, MM_E_PARSE,
					"%s: \"%s\"[%zu]: expected a number or null", path, key, i);
				goto fail;
			}
			canary_series_add(s, (double)i, json_number_value(e));
		}
	}
	/* jansson keeps insertion order only by accident: sort by name for determinism */
	for (k = 1; k < out->n; k++) {
		size_t m = k;

		while (m > 0 && strcmp(out->names[m - 1], out->names[m]) > 0) {
			char *tn = out->names[m];
			struct canary_series ts = out->series[m];

			out->names[m] = out->names[m - 1];
			out->series[m] = out->series[m - 1];
			out->names[m - 1] = tn;
			out->series[m - 1] = ts;
			m--;
		}
	}
	json_decref(j);
	return 0;
fail:
	json_decref(j);
	canary_samples_release(out);
	return -1;
}

int
canary_soak_load(const char *path, double aggregate, struct canary_samples *out, struct mm_err *err)
{
	json_t *j = jsontree_load_file(path, err), *series, *v;
	const char *key;
	double t0 = INFINITY;

	memset(out, 0, sizeof(*out));
	if (!j)
		return -1;
	series = json_object_get(j, "series");
	if (json_is_object(series) && json_is_object(json_object_get(j, "gates"))) {
		/* gates and recorded series in one namespace (their names are distinct) */
		json_t *all = json_deep_copy(series);

		json_object_update_missing(all, json_object_get(j, "gates"));
		json_object_set_new(j, "series_and_gates", all);
		series = all;
	}
	if (!json_is_object(series)) {
		json_decref(j);
		return mm_errf(err, MM_E_PARSE,
			       "%s: not a soak_metrics.json (no \"series\" object)", path);
	}
	/* one time axis for both sides: intervals aligned to the first recorded sample */
	json_object_foreach(series, key, v)
	{
		json_t *t = json_object_get(json_object_get(v, "recorded"), "t");

		if (json_is_array(t) && json_array_size(t) && json_is_number(json_array_get(t, 0)))
			t0 = fmin(t0, json_number_value(json_array_get(t, 0)));
	}
	if (isinf(t0)) {
		json_decref(j);
		return mm_errf(err, MM_E_PARSE,
			       "%s: no recorded values (run the soak with --record-series)", path);
	}
	samples_alloc(out, json_object_size(series));
	json_object_foreach(series, key, v)
	{
		json_t *rec = json_object_get(v, "recorded");
		json_t *t = json_object_get(rec, "t"), *vv = json_object_get(rec, "v");
		size_t i, n;
		double *ta, *va, *agg;
		struct canary_series *s;

		if (!json_is_array(t) || !json_is_array(vv))
			continue;
		if ((n = json_array_size(t)) != json_array_size(vv)) {
			mm_errf(err, MM_E_PARSE,
				"%s: series \"%s\": recorded t and v differ in length", path, key);
			goto fail;
		}
		ta = xcalloc(n ? n : 1, sizeof(*ta));
		va = xcalloc(n ? n : 1, sizeof(*va));
		for (i = 0; i < n; i++) {
			json_t *a = json_array_get(t, i), *b = json_array_get(vv, i);

			if (!json_is_number(a) || !(json_is_number(b) || json_is_null(b))) {
				free(ta);
				free(va);
				mm_errf(err, MM_E_PARSE,
					"%s: series \"%s\": recorded[%zu] is not a number", path,
					key, i);
				goto fail;
			}
			ta[i] = json_number_value(a);
			va[i] = json_is_null(b) ? NAN : json_number_value(b);
		}
		s = &out->series[out->n];
		out->names[out->n++] = xstrdup(key);
		n = canary_aggregate_mean(ta, va, n, t0, aggregate, &agg);
		for (i = 0; i < n; i++)
			canary_series_add(s, (double)i, agg[i]);
		free(agg);
		free(ta);
		free(va);
	}
	json_decref(j);
	return 0;
fail:
	json_decref(j);
	canary_samples_release(out);
	return -1;
}
