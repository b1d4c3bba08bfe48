/*
 * soak.c - the soak engine.  A sample (a scrape, a simulator render, a
 * Prometheus answer) is matched against the series the gates and the
 * record: list name; each series ("tracker") keeps running aggregates, and
 * each gate or recorded series ("probe") keeps the ring of snapshots its
 * window needs, its chart and its running judgement.  Nothing grows with
 * the duration, so a 72 h soak at 1 s costs the same memory as a 1 h one.
 * The whole state round-trips through a JSON checkpoint for --resume
 * (soak_checkpoint.c); the structs both files share are in soak_internal.h.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "atomicfile.h"
#include "http.h"
#include "jsontree.h"
#include "log.h"
#include "promapi.h"
#include "promtext.h"
#include "sim.h"
#include "soak.h"
#include "soak_internal.h"
#include "stats.h"
#include "xalloc.h"

#define RENDER_CAP	 ((size_t)16 << 20)
#define RANGE_CHUNK	 1000  /* points per query_range request */
#define LIVE_SLEEP_SLICE 0.2   /* seconds: how often a sleeping run checks *stop */
#define RECORD_WINDOW	 300.0 /* window of a recorded series' chart */
#define PROM_RETRIES	 3

/* ---- rings ---- */

void
soak_ring_init(struct ring *r, size_t k)
{
	memset(r, 0, sizeof(*r));
	r->k = k;
}

void
soak_ring_release(struct ring *r)
{
	free(r->d);
	soak_ring_init(r, r->k);
}

double *
soak_ring_at(const struct ring *r, size_t i)
{
	return r->d + ((r->head + i) % r->cap) * (r->k + 1);
}

void
soak_ring_push(struct ring *r, double t, const double *v, size_t k)
{
	double *e;
	size_t i;

	if (k != r->k) {
		/* The shape changed (a histogram got other buckets): start over. */
		free(r->d);
		soak_ring_init(r, k);
	}
	if (r->n == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 16;
		double *nd = xreallocarray(NULL, ncap, (r->k + 1) * sizeof(double));

		for (i = 0; i < r->n; i++)
			memcpy(nd + i * (r->k + 1), soak_ring_at(r, i),
			       (r->k + 1) * sizeof(double));
		free(r->d);
		r->d = nd;
		r->cap = ncap;
		r->head = 0;
	}
	e = r->d + ((r->head + r->n) % r->cap) * (r->k + 1);
	e[0] = t;
	memcpy(e + 1, v, k * sizeof(double));
	r->n++;
}

static void
ring_pop(struct ring *r)
{
	if (!r->n)
		return;
	r->head = (r->head + 1) % r->cap;
	r->n--;
}

/* Keep exactly one entry at or before t - window (the base), and cap the length. */
static void
ring_trim(struct ring *r, double t, double window)
{
	while (r->n >= 2 && soak_ring_at(r, 1)[0] <= t - window)
		ring_pop(r);
	while (r->n > SOAK_MAX_SAMPLES_WINDOW)
		ring_pop(r);
}

/* ---- charts (soakreport.h) ---- */

void
chart_init(struct chart *c, double t0, double span)
{
	size_t i;

	c->t0 = t0;
	c->span = span > 0 ? span : 1;
	c->nb = CHART_BUCKETS;
	c->b = xcalloc(c->nb, sizeof(*c->b));
	for (i = 0; i < c->nb; i++) {
		c->b[i].min = INFINITY;
		c->b[i].max = -INFINITY;
	}
}

void
chart_release(struct chart *c)
{
	if (!c)
		return;
	free(c->b);
	c->b = NULL;
	c->nb = 0;
}

void
chart_add(struct chart *c, double t, double v, int breach)
{
	struct chart_bucket *b;
	double x;
	size_t i;

	if (isnan(v) || !c->nb)
		return;
	x = (t - c->t0) / c->span * (double)c->nb;
	if (x < 0)
		x = 0;
	i = (size_t)x;
	if (i >= c->nb)
		i = c->nb - 1;
	b = &c->b[i];
	if (v < b->min)
		b->min = v;
	if (v > b->max)
		b->max = v;
	b->sum += v;
	b->n++;
	if (breach)
		b->breach = 1;
}

/* ---- matching samples to trackers ---- */

static uint32_t
hash_bytes(const char *p, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 16777619u;
	}
	return h;
}

static void
add_match(struct soak *s, struct tracker *tr, const char *suffix, enum role role)
{
	struct match *m;
	size_t slot;

	s->m = xreallocarray(s->m, s->nm + 1, sizeof(*s->m));
	m = &s->m[s->nm];
	m->key = xasprintf("%s%s", tr->sel->metric, suffix);
	m->len = strlen(m->key);
	m->hash = hash_bytes(m->key, m->len);
	m->tr = tr;
	m->role = role;
	slot = m->hash & (HASH_SLOTS - 1);
	m->next = s->slot[slot];
	s->slot[slot] = (int)s->nm;
	s->nm++;
}

static int
labels_match(const struct series_sel *sel, const struct prom_sample *smp)
{
	size_t i;

	for (i = 0; i < sel->nlabels; i++) {
		const struct prom_str *v = prom_sample_label(smp, sel->labels[i].name);
		const char *want = sel->labels[i].value;

		/* An absent label matches "", as in PromQL. */
		if (!v) {
			if (*want)
				return 0;
		} else if (!prom_str_eq(*v, want)) {
			return 0;
		}
	}
	return 1;
}

static void
tr_bad(struct tracker *tr, const char *fmt, const char *a, const char *b)
{
	if (tr->bad)
		return;
	tr->bad = 1;
	snprintf(tr->bad_msg, sizeof(tr->bad_msg), fmt, a, b);
}

