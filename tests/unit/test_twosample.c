/*
 * test_twosample.c - Mann-Whitney U, Hodges-Lehmann and two-sample KS
 * against values computed independently: every expected p-value and
 * statistic below was printed by scipy 1.10.1 (Debian python3-scipy) with
 * mannwhitneyu(x, y, alternative="two-sided"), ks_2samp(x, y) and
 * kstwo.sf(d, n), default methods; order statistics and exact null
 * distributions are checked against brute force written in this file.
 * tests/e2e/canary_oracle.sh runs the same comparison over hundreds of
 * random inputs through the CLI.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "twosample.h"

static const double ex_x[] = {1.1, 2.5, 3.7};
static const double ex_y[] = {0.5, 1.9, 2.2, 4.8};
static const double tie_x[] = {1.0, 2.0, 2.0, 3.0, 3.0, 3.0};
static const double tie_y[] = {2.0, 3.0, 3.0, 4.0, 4.0, 5.0, 5.0};
static const double ten_x[] = {0.3, 1.2, 2.2, 3.1, 4.5, 5.0, 6.6, 7.1, 8.9, 9.4};
static const double ten_y[] = {1.0, 2.0, 3.5, 4.0, 5.5, 6.0, 7.5, 8.0, 9.5, 10.5};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void
assert_rel(double got, double want, double tol)
{
	if (!(fabs(got - want) <= tol * fabs(want)) && got != want) {
		print_error("got %.17g, want %.17g (relative tolerance %g)\n", got, want, tol);
		fail();
	}
}

static double *
sorted_copy(const double *v, size_t n)
{
	double *c = malloc((n ? n : 1) * sizeof(*c));

	memcpy(c, v, n * sizeof(*c));
	twosample_sort(c, n);
	return c;
}

static void
mwu(const double *x, size_t n, const double *y, size_t m, struct mwu_result *r)
{
	double *a = sorted_copy(x, n), *b = sorted_copy(y, m);

	twosample_mwu(a, n, b, m, r);
	free(a);
	free(b);
}

static void
ks(const double *x, size_t n, const double *y, size_t m, struct ks_result *r)
{
	double *a = sorted_copy(x, n), *b = sorted_copy(y, m);

	twosample_ks(a, n, b, m, r);
	free(a);
	free(b);
}

static void
test_mwu_exact_small_without_ties(void **state)
{
	struct mwu_result r;

	(void)state;
	mwu(ex_x, N(ex_x), ex_y, N(ex_y), &r);
	assert_true(r.exact);
	assert_rel(r.u, 7.0, 0);
	assert_rel(r.p, 0.8571428571428571, 1e-12);
}

/*
 * n = 1..10 against m = 11 - n without ties: every one takes scipy's exact
 * branch (a side of at most 8 suffices in scipy 1.10).  U and p printed by
 * scipy 1.10.1 mannwhitneyu(x, y, alternative="two-sided").
 */
static const struct {
	double x[10];
	size_t n;
	double y[10];
	size_t m;
	double u, p;
} exact_cases[] = {
    {{0.38},
     1,
     {1.043, 2.646, 5.309, 2.932, 1.615, 1.358, 2.161, 4.024, 0.847, 4.83},
     10,
     0.0,
     0.18181818181818182},
    {{0.38, 1.5},
     2,
     {1.043, 2.646, 5.309, 2.932, 1.615, 1.358, 2.161, 4.024, 0.847},
     9,
     3.0,
     0.21818181818181817},
    {{0.38, 1.5, 3.36},
     3,
     {1.043, 2.646, 5.309, 2.932, 1.615, 1.358, 2.161, 4.024},
     8,
     8.0,
     0.496969696969697},
    {{0.38, 1.5, 3.36, 5.96},
     4,
     {1.043, 2.646, 5.309, 2.932, 1.615, 1.358, 2.161},
     7,
     15.0,
     0.9272727272727272},
    {{0.38, 1.5, 3.36, 5.96, 2.0},
     5,
     {1.043, 2.646, 5.309, 2.932, 1.615, 1.358},
     6,
     16.0,
     0.9307359307359306},
    {{0.38, 1.5, 3.36, 5.96, 2.0, 6.08},
     6,
     {1.043, 2.646, 5.309, 2.932, 1.615},
     5,
     17.0,
     0.7922077922077921},
    {{0.38, 1.5, 3.36, 5.96, 2.0, 6.08, 3.6},
     7,
     {1.043, 2.646, 5.309, 2.932},
     4,
     16.0,
     0.7878787878787878},
    {{0.38, 1.5, 3.36, 5.96, 2.0, 6.08, 3.6, 1.86},
     8,
     {1.043, 2.646, 5.309},
     3,
     13.0,
     0.9212121212121214},
    {{0.38, 1.5, 3.36, 5.96, 2.0, 6.08, 3.6, 1.86, 0.86},
     9,
     {1.043, 2.646},
     2,
     11.0,
     0.7272727272727273},
    {{0.38, 1.5, 3.36, 5.96, 2.0, 6.08, 3.6, 1.86, 0.86, 0.6},
     10,
     {1.043},
     1,
     7.0,
     0.7272727272727273},
};

