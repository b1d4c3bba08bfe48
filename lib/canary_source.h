/*
 * canary_source.h - where the canary's two samples come from: scrapes of
 * an exposition (the --mock simulators), Prometheus range queries by side
 * selector, soak recordings (soak_metrics.json with --record-series) and
 * samples files.  Each gives, per metric of the config and side, one value
 * per aggregation interval (the unit the tests count in).
 *
 * Per interval of cfg->aggregate seconds, aligned to the start:
 *   histogram  histogram_quantile(quantile) of the bucket increases in the
 *              interval (summed over the series the selector matches)
 *   counter    the increase in the interval (summed; a decrease is a reset)
 *   gauge      the mean of the samples in the interval (over series too)
 * times the metric's scale.  A scrape at t covers (t - interval, t], so it
 * belongs to the interval that ends at or after t.
 */
#ifndef MM_CANARY_SOURCE_H
#define MM_CANARY_SOURCE_H

#include <stddef.h>

#include "canary.h"
#include "err.h"
#include "stats.h"

#define CANARY_SIDE_SEL_MAX    1024 /* bytes of a --baseline/--candidate selector */
#define CANARY_MAX_SERIES_FILE 4096 /* metrics in one samples file */

/* One metric's samples on one side: one value per interval (t = interval end). */
struct canary_series {
	size_t n, cap;
	double *t, *v;
};

void canary_series_add(struct canary_series *s, double t, double v);
void canary_series_release(struct canary_series *s);

/* ---- scrapes of an exposition ---- */

struct canary_collector;

/* A collector for every metric of cfg (borrowed; must outlive it), intervals from t0. */
struct canary_collector *canary_collector_new(const struct canary_config *cfg, double t0);
/* One scrape at time t (increasing).  -1 and err when the text does not parse. */
int canary_collect_text(struct canary_collector *c, double t, const char *data, size_t len,
			const char *name, struct mm_err *err);
/* Close the last interval. */
void canary_collector_finish(struct canary_collector *c);
/* The samples of metric i (owned by the collector). */
struct canary_series *canary_collector_series(struct canary_collector *c, size_t i);
void canary_collector_free(struct canary_collector *c);

/* ---- Prometheus ---- */

/*
 * Check a side selector: matchers as inside PromQL braces
 * ('instance="mm-prod-1"', 'job="mm",env=~"canary.*"').  -1 and err
 * (MM_E_USAGE) for what cannot be one: empty, braces, newlines, too long.
 */
int canary_side_check(const char *sel, struct mm_err *err);

/*
 * The PromQL of metric m for one side over windows of `window` seconds
 * (histogram_quantile of rate of buckets, sum of increase, avg of
 * avg_over_time; times scale).  Into buf (size n); returns buf.
 */
const char *canary_promql(const struct canary_metric *m, const char *side, double window, char *buf,
			  size_t n);

/*
 * Range-query metric m for one side over [from, to]: step = the aggregation
 * interval, raised so that a query stays under Prometheus's 11,000 points;
 * evaluated from from + step so windows do not overlap.  Appends to out.
 * *step_used gets the step.  -1 and err (promapi's codes).
 */
int canary_fetch_prometheus(const char *base, const struct canary_metric *m, const char *side,
			    double from, double to, double aggregate, double timeout,
			    struct canary_series *out, double *step_used, struct mm_err *err);

/* ---- files ---- */

/*
 * A samples file: one JSON object {"metric name": [number, ...], ...}.
 * names and series are parallel arrays (caller frees with
 * canary_samples_release).  null elements are missing samples (skipped).
 * -1 and err (MM_E_PARSE with the file position or the key at fault).
 */
struct canary_samples {
	size_t n;
	char **names;
	struct canary_series *series;
};
int canary_samples_load(const char *path, struct canary_samples *out, struct mm_err *err);
void canary_samples_release(struct canary_samples *s);

/*
 * A soak recording (soak_metrics.json written with --record-series): the
 * per-interval values of each recorded series ("series": {name:
 * {"recorded": {"t": [...], "v": [...]}}}), aggregated per interval of
 * `aggregate` seconds by mean.  -1 and err (MM_E_PARSE) when the file has
 * no recorded values (a soak run without --record-series).
 */
int canary_soak_load(const char *path, double aggregate, struct canary_samples *out,
		     struct mm_err *err);

#endif