static void
tr_add_bucket(struct tracker *tr, double le, double v)
{
	size_t i;

	tr->seen = 1;
	if (tr->hint < tr->ncur && tr->cur[tr->hint].le == le) {
		tr->cur[tr->hint++].count += v;
		return;
	}
	for (i = 0; i < tr->ncur; i++)
		if (tr->cur[i].le == le) {
			tr->cur[i].count += v;
			tr->hint = i + 1;
			return;
		}
	if (tr->ncur == STATS_MAX_BUCKETS) {
		tr_bad(tr, "%s has more than %s buckets", tr->sel->metric, "256");
		return;
	}
	tr->cur[tr->ncur].le = le;
	tr->cur[tr->ncur].count = v;
	tr->ncur++;
	tr->hint = tr->ncur;
}

static void
tr_add_value(struct tracker *tr, double v)
{
	tr->seen = 1;
	tr->sum += v;
	tr->cnt++;
}

static int
on_sample(const struct prom_sample *smp, void *ctx)
{
	struct soak *s = ctx;
	uint32_t h = hash_bytes(smp->name.p, smp->name.len);
	int i;

	for (i = s->slot[h & (HASH_SLOTS - 1)]; i >= 0; i = s->m[i].next) {
		struct match *m = &s->m[i];
		const struct prom_str *le;
		double b;

		if (m->hash != h || m->len != smp->name.len ||
		    memcmp(m->key, smp->name.p, m->len) != 0 || !labels_match(m->tr->sel, smp))
			continue;
		switch (m->role) {
		case ROLE_VALUE:
			if (m->tr->sel->type == MTYPE_COUNTER &&
			    (isnan(smp->value) || smp->value < 0))
				tr_bad(m->tr, "counter %s has a %s value", m->key,
				       isnan(smp->value) ? "NaN" : "negative");
			else
				tr_add_value(m->tr, smp->value);
			break;
		case ROLE_BUCKET:
			le = prom_sample_label(smp, "le");
			if (!le || prom_parse_float(le->p, le->len, &b) < 0 || isnan(b))
				tr_bad(m->tr, "%s has a bucket without a numeric 'le'%s", m->key,
				       "");
			else
				tr_add_bucket(m->tr, b, smp->value);
			break;
		case ROLE_TYPECHECK:
			tr_bad(m->tr,
			       "'%s' is exported as %s, not as the type declared in the gates file",
			       m->key, smp->family ? prom_type_name(smp->family->type) : "?");
			break;
		}
	}
	return 0;
}

/* ---- trackers and probes ---- */

static int
same_sel(const struct series_sel *a, const struct series_sel *b)
{
	size_t i;

	if (strcmp(a->metric, b->metric) != 0 || a->nlabels != b->nlabels)
		return 0;
	for (i = 0; i < a->nlabels; i++)
		if (strcmp(a->labels[i].name, b->labels[i].name) != 0 ||
		    strcmp(a->labels[i].value, b->labels[i].value) != 0)
			return 0;
	return 1;
}

static void
tracker_init(struct tracker *tr, const struct series_sel *sel, double staleness)
{
	memset(tr, 0, sizeof(*tr));
	tr->sel = sel;
	stats_hist_init(&tr->hall);
	stats_hist_init(&tr->hw);
	stats_twmean_init(&tr->twall, staleness);
	stats_twmean_init(&tr->tww, staleness);
	stats_counter_init(&tr->call);
	stats_ema_init(&tr->e1h, 3600, staleness);
	stats_ema_init(&tr->e24h, 86400, staleness);
	tr->min = NAN;
	tr->max = NAN;
	tr->last = NAN;
}

static void
tracker_release(struct tracker *tr)
{
	stats_hist_release(&tr->hall);
	stats_hist_release(&tr->hw);
	free(tr->raw);
}

static struct tracker *
find_tracker(struct soak *s, const struct series_sel *sel)
{
	size_t i;

	for (i = 0; i < s->ntr; i++)
		if (same_sel(s->tr[i].sel, sel))
			return &s->tr[i];
	return NULL;
}

static void
probe_setup(struct soak *s, struct probe *p, struct tracker *tr, const struct gate_def *g,
	    const char *name, enum gate_agg agg, double window)
{
	char w[32];

	memset(p, 0, sizeof(*p));
	p->tr = tr;
	p->gate = g;
	p->name = name;
	p->agg = agg;
	p->window = window;
	p->windowed = NAN;
	clock_format_duration(window, w, sizeof(w));
	if (gates_agg_quantile(agg) >= 0) {
		p->rk = tr->sel->type == MTYPE_HISTOGRAM ? RK_HIST : RK_RAW;
		snprintf(p->label, sizeof(p->label), "%s over %s", gates_agg_name(agg), w);
	} else if (agg == AGG_MEAN && window > 0) {
		p->rk = RK_MEAN;
		snprintf(p->label, sizeof(p->label), "mean over %s", w);
	} else if (agg == AGG_INCREASE) {
		p->rk = RK_INC;
		snprintf(p->label, sizeof(p->label), "increase over %s", w);
	} else {
		p->rk = RK_NONE;
		snprintf(p->label, sizeof(p->label), "%s",
			 agg == AGG_EMA1H    ? "EMA 1h"
			 : agg == AGG_EMA24H ? "EMA 24h"
					     : "value");
	}
	if (p->rk == RK_RAW)
		tr->need_raw = 1;
	soak_ring_init(&p->ring, p->rk == RK_MEAN ? 2 : 1);
	chart_init(&p->chart, s->t0, s->o.duration);
	gate_eval_init(&p->ev, g, s->cfg->staleness);
}