static void
test_mwu_exact_n1_to_10_against_scipy(void **state)
{
	struct mwu_result r;
	size_t i;

	(void)state;
	for (i = 0; i < N(exact_cases); i++) {
		mwu(exact_cases[i].x, exact_cases[i].n, exact_cases[i].y, exact_cases[i].m, &r);
		assert_true(r.exact);
		assert_rel(r.u, exact_cases[i].u, 0);
		assert_rel(r.p, exact_cases[i].p, 1e-12);
	}
}

static void
test_mwu_ties_use_the_corrected_normal_approximation(void **state)
{
	struct mwu_result r;

	(void)state;
	mwu(tie_x, N(tie_x), tie_y, N(tie_y), &r);
	assert_false(r.exact);
	assert_true(r.ties);
	assert_rel(r.u, 7.0, 0);
	assert_rel(r.p, 0.04535219143280889, 1e-9);
}

static void
test_mwu_both_above_eight_is_asymptotic(void **state)
{
	struct mwu_result r;

	(void)state;
	mwu(ten_x, N(ten_x), ten_y, N(ten_y), &r);
	assert_false(r.exact);
	assert_rel(r.u, 41.0, 0);
	assert_rel(r.p, 0.5205228832757727, 1e-9);
}

static void
test_mwu_n1_to_10_exact_distribution_matches_enumeration(void **state)
{
	/* the null distribution of U by enumerating every subset of ranks */
	size_t n, m;

	(void)state;
	for (n = 1; n <= 6; n++)
		for (m = 1; m <= 10 - n; m++) {
			size_t tot = n + m, k;
			unsigned long mask, count[128] = {0}, all = 0;

			for (mask = 0; mask < (1ul << tot); mask++) {
				unsigned long u = 0, below = 0;

				if ((size_t)__builtin_popcountl(mask) != n)
					continue;
				/* U of x = pairs (x, y) with y < x: walk ranks upward */
				for (k = 0; k < tot; k++) {
					if (mask & (1ul << k))
						u += below;
					else
						below++;
				}
				count[u]++;
				all++;
			}
			for (k = 0; k <= n * m; k++) {
				unsigned long cum = 0;
				size_t j;

				for (j = 0; j <= k; j++)
					cum += count[j];
				assert_rel(twosample_mwu_cdf((long)k, n, m),
					   (double)cum / (double)all, 1e-12);
			}
		}
}

static void
test_mwu_identical_and_all_zero_samples_give_p_one(void **state)
{
	static const double five[] = {5, 5, 5, 5};
	double zeros[12] = {0};
	struct mwu_result r;

	(void)state;
	mwu(five, 4, five, 4, &r);
	assert_rel(r.u, 8, 0);
	assert_rel(r.p, 1.0, 0);
	mwu(zeros, 12, zeros, 12, &r);
	assert_rel(r.u, 72, 0);
	assert_rel(r.p, 1.0, 0);
}

