/*
 * test_stats.c - quantiles (Prometheus histogram_quantile semantics and
 * closest-rank interpolation), time-weighted means, time-decayed EMAs,
 * counter increases: the seed's aggregator cases (P95, EMA) and the edges.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stats.h"

#define EPS 1e-9

static void
assert_near(double a, double b, double eps)
{
	if (fabs(a - b) > eps) {
		print_error("%.17g != %.17g (eps %g)\n", a, b, eps);
		fail();
	}
}

static double
hq(double q, const struct hbucket *in, size_t n)
{
	struct hbucket b[64];

	memcpy(b, in, n * sizeof(*b));
	return stats_histogram_quantile(q, b, n);
}

static void
test_histogram_quantile_interpolates_linearly_in_bucket(void **st)
{
	const struct hbucket b[] = {{0.1, 10}, {0.2, 20}, {0.5, 30}, {INFINITY, 30}};

	(void)st;
	/* rank 15 lies in (0.1, 0.2] holding ranks 10..20: halfway. */
	assert_near(hq(0.5, b, 4), 0.15, EPS);
	/* rank 27 in (0.2, 0.5] holding 20..30: 0.2 + 0.3 * 0.7. */
	assert_near(hq(0.9, b, 4), 0.41, EPS);
	/* rank 10 exactly: the first bucket whose count reaches it. */
	assert_near(hq(1.0 / 3.0, b, 4), 0.1, EPS);
}

static void
test_histogram_quantile_caps_at_highest_finite_bucket(void **st)
{
	const struct hbucket b[] = {{1, 5}, {2, 8}, {INFINITY, 10}};

	(void)st;
	/* rank 9.5 falls in +Inf: Prometheus answers the highest finite bound. */
	assert_near(hq(0.95, b, 3), 2, EPS);
	assert_near(hq(1.0, b, 3), 2, EPS);
}

static void
test_histogram_quantile_lowest_bucket_starts_at_zero(void **st)
{
	const struct hbucket b[] = {{1, 10}, {INFINITY, 10}};
	const struct hbucket neg[] = {{-1, 5}, {0, 10}, {INFINITY, 10}};

	(void)st;
	assert_near(hq(0.5, b, 2), 0.5, EPS);
	/* A first bucket with an upper bound <= 0 answers that bound. */
	assert_near(hq(0.1, neg, 3), -1, EPS);
}

static void
test_histogram_quantile_special_cases(void **st)
{
	const struct hbucket noinf[] = {{1, 5}, {2, 10}};
	const struct hbucket empty[] = {{1, 0}, {INFINITY, 0}};
	const struct hbucket one[] = {{INFINITY, 10}};
	const struct hbucket b[] = {{1, 5}, {INFINITY, 10}};

	(void)st;
	assert_true(isnan(hq(0.5, noinf, 2)));
	assert_true(isnan(hq(0.5, empty, 2)));
	assert_true(isnan(hq(0.5, one, 1)));
	assert_true(isnan(hq(0.5, b, 0)));
	assert_true(isnan(hq(NAN, b, 2)));
	assert_true(isinf(hq(-0.1, b, 2)) && hq(-0.1, b, 2) < 0);
	assert_true(isinf(hq(1.1, b, 2)) && hq(1.1, b, 2) > 0);
}

static void
test_histogram_quantile_sorts_coalesces_and_forces_monotonic(void **st)
{
	/* Out of order, a duplicated bound (two series summed), a dip. */
	const struct hbucket b[] = {
	    {INFINITY, 20}, {0.2, 8}, {0.1, 4}, {0.2, 8}, {0.1, 6}, {0.5, 14},
	};
	const struct hbucket dip[] = {{0.1, 10}, {0.2, 8}, {0.5, 12}, {INFINITY, 12}};

	(void)st;
	/* Coalesced: 0.1:10, 0.2:16, 0.5:14->16 (forced), +Inf:20.  rank 15 in (0.1,0.2]. */
	assert_near(hq(0.75, b, 6), 0.1 + 0.1 * (5.0 / 6.0), EPS);
	/* Forced monotonic: 0.2 becomes 10; rank 11 lies in (0.2, 0.5] holding 10..12. */
	assert_near(hq(11.0 / 12.0, dip, 4), 0.2 + 0.3 * 0.5, EPS);
}