/* Trackers for every distinct selector; probes for every gate and record entry. */
void
soak_build(struct soak *s)
{
	const struct gate_config *c = s->cfg;
	size_t i, n = c->ngates + c->nrecord;

	s->tr = xcalloc(n, sizeof(*s->tr));
	s->pr = xcalloc(n, sizeof(*s->pr));
	for (i = 0; i < HASH_SLOTS; i++)
		s->slot[i] = -1;
	for (i = 0; i < n; i++) {
		const struct series_sel *sel =
		    i < c->ngates ? &c->gates[i].sel : &c->record[i - c->ngates].sel;
		struct tracker *tr = find_tracker(s, sel);

		if (!tr) {
			tr = &s->tr[s->ntr++];
			tracker_init(tr, sel, c->staleness);
			if (sel->type == MTYPE_HISTOGRAM) {
				add_match(s, tr, "_bucket", ROLE_BUCKET);
				add_match(s, tr, "", ROLE_TYPECHECK);
			} else {
				add_match(s, tr, "", ROLE_VALUE);
				add_match(s, tr, "_bucket", ROLE_TYPECHECK);
			}
		}
		if (i < c->ngates) {
			const struct gate_def *g = &c->gates[i];

			probe_setup(s, &s->pr[s->npr++], tr, g, g->name, g->agg, g->window);
		} else {
			const struct record_def *r = &c->record[i - c->ngates];
			enum gate_agg agg = sel->type == MTYPE_HISTOGRAM ? AGG_P95
					    : sel->type == MTYPE_COUNTER ? AGG_INCREASE
									 : AGG_LAST;

			probe_setup(s, &s->pr[s->npr++], tr, NULL, r->name, agg, RECORD_WINDOW);
		}
	}
}

static void
scrape_begin(struct soak *s)
{
	size_t i;

	for (i = 0; i < s->ntr; i++) {
		struct tracker *tr = &s->tr[i];

		tr->seen = 0;
		tr->bad = 0;
		tr->sum = 0;
		tr->cnt = 0;
		tr->ncur = 0;
		tr->hint = 0;
	}
}

static void
tracker_update(struct soak *s, struct tracker *tr, double t)
{
	int post = t >= s->warmup_end;

	tr->samples++;
	if (tr->sel->type == MTYPE_HISTOGRAM) {
		const double *before = tr->hall.le;

		if (stats_hist_add(&tr->hall, tr->cur, tr->ncur, 1) < 0)
			return;
		if (tr->hall.le != before)
			tr->layout_gen++;
		stats_hist_add(&tr->hw, tr->cur, tr->ncur, post);
		if (post)
			tr->nw++;
		return;
	}
	/* Gauges: the mean of the matching series; counters: their sum. */
	tr->value = tr->sel->type == MTYPE_GAUGE ? tr->sum / tr->cnt : tr->sum;
	if (post && !tr->post) {
		tr->post = 1;
		/* The step that crosses the warm-up's end belongs to the soak. */
		tr->inc_base = tr->call.increase;
		if (tr->have_prev)
			stats_twmean_add(&tr->tww, tr->prev_t, tr->prev_v);
	}
	stats_twmean_add(&tr->twall, t, tr->value);
	stats_counter_add(&tr->call, tr->value);
	stats_ema_add(&tr->e1h, t, tr->value);
	stats_ema_add(&tr->e24h, t, tr->value);
	if (post) {
		stats_twmean_add(&tr->tww, t, tr->value);
		if (isnan(tr->min) || tr->value < tr->min)
			tr->min = tr->value;
		if (isnan(tr->max) || tr->value > tr->max)
			tr->max = tr->value;
		tr->last = tr->value;
		tr->nw++;
		if (tr->need_raw && !isnan(tr->value)) {
			if (tr->nraw == tr->rawcap) {
				tr->rawcap = tr->rawcap ? tr->rawcap * 2 : 1024;
				tr->raw = xreallocarray(tr->raw, tr->rawcap, sizeof(double));
			}
			tr->raw[tr->nraw++] = tr->value;
		}
	}
	tr->prev_t = t;
	tr->prev_v = tr->value;
	tr->have_prev = 1;
}

static double *
scratch(struct soak *s, size_t n)
{
	if (n > s->scratch_cap) {
		s->scratch_cap = n * 2;
		s->scratch = xreallocarray(s->scratch, s->scratch_cap, sizeof(double));
	}
	return s->scratch;
}

/* The windowed value of a probe at t (unscaled), after pushing this sample. */
static double
probe_windowed(struct soak *s, struct probe *p, double t)
{
	struct tracker *tr = p->tr;
	const double *base, *now;
	size_t i, n;

	switch (p->rk) {
	case RK_HIST: {
		struct hbucket b[STATS_MAX_BUCKETS];

		if (p->layout_gen != tr->layout_gen) {
			soak_ring_release(&p->ring);
			p->layout_gen = tr->layout_gen;
		}
		soak_ring_push(&p->ring, t, tr->hall.inc, tr->hall.n);
		ring_trim(&p->ring, t, p->window);
		base = soak_ring_at(&p->ring, 0) + 1;
		now = soak_ring_at(&p->ring, p->ring.n - 1) + 1;
		for (i = 0; i < tr->hall.n; i++) {
			b[i].le = tr->hall.le[i];
			b[i].count = now[i] - base[i];
		}
		return stats_histogram_quantile(gates_agg_quantile(p->agg), b, tr->hall.n);
	}
	case RK_MEAN: {
		double v[2] = {tr->twall.area, tr->twall.known}, dk;

		soak_ring_push(&p->ring, t, v, 2);
		ring_trim(&p->ring, t, p->window);
		base = soak_ring_at(&p->ring, 0) + 1;
		dk = tr->twall.known - base[1];
		if (dk <= 0)
			return tr->value;
		return (tr->twall.area - base[0]) / dk;
	}
	case RK_INC: {
		double v = tr->call.increase;

		soak_ring_push(&p->ring, t, &v, 1);
		ring_trim(&p->ring, t, p->window);
		return v - soak_ring_at(&p->ring, 0)[1];
	}
	case RK_RAW: {
		double *vals, v = tr->value;
		size_t first;

		soak_ring_push(&p->ring, t, &v, 1);
		ring_trim(&p->ring, t, p->window);
		n = p->ring.n;
		first = n > 1 && soak_ring_at(&p->ring, 0)[0] <= t - p->window ? 1 : 0;
		vals = scratch(s, n);
		for (i = first; i < n; i++)
			vals[i - first] = soak_ring_at(&p->ring, i)[1];
		return stats_quantile(gates_agg_quantile(p->agg), vals, n - first);
	}
	case RK_NONE:
		break;
	}
	if (p->agg == AGG_EMA1H)
		return stats_ema_value(&tr->e1h);
	if (p->agg == AGG_EMA24H)
		return stats_ema_value(&tr->e24h);
	return tr->value;
}