static void
test_nan_makes_every_result_nan(void **state)
{
	double x[] = {1, 2, NAN}, y[] = {1, 2, 3};
	struct mwu_result u;
	struct ks_result k;
	struct hl_result h;

	(void)state;
	twosample_mwu(x, 3, y, 3, &u);
	twosample_ks(x, 3, y, 3, &k);
	twosample_hl(x, 3, y, 3, 0.95, &h);
	assert_true(isnan(u.u) && isnan(u.p));
	assert_true(isnan(k.d) && isnan(k.p));
	assert_true(isnan(h.estimate) && isnan(h.ci_low));
	twosample_mwu(y, 0, y, 3, &u);
	assert_true(isnan(u.p));
}

static void
test_ks_exact_unequal_and_ties(void **state)
{
	struct ks_result r;

	(void)state;
	ks(ex_x, N(ex_x), ex_y, N(ex_y), &r);
	assert_true(r.exact);
	assert_rel(r.d, 0.4166666666666667, 1e-15);
	assert_rel(r.p, 0.8857142857142858, 1e-9);
	ks(tie_x, N(tie_x), tie_y, N(tie_y), &r);
	assert_rel(r.d, 0.5714285714285714, 1e-15);
	assert_rel(r.p, 0.14685314685314685, 1e-9);
	ks(ten_x, N(ten_x), ten_y, N(ten_y), &r);
	assert_rel(r.d, 0.2, 1e-15);
	assert_rel(r.p, 0.9944575548290717, 1e-9);
}

static void
test_ks_and_mwu_large_samples_asymptotic(void **state)
{
	size_t n = 12000, m = 11000, i;
	double *x = malloc(n * sizeof(*x)), *y = malloc(m * sizeof(*y));
	struct ks_result k;
	struct mwu_result u;

	(void)state;
	for (i = 0; i < n; i++)
		x[i] = fmod((double)(i + 1) * 0.618034, 1.0);
	for (i = 0; i < m; i++)
		y[i] = fmod((double)(i + 1) * 0.41421356, 1.0) + 0.01;
	ks(x, n, y, m, &k);
	mwu(x, n, y, m, &u);
	assert_false(k.exact);
	assert_rel(k.d, 0.010340909090909012, 1e-12);
	assert_rel(k.p, 0.5677780810627735, 1e-6);
	assert_rel(u.u, 64682188.0, 1e-12);
	assert_rel(u.p, 0.008795730230785843, 1e-6);
	free(x);
	free(y);
}

static void
test_kolmogorov_sf_each_region(void **state)
{
	(void)state;
	assert_rel(twosample_kolmogorov_sf(0.15, 5), 0.9988, 1e-9); /* Ruben-Gambino t <= 1 */
	assert_rel(twosample_kolmogorov_sf(0.05, 100), 0.9532159710635725, 1e-9);    /* Durbin */
	assert_rel(twosample_kolmogorov_sf(0.3, 100), 1.7719869892662917e-08, 1e-6); /* Smirnov */
	assert_rel(twosample_kolmogorov_sf(0.02, 1000), 0.8108971656895577, 1e-9);   /* Pelz-Good */
	assert_rel(twosample_kolmogorov_sf(0.06, 1000), 0.001428597887952891, 1e-6); /* 2 smirnov */
	assert_rel(twosample_kolmogorov_sf(0.004, 50000), 0.3994316646755731, 1e-9);
	assert_rel(twosample_kolmogorov_sf(0.01, 200), 1.0, 0);
	assert_rel(twosample_kolmogorov_sf(0.9, 20), 2.0006866455078037e-20, 1e-6); /* t >= n-1 */
}

static int
cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
test_diff_select_equals_sorting_all_differences(void **state)
{
	/* brute force: materialise and sort the n*m differences */
	double x[37], y[23], d[37 * 23];
	unsigned long long k;
	size_t i, j;

	(void)state;
	for (i = 0; i < 37; i++)
		x[i] = floor(sin((double)i) * 20) / 4; /* many ties, negatives */
	for (j = 0; j < 23; j++)
		y[j] = floor(cos((double)j * 1.7) * 16) / 4;
	twosample_sort(x, 37);
	twosample_sort(y, 23);
	for (i = 0; i < 37; i++)
		for (j = 0; j < 23; j++)
			d[i * 23 + j] = x[i] - y[j];
	qsort(d, 37 * 23, sizeof(*d), cmpd);
	for (k = 1; k <= 37 * 23; k++)
		assert_rel(twosample_diff_select(x, 37, y, 23, k), d[k - 1], 0);
	assert_true(isnan(twosample_diff_select(x, 37, y, 23, 0)));
	assert_true(isnan(twosample_diff_select(x, 37, y, 23, 37 * 23 + 1)));
}