/* The seed's P95 case: p95 of 1..100 by closest-rank interpolation (numpy's default). */
static void
test_quantile_seed_p95_of_1_to_100(void **st)
{
	double v[100];
	int i;

	(void)st;
	for (i = 0; i < 100; i++)
		v[i] = 100 - i; /* reversed: the function must not assume order */
	assert_near(stats_quantile(0.95, v, 100), 95.05, EPS);
	assert_near(stats_quantile(0.5, v, 100), 50.5, EPS);
	assert_near(stats_quantile(0.0, v, 100), 1, EPS);
	assert_near(stats_quantile(1.0, v, 100), 100, EPS);
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
test_quantile_matches_sorted_reference(void **st)
{
	double v[257], s[257];
	unsigned seed = 12345;
	int trial;

	(void)st;
	for (trial = 0; trial < 300; trial++) {
		size_t n = 1 + (size_t)(trial % 257), i;
		double q = (double)(trial % 101) / 100, rank, w;
		size_t lo;

		for (i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			/* Few distinct values, so duplicates are common. */
			v[i] = (double)((seed >> 16) % 17) - 5;
			s[i] = v[i];
		}
		qsort(s, n, sizeof(double), cmp_d);
		rank = q * (double)(n - 1);
		lo = (size_t)floor(rank);
		w = rank - floor(rank);
		assert_near(stats_quantile(q, v, n),
			    s[lo] * (1 - w) + s[lo + 1 < n ? lo + 1 : lo] * w, 1e-9);
	}
}

static void
test_quantile_special_cases(void **st)
{
	double v[1] = {7};

	(void)st;
	assert_true(isnan(stats_quantile(0.5, v, 0)));
	assert_near(stats_quantile(0.99, v, 1), 7, EPS);
	assert_true(isnan(stats_quantile(NAN, v, 1)));
	assert_true(stats_quantile(-1, v, 1) < 0 && isinf(stats_quantile(-1, v, 1)));
}

static void
test_twmean_weights_by_time_held(void **st)
{
	struct stats_twmean m;

	(void)st;
	stats_twmean_init(&m, 300);
	assert_true(isnan(stats_twmean_value(&m)));
	stats_twmean_add(&m, 0, 1);
	assert_near(stats_twmean_value(&m), 1, EPS); /* one sample: its value */
	stats_twmean_add(&m, 10, 3);		     /* 1 held for 10 s */
	stats_twmean_add(&m, 40, 100);		     /* 3 held for 30 s; 100 not held yet */
	assert_near(stats_twmean_value(&m), (1 * 10 + 3 * 30) / 40.0, EPS);
	/* Out of order and NaN are refused. */
	assert_int_equal(stats_twmean_add(&m, 40, 5), -1);
	assert_int_equal(stats_twmean_add(&m, 50, NAN), -1);
}

static void
test_twmean_gap_counts_only_until_stale(void **st)
{
	struct stats_twmean m;

	(void)st;
	stats_twmean_init(&m, 300);
	stats_twmean_add(&m, 0, 10);
	/* A 1000 s gap: 10 counts for 300 s (the staleness limit), not 1000. */
	stats_twmean_add(&m, 1000, 0);
	stats_twmean_add(&m, 1300, 0);
	assert_near(stats_twmean_value(&m), 10.0 * 300 / 600, EPS);
}

/* Textbook EMA with alpha = 1 - exp(-dt/tau), seeded with the first value. */
static void
test_ema_seed_case_matches_textbook_after_warmup(void **st)
{
	struct stats_ema e;
	double book = 0, prev = 0, t = 0, tau = 3600;
	unsigned seed = 7;
	int i;

	(void)st;
	stats_ema_init(&e, tau, 1e9);
	for (i = 0; i < 100000; i++) {
		double x;

		seed = seed * 1664525u + 1013904223u;
		x = 2 + (double)(seed >> 8) / (double)(1u << 24) * 4; /* edge 2..6 bps */
		if (i == 0) {
			book = x;
		} else {
			/* LOCF: over (t_prev, t] the value was the previous sample's. */
			book += (1 - exp(-1.0 / tau)) * (prev - book);
		}
		stats_ema_add(&e, t, x);
		prev = x;
		t += 1;
	}
	/* After 100000 s (~28 tau) the start-up difference has decayed away. */
	assert_near(stats_ema_value(&e), book, 1e-9);
}

static void
test_ema_step_response_is_one_minus_e(void **st)
{
	struct stats_ema e;
	double tau = 3600, t;

	(void)st;
	stats_ema_init(&e, tau, 1e9);
	for (t = 0; t < 20 * tau; t += 10)
		stats_ema_add(&e, t, 0);
	for (; t <= 21 * tau + 1e-9; t += 10)
		stats_ema_add(&e, t, 1);
	/* One tau after the step (the first 1 was sampled at 20 tau). */
	assert_near(stats_ema_value(&e), 1 - exp(-1), 1e-6);
}

static void
test_ema_is_independent_of_sampling_irregularity(void **st)
{
	struct stats_ema reg, irr;
	double t, x;
	unsigned seed = 99;

	(void)st;
	/* A piecewise-constant signal changing every 600 s. */
	stats_ema_init(&reg, 3600, 1e9);
	stats_ema_init(&irr, 3600, 1e9);
	for (t = 0; t <= 86400; t += 1) {
		x = (double)(((long)t / 600) % 7);
		stats_ema_add(&reg, t, x);
	}
	t = 0;
	while (t <= 86400) {
		x = (double)(((long)t / 600) % 7);
		stats_ema_add(&irr, t, x);
		/* Irregular steps, always landing on each change point too. */
		seed = seed * 1664525u + 1013904223u;
		{
			double step = 1 + (double)((seed >> 20) % 97);
			double next_change = (floor(t / 600) + 1) * 600;

			t = t + step < next_change ? t + step : next_change;
		}
	}
	assert_near(stats_ema_value(&irr), stats_ema_value(&reg), 1e-9);
}

static void
test_ema_holds_through_a_gap_then_follows_new_data(void **st)
{
	struct stats_ema e;
	double t;

	(void)st;
	stats_ema_init(&e, 3600, 300);
	for (t = 0; t <= 7200; t += 1)
		stats_ema_add(&e, t, 5);
	/* Ten hours without data, then the value is 1. */
	stats_ema_add(&e, 7200 + 36000, 1);
	assert_near(stats_ema_value(&e), 5, 1e-9); /* no jump, no decay towards a stale 5 */
	for (t = 7200 + 36001; t <= 7200 + 36000 + 600; t += 1)
		stats_ema_add(&e, t, 1);
	/* The old data aged 10 h is worth e^-10 of new: 10 min of new data dominates. */
	assert_true(stats_ema_value(&e) < 1.2);
	assert_true(stats_ema_value(&e) > 1.0);
}

static void
test_counter_increase_handles_resets(void **st)
{
	struct stats_counter c;

	(void)st;
	stats_counter_init(&c);
	stats_counter_add(&c, 0);
	stats_counter_add(&c, 5);
	stats_counter_add(&c, 10);
	assert_near(stats_counter_add(&c, 2), 2, EPS); /* reset: 2 since zero */
	stats_counter_add(&c, 4);
	assert_near(c.increase, 14, EPS);
	assert_int_equal(c.resets, 1);
}

static void
test_hist_accumulates_bucket_increases_with_resets(void **st)
{
	struct stats_hist h;
	struct hbucket s1[] = {{0.1, 10}, {INFINITY, 20}};
	struct hbucket s2[] = {{INFINITY, 50}, {0.1, 30}}; /* any order */
	struct hbucket s3[] = {{0.1, 4}, {INFINITY, 5}};   /* restarted */
	struct hbucket out[4];

	(void)st;
	stats_hist_init(&h);
	stats_hist_add(&h, s1, 2, 1);
	assert_near(stats_hist_count(&h), 0, EPS); /* the first scrape is the baseline */
	stats_hist_add(&h, s2, 2, 1);
	stats_hist_add(&h, s3, 2, 1);
	assert_int_equal(stats_hist_get(&h, out), 2);
	assert_near(out[0].le, 0.1, EPS);
	assert_near(out[0].count, 20 + 4, EPS);
	assert_near(out[1].count, 30 + 5, EPS);
	assert_int_equal(h.resets, 1);
	/* quantile over increases: rank 0.5*35 = 17.5 in (0, 0.1] holding 24. */
	assert_near(stats_hist_quantile(&h, 0.5), 0.1 * 17.5 / 24, EPS);
	/* Baseline-only adds (warm-up) do not accumulate. */
	stats_hist_zero(&h);
	s3[0].count = 100;
	s3[1].count = 200;
	stats_hist_add(&h, s3, 2, 0);
	assert_near(stats_hist_count(&h), 0, EPS);
	stats_hist_release(&h);
}

static void
test_hist_new_bucket_layout_is_a_new_baseline(void **st)
{
	struct stats_hist h;
	struct hbucket a[] = {{0.1, 1}, {INFINITY, 2}};
	struct hbucket b[] = {{0.1, 3}, {INFINITY, 4}};
	struct hbucket c[] = {{0.05, 1}, {0.1, 5}, {INFINITY, 9}};
	struct hbucket d[] = {{0.05, 2}, {0.1, 7}, {INFINITY, 12}};

	(void)st;
	stats_hist_init(&h);
	stats_hist_add(&h, a, 2, 1);
	stats_hist_add(&h, b, 2, 1);
	stats_hist_add(&h, c, 3, 1); /* re-deployed with another bucket: baseline */
	stats_hist_add(&h, d, 3, 1);
	assert_int_equal(h.n, 3);
	assert_near(h.inc[0], 1, EPS);
	assert_near(h.inc[1], 2 + 2, EPS); /* kept across the change */
	assert_near(h.inc[2], 2 + 3, EPS);
	stats_hist_release(&h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_histogram_quantile_interpolates_linearly_in_bucket),
	    cmocka_unit_test(test_histogram_quantile_caps_at_highest_finite_bucket),
	    cmocka_unit_test(test_histogram_quantile_lowest_bucket_starts_at_zero),
	    cmocka_unit_test(test_histogram_quantile_special_cases),
	    cmocka_unit_test(test_histogram_quantile_sorts_coalesces_and_forces_monotonic),
	    cmocka_unit_test(test_quantile_seed_p95_of_1_to_100),
	    cmocka_unit_test(test_quantile_matches_sorted_reference),
	    cmocka_unit_test(test_quantile_special_cases),
	    cmocka_unit_test(test_twmean_weights_by_time_held),
	    cmocka_unit_test(test_twmean_gap_counts_only_until_stale),
	    cmocka_unit_test(test_ema_seed_case_matches_textbook_after_warmup),
	    cmocka_unit_test(test_ema_step_response_is_one_minus_e),
	    cmocka_unit_test(test_ema_is_independent_of_sampling_irregularity),
	    cmocka_unit_test(test_ema_holds_through_a_gap_then_follows_new_data),
	    cmocka_unit_test(test_counter_increase_handles_resets),
	    cmocka_unit_test(test_hist_accumulates_bucket_increases_with_resets),
	    cmocka_unit_test(test_hist_new_bucket_layout_is_a_new_baseline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