/* The aggregate over the soak so far, scaled (used for the irreversible check). */
static double
tracker_aggregate(const struct tracker *tr, enum gate_agg agg)
{
	double q = gates_agg_quantile(agg), v = NAN;

	if (tr->nw == 0)
		return NAN;
	if (q >= 0) {
		if (tr->sel->type == MTYPE_HISTOGRAM) {
			v = stats_hist_quantile(&tr->hw, q);
		} else if (tr->nraw) {
			double *tmp = xmalloc(tr->nraw * sizeof(double));

			memcpy(tmp, tr->raw, tr->nraw * sizeof(double));
			v = stats_quantile(q, tmp, tr->nraw);
			free(tmp);
		}
		return v * tr->sel->scale;
	}
	switch (agg) {
	case AGG_MEAN:
		v = stats_twmean_value(&tr->tww);
		break;
	case AGG_MIN:
		v = tr->min;
		break;
	case AGG_MAX:
		v = tr->max;
		break;
	case AGG_LAST:
		v = tr->last;
		break;
	case AGG_INCREASE:
		v = tr->call.increase - tr->inc_base;
		break;
	case AGG_EMA1H:
		v = stats_ema_value(&tr->e1h);
		break;
	case AGG_EMA24H:
		v = stats_ema_value(&tr->e24h);
		break;
	default:
		break;
	}
	return v * tr->sel->scale;
}

/* A breach of an aggregate that can only get worse: max, min, increase. */
static int
irreversible(const struct probe *p)
{
	const struct gate_def *g = p->gate;
	double v;
	int grows = p->agg == AGG_MAX || p->agg == AGG_INCREASE;

	if (!grows && p->agg != AGG_MIN)
		return 0;
	v = tracker_aggregate(p->tr, p->agg);
	if (isnan(v) || gates_compare(g->op, v, g->threshold))
		return 0;
	if (grows)
		return g->op == OP_LT || g->op == OP_LE || (g->op == OP_EQ && v > g->threshold);
	return g->op == OP_GT || g->op == OP_GE || (g->op == OP_EQ && v < g->threshold);
}

static void
set_abort(struct soak *s, const struct probe *p, double t, const char *why)
{
	char ts[CLOCK_RFC3339_MAX], th[40];

	s->aborted = 1;
	snprintf(th, sizeof(th), "%.6g", p->gate->threshold);
	snprintf(s->abort_reason, sizeof(s->abort_reason), "hard gate %s: %s (%s %s %s%s%s) at %s",
		 p->gate->name, why, gates_agg_name(p->agg), gates_op_name(p->gate->op), th,
		 *p->gate->sel.unit ? " " : "", p->gate->sel.unit,
		 clock_format_rfc3339(t, ts, sizeof(ts)));
}

static void
scrape_end(struct soak *s, double t)
{
	int post = t >= s->warmup_end;
	size_t i;

	for (i = 0; i < s->ntr; i++) {
		struct tracker *tr = &s->tr[i];
		const char *why;

		/* Broken buckets are an error of the gate, never a quantile. */
		if (tr->seen && !tr->bad && tr->sel->type == MTYPE_HISTOGRAM &&
		    (why = stats_buckets_check(tr->cur, tr->ncur)))
			tr_bad(tr, "%s_bucket is not a histogram: %s", tr->sel->metric, why);
		if (tr->bad && !tr->error) {
			tr->error = 1;
			snprintf(tr->errmsg, sizeof(tr->errmsg), "%s", tr->bad_msg);
			mm_log(MM_LOG_WARN, "%s", tr->errmsg);
		}
		if (tr->seen && !tr->bad)
			tracker_update(s, tr, t);
	}
	for (i = 0; i < s->npr; i++) {
		struct probe *p = &s->pr[i];
		const struct gate_def *g = p->gate;
		double v;
		int breach;

		if (!p->tr->seen || p->tr->bad) {
			p->windowed = NAN;
			if (g && post)
				gate_eval_step(&p->ev, t, NAN);
			continue;
		}
		v = probe_windowed(s, p, t) * p->tr->sel->scale;
		p->windowed = v;
		if (s->o.record_series && post && !isnan(v))
			soakreport_recording_add(&p->rec, t, v);
		breach = g && !isnan(v) && !gates_compare(g->op, v, g->threshold);
		chart_add(&p->chart, t, v, post && breach);
		if (!g || !post)
			continue;
		if (gate_eval_step(&p->ev, t, v) && g->hard && s->o.abort_on_fail && !s->aborted) {
			char d[32], why[256];

			clock_format_duration(g->alert.for_s, d, sizeof(d));
			snprintf(why, sizeof(why), "windowed %s breached for %s (the alert's for:)",
				 p->label, d);
			set_abort(s, p, t, why);
		}
		if (g->hard && s->o.abort_on_fail && !s->aborted && irreversible(p))
			set_abort(s, p, t, "the aggregate breached and can only get worse");
	}
	if (s->failing)
		mm_log(MM_LOG_INFO, "samples are back after %lu missing", s->failing);
	s->failing = 0;
	s->samples++;
	s->last_t = t;
}

int
soak_feed_text(struct soak *s, double t, const char *data, size_t len, const char *name,
	       struct mm_err *err)
{
	if (!isnan(s->last_t) && t <= s->last_t)
		return mm_errf(err, MM_E_USAGE, "sample time %.3f is not after the last one", t);
	scrape_begin(s);
	if (promtext_parse(data, len, name, 0, on_sample, s, err) < 0) {
		char msg[MM_ERR_MSG_MAX + MM_ERR_FILE_MAX + 32];

		soak_feed_missing(s, t, mm_err_format(err, msg, sizeof(msg)));
		return -1;
	}
	scrape_end(s, t);
	return 0;
}

void
soak_feed_missing(struct soak *s, double t, const char *why)
{
	(void)t;
	s->missing++;
	snprintf(s->last_error, sizeof(s->last_error), "%s", why ? why : "unknown");
	/* Say so once when the source starts failing, not at every interval. */
	if (!s->failing)
		mm_log(MM_LOG_WARN, "sample missing (retrying every interval): %s", s->last_error);
	s->failing++;
}