static void
test_hl_exact_interval(void **state)
{
	/* diffs sorted (numpy): D(3) = -2.2, D(18) = 2.1, median 0.5; scipy's exact
	 * cdf(4,5): P(U<=2) = 0.0317 <= 0.05 < P(U<=3) = 0.0556, so k = 3 at 90% */
	double x[] = {1.1, 2.5, 3.7, 4.0}, y[] = {0.5, 1.9, 2.2, 4.8, 3.3};
	struct hl_result h;

	(void)state;
	twosample_sort(x, 4);
	twosample_sort(y, 5);
	twosample_hl(x, 4, y, 5, 0.90, &h);
	assert_rel(h.estimate, 0.5000000000000002, 1e-15);
	assert_int_equal(h.k, 3);
	assert_rel(h.ci_low, -2.1999999999999997, 1e-15);
	assert_rel(h.ci_high, 2.1, 1e-15);
}

static void
test_hl_normal_interval_and_identical_samples(void **state)
{
	/* k = floor(N/2 - z * sqrt(N (n+m+1) / 12)) with z = 2.326347874 (98%):
	 * N = 300*200 = 60000 -> 30000 - 2.326347874 * sqrt(60000 * 501 / 12) = 26318.3 */
	size_t n = 300, m = 200, i;
	double *x = malloc(n * sizeof(*x)), *y = malloc(m * sizeof(*y)),
	       five[6] = {5, 5, 5, 5, 5, 5};
	struct hl_result h;

	(void)state;
	for (i = 0; i < n; i++)
		x[i] = (double)i;
	for (i = 0; i < m; i++)
		y[i] = (double)i * 1.5 + 0.25;
	twosample_hl(x, n, y, m, 0.98, &h);
	assert_int_equal(h.k, 26318);
	assert_true(h.ci_low <= h.estimate && h.estimate <= h.ci_high);
	twosample_hl(five, 6, five, 6, 0.98, &h);
	assert_rel(h.estimate, 0, 0);
	assert_rel(h.ci_low, 0, 0);
	assert_rel(h.ci_high, 0, 0);
	free(x);
	free(y);
}

static void
test_norm_isf(void **state)
{
	(void)state;
	assert_rel(twosample_norm_isf(0.01), 2.3263478740408408, 1e-12); /* scipy norm.isf(0.01) */
	assert_rel(twosample_norm_isf(0.025), 1.959963984540054, 1e-12);
	assert_rel(twosample_norm_isf(1e-10), 6.361340902404056, 1e-10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mwu_exact_small_without_ties),
	    cmocka_unit_test(test_mwu_exact_n1_to_10_against_scipy),
	    cmocka_unit_test(test_mwu_ties_use_the_corrected_normal_approximation),
	    cmocka_unit_test(test_mwu_both_above_eight_is_asymptotic),
	    cmocka_unit_test(test_mwu_n1_to_10_exact_distribution_matches_enumeration),
	    cmocka_unit_test(test_mwu_identical_and_all_zero_samples_give_p_one),
	    cmocka_unit_test(test_nan_makes_every_result_nan),
	    cmocka_unit_test(test_ks_exact_unequal_and_ties),
	    cmocka_unit_test(test_ks_and_mwu_large_samples_asymptotic),
	    cmocka_unit_test(test_kolmogorov_sf_each_region),
	    cmocka_unit_test(test_diff_select_equals_sorting_all_differences),
	    cmocka_unit_test(test_hl_exact_interval),
	    cmocka_unit_test(test_hl_normal_interval_and_identical_samples),
	    cmocka_unit_test(test_norm_isf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
