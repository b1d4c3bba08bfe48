/*
 * twosample.c - Mann-Whitney U, Hodges-Lehmann and two-sample
 * Kolmogorov-Smirnov on sorted samples (twosample.h).
 *
 * Every p-value follows scipy 1.10's choice of method, so that the canary
 * report and a notebook agree; tests/unit/test_twosample.c and
 * tests/e2e/canary_oracle.sh hold the numbers against scipy itself.  The
 * algorithms are the textbook ones:
 *  - the exact U distribution is the coefficient list of the Gaussian
 *    binomial [n+m choose s]_q (s = min(n, m)), built as
 *    prod_{i=1..s} (1 - q^(l+i)) / (1 - q^i) truncated at the degree asked,
 *    in 128-bit integers so the alternating steps stay exact;
 *  - an order statistic of the n*m differences is found by bisection on
 *    the bit patterns of doubles, counting "x_i - y_j <= t" with two
 *    pointers (the difference is monotone in both arguments, also after
 *    rounding), so the answer is exactly one of the differences;
 *  - KS exact p is the lattice-path count of Hodges (1958) in the form
 *    that computes 1 - p directly (Viehmann 2021), or the closed form for
 *    equal sizes; the asymptotic one is the distribution of the one-sample
 *    statistic (Simard and L'Ecuyer 2011: Durbin's matrix, the
 *    Birnbaum-Tingey sum, Pelz-Good), chosen by the same regions as scipy.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "twosample.h"
#include "xalloc.h"

__extension__ typedef __int128 i128;

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	if (isnan(x) || isnan(y))
		return isnan(x) - isnan(y);
	return (x > y) - (x < y);
}

void
twosample_sort(double *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_double);
}

int
twosample_has_nan(const double *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (isnan(v[i]))
			return 1;
	return 0;
}

/* ---- the exact null distribution of U ---- */

/*
 * Counts c[0..kmax] of U = k for sizes n, m without ties; NULL when the
 * total C(n+m, s) does not fit TWOSAMPLE_EXACT_MAX.  *total gets C(n+m, s).
 */
static i128 *
mwu_counts(size_t n, size_t m, long kmax, i128 *total)
{
	size_t s = n < m ? n : m, l = n < m ? m : n, i;
	long double lb = 0;
	i128 *c, t = 1;
	long k;

	for (i = 1; i <= s; i++)
		lb += logl((long double)(l + i) / (long double)i);
	if (lb > logl((long double)TWOSAMPLE_EXACT_MAX) || kmax < 0 ||
	    kmax >= TWOSAMPLE_EXACT_MAX_CELLS)
		return NULL;
	for (i = 1; i <= s; i++)
		t = t * (i128)(l + i) / (i128)i; /* exact: C(l+i, i) at each step */
	*total = t;
	c = xcalloc((size_t)kmax + 1, sizeof(*c));
	c[0] = 1;
	for (i = 1; i <= s; i++) {
		long up = (long)(l + i), dn = (long)i;

		for (k = kmax; k >= up; k--)
			c[k] -= c[k - up];
		for (k = dn; k <= kmax; k++)
			c[k] += c[k - dn];
	}
	return c;
}

double
twosample_mwu_cdf(long k, size_t n, size_t m)
{
	i128 total, sum = 0, *c;
	long j, kmax = k;

	if (k < 0)
		return 0;
	if ((double)k >= (double)n * (double)m)
		return 1;
	if (!(c = mwu_counts(n, m, kmax, &total)))
		return NAN;
	for (j = 0; j <= kmax; j++)
		sum += c[j];
	free(c);
	return (double)sum / (double)total;
}

/* ---- Mann-Whitney U ---- */

/* Walk the merged sorted samples by distinct value; calls fn for each group. */
struct tie_walk {
	double r1;	 /* rank sum of x */
	double tie_term; /* sum of t^3 - t */
	int ties;
};

static void
rank_walk(const double *x, size_t n, const double *y, size_t m, struct tie_walk *w)
{
	size_t i = 0, j = 0;
	double r0 = 0;

	memset(w, 0, sizeof(*w));
	while (i < n || j < m) {
		double v = i < n && (j >= m || x[i] <= y[j]) ? x[i] : y[j];
		size_t cx = 0, cy = 0;
		double t;

		while (i < n && x[i] == v)
			i++, cx++;
		while (j < m && y[j] == v)
			j++, cy++;
		t = (double)(cx + cy);
		w->r1 += (double)cx * (r0 + (t + 1) / 2);
		w->tie_term += t * t * t - t;
		if (cx + cy > 1)
			w->ties = 1;
		r0 += t;
	}
}

