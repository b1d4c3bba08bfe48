/*
 * canary.h - the canary judge: a candidate release's metrics against the
 * baseline's (the release it replaces), metric by metric with rank tests
 * and effect sizes, then one score and verdict as Kayenta computes them.
 *
 * The configuration is deploy/gates/canary.yaml (a built-in copy, byte for
 * byte, is canary_default_yaml[]; a unit test compares them).  Each metric
 * names a series as the gates do (metric, type, labels, scale, unit; for a
 * histogram the quantile taken per aggregation interval), which change is
 * bad (direction), the allowed and the critical effect sizes, whether it is
 * critical, whether no data is a failure, the fewest samples per side, a
 * group and a weight.  docs/canary.md explains the method; in short, per
 * metric, with alpha = 1 - confidence:
 *
 *   nodata   fewer than min_samples (after aggregation) on either side
 *   sparse   a side with at most CANARY_SPARSE_FRACTION non-zero samples:
 *            judged on the event rate (share of non-zero samples), a rank
 *            test on the 0/1 indicators, effect = rate ratio - 1
 *   location U p < alpha, the Hodges-Lehmann interval excludes 0 on the
 *            bad side and the shift relative to the baseline's median is
 *            beyond allowed
 *   tail     KS p < alpha and the P99 (increase) or P1 (decrease), less the
 *            Hodges-Lehmann shift, moved
 *            beyond allowed on the bad side, even when the medians agree
 *
 * A breach is `high` or `low` by the side it moved to; an effect beyond
 * critical_effect, or any breach of a critical metric, makes the score 0.
 * Group score = 100 * (weight of passes) / (weight judged); nodata counts
 * as judged and failed only for must_have_data metrics.  The score is the
 * group-weighted mean; verdict pass >= score.pass, marginal >= score.marginal.
 */
#ifndef MM_CANARY_H
#define MM_CANARY_H

#include <stddef.h>

#include "err.h"
#include "gates.h"
#include "twosample.h"

#define CANARY_MAX_METRICS     256
#define CANARY_MAX_GROUPS      64
#define CANARY_MAX_SAMPLES     10000000 /* per side and metric */
#define CANARY_SPARSE_FRACTION 0.2	/* non-zero share at or below which a side is sparse */
#define CANARY_REASON_MAX      512
#define CANARY_MAX_RHO	       0.99 /* autocorrelation taken into account at most */

/* Built-in defaults when a file leaves them out. */
#define CANARY_DEFAULT_CONFIDENCE  0.98
#define CANARY_DEFAULT_AGGREGATE   60.0
#define CANARY_DEFAULT_PASS	   95.0
#define CANARY_DEFAULT_MARGINAL	   75.0
#define CANARY_DEFAULT_ALLOWED	   0.10
#define CANARY_DEFAULT_MIN_SAMPLES 10

enum canary_dir { CANARY_INCREASE, CANARY_DECREASE, CANARY_EITHER };
enum canary_class { CANARY_PASS, CANARY_HIGH, CANARY_LOW, CANARY_NODATA };
enum canary_verdict { CANARY_V_PASS, CANARY_V_MARGINAL, CANARY_V_FAIL };

struct canary_metric {
	char *name;
	char *description; /* "" when absent */
	char *group;
	struct series_sel sel; /* metric "" for samples files */
	double quantile;       /* histograms: the quantile per interval; NAN otherwise */
	enum canary_dir direction;
	double allowed;		/* tolerated relative change, 0.10 = 10% */
	double critical_effect; /* a change beyond this fails the release; INFINITY: none */
	int critical;		/* any breach fails the release */
	int must_have_data;	/* nodata fails its group */
	long min_samples;
	double weight; /* within its group */
	unsigned long line, col;
};

struct canary_group {
	char *name;
	double weight;
};

struct canary_config {
	char *file;		       /* path or "<built-in canary>" */
	double confidence;	       /* 0.98 */
	double aggregate;	       /* seconds samples are aggregated over before testing */
	double pass, marginal;	       /* score thresholds */
	struct canary_metric defaults; /* what metrics inherit (name/sel unused) */
	size_t ngroups;
	struct canary_group *groups;
	size_t nmetrics;
	struct canary_metric *metrics;
};

/* deploy/gates/canary.yaml, byte for byte.  Static storage. */
extern const char canary_default_yaml[];

/* Load; errors are MM_E_CONFIG at file:line:col.  Caller frees. */
struct canary_config *canary_loadb(const char *data, size_t len, const char *name,
				   struct mm_err *err);
