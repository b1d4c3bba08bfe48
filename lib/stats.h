/*
 * stats.h - the arithmetic of a soak: quantiles, time-weighted means, EMAs,
 * counter increases.
 *
 * Everything here is pure computation on numbers the caller hands in; there
 * is no I/O and no allocation except in struct stats_hist and struct
 * stats_reservoir, which own their arrays.  The semantics follow Prometheus
 * where Prometheus has an answer:
 *
 *  - stats_histogram_quantile() is PromQL's histogram_quantile() on classic
 *    buckets (Prometheus 2.42 bucketQuantile): buckets sorted by upper bound,
 *    equal bounds coalesced, counts forced monotonic, linear interpolation
 *    inside the bucket holding the rank, a lower bound of 0 for the first
 *    bucket, and a rank landing in the +Inf bucket answered with the highest
 *    finite bound.
 *  - stats_quantile() is PromQL's quantile()/quantile_over_time(): linear
 *    interpolation between the closest ranks, rank = q * (n - 1).
 *  - counter increases treat a decrease as a reset to zero, as rate() and
 *    increase() do (without their extrapolation to the window's edges).
 *
 * Time is seconds (any epoch); every function accepts irregular spacing.
 * A sample "holds" from its timestamp until the next one (last observation
 * carried forward), but never longer than the staleness limit, after which
 * the series is unknown - Prometheus's 5 minute lookback.  Gaps therefore
 * neither drag a mean towards a stale value nor make an EMA jump.
 */
#ifndef MM_STATS_H
#define MM_STATS_H

#include <stddef.h>

#define STATS_DEFAULT_STALENESS 300.0 /* seconds; Prometheus's lookback delta */
#define STATS_MAX_BUCKETS	256   /* the most buckets one histogram may have */

/* One classic histogram bucket: cumulative count of observations <= le. */
struct hbucket {
	double le; /* upper bound; +Inf for the last */
	double count;
};

/*
 * Why one scrape's classic buckets are not a histogram, or NULL when they
 * are: a count that is NaN or negative, no +Inf bucket, or cumulative
 * counts that decrease as le grows (in any input order).  PromQL's
 * histogram_quantile() papers over the last by forcing monotonicity; a
 * release gate must not judge such a series at all.  The reason is a
 * static string.
 */
const char *stats_buckets_check(const struct hbucket *b, size_t n);

/*
 * PromQL histogram_quantile(q, buckets).  b is sorted and coalesced in place
 * (so pass a copy if the order matters to you); n may be 0.  Returns NaN when
 * q is NaN, when there is no +Inf bucket, fewer than two buckets or no
 * observation; -Inf for q < 0 and +Inf for q > 1.
 */
double stats_histogram_quantile(double q, struct hbucket *b, size_t n);

/*
 * The q-quantile of n raw samples by linear interpolation between the closest
 * ranks (PromQL quantile_over_time).  v is reordered in place.  NaN when n is
 * 0 or q is NaN; -Inf / +Inf for q < 0 / q > 1.  Expected O(n).
 */
double stats_quantile(double q, double *v, size_t n);

/*
 * Time-weighted mean with the hold/staleness rule above.  Feed samples in
 * time order; a sample not later than the previous one is ignored (returns
 * -1), as is NaN.
 */
struct stats_twmean {
	double staleness;
	double last_t, last_v;
	int have;
	double area;	  /* integral of the held value over the known time */
	double known;	  /* seconds during which the value was known */
	double plain_sum; /* for the fallback when no time has passed */
	unsigned long n;
};
void stats_twmean_init(struct stats_twmean *m, double staleness);
int stats_twmean_add(struct stats_twmean *m, double t, double v);
/* Mean so far; with one sample (no elapsed time) its value; NaN with none. */
double stats_twmean_value(const struct stats_twmean *m);

/*
 * Exponential moving average with a time constant tau (3600 for "1h"),
 * correct for irregular intervals and gaps: it is the exponentially
 * weighted time average  sum(x_i * w_i) / sum(w_i)  where x_i held for its
 * known time and w_i is the integral of exp(-age/tau) over that time.  So
 * the decay depends on elapsed time, not on the number of samples; a gap past
 * the staleness limit adds no weight (the EMA keeps its value rather than
 * decaying towards a stale sample); and there is no start-up bias from
 * seeding with the first sample.  Once the run is longer than a few tau it is
 * the textbook EMA with alpha = 1 - exp(-dt/tau).
 */
struct stats_ema {
	double tau, staleness;
	double last_t, last_v;
	int have;
	double s, w; /* decayed weighted sum and weight */
};
void stats_ema_init(struct stats_ema *e, double tau, double staleness);
int stats_ema_add(struct stats_ema *e, double t, double v);
/* EMA as of the last sample; the first sample's value before any time passed; NaN with none. */
double stats_ema_value(const struct stats_ema *e);

/*
 * Increase of a counter with resets: each decrease is a reset to zero, so the
 * increase over that step is the new value.
 */
struct stats_counter {
	double last;
	int have;
	double increase;
	unsigned long resets;
};
void stats_counter_init(struct stats_counter *c);
/* Add a sample; returns the increase it contributed (0 for the first). */
double stats_counter_add(struct stats_counter *c, double v);

/*
 * Accumulated bucket increases of a classic histogram across scrapes, each
 * bucket a counter with resets of its own (as increase() on every _bucket
 * series).  A scrape whose bucket bounds differ from the previous one's is
 * taken as a new baseline (a re-deployed bot with other buckets): buckets
 * not seen before start at zero increase.
 */
struct stats_hist {
	size_t n;
	double *le;   /* sorted bounds */
	double *inc;  /* accumulated increase per bound (cumulative counts) */
	double *prev; /* the previous scrape's counts */
	int have_prev;
	unsigned long resets;
};
void stats_hist_init(struct stats_hist *h);
void stats_hist_release(struct stats_hist *h);
/* Reset the accumulated increases to zero, keeping the baseline (for warm-up). */
void stats_hist_zero(struct stats_hist *h);
/*
 * Add a scrape's buckets (any order; le values must be unique).  -1 when n
 * exceeds STATS_MAX_BUCKETS.  When accumulate is 0 only the baseline moves.
 */
int stats_hist_add(struct stats_hist *h, const struct hbucket *b, size_t n, int accumulate);
/* Copy the accumulated increases into out (room for h->n); returns h->n. */
size_t stats_hist_get(const struct stats_hist *h, struct hbucket *out);
/* histogram_quantile over the accumulated increases. */
double stats_hist_quantile(const struct stats_hist *h, double q);
/* Observations accumulated (the +Inf bucket's increase; 0 when there is none). */
double stats_hist_count(const struct stats_hist *h);

#include "banned.h" /* last: see banned.h */

#endif
