/*
 * stats.c - quantiles (Prometheus histogram_quantile and closest-rank
 * interpolation), time-weighted means, time-decayed EMAs and counter
 * increases with resets: the numbers every soak gate is judged on.  See
 * stats.h for the exact semantics; the comments here explain the choices.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "xalloc.h"

static int
cmp_bucket(const void *a, const void *b)
{
	const struct hbucket *x = a, *y = b;

	if (x->le < y->le)
		return -1;
	return x->le > y->le;
}

const char *
stats_buckets_check(const struct hbucket *b, size_t n)
{
	struct hbucket tmp[STATS_MAX_BUCKETS];
	size_t i;

	if (n == 0)
		return NULL;
	if (n > STATS_MAX_BUCKETS)
		return "more than 256 buckets";
	for (i = 0; i < n; i++)
		if (isnan(b[i].count) || b[i].count < 0)
			return "a bucket count is NaN or negative";
	memcpy(tmp, b, n * sizeof(*b));
	qsort(tmp, n, sizeof(*tmp), cmp_bucket);
	if (!(isinf(tmp[n - 1].le) && tmp[n - 1].le > 0))
		return "no +Inf bucket";
	for (i = 1; i < n; i++)
		if (tmp[i].count < tmp[i - 1].count)
			return "cumulative bucket counts decrease as le grows";
	return NULL;
}

double
stats_histogram_quantile(double q, struct hbucket *b, size_t n)
{
	size_t i, j, lo, hi, k;
	double max, obs, rank, start, end, count;

	if (isnan(q))
		return NAN;
	if (q < 0)
		return -INFINITY;
	if (q > 1)
		return INFINITY;
	if (n == 0)
		return NAN;
	/* Callers usually pass sorted buckets: skip the sort then. */
	for (i = 1; i < n && b[i - 1].le <= b[i].le; i++)
		;
	if (i < n)
		qsort(b, n, sizeof(*b), cmp_bucket);
	if (!(isinf(b[n - 1].le) && b[n - 1].le > 0))
		return NAN;
	/* Coalesce equal bounds (summing), as Prometheus does. */
	for (i = 0, j = 1; j < n; j++) {
		if (b[j].le == b[i].le)
			b[i].count += b[j].count;
		else
			b[++i] = b[j];
	}
	n = i + 1;
	/* Force monotonic counts: the envelope of the cumulative counts. */
	max = b[0].count;
	for (i = 1; i < n; i++) {
		if (b[i].count > max)
			max = b[i].count;
		else if (b[i].count < max)
			b[i].count = max;
	}
	if (n < 2)
		return NAN;
	obs = b[n - 1].count;
	if (obs == 0 || isnan(obs))
		return NAN;
	rank = q * obs;
	/* sort.Search over [0, n-1): the first bucket whose count reaches rank. */
	lo = 0;
	hi = n - 1;
	while (lo < hi) {
		k = lo + (hi - lo) / 2;
		if (b[k].count >= rank)
			hi = k;
		else
			lo = k + 1;
	}
	k = lo;
	if (k == n - 1)
		return b[n - 2].le;
	if (k == 0 && b[0].le <= 0)
		return b[0].le;
	start = 0;
	end = b[k].le;
	count = b[k].count;
	if (k > 0) {
		start = b[k - 1].le;
		count -= b[k - 1].count;
		rank -= b[k - 1].count;
	}
	return start + (end - start) * (rank / count);
}

