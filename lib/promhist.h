/*
 * promhist.h - a Prometheus classic histogram counted in memory: per-bucket
 * counts against a table of upper bounds, the sum and the count, and its
 * text exposition (cumulative _bucket series with le labels, _sum, _count).
 * The one histogram of the exporters in mmops: the watcher's own metrics and
 * the simulator's latency and lag histograms.  (stats.h's stats_hist is the
 * other side: bucket increases read back from scrapes.)
 *
 * The bounds are a static table owned by the caller, ascending, at most
 * PROMHIST_MAX_BOUNDS, and the same for every call on one histogram.  Not
 * thread-safe: callers lock.
 */
#ifndef MM_PROMHIST_H
#define MM_PROMHIST_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define PROMHIST_MAX_BOUNDS 31

struct promhist {
	uint64_t n[PROMHIST_MAX_BOUNDS + 1]; /* per bucket, not cumulative; n[nbounds] is +Inf */
	double sum;
	uint64_t count;
};

/* The bucket of v: the first bound >= v, or nb (+Inf; NaN lands there too). */
size_t promhist_bucket(const double *bounds, size_t nb, double v);

/* Count one observation v. */
void promhist_observe(struct promhist *h, const double *bounds, size_t nb, double v);

/*
 * Append the samples of histogram name with labels ("" for none, else
 * 'a="x",b="y"'): name_bucket{labels,le="B"} cumulative for every bound and
 * +Inf, then name_sum and name_count.  The # HELP and # TYPE lines are the
 * caller's.
 */
void promhist_write(struct buf *out, const char *name, const char *labels, const struct promhist *h,
		    const double *bounds, size_t nb);

#endif