void
twosample_mwu(const double *x, size_t n, const double *y, size_t m, struct mwu_result *out)
{
	struct tie_walk w;
	double u1, u2, u, nm = (double)n * (double)m;

	out->u = out->p = out->z = NAN;
	out->exact = 0;
	out->ties = 0;
	if (!n || !m || twosample_has_nan(x, n) || twosample_has_nan(y, m))
		return;
	rank_walk(x, n, y, m, &w);
	u1 = w.r1 - (double)n * ((double)n + 1) / 2;
	u2 = nm - u1;
	u = u1 > u2 ? u1 : u2;
	out->u = u1;
	out->ties = w.ties;
	if (!((n > TWOSAMPLE_MWU_EXACT_N && m > TWOSAMPLE_MWU_EXACT_N) || w.ties)) {
		double c = twosample_mwu_cdf((long)(nm - u), n, m);

		if (!isnan(c)) {
			out->exact = 1;
			out->p = fmin(2 * c, 1);
			return;
		}
	}
	{
		double nn = (double)n + (double)m;
		double s = sqrt(nm / 12 * ((nn + 1) - w.tie_term / (nn * (nn - 1))));

		out->z = (u - nm / 2 - 0.5) / s;
		out->p = fmax(0, fmin(1, erfc(out->z / M_SQRT2)));
	}
}

/* ---- order statistics of the differences ---- */

/* Pairs with x_i - y_j <= t (as computed in double). */
static unsigned long long
count_le(const double *x, size_t n, const double *y, size_t m, double t)
{
	unsigned long long cnt = 0;
	size_t i, j = 0;

	for (i = 0; i < n; i++) {
		while (j < m && x[i] - y[j] > t)
			j++;
		cnt += m - j;
	}
	return cnt;
}

/* Doubles as unsigned integers in the same order (no NaN). */
static uint64_t
dkey(double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof(u));
	return u >> 63 ? ~u : u | (UINT64_C(1) << 63);
}

static double
dunkey(uint64_t k)
{
	uint64_t u = k >> 63 ? k & ~(UINT64_C(1) << 63) : ~k;
	double v;

	memcpy(&v, &u, sizeof(v));
	return v;
}

double
twosample_diff_select(const double *x, size_t n, const double *y, size_t m, unsigned long long k)
{
	uint64_t lo, hi;

	if (!n || !m || k < 1 || k > (unsigned long long)n * m)
		return NAN;
	/* +0 and -0 are one value: count_le() cannot tell them apart. */
	lo = dkey(x[0] - y[m - 1]);
	hi = dkey(x[n - 1] - y[0]);
	/* Invariant: count_le(hi) >= k; the answer is the smallest such key. */
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (count_le(x, n, y, m, dunkey(mid)) >= k)
			hi = mid;
		else
			lo = mid + 1;
	}
	return dunkey(lo) == 0 ? 0.0 : dunkey(lo);
}

double
twosample_norm_isf(double p)
{
	/* Acklam's rational approximation of the lower quantile, then Halley steps on erfc. */
	static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
				   -2.759285104469687e+02, 1.383577518672690e+02,
				   -3.066479806614716e+01, 2.506628277459239e+00};
	static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
				   -1.556989798598866e+02, 6.680131188771972e+01,
				   -1.328068155288572e+01};
	static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
				   -2.400758277161838e+00, -2.549732539343734e+00,
				   4.374664141464968e+00,  2.938163982698783e+00};
	static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
				   2.445134137142996e+00, 3.754408661907416e+00};
	double q = p, x, r, e, u;
	int it;

	if (!(p > 0 && p < 1))
		return p == 0 ? INFINITY : p == 1 ? -INFINITY : NAN;
	/* lower quantile of q = 1 - p, computed as x with P(Z < x) = 1 - p, i.e. -isf */
	q = 1 - p;
	if (q < 0.02425) {
		r = sqrt(-2 * log(q));
		x = (((((c[0] * r + c[1]) * r + c[2]) * r + c[3]) * r + c[4]) * r + c[5]) /
		    ((((d[0] * r + d[1]) * r + d[2]) * r + d[3]) * r + 1);
	} else if (q > 1 - 0.02425) {
		r = sqrt(-2 * log(p));
		x = -(((((c[0] * r + c[1]) * r + c[2]) * r + c[3]) * r + c[4]) * r + c[5]) /
		    ((((d[0] * r + d[1]) * r + d[2]) * r + d[3]) * r + 1);
	} else {
		r = (q - 0.5) * (q - 0.5);
		x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) *
		    (q - 0.5) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
	}
	/* Refine x so that P(Z > x) = p, with the upper tail computed by erfc. */
	for (it = 0; it < 3; it++) {
		e = 0.5 * erfc(x / M_SQRT2) - p;
		u = -e * sqrt(2 * M_PI) * exp(x * x / 2);
		x = x - u / (1 + x * u / 2);
	}
	return x;
}