/* Hoare's selection: after it, v[k] is the k-th smallest and v[0..k) <= v[k]. */
static void
select_kth(double *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;

	while (lo < hi) {
		double pivot = v[lo + (hi - lo) / 2];
		size_t i = lo, j = hi;

		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				double t = v[i];

				v[i] = v[j];
				v[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break;
	}
}

double
stats_quantile(double q, double *v, size_t n)
{
	double rank, w, lower, upper;
	size_t li, i;

	if (n == 0 || isnan(q))
		return NAN;
	if (q < 0)
		return -INFINITY;
	if (q > 1)
		return INFINITY;
	rank = q * (double)(n - 1);
	li = (size_t)floor(rank);
	if (li > n - 1)
		li = n - 1;
	w = rank - floor(rank);
	select_kth(v, n, li);
	lower = v[li];
	if (li + 1 >= n || w == 0)
		return lower;
	/* The next order statistic is the smallest of what lies above li. */
	upper = v[li + 1];
	for (i = li + 2; i < n; i++)
		if (v[i] < upper)
			upper = v[i];
	return lower * (1 - w) + upper * w;
}

void
stats_twmean_init(struct stats_twmean *m, double staleness)
{
	memset(m, 0, sizeof(*m));
	m->staleness = staleness > 0 ? staleness : STATS_DEFAULT_STALENESS;
}

int
stats_twmean_add(struct stats_twmean *m, double t, double v)
{
	if (isnan(v) || isnan(t))
		return -1;
	if (m->have) {
		double dt = t - m->last_t, held;

		if (dt <= 0)
			return -1;
		held = dt < m->staleness ? dt : m->staleness;
		m->area += m->last_v * held;
		m->known += held;
	}
	m->have = 1;
	m->last_t = t;
	m->last_v = v;
	m->plain_sum += v;
	m->n++;
	return 0;
}

double
stats_twmean_value(const struct stats_twmean *m)
{
	if (!m->have)
		return NAN;
	if (m->known <= 0)
		return m->plain_sum / (double)m->n;
	return m->area / m->known;
}

void
stats_ema_init(struct stats_ema *e, double tau, double staleness)
{
	memset(e, 0, sizeof(*e));
	e->tau = tau;
	e->staleness = staleness > 0 ? staleness : STATS_DEFAULT_STALENESS;
}

int
stats_ema_add(struct stats_ema *e, double t, double v)
{
	if (isnan(v) || isnan(t))
		return -1;
	if (e->have) {
		double dt = t - e->last_t, held, decay, add;

		if (dt <= 0)
			return -1;
		held = dt < e->staleness ? dt : e->staleness;
		decay = exp(-dt / e->tau);
		/*
		 * The held value covered [last_t, last_t + held]; its weight
		 * now is  tau * exp(-dt/tau) * (exp(held/tau) - 1), written
		 * with expm1 so that dt << tau keeps its precision.
		 */
		add = e->tau * exp((held - dt) / e->tau) * -expm1(-held / e->tau);
		e->s = e->s * decay + e->last_v * add;
		e->w = e->w * decay + add;
	}
	e->have = 1;
	e->last_t = t;
	e->last_v = v;
	return 0;
}

double
stats_ema_value(const struct stats_ema *e)
{
	if (!e->have)
		return NAN;
	if (e->w <= 0)
		return e->last_v;
	return e->s / e->w;
}

void
stats_counter_init(struct stats_counter *c)
{
	memset(c, 0, sizeof(*c));
}

double
stats_counter_add(struct stats_counter *c, double v)
{
	double d = 0;

	if (isnan(v))
		return 0;
	if (c->have) {
		if (v < c->last) {
			d = v;
			c->resets++;
		} else {
			d = v - c->last;
		}
	}
	c->have = 1;
	c->last = v;
	c->increase += d;
	return d;
}

void
stats_hist_init(struct stats_hist *h)
{
	memset(h, 0, sizeof(*h));
}

void
stats_hist_release(struct stats_hist *h)
{
	if (!h)
		return;
	free(h->le);
	free(h->inc);
	free(h->prev);
	stats_hist_init(h);
}

void
stats_hist_zero(struct stats_hist *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		h->inc[i] = 0;
}

/* Whether b (sorted) has exactly the bounds of h. */
static int
same_layout(const struct stats_hist *h, const struct hbucket *b, size_t n)
{
	size_t i;

	if (n != h->n)
		return 0;
	for (i = 0; i < n; i++)
		if (b[i].le != h->le[i])
			return 0;
	return 1;
}

/* Take the bounds of b (sorted), carrying over the increases of bounds kept. */
static void
relayout(struct stats_hist *h, const struct hbucket *b, size_t n)
{
	double *le = xcalloc(n ? n : 1, sizeof(*le));
	double *inc = xcalloc(n ? n : 1, sizeof(*inc));
	double *prev = xcalloc(n ? n : 1, sizeof(*prev));
	size_t i, j;

	for (i = 0; i < n; i++) {
		le[i] = b[i].le;
		for (j = 0; j < h->n; j++)
			if (h->le[j] == le[i])
				inc[i] = h->inc[j];
	}
	free(h->le);
	free(h->inc);
	free(h->prev);
	h->le = le;
	h->inc = inc;
	h->prev = prev;
	h->n = n;
	h->have_prev = 0;
}

int
stats_hist_add(struct stats_hist *h, const struct hbucket *in, size_t n, int accumulate)
{
	struct hbucket b[STATS_MAX_BUCKETS];
	size_t i;
	int sorted = 1, reset = 0;

	if (n > STATS_MAX_BUCKETS)
		return -1;
	memcpy(b, in, n * sizeof(*b));
	for (i = 1; i < n; i++)
		if (b[i].le < b[i - 1].le)
			sorted = 0;
	if (!sorted)
		qsort(b, n, sizeof(*b), cmp_bucket);
	if (!same_layout(h, b, n))
		relayout(h, b, n);
	if (h->have_prev) {
		for (i = 0; i < n; i++) {
			double d;

			if (isnan(b[i].count))
				continue;
			if (b[i].count < h->prev[i]) {
				d = b[i].count;
				reset = 1;
			} else {
				d = b[i].count - h->prev[i];
			}
			if (accumulate)
				h->inc[i] += d;
		}
	}
	if (reset)
		h->resets++;
	for (i = 0; i < n; i++)
		if (!isnan(b[i].count))
			h->prev[i] = b[i].count;
	h->have_prev = 1;
	return 0;
}

size_t
stats_hist_get(const struct stats_hist *h, struct hbucket *out)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		out[i].le = h->le[i];
		out[i].count = h->inc[i];
	}
	return h->n;
}

double
stats_hist_quantile(const struct stats_hist *h, double q)
{
	struct hbucket b[STATS_MAX_BUCKETS];
	size_t n = stats_hist_get(h, b);

	return stats_histogram_quantile(q, b, n);
}

double
stats_hist_count(const struct stats_hist *h)
{
	if (h->n == 0 || !isinf(h->le[h->n - 1]))
		return 0;
	return h->inc[h->n - 1];
}
