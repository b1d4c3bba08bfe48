/*
 * twosample.h - two-sample statistics for the canary judge: is the
 * candidate's sample drawn from the same distribution as the baseline's?
 *
 *  - twosample_mwu(): Mann-Whitney U, two-sided, with tie correction; the
 *    numbers of scipy.stats.mannwhitneyu(x, y, alternative="two-sided") with
 *    its default method as of scipy 1.10: the exact null distribution when
 *    there is no tie and at least one sample has at most 8 values, else the
 *    normal approximation with continuity correction.
 *  - twosample_hl(): the Hodges-Lehmann shift (median of all x_i - y_j)
 *    with its distribution-free confidence interval (Lehmann 1963; the
 *    interval R's wilcox.test(conf.int=TRUE) gives), by selection on the
 *    sorted samples: O((n + m) * 64) per order statistic, never the n*m
 *    differences.
 *  - twosample_ks(): two-sample Kolmogorov-Smirnov D and its two-sided p as
 *    scipy.stats.ks_2samp(x, y) with the default method ('auto': exact when
 *    both samples have at most 10,000 values, else the distribution of the
 *    one-sample statistic for n = round(m*n/(m+n)), kstwo.sf).
 *
 * Every function takes samples sorted ascending (twosample_sort()) and
 * without infinities; a NaN anywhere makes every result NaN (scipy's
 * nan_policy='propagate').  Nothing here allocates more than O(n + m),
 * except the exact U distribution (O(min(n,m) * max(n,m)) 16-byte counts,
 * see TWOSAMPLE_EXACT_MAX).
 */
#ifndef MM_TWOSAMPLE_H
#define MM_TWOSAMPLE_H

#include <stddef.h>

/* scipy's thresholds (1.10): exact U when a side is this small, exact KS up to ... */
#define TWOSAMPLE_MWU_EXACT_N 8
#define TWOSAMPLE_KS_EXACT_N  10000
/* The exact U distribution is counted in 128-bit integers while C(n+m, min) fits. */
#define TWOSAMPLE_EXACT_MAX 1e37
/* ... and while the counts up to n*m/2 take at most 64 MiB (4M cells); scipy itself would need
 * days. */
#define TWOSAMPLE_EXACT_MAX_CELLS 4000000L

/* Sort v ascending in place (NaN last). */
void twosample_sort(double *v, size_t n);

/* Whether any of v[0..n) is NaN. */
int twosample_has_nan(const double *v, size_t n);

struct mwu_result {
	double u;  /* U of x: scipy's statistic */
	double p;  /* two-sided p-value */
	int exact; /* 1 exact null distribution, 0 normal approximation */
	double z;  /* the standardised statistic (normal approximation), else NAN */
	int ties;  /* 1 when any value occurs more than once */
};

/* Mann-Whitney U of sorted x (n) against sorted y (m).  n or m 0: NaNs. */
void twosample_mwu(const double *x, size_t n, const double *y, size_t m, struct mwu_result *out);

/*
 * P(U <= k) under the null for sizes n, m without ties (exact count / C(n+m, n)).
 * NaN when the count would not fit (C(n+m, min(n,m)) > TWOSAMPLE_EXACT_MAX, or k
 * above TWOSAMPLE_EXACT_MAX_CELLS).
 */
double twosample_mwu_cdf(long k, size_t n, size_t m);

/*
 * The k-th smallest (1-based, 1 <= k <= n*m) of all differences x_i - y_j
 * (computed in double), for sorted x, y.  Exact: the result is one of the
 * differences.  O((n + m) * 64).
 */
double twosample_diff_select(const double *x, size_t n, const double *y, size_t m,
			     unsigned long long k);

struct hl_result {
	double estimate;	/* median of the n*m differences x - y */
	double ci_low, ci_high; /* distribution-free interval at confidence */
	double confidence;	/* as asked (the achieved one is at least this) */
	unsigned long long k;	/* the interval's order statistics: k-th and (N+1-k)-th */
};

/*
 * Hodges-Lehmann shift of sorted x relative to sorted y, with the interval
 * [D(k), D(N+1-k)] where N = n*m and k is the largest integer with
 * P(U <= k - 1) <= (1 - confidence) / 2: from the exact U distribution when
 * there is no tie and min(n, m) <= TWOSAMPLE_MWU_EXACT_N, else from the
 * normal approximation k = floor(N/2 - z * sqrt(N (n+m+1) / 12)), at least 1.
 */
void twosample_hl(const double *x, size_t n, const double *y, size_t m, double confidence,
		  struct hl_result *out);

/*
 * The same with the normal approximation's half-width multiplied by
 * inflate (>= 1; 1 is twosample_hl()): the interval for samples whose
 * autocorrelation makes them worth fewer independent ones (canary.h).
 */
void twosample_hl_inflated(const double *x, size_t n, const double *y, size_t m, double confidence,
			   double inflate, struct hl_result *out);
/* Only the interval (ci_low, ci_high, k, confidence) into out; estimate untouched. */
void twosample_hl_interval(const double *x, size_t n, const double *y, size_t m, double confidence,
			   double inflate, struct hl_result *out);

struct ks_result {
	double d;  /* sup |F_x - F_y| */
	double p;  /* two-sided p-value */
	int exact; /* 1 exact, 0 asymptotic (kstwo) */
};

void twosample_ks(const double *x, size_t n, const double *y, size_t m, struct ks_result *out);

/*
 * The survival function of the one-sample two-sided Kolmogorov statistic,
 * P(D_n >= d): scipy.stats.kstwo.sf(d, n) (Simard and L'Ecuyer 2011).
 */
double twosample_kolmogorov_sf(double d, long n);

/* P(D+_n >= d), the one-sided Smirnov statistic (scipy.special.smirnov). */
double twosample_smirnov(long n, double d);

/* The standard normal's upper quantile: z with P(Z > z) = p, 0 < p < 1. */
double twosample_norm_isf(double p);

#include "banned.h" /* last: see banned.h */

#endif