void
twosample_hl(const double *x, size_t n, const double *y, size_t m, double confidence,
	     struct hl_result *out)
{
	twosample_hl_inflated(x, n, y, m, confidence, 1, out);
}

void
twosample_hl_inflated(const double *x, size_t n, const double *y, size_t m, double confidence,
		      double inflate, struct hl_result *out)
{
	unsigned long long nm = (unsigned long long)n * m;

	out->estimate = out->ci_low = out->ci_high = NAN;
	out->confidence = confidence;
	out->k = 0;
	if (!n || !m || twosample_has_nan(x, n) || twosample_has_nan(y, m) ||
	    !(confidence > 0 && confidence < 1))
		return;
	if (nm % 2)
		out->estimate = twosample_diff_select(x, n, y, m, nm / 2 + 1);
	else
		out->estimate = (twosample_diff_select(x, n, y, m, nm / 2) +
				 twosample_diff_select(x, n, y, m, nm / 2 + 1)) /
				2;
	twosample_hl_interval(x, n, y, m, confidence, inflate, out);
}

void
twosample_hl_interval(const double *x, size_t n, const double *y, size_t m, double confidence,
		      double inflate, struct hl_result *out)
{
	unsigned long long nm = (unsigned long long)n * m, k = 1;
	double alpha = 1 - confidence;
	struct tie_walk w;

	out->confidence = confidence;
	out->ci_low = out->ci_high = NAN;
	out->k = 0;
	if (!n || !m || twosample_has_nan(x, n) || twosample_has_nan(y, m) ||
	    !(confidence > 0 && confidence < 1))
		return;
	rank_walk(x, n, y, m, &w);
	if (!(inflate >= 1))
		inflate = 1;
	if (inflate == 1 && !w.ties && (n <= TWOSAMPLE_MWU_EXACT_N || m <= TWOSAMPLE_MWU_EXACT_N)) {
		long kmax = (long)(nm / 2);
		i128 total, sum = 0, *c = mwu_counts(n, m, kmax, &total);

		if (c) {
			/* largest k with P(U <= k-1) <= alpha/2 */
			long j;

			k = 1; /* k = j + 1 while P(U <= j) <= alpha/2 */
			for (j = 0; j < kmax; j++) {
				sum += c[j];
				if ((double)sum / (double)total > alpha / 2)
					break;
				k = (unsigned long long)j + 1;
			}
			free(c);
			goto have_k;
		}
	}
	{
		double z = twosample_norm_isf(alpha / 2) * inflate;
		double kk = floor((double)nm / 2 - z * sqrt((double)nm * ((double)n + m + 1) / 12));

		k = kk < 1 ? 1 : (unsigned long long)kk;
	}
have_k:
	if (k > (nm + 1) / 2)
		k = (nm + 1) / 2;
	out->k = k;
	out->ci_low = twosample_diff_select(x, n, y, m, k);
	out->ci_high = twosample_diff_select(x, n, y, m, nm + 1 - k);
}

/* ---- Kolmogorov-Smirnov ---- */