int
soak_aborted(const struct soak *s, const char **why)
{
	if (why)
		*why = s->abort_reason;
	return s->aborted;
}

/* ---- construction ---- */

static void
copy_opts(struct soak *s, const struct soak_opts *o)
{
	size_t i;

	s->o = *o;
	s->url_own = o->url ? xstrdup(o->url) : NULL;
	s->state_own = o->state_path ? xstrdup(o->state_path) : NULL;
	s->o.url = s->url_own;
	s->o.state_path = s->state_own;
	s->faults_own = xcalloc(o->nfaults + 1, sizeof(char *));
	for (i = 0; i < o->nfaults; i++)
		s->faults_own[i] = xstrdup(o->faults[i]);
	s->o.faults = (const char *const *)s->faults_own;
}

int
soak_make_sim(struct soak *s, struct mm_err *err)
{
	struct sim_fault f[SOAK_MAX_FAULTS];
	struct sim_config sc;
	size_t i;

	if (s->o.nfaults > SOAK_MAX_FAULTS)
		return mm_errf(err, MM_E_USAGE, "more than %d --fault options", SOAK_MAX_FAULTS);
	for (i = 0; i < s->o.nfaults; i++)
		if (sim_fault_parse(s->o.faults[i], 0, &f[i], err) < 0)
			return -1;
	memset(&sc, 0, sizeof(sc));
	sc.seed = s->o.seed;
	sc.speed = 0;
	sc.faults = f;
	sc.nfaults = s->o.nfaults;
	if (!(s->sim = sim_new(&sc, err)))
		return -1;
	return 0;
}

static double
real_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct soak *
soak_alloc(const struct soak_opts *o, const struct gate_config *cfg, struct mm_err *err)
{
	struct soak *s = xcalloc(1, sizeof(*s));

	copy_opts(s, o);
	if (!(s->cfg = gates_loadb(cfg->text, cfg->text_len, cfg->file, err))) {
		soak_free(s);
		return NULL;
	}
	s->warmup = o->warmup >= 0 ? o->warmup : s->cfg->warmup;
	s->last_t = NAN;
	buf_init(&s->render, RENDER_CAP);
	return s;
}

int
soak_check_opts(const struct soak_opts *o, struct mm_err *err)
{
	if (o->source == SOAK_SRC_PROM_RANGE) {
		if (!(o->to > o->from))
			return mm_errf(err, MM_E_USAGE, "--to must be after --from");
	} else if (!(o->duration > 0)) {
		return mm_errf(err, MM_E_USAGE, "the soak needs a duration longer than 0");
	}
	if (!(o->interval > 0))
		return mm_errf(err, MM_E_USAGE, "--interval must be longer than 0");
	if (o->source != SOAK_SRC_PROM_RANGE && o->duration / o->interval > 1e8)
		return mm_errf(err, MM_E_USAGE,
			       "more than 100,000,000 samples: use a longer --interval");
	if (o->source != SOAK_SRC_MOCK && (!o->url || !http_is_url(o->url)))
		return mm_errf(err, MM_E_USAGE, "not an http(s) URL: '%s'", o->url ? o->url : "");
	if (o->source != SOAK_SRC_MOCK && o->nfaults)
		return mm_errf(err, MM_E_USAGE, "--fault applies to --mock only");
	return 0;
}

struct soak *
soak_new(const struct soak_opts *o, const struct gate_config *cfg, struct mm_err *err)
{
	struct soak *s;
	struct soak_opts oo = *o;

	if (oo.source == SOAK_SRC_PROM_RANGE)
		oo.duration = oo.to - oo.from;
	if (soak_check_opts(&oo, err) < 0)
		return NULL;
	if (!(s = soak_alloc(&oo, cfg, err)))
		return NULL;
	if (oo.source == SOAK_SRC_PROM_RANGE) {
		s->t0 = oo.from;
	} else if (clock_now(&s->t0, err) < 0) {
		soak_free(s);
		return NULL;
	} else {
		s->t0 = floor(s->t0); /* reports read better from a whole second */
	}
	s->t0_real = real_now();
	s->warmup_end = s->t0 + s->warmup;
	if (s->warmup >= oo.duration) {
		char w[32], d[32];

		mm_log(MM_LOG_WARN,
		       "the warm-up (%s) is not shorter than the soak (%s): nothing will be judged "
		       "(--warmup)",
		       clock_format_duration(s->warmup, w, sizeof(w)),
		       clock_format_duration(oo.duration, d, sizeof(d)));
	}
	s->last_ckpt_t = s->t0;
	soak_build(s);
	if (oo.source == SOAK_SRC_MOCK && soak_make_sim(s, err) < 0) {
		soak_free(s);
		return NULL;
	}
	if (oo.source == SOAK_SRC_MOCK)
		snprintf(s->target, sizeof(s->target), "simulator (seed %llu)",
			 (unsigned long long)oo.seed);
	else
		snprintf(s->target, sizeof(s->target), "%s", oo.url);
	return s;
}

const struct soak_opts *
soak_get_opts(const struct soak *s)
{
	return &s->o;
}

const struct gate_config *
soak_get_config(const struct soak *s)
{
	return s->cfg;
}

void
soak_free(struct soak *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->ntr; i++)
		tracker_release(&s->tr[i]);
	for (i = 0; i < s->npr; i++) {
		soak_ring_release(&s->pr[i].ring);
		chart_release(&s->pr[i].chart);
		soakreport_recording_release(&s->pr[i].rec);
	}
	for (i = 0; i < s->nm; i++)
		free((char *)s->m[i].key);
	for (i = 0; i < s->o.nfaults; i++)
		free(s->faults_own[i]);
	free(s->faults_own);
	free(s->m);
	free(s->tr);
	free(s->pr);
	free(s->url_own);
	free(s->state_own);
	free(s->scratch);
	free(s->rg);
	free(s->rs);
	buf_release(&s->render);
	sim_free(s->sim);
	gates_free(s->cfg);
	free(s);
}