struct canary_config *canary_load_file(const char *path, struct mm_err *err);
struct canary_config *canary_load_default(struct mm_err *err);
void canary_free(struct canary_config *cfg);

/*
 * Add a metric with the config's defaults (direction either, group
 * "default"), for samples files judged without a metric list.  Returns it
 * (owned by cfg) or NULL when the config is full.
 */
struct canary_metric *canary_add_default_metric(struct canary_config *cfg, const char *name);
/* Forget every metric of cfg (samples files judged without a metric list). */
void canary_drop_metrics(struct canary_config *cfg);
/* The metric named name, or NULL. */
const struct canary_metric *canary_find(const struct canary_config *cfg, const char *name);

const char *canary_dir_name(enum canary_dir d);		/* "increase", ... */
const char *canary_class_name(enum canary_class c);	/* "pass", "high", "low", "nodata" */
const char *canary_verdict_name(enum canary_verdict v); /* "pass", "marginal", "fail" */

/* Summary of one side's samples after aggregation. */
struct canary_side {
	size_t n;
	double mean, stddev; /* stddev with n - 1 (NAN for n < 2) */
	double min, p01, p50, p95, p99, max;
	double event_rate; /* share of non-zero samples */
	double autocorr;   /* lag-1 autocorrelation in time order (NAN for n < 3) */
};

struct canary_result {
	const struct canary_metric *def;
	enum canary_class cls;
	char reason[CANARY_REASON_MAX];
	struct canary_side base, cand;
	double ratio;	   /* candidate p50 / baseline p50 (NAN when undefined) */
	double shift_rel;  /* HL / |baseline p50| */
	double p99_ratio;  /* candidate p99 / baseline p99 */
	int sparse;	   /* judged on the event rate */
	double rate_ratio; /* sparse: candidate rate / baseline rate */
	double rate_p;	   /* sparse: p of the rank test on the 0/1 indicators */
	const char *test;  /* what decided: "location", "tail", "event_rate", "" */
	/*
	 * Autocorrelation: rho = max(0, lag-1 autocorrelation of either side),
	 * at most CANARY_MAX_RHO; inflation = sqrt((1 + rho) / (1 - rho)), the
	 * AR(1) variance factor, so n_eff = n / inflation^2.  The decision uses
	 * the adjusted p-values and interval; the plain ones (scipy's) are kept.
	 */
	double rho, inflation;
	double mwu_p_adj, ks_p_adj;
	struct hl_result hl_adj;
	int critical_breach; /* this result makes the score 0 */
	struct mwu_result mwu;
	struct hl_result hl;
	struct ks_result ks;
	/* the samples, sorted, borrowed from the caller (for plots) */
	const double *bv, *cv;
};

/*
 * Lag-1 autocorrelation of v in the given (time) order: NAN for n < 3 or
 * a constant series.  Reported so a reader can see how far from
 * independent the aggregated samples still are.
 */
double canary_autocorr(const double *v, size_t n);

/*
 * Judge one metric.  b and c are the baseline's and the candidate's
 * aggregated samples: sorted in place, NaN dropped (they are missing
 * intervals); kept borrowed in out->bv/cv.  confidence from the config.
 * time_ordered: the samples are a time series in time order, so their
 * autocorrelation is measured and the tests adjusted for it; 0 for samples
 * given as independent (samples files), where rho is 0.
 */
void canary_judge(const struct canary_metric *m, double confidence, int time_ordered, double *b,
		  size_t nb, double *c, size_t nc, struct canary_result *out);

struct canary_group_score {
	const char *name;
	double weight;
	double judged, passed; /* weights */
	size_t nmetrics, npass, nhigh, nlow, nnodata;
	double score; /* NAN when nothing was judged */
};

struct canary_score {
	double score;
	enum canary_verdict verdict;
	char reason[CANARY_REASON_MAX];
	size_t ngroups;
	struct canary_group_score *groups; /* owned: canary_score_release() */
};

/* Score results (every metric of cfg, in order).  Fills out. */
void canary_score(const struct canary_config *cfg, const struct canary_result *r, size_t n,
		  struct canary_score *out);
void canary_score_release(struct canary_score *s);

/*
 * Aggregate (t, v) samples into one value per interval of `width` seconds
 * aligned to t0: the mean of the values in it (intervals without a value
 * are left out).  out gets room for the result (caller frees); returns the
 * count.  Samples need not be sorted; NaN is ignored.
 */
size_t canary_aggregate_mean(const double *t, const double *v, size_t n, double t0, double width,
			     double **out);

#endif