static long
gcd_l(long a, long b)
{
	while (b) {
		long t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* Pr(D_{n,n} >= h/n), as an alternating series evaluated Horner-like. */
static double
ks_prob_outside_square(long n, long h)
{
	double p = 0;
	long k = (long)floor((double)n / (double)h), j;

	for (; k >= 0; k--) {
		double p1 = 1;

		for (j = 0; j < h; j++)
			p1 = (double)(n - k * h - j) * p1 / (double)(n + k * h + j + 1);
		p = p1 * (1 - p);
	}
	return 2 * p;
}

/*
 * 1 - (the share of lattice paths from (0,0) to (m,n) staying strictly
 * inside |x/m - y/n| < h/lcm), column by column over a sliding window.
 */
static double
ks_outer_prob_inside(long m, long n, long g, long h)
{
	long mg, ng, minj, maxj, curlen, lenA, i, jj;
	double *a, ret;

	if (m < n) {
		long t = m;

		m = n;
		n = t;
	}
	mg = m / g;
	ng = n / g;
	minj = 0;
	maxj = (long)ceil((double)h / (double)mg);
	if (maxj > n + 1)
		maxj = n + 1;
	curlen = maxj - minj;
	lenA = 2 * maxj + 2 < n + 1 ? 2 * maxj + 2 : n + 1;
	a = xmalloc((size_t)lenA * sizeof(*a) + sizeof(*a));
	for (i = 0; i < lenA; i++)
		a[i] = i < maxj ? 0.0 : 1.0;
	for (i = 1; i <= m; i++) {
		long lastminj = minj, lastlen = curlen;
		double val;

		minj = (long)floor((double)(ng * i - h) / (double)mg) + 1;
		if (minj < 0)
			minj = 0;
		if (minj > n)
			minj = n;
		maxj = (long)ceil((double)(ng * i + h) / (double)mg);
		if (maxj > n + 1)
			maxj = n + 1;
		if (maxj <= minj) {
			free(a);
			return 1.0;
		}
		val = minj == 0 ? 0.0 : 1.0;
		for (jj = 0; jj < maxj - minj; jj++) {
			long j = jj + minj;

			val = (a[jj + minj - lastminj] * (double)i + val * (double)j) /
			      (double)(i + j);
			a[jj] = val;
		}
		curlen = maxj - minj;
		if (lastlen > curlen)
			for (jj = maxj - minj; jj < maxj - minj + (lastlen - curlen) && jj < lenA;
			     jj++)
				a[jj] = 1;
	}
	ret = a[maxj - minj - 1];
	free(a);
	return ret;
}

/* ---- the one-sample Kolmogorov distribution (scipy.stats.kstwo) ---- */

double
twosample_smirnov(long n, double d)
{
	/* Birnbaum-Tingey: sum_{v=0}^{floor(n(1-d))} C(n,v) d (d+v/n)^(v-1) (1-d-v/n)^(n-v) */
	long v, nn;
	double *lt, mx = -INFINITY, sum = 0, lgn;

	if (!(n > 0 && d >= 0 && d <= 1))
		return NAN;
	if (d == 0)
		return 1;
	nn = (long)floor((double)n * (1 - d));
	lt = xmalloc(((size_t)nn + 1) * sizeof(*lt));
	lgn = lgamma((double)n + 1);
	for (v = 0; v <= nn; v++) {
		double evn = d + (double)v / (double)n, om = 1 - evn, l;

		l = lgn - lgamma((double)v + 1) - lgamma((double)(n - v) + 1) + log(d) +
		    (double)(v - 1) * log(evn);
		if (n - v > 0)
			l += om > 0 ? (double)(n - v) * log(om) : -INFINITY;
		lt[v] = l;
		if (l > mx)
			mx = l;
	}
	if (mx == -INFINITY) {
		free(lt);
		return 0;
	}
	for (v = 0; v <= nn; v++)
		sum += exp(lt[v] - mx);
	free(lt);
	return fmin(1, exp(mx + log(sum)));
}

static double
clip01(double p)
{
	return p < 0 ? 0 : p > 1 ? 1 : p;
}

/* log(n! / n^n) by Stirling with the n log n removed up front. */
static double
log_nfact_div_npown(double n)
{
	static const double c[] = {-2.955065359477124183e-2,  6.4102564102564102564e-3,
				   -1.9175269175269175269e-3, 8.4175084175084175084e-4,
				   -5.952380952380952381e-4,  7.9365079365079365079e-4,
				   -2.7777777777777777778e-3, 8.3333333333333333333e-2};
	double rn = 1.0 / n, x = rn / n, p = 0;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		p = p * x + c[i];
	return log(n) / 2 - n + log(2 * M_PI) / 2 + rn * p;
}

/* Pr(D_n <= d) by Durbin's matrix (Marsaglia, Tsang and Wang 2003), exact. */
static double
kolmogorov_cdf_durbin(long n, double d)
{
	const double ep = ldexp(1, 128), em = ldexp(1, -128);
	double nd = (double)n * d, h, *H, *P, *T, *v, *w, fac = 1, p, tt;
	long k, m, i, j, l, nn = n, expnt = 0, hexpnt = 0;

	if (d >= 1)
		return 1;
	if (nd <= 0.5)
		return 0;
	k = (long)ceil(nd);
	h = (double)k - nd;
	m = 2 * k - 1;
	H = xcalloc((size_t)(m * m), sizeof(*H));
	P = xcalloc((size_t)(m * m), sizeof(*P));
	T = xcalloc((size_t)(m * m), sizeof(*T));
	v = xcalloc((size_t)m, sizeof(*v));
	w = xcalloc((size_t)m, sizeof(*w));
	for (j = 1; j <= m; j++) {
		w[j - 1] = fac;
		fac /= (double)j;
		v[j - 1] = (1 - pow(h, (double)j)) * fac;
	}
	tt = pow(fmax(2 * h - 1, 0), (double)m) - 2 * pow(h, (double)m);
	v[m - 1] = (1 + tt) * fac;
	for (i = 1; i < m; i++)
		for (j = i - 1; j < m; j++)
			H[j * m + i] = w[j - i + 1];
	for (i = 0; i < m; i++) {
		H[i * m] = v[i];
		H[(m - 1) * m + i] = v[m - 1 - i];
	}
	for (i = 0; i < m; i++)
		P[i * m + i] = 1;
	while (nn > 0) {
		if (nn % 2) {
			for (i = 0; i < m; i++)
				for (j = 0; j < m; j++) {
					double s = 0;

					for (l = 0; l < m; l++)
						s += P[i * m + l] * H[l * m + j];
					T[i * m + j] = s;
				}
			memcpy(P, T, (size_t)(m * m) * sizeof(*P));
			expnt += hexpnt;
		}
		for (i = 0; i < m; i++)
			for (j = 0; j < m; j++) {
				double s = 0;

				for (l = 0; l < m; l++)
					s += H[i * m + l] * H[l * m + j];
				T[i * m + j] = s;
			}
		memcpy(H, T, (size_t)(m * m) * sizeof(*H));
		hexpnt *= 2;
		if (fabs(H[(k - 1) * m + k - 1]) > ep) {
			for (i = 0; i < m * m; i++)
				H[i] /= ep;
			hexpnt += 128;
		}
		nn /= 2;
	}
	p = P[(k - 1) * m + k - 1];
	for (i = 1; i <= n; i++) {
		p = (double)i * p / (double)n;
		if (fabs(p) < em) {
			p *= ep;
			expnt -= 128;
		}
	}
	if (expnt)
		p = ldexp(p, (int)expnt);
	free(H);
	free(P);
	free(T);
	free(v);
	free(w);
	return clip01(p);
}

/* The Pelz-Good asymptotic series for Pr(D_n <= x) (as scipy evaluates it). */
static double
kolmogorov_cdf_pelzgood(long n, double x)
{
	const double pi2 = M_PI * M_PI, pi4 = pi2 * pi2, pi6 = pi4 * pi2;
	const double sqrt2pi = sqrt(2 * M_PI), sqrt3 = sqrt(3.0);
	double z, z2, z3, z4, z6, qlog, q, K[4] = {0, 0, 0, 0}, k2extra = 0, k3extra = 0;
	double k1a, k1b, k2a, k2b, k2c, k3a, k3b, k3c, k3d, sqrt3z;
	long maxk, k;
	int i;

	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	z = sqrt((double)n) * x;
	z2 = z * z;
	z3 = z2 * z;
	z4 = z2 * z2;
	z6 = z4 * z2;
	qlog = -pi2 / 8 / z2;
	if (qlog < -708)
		return 0;
	q = exp(qlog);
	k1a = -z2;
	k1b = pi2 / 4;
	k2a = 6 * z6 + 2 * z4;
	k2b = (2 * z4 - 5 * z2) * pi2 / 4;
	k2c = pi4 * (1 - 2 * z2) / 16;
	k3d = pi6 * (5 - 30 * z2) / 64;
	k3c = pi4 * (-60 * z2 + 212 * z4) / 16;
	k3b = pi2 * (135 * z4 - 96 * z6) / 4;
	k3a = -30 * z6 - 90 * z4 * z4;
	maxk = (long)ceil(16 * z / M_PI);
	for (k = maxk; k > 0; k--) {
		double mm = (double)(2 * k - 1), m2 = mm * mm, m4 = m2 * m2, m6 = m4 * m2;
		double qp = pow(q, (double)(8 * k));
		double co[4] = {1.0, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4,
				k3a + k3b * m2 + k3c * m4 + k3d * m6};

		for (i = 0; i < 4; i++)
			K[i] = K[i] * qp + co[i];
	}
	for (i = 0; i < 4; i++)
		K[i] *= q * sqrt2pi;
	K[0] /= z;
	K[1] /= 6 * z4;
	K[2] /= 72 * z4 * z3;
	K[3] /= 6480 * z4 * z6;
	q = exp(-pi2 / 2 / z2);
	sqrt3z = sqrt3 * z;
	for (k = maxk; k > 0; k--) {
		double ks = (double)k * (double)k, qp = pow(q, ks), kspi = M_PI * (double)k;

		k2extra += ks * qp;
		k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ks * qp;
	}
	K[2] += k2extra * pi2 * sqrt2pi / (-36 * z3);
	K[3] += k3extra * pi2 * sqrt2pi / (216 * z6);
	K[1] /= sqrt((double)n);
	K[2] /= (double)n;
	K[3] /= pow((double)n, 1.5);
	return K[0] + K[1] + K[2] + K[3];
}

double
twosample_kolmogorov_sf(double x, long n)
{
	double t, nx2;

	if (isnan(x) || n <= 0)
		return NAN;
	if (x >= 1)
		return 0;
	if (x <= 0)
		return 1;
	t = (double)n * x;
	if (t <= 1) {
		double prob = 1;
		long i;

		if (t <= 0.5)
			return 1;
		if (n <= 140)
			for (i = 1; i <= n; i++)
				prob *= (double)i * (1.0 / (double)n) * (2 * t - 1);
		else
			prob = exp(log_nfact_div_npown((double)n) + (double)n * log(2 * t - 1));
		return clip01(1 - prob);
	}
	if (t >= (double)(n - 1))
		return clip01(2 * pow(1 - x, (double)n));
	if (x >= 0.5)
		return clip01(2 * twosample_smirnov(n, x));
	nx2 = t * x;
	if (n <= 140) {
		if (nx2 <= 4) /* scipy: Durbin below 0.754693, Pomeranz up to 4; both exact */
			return clip01(1 - kolmogorov_cdf_durbin(n, x));
		return clip01(2 * twosample_smirnov(n, x));
	}
	if (nx2 >= 370)
		return 0;
	if (nx2 >= 2.2)
		return clip01(2 * twosample_smirnov(n, x));
	if (n <= 100000 && (double)n * pow(x, 1.5) <= 1.4)
		return clip01(1 - kolmogorov_cdf_durbin(n, x));
	return clip01(1 - kolmogorov_cdf_pelzgood(n, x));
}

void
twosample_ks(const double *x, size_t n, const double *y, size_t m, struct ks_result *out)
{
	size_t i = 0, j = 0;
	double maxs = -INFINITY, mins = INFINITY, d;

	out->d = out->p = NAN;
	out->exact = 0;
	if (!n || !m || twosample_has_nan(x, n) || twosample_has_nan(y, m))
		return;
	while (i < n || j < m) {
		double v = i < n && (j >= m || x[i] <= y[j]) ? x[i] : y[j], diff;

		while (i < n && x[i] == v)
			i++;
		while (j < m && y[j] == v)
			j++;
		diff = (double)i / (double)n - (double)j / (double)m;
		if (diff > maxs)
			maxs = diff;
		if (diff < mins)
			mins = diff;
	}
	mins = fmin(fmax(-mins, 0), 1);
	d = mins > maxs ? mins : maxs;
	out->d = d;
	if (n <= TWOSAMPLE_KS_EXACT_N && m <= TWOSAMPLE_KS_EXACT_N) {
		long g = gcd_l((long)n, (long)m), lcm = ((long)n / g) * (long)m;
		long h = (long)nearbyint(d * (double)lcm);
		double p;

		d = (double)h / (double)lcm;
		out->d = d;
		if (h == 0)
			p = 1;
		else if (n == m)
			p = ks_prob_outside_square((long)n, h);
		else
			p = ks_outer_prob_inside((long)n, (long)m, g, h);
		if (p >= 0 && p <= 1) {
			out->d = d;
			out->p = p;
			out->exact = 1;
			return;
		}
	}
	{
		double a = (double)(n > m ? n : m), b = (double)(n > m ? m : n);
		double en = a * b / (a + b);

		out->p = clip01(twosample_kolmogorov_sf(d, (long)nearbyint(en)));
	}
}