/* The sources' names, in the reports and the checkpoint. */
_Static_assert(SOAK_SRC_PROM_RANGE + 1 == SOAK_NSOURCES, "a name per soak source");
const char *const soak_source_names[SOAK_NSOURCES] = {
    [SOAK_SRC_MOCK] = "mock",
    [SOAK_SRC_SCRAPE] = "scrape",
    [SOAK_SRC_PROM_LIVE] = "prometheus",
    [SOAK_SRC_PROM_RANGE] = "prometheus-range",
};

/* ---- the run loops ---- */

static void
progress(struct soak *s, int done)
{
	struct soak_progress p;
	size_t i, len = 0;

	if (!s->o.progress)
		return;
	memset(&p, 0, sizeof(p));
	s->breaching[0] = '\0';
	for (i = 0; i < s->npr; i++) {
		const struct probe *pr = &s->pr[i];

		if (pr->gate && pr->ev.in_streak) {
			p.breaching++;
			if (len + strlen(pr->gate->name) + 2 < sizeof(s->breaching))
				len +=
				    (size_t)snprintf(s->breaching + len, sizeof(s->breaching) - len,
						     "%s%s", len ? "," : "", pr->gate->name);
		}
	}
	p.breaching_names = s->breaching;
	p.elapsed = isnan(s->last_t) ? 0 : s->last_t - s->t0;
	p.planned = s->o.duration;
	p.samples = s->samples;
	p.missing = s->missing;
	p.done = done;
	s->o.progress(&p, s->o.progress_ctx);
}

static int
stopped(const struct soak *s)
{
	return s->o.stop && *s->o.stop;
}

/* After each sample: checkpoint when due. */
static int
after_sample(struct soak *s, struct mm_err *err)
{
	progress(s, 0);
	if (s->o.state_path && s->o.checkpoint_every > 0 && !isnan(s->last_t) &&
	    s->last_t - s->last_ckpt_t >= s->o.checkpoint_every)
		return soak_checkpoint(s, err);
	return 0;
}

static unsigned long
planned_last(const struct soak *s)
{
	return (unsigned long)floor(s->o.duration / s->o.interval + 1e-9);
}

static int
run_mock(struct soak *s, struct mm_err *err)
{
	unsigned long n = planned_last(s), i;

	for (i = s->next_i; i <= n; i++) {
		double rel = (double)i * s->o.interval;
		struct mm_err e;

		if (stopped(s)) {
			s->interrupted = 1;
			break;
		}
		sim_advance_to(s->sim, rel);
		buf_reset(&s->render);
		if (sim_render(s->sim, &s->render) < 0)
			soak_feed_missing(s, s->t0 + rel,
					  "the simulator's exposition passed its cap");
		else
			soak_feed_text(s, s->t0 + rel, s->render.data, s->render.len, "simulator",
				       &e);
		s->next_i = i + 1;
		if (after_sample(s, err) < 0)
			return -1;
		if (s->aborted)
			break;
	}
	return 0;
}

static int
scrape_once(struct soak *s, double t)
{
	struct http_request req = {
	    .method = "GET", .url = s->o.url, .max_body = SOAK_SCRAPE_MAX_BODY};
	struct http_response resp;
	struct mm_err e;
	char msg[MM_ERR_MSG_MAX + MM_ERR_FILE_MAX + 32];
	const char *accept_hdr = "text/plain;version=0.0.4;q=0.9,*/*;q=0.1";
	struct http_header h = {"Accept", accept_hdr};
	int ret = -1;

	req.headers = &h;
	req.nheaders = 1;
	req.timeout = s->o.timeout > 0 ? s->o.timeout : (s->o.interval < 10 ? s->o.interval : 10);
	http_response_init(&resp);
	mm_err_init(&e);
	if (http_do(&req, &resp, &e) < 0) {
		soak_feed_missing(s, t, mm_err_format(&e, msg, sizeof(msg)));
		goto out;
	}
	if (resp.status != 200) {
		snprintf(msg, sizeof(msg), "GET %s: HTTP %ld", s->o.url, resp.status);
		soak_feed_missing(s, t, msg);
		goto out;
	}
	if (soak_feed_text(s, t, resp.body.data ? resp.body.data : "", resp.body.len, s->o.url,
			   &e) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0)
		mm_log(MM_LOG_DEBUG, "scrape failed: %s", s->last_error);
	http_response_release(&resp);
	return ret;
}

/* The PromQL selector of a tracker: metric_bucket{labels} for histograms. */
static char *
tracker_query(const struct tracker *tr)
{
	struct series_sel sel = *tr->sel;
	char name[GATES_NAME_MAX + 16], buf[4096];

	if (sel.type == MTYPE_HISTOGRAM) {
		snprintf(name, sizeof(name), "%s_bucket", tr->sel->metric);
		sel.metric = name;
	}
	return xstrdup(gates_selector_str(&sel, buf, sizeof(buf)));
}

/* Feed one Prometheus series point into its tracker (labels already matched by the query). */
static void
feed_prom_point(struct tracker *tr, const struct promapi_series *ser, double v)
{
	if (tr->sel->type == MTYPE_HISTOGRAM) {
		const char *le = promapi_label(ser, "le");
		double b;

		if (!le || prom_parse_float(le, strlen(le), &b) < 0)
			tr_bad(tr, "%s_bucket has a series without a numeric 'le'%s",
			       tr->sel->metric, "");
		else
			tr_add_bucket(tr, b, v);
	} else {
		tr_add_value(tr, v);
	}
}

static int
prom_live_once(struct soak *s, double t)
{
	char msg[MM_ERR_MSG_MAX + MM_ERR_FILE_MAX + 32];
	size_t i, j;
	int any_net = 0;

	scrape_begin(s);
	for (i = 0; i < s->ntr && !any_net; i++) {
		struct tracker *tr = &s->tr[i];
		struct promapi_result r;
		struct mm_err e;
		char *q = tracker_query(tr);

		mm_err_init(&e);
		if (promapi_query(s->o.url, q, NAN, s->o.timeout > 0 ? s->o.timeout : 10, &r, &e) <
		    0) {
			if (e.code == MM_E_NET) {
				any_net = 1;
				soak_feed_missing(s, t, mm_err_format(&e, msg, sizeof(msg)));
			} else {
				tr_bad(tr, "%s%s", mm_err_format(&e, msg, sizeof(msg)), "");
			}
			free(q);
			continue;
		}
		for (j = 0; j < r.nseries; j++)
			if (r.series[j].n)
				feed_prom_point(tr, &r.series[j], r.series[j].pts[0].v);
		promapi_result_release(&r);
		free(q);
	}
	if (any_net)
		return -1;
	scrape_end(s, t);
	return 0;
}

static void
sleep_for(double sec)
{
	struct timespec ts;

	if (sec <= 0)
		return;
	ts.tv_sec = (time_t)sec;
	ts.tv_nsec = (long)((sec - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

static int
run_live(struct soak *s, struct mm_err *err)
{
	unsigned long n = planned_last(s);

	while (s->next_i <= n) {
		double planned = (double)s->next_i * s->o.interval;
		double el = real_now() - s->t0_real;

		if (stopped(s)) {
			s->interrupted = 1;
			break;
		}
		if (el < planned) {
			sleep_for(planned - el < LIVE_SLEEP_SLICE ? planned - el
								  : LIVE_SLEEP_SLICE);
			continue;
		}
		if (el >= planned + s->o.interval) {
			/* Slots that passed unscraped: mmops was down or a scrape overran. */
			unsigned long k = (unsigned long)floor((el - planned) / s->o.interval);

			if (s->next_i + k > n + 1)
				k = n + 1 - s->next_i;
			s->missing += k;
			snprintf(s->last_error, sizeof(s->last_error),
				 "%lu scheduled scrapes did not run (mmops was not running, or a "
				 "scrape overran)",
				 k);
			s->next_i += k;
			continue;
		}
		{
			double t = s->t0 + el;

			if (!isnan(s->last_t) && t <= s->last_t)
				t = s->last_t + 1e-3;
			if (s->o.source == SOAK_SRC_SCRAPE)
				scrape_once(s, t);
			else
				prom_live_once(s, t);
		}
		s->next_i++;
		if (after_sample(s, err) < 0)
			return -1;
		if (s->aborted)
			break;
	}
	return 0;
}

static int
range_query(struct soak *s, const char *q, double a, double b, double step,
	    struct promapi_result *r, struct mm_err *e)
{
	int k;

	for (k = 0; k < PROM_RETRIES; k++) {
		mm_err_init(e);
		if (promapi_query_range(s->o.url, q, a, b, step,
					s->o.timeout > 0 ? s->o.timeout : 30, r, e) == 0)
			return 0;
		if (e->code != MM_E_NET || stopped(s))
			return -1;
		sleep_for(1);
	}
	return -1;
}

static int
run_range(struct soak *s, struct mm_err *err)
{
	double step = promapi_choose_step(s->o.from, s->o.to, s->o.interval);
	unsigned long npts = (unsigned long)floor((s->o.to - s->o.from) / step + 1e-9) + 1;
	struct promapi_result *res = xcalloc(s->ntr, sizeof(*res));
	int *ok = xcalloc(s->ntr, sizeof(int));
	size_t **cur = xcalloc(s->ntr, sizeof(size_t *));
	char msg[MM_ERR_MSG_MAX + MM_ERR_FILE_MAX + 32];
	int ret = 0;
	size_t i, k;

	s->o.interval = step;
	while (s->next_i < npts && !s->aborted) {
		unsigned long j0 = s->next_i, j1 = j0 + RANGE_CHUNK - 1, j;
		double a, b;
		int net = 0;

		if (j1 > npts - 1)
			j1 = npts - 1;
		a = s->o.from + (double)j0 * step;
		b = s->o.from + (double)j1 * step;
		for (i = 0; i < s->ntr; i++) {
			char *q = tracker_query(&s->tr[i]);
			struct mm_err e;

			ok[i] = range_query(s, q, a, b, step, &res[i], &e) == 0;
			if (!ok[i]) {
				mm_err_format(&e, msg, sizeof(msg));
				if (e.code == MM_E_NET)
					net = 1;
				else if (!s->tr[i].error) {
					s->tr[i].error = 1;
					snprintf(s->tr[i].errmsg, sizeof(s->tr[i].errmsg), "%s",
						 msg);
				}
				snprintf(s->last_error, sizeof(s->last_error), "%s", msg);
			}
			cur[i] = xcalloc(res[i].nseries + 1, sizeof(size_t));
			free(q);
		}
		for (j = j0; j <= j1; j++) {
			double t = s->o.from + (double)j * step;
			int any = 0;

			if (stopped(s)) {
				s->interrupted = 1;
				break;
			}
			scrape_begin(s);
			for (i = 0; i < s->ntr; i++) {
				if (!ok[i])
					continue;
				for (k = 0; k < res[i].nseries; k++) {
					const struct promapi_series *ser = &res[i].series[k];

					while (cur[i][k] < ser->n &&
					       ser->pts[cur[i][k]].t < t - 1e-3)
						cur[i][k]++;
					if (cur[i][k] < ser->n &&
					    fabs(ser->pts[cur[i][k]].t - t) <= 1e-3) {
						feed_prom_point(&s->tr[i], ser,
								ser->pts[cur[i][k]].v);
						any = 1;
					}
				}
			}
			if (any)
				scrape_end(s, t);
			else
				soak_feed_missing(s, t,
						  net ? s->last_error : "no sample at this step");
			s->next_i = j + 1;
			if (after_sample(s, err) < 0) {
				ret = -1;
				break;
			}
			if (s->aborted)
				break;
		}
		for (i = 0; i < s->ntr; i++) {
			promapi_result_release(&res[i]);
			free(cur[i]);
			cur[i] = NULL;
		}
		if (ret < 0 || s->interrupted)
			break;
	}
	free(res);
	free(ok);
	free(cur);
	return ret;
}

int
soak_run(struct soak *s, struct mm_err *err)
{
	int ret = 0;

	/* A finished or aborted run resumed only gets its reports again. */
	if (!s->complete && !s->aborted) {
		switch (s->o.source) {
		case SOAK_SRC_MOCK:
			ret = run_mock(s, err);
			break;
		case SOAK_SRC_SCRAPE:
		case SOAK_SRC_PROM_LIVE:
			http_global_init();
			ret = run_live(s, err);
			break;
		case SOAK_SRC_PROM_RANGE:
			http_global_init();
			ret = run_range(s, err);
			break;
		}
	}
	if (ret < 0)
		return -1;
	if (!s->interrupted && !s->aborted)
		s->complete = 1;
	progress(s, 1);
	if (s->o.state_path && soak_checkpoint(s, err) < 0)
		return -1;
	return 0;
}

/* ---- the report model ---- */

static void
series_aggs(const struct tracker *tr, struct series_aggs *a)
{
	static const struct {
		enum gate_agg agg;
		size_t off;
	} q[] = {
	    {AGG_P50, offsetof(struct series_aggs, p50)},
	    {AGG_P90, offsetof(struct series_aggs, p90)},
	    {AGG_P95, offsetof(struct series_aggs, p95)},
	    {AGG_P99, offsetof(struct series_aggs, p99)},
	    {AGG_P999, offsetof(struct series_aggs, p999)},
	    {AGG_MEAN, offsetof(struct series_aggs, mean)},
	    {AGG_MIN, offsetof(struct series_aggs, min)},
	    {AGG_MAX, offsetof(struct series_aggs, max)},
	    {AGG_LAST, offsetof(struct series_aggs, last)},
	    {AGG_INCREASE, offsetof(struct series_aggs, increase)},
	    {AGG_EMA1H, offsetof(struct series_aggs, ema1h)},
	    {AGG_EMA24H, offsetof(struct series_aggs, ema24h)},
	};
	size_t i;
	unsigned bit = 1u << tr->sel->type;
	/* Which aggregates make sense for which type: gates.c's table, repeated as masks. */
	static const unsigned types[AGG_COUNT_] = {
	    [AGG_P50] = 7,  [AGG_P90] = 7,	[AGG_P95] = 7,	 [AGG_P99] = 7,
	    [AGG_P999] = 7, [AGG_MEAN] = 1,	[AGG_MIN] = 3,	 [AGG_MAX] = 3,
	    [AGG_LAST] = 3, [AGG_INCREASE] = 2, [AGG_EMA1H] = 1, [AGG_EMA24H] = 1,
	};

	for (i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		double v = NAN;

		if ((types[q[i].agg] & bit) && (gates_agg_quantile(q[i].agg) < 0 ||
						tr->sel->type == MTYPE_HISTOGRAM || tr->nraw))
			v = tracker_aggregate(tr, q[i].agg);
		*(double *)((char *)a + q[i].off) = v;
	}
	a->count = tr->sel->type == MTYPE_HISTOGRAM ? stats_hist_count(&tr->hw) : NAN;
	a->samples = tr->samples;
	/* A gauge going down is not a reset: only counters and histograms have them. */
	a->resets = tr->sel->type == MTYPE_HISTOGRAM ? tr->hall.resets
		    : tr->sel->type == MTYPE_COUNTER ? tr->call.resets
						     : 0;
}

void
soak_report(struct soak *s, double generated_at, struct soak_report *r)
{
	size_t i, ng = 0, ns = 0;

	free(s->rg);
	free(s->rs);
	s->rg = xcalloc(s->npr + 1, sizeof(*s->rg));
	s->rs = xcalloc(s->npr + 1, sizeof(*s->rs));
	memset(r, 0, sizeof(*r));
	for (i = 0; i < s->npr; i++) {
		struct probe *p = &s->pr[i];
		struct tracker *tr = p->tr;

		if (p->gate) {
			struct gate_eval ev = p->ev;
			enum gate_data data = tr->error ? GDATA_ERROR
					      : tr->nw	? GDATA_OK
							: GDATA_NONE;

			gate_eval_finish(&ev, isnan(s->last_t) ? s->t0 : s->last_t);
			gate_judge(p->gate, &ev, tracker_aggregate(tr, p->agg), data, tr->errmsg,
				   &s->rg[ng].res);
			s->rg[ng].chart = &p->chart;
			s->rg[ng].rec = s->o.record_series ? &p->rec : NULL;
			ng++;
		} else {
			struct soakreport_series *rs = &s->rs[ns++];

			rs->name = p->name;
			rs->sel = tr->sel;
			rs->chart_label = p->label;
			rs->chart = &p->chart;
			rs->rec = s->o.record_series ? &p->rec : NULL;
			rs->error = tr->error ? tr->errmsg : NULL;
			series_aggs(tr, &rs->aggs);
		}
	}
	r->ngates = ng;
	r->gates = s->rg;
	r->nseries = ns;
	r->series = s->rs;
	r->run.source = soak_source_names[s->o.source];
	r->run.target = s->target;
	r->run.gates_file = s->cfg->file;
	r->run.generated_at = generated_at;
	r->run.start = s->t0;
	r->run.end = isnan(s->last_t) ? s->t0 : s->last_t;
	r->run.planned = s->o.duration;
	r->run.elapsed = r->run.end - s->t0;
	r->run.interval = s->o.interval;
	r->run.warmup = s->warmup;
	r->run.samples = s->samples;
	r->run.missing = s->missing;
	r->run.complete = s->complete;
	r->run.interrupted = s->interrupted;
	r->run.aborted = s->aborted;
	r->run.abort_reason = s->abort_reason;
	r->run.unreachable = s->samples == 0 && s->missing > 0;
	r->run.last_error = s->last_error;
	r->run.resumes = s->resumes;
	r->run.seed = s->o.source == SOAK_SRC_MOCK ? (unsigned long long)s->o.seed : 0;
	r->run.faults = s->o.faults;
	r->run.nfaults = s->o.nfaults;
}

int
soak_exit_code(const struct soak_report *r)
{
	const char *v = soakreport_verdict(r);

	if (strcmp(v, "pass") == 0)
		return 0;
	if (strcmp(v, "fail") == 0)
		return 1;
	return 3;
}
