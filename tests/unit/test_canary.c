/*
 * test_canary.c - the canary judge: its config file (the built-in copy
 * identical to deploy/gates/canary.yaml, every error at file:line:col), the
 * classification of a metric (nodata, sparse event rates, a location shift,
 * a tail change with the medians equal, a clean pass) and Kayenta's score.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "canary.h"
#include "canary_source.h"

static void
test_default_is_the_file(void **state)
{
	const char *root = getenv("MMOPS_SRCDIR");
	struct buf file = BUF_INIT(1 << 20);
	struct mm_err err;
	struct canary_config *cfg;
	char path[4096];

	(void)state;
	snprintf(path, sizeof(path), "%s/deploy/gates/canary.yaml", root ? root : ".");
	assert_int_equal(buf_read_file(&file, path, &err), 0);
	if (strcmp(file.data, canary_default_yaml) != 0) {
		print_error("lib/canary_default.c differs from deploy/gates/canary.yaml: "
			    "run scripts/gen-defaults\n");
		fail();
	}
	buf_release(&file);
	cfg = canary_load_default(&err);
	assert_non_null(cfg);
	assert_true(cfg->nmetrics >= 8);
	assert_true(fabs(cfg->confidence - 0.98) < 1e-12);
	assert_true(fabs(cfg->aggregate - 60) < 1e-12);
	assert_non_null(canary_find(cfg, "latency_p95"));
	assert_true(canary_find(cfg, "latency_p95")->critical);
	canary_free(cfg);
}

static void
expect_error(const char *text, unsigned long line, unsigned long col, const char *want)
{
	struct mm_err err;
	struct canary_config *cfg;

	mm_err_init(&err);
	cfg = canary_loadb(text, strlen(text), "c.yaml", &err);
	if (cfg) {
		canary_free(cfg);
		print_error("loaded, expected '%s'\n", want);
		fail();
	}
	if (!strstr(err.msg, want) || err.line != line || err.col != col) {
		print_error("got %s:%lu:%lu: %s; want %lu:%lu '%s'\n", err.file, err.line, err.col,
			    err.msg, line, col, want);
		fail();
	}
	assert_string_equal(err.file, "c.yaml");
	assert_int_equal(err.code, MM_E_CONFIG);
}

static void
test_config_errors_have_positions(void **state)
{
	(void)state;
	expect_error("version: 1\nconfidenc: 0.9\n", 2, 1, "unknown key 'confidenc'");
	expect_error("version: 2\n", 1, 10, "");
	expect_error("version: 1\nconfidence: 1.5\n", 2, 13, "confidence must be");
	expect_error("version: 1\naggregate: 0s\n", 2, 12, "aggregate must be longer");
	expect_error("version: 1\nscore: {pass: 50, marginal: 80}\n", 2, 8, "marginal <= pass");
	expect_error("version: 1\nmetrics:\n  - name: a\n    metric: m\n    type: histogram\n", 3,
		     5, "needs 'quantile'");
	expect_error("version: 1\nmetrics:\n  - name: a\n    metric: m\n    type: gauge\n    "
		     "direction: up\n",
		     6, 16, "unknown direction 'up'");
	expect_error(
	    "version: 1\nmetrics:\n  - name: a\n    metric: m\n    type: gauge\n    allowed: -1\n",
	    6, 14, "relative change");
	expect_error(
	    "version: 1\nmetrics:\n  - name: a\n    metric: m\n    type: gauge\n    colour: red\n",
	    6, 5, "unknown key 'colour'");
	expect_error("version: 1\ngroups: {a: 1, default: 1}\nmetrics:\n  - name: a\n    metric: "
		     "m\n    type: gauge\n    group: b\n",
		     4, 5, "group 'b' is not listed");
	expect_error("version: 1\nmetrics:\n  - name: a\n    metric: m\n    type: gauge\n  - name: "
		     "a\n    metric: m\n    type: gauge\n",
		     6, 11, "duplicate metric name 'a'");
	expect_error("version: 1\nmetrics:\n  - name: a\n    metric: m\n    type: gauge\n    "
		     "allowed: 0.5\n    critical_effect: 0.2\n",
		     3, 5, "critical_effect 0.2 is below allowed 0.5");
}

static struct canary_metric *
metric(struct canary_config **cfg, const char *yaml_metric)
{
	char text[2048];
	struct mm_err err;

	snprintf(text, sizeof(text),
		 "version: 1\nmetrics:\n  - name: m\n    metric: x\n    type: gauge\n%s",
		 yaml_metric);
	*cfg = canary_loadb(text, strlen(text), "c.yaml", &err);
	assert_non_null(*cfg);
	return &(*cfg)->metrics[0];
}

/* A deterministic, roughly normal sample: sums of a Weyl sequence. */
static void
fill(double *v, size_t n, double mean, double sd, double seed)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		double s = 0;

		for (k = 0; k < 12; k++)
			s += fmod(seed + (double)(i * 12 + k) * 0.6180339887498949, 1.0);
		v[i] = mean + sd * (s - 6);
	}
}

static void
test_judge_location_shift_is_high(void **state)
{
	struct canary_config *cfg;
	const struct canary_metric *m =
	    metric(&cfg, "    direction: increase\n    allowed: 0.1\n    min_samples: 30\n");
	double b[200], c[200];
	struct canary_result r;

	(void)state;
	fill(b, 200, 100, 5, 0.1);
	fill(c, 200, 130, 5, 0.3);
	canary_judge(m, 0.98, 0, b, 200, c, 200, &r);
	assert_int_equal(r.cls, CANARY_HIGH);
	assert_string_equal(r.test, "location");
	assert_true(r.hl.estimate > 25 && r.hl.estimate < 35);
	assert_true(r.hl.ci_low > 0);
	assert_non_null(strstr(r.reason, "allowed +10%"));
	/* the same change is fine when only a decrease is bad */
	cfg->metrics[0].direction = CANARY_DECREASE;
	fill(b, 200, 100, 5, 0.1);
	fill(c, 200, 130, 5, 0.3);
	canary_judge(m, 0.98, 0, b, 200, c, 200, &r);
	assert_int_equal(r.cls, CANARY_PASS);
	canary_free(cfg);
}

static void
test_judge_tail_change_with_equal_medians(void **state)
{
	/* Kayenta #780: a variance increase with the same median passes a rank test */
	struct canary_config *cfg;
	const struct canary_metric *m = metric(&cfg, "    direction: increase\n    allowed: 0.1\n");
	double b[500], c[500];
	struct canary_result r;

	(void)state;
	fill(b, 500, 100, 2, 0.1);
	fill(c, 500, 100, 30, 0.7);
	canary_judge(m, 0.98, 0, b, 500, c, 500, &r);
	assert_true(r.mwu.p > 0.02); /* the rank test sees nothing */
	if (r.cls != CANARY_HIGH)
		print_error("%s\n", r.reason);
	assert_int_equal(r.cls, CANARY_HIGH);
	assert_string_equal(r.test, "tail");
	canary_free(cfg);
}

/* AR(1) with coefficient phi and stationary sd 1, from a fixed LCG. */
static void
ar1(double *v, size_t n, double mean, double phi, unsigned long long seed)
{
	double x = 0;
	size_t i, k;

	for (i = 0; i < n; i++) {
		double e = 0;

		for (k = 0; k < 12; k++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			e += (double)(seed >> 11) / 9007199254740992.0;
		}
		x = phi * x + sqrt(1 - phi * phi) * (e - 6);
		v[i] = mean + x;
	}
}

static void
test_judge_autocorrelated_samples_count_for_less(void **state)
{
	/* two AR(1) series 0.3 sd apart: with n = 1000 the plain U test is sure, but
	 * phi = 0.95 leaves about 1000 * 0.05 / 1.95 = 26 independent samples */
	struct canary_config *cfg;
	const struct canary_metric *m =
	    metric(&cfg, "    direction: increase\n    allowed: 0.01\n");
	double b[1000], c[1000];
	struct canary_result r;

	(void)state;
	ar1(b, 1000, 10, 0.95, 1);
	ar1(c, 1000, 10.3, 0.95, 2);
	canary_judge(m, 0.98, 1, b, 1000, c, 1000, &r);
	assert_true(r.rho > 0.9 && r.rho < 0.99);
	assert_true(fabs(r.inflation - sqrt((1 + r.rho) / (1 - r.rho))) < 1e-12);
	assert_true(r.mwu.p < 1e-6);	 /* what the independent-sample test says */
	assert_true(r.mwu_p_adj > 0.02); /* what the series supports */
	assert_true(r.hl_adj.ci_high - r.hl_adj.ci_low > 3 * (r.hl.ci_high - r.hl.ci_low));
	if (r.cls != CANARY_PASS)
		print_error("%s\n", r.reason);
	assert_int_equal(r.cls, CANARY_PASS);
	/* the same numbers given as independent samples: a breach */
	ar1(b, 1000, 10, 0.95, 1);
	ar1(c, 1000, 10.3, 0.95, 2);
	canary_judge(m, 0.98, 0, b, 1000, c, 1000, &r);
	assert_true(r.rho == 0 && r.inflation == 1);
	assert_int_equal(r.cls, CANARY_HIGH);
	canary_free(cfg);
}

static void
test_judge_identical_samples_pass(void **state)
{
	struct canary_config *cfg;
	const struct canary_metric *m = metric(&cfg, "");
	double b[100], c[100];
	struct canary_result r;

	(void)state;
	fill(b, 100, 10, 1, 0.2);
	fill(c, 100, 10, 1, 0.2);
	canary_judge(m, 0.98, 0, b, 100, c, 100, &r);
	assert_int_equal(r.cls, CANARY_PASS);
	assert_true(r.mwu.p > 0.99);
	assert_true(r.hl.estimate == 0);
	canary_free(cfg);
}

static void
test_judge_nodata_below_min_samples_and_nan_dropped(void **state)
{
	struct canary_config *cfg;
	const struct canary_metric *m =
	    metric(&cfg, "    min_samples: 5\n    must_have_data: true\n");
	double b[6] = {1, 2, NAN, NAN, 3, 4}, c[6] = {1, 2, 3, 4, 5, 6};
	struct canary_result r;

	(void)state;
	canary_judge(m, 0.98, 0, b, 6, c, 6, &r);
	assert_int_equal(r.cls, CANARY_NODATA);
	assert_int_equal(r.base.n, 4);
	assert_non_null(strstr(r.reason, "must_have_data"));
	canary_judge(m, 0.98, 0, b, 0, c, 6, &r);
	assert_int_equal(r.cls, CANARY_NODATA);
	assert_non_null(strstr(r.reason, "no data"));
	canary_free(cfg);
}

static void
test_judge_sparse_metric_on_event_rate(void **state)
{
	/* Kayenta #426: zeros almost everywhere; 1 event in 100 intervals vs 12 */
	struct canary_config *cfg;
	const struct canary_metric *m = metric(&cfg, "    direction: increase\n    allowed: 0.5\n");
	double b[100] = {0}, c[100] = {0}, z1[50] = {0}, z2[50] = {0};
	struct canary_result r;
	size_t i;

	(void)state;
	b[40] = 1;
	for (i = 0; i < 12; i++)
		c[i * 8] = 1 + (double)i;
	canary_judge(m, 0.98, 0, b, 100, c, 100, &r);
	assert_true(r.sparse);
	assert_string_equal(r.test, "event_rate");
	assert_int_equal(r.cls, CANARY_HIGH);
	assert_true(fabs(r.rate_ratio - 12) < 1e-12);
	/* all zeros on both sides: nothing happened, a pass */
	canary_judge(m, 0.98, 0, z1, 50, z2, 50, &r);
	assert_int_equal(r.cls, CANARY_PASS);
	assert_true(r.sparse);
	canary_free(cfg);
}

static void
test_score_groups_and_critical(void **state)
{
	static const char text[] =
	    "version: 1\nscore: {pass: 90, marginal: 60}\n"
	    "groups: {a: 3, b: 1, default: 1}\n"
	    "metrics:\n"
	    "  - {name: m1, metric: x, type: gauge, group: a}\n"
	    "  - {name: m2, metric: x, type: gauge, group: a}\n"
	    "  - {name: m3, metric: x, type: gauge, group: b}\n"
	    "  - {name: m4, metric: x, type: gauge, group: b, critical: true}\n"
	    "  - {name: m5, metric: x, type: gauge, group: b}\n";
	struct mm_err err;
	struct canary_config *cfg = canary_loadb(text, sizeof(text) - 1, "c.yaml", &err);
	struct canary_result r[5];
	struct canary_score s;
	size_t i;

	(void)state;
	assert_non_null(cfg);
	memset(r, 0, sizeof(r));
	for (i = 0; i < 5; i++)
		r[i].def = &cfg->metrics[i];
	r[1].cls = CANARY_HIGH;	  /* a: 1 of 2 -> 50 */
	r[4].cls = CANARY_NODATA; /* b: not must_have_data, left out: 2 of 2 -> 100 */
	canary_score(cfg, r, 5, &s);
	assert_int_equal(s.ngroups, 2);
	assert_true(fabs(s.groups[0].score - 50) < 1e-9);
	assert_true(fabs(s.groups[1].score - 100) < 1e-9);
	assert_true(fabs(s.score - (3 * 50 + 1 * 100) / 4.0) < 1e-9); /* 62.5 */
	assert_int_equal(s.verdict, CANARY_V_MARGINAL);
	canary_score_release(&s);
	r[1].cls = CANARY_PASS;
	canary_score(cfg, r, 5, &s);
	assert_int_equal(s.verdict, CANARY_V_PASS);
	canary_score_release(&s);
	r[3].cls = CANARY_LOW;
	r[3].critical_breach = 1;
	canary_score(cfg, r, 5, &s);
	assert_true(s.score == 0);
	assert_int_equal(s.verdict, CANARY_V_FAIL);
	assert_non_null(strstr(s.reason, "m4"));
	canary_score_release(&s);
	/* nothing judged is a fail, never a pass */
	for (i = 0; i < 5; i++) {
		r[i].cls = CANARY_NODATA;
		r[i].critical_breach = 0;
	}
	canary_score(cfg, r, 5, &s);
	assert_int_equal(s.verdict, CANARY_V_FAIL);
	canary_score_release(&s);
	canary_free(cfg);
}

static void
test_aggregate_mean_per_interval(void **state)
{
	double t[] = {5, 15, 65, 70, 200, 10}, v[] = {1, 3, 10, NAN, 7, 5}, *out;
	size_t n;

	(void)state;
	n = canary_aggregate_mean(t, v, 6, 0, 60, &out);
	assert_int_equal(n, 3);
	assert_true(out[0] == 3); /* 1, 5, 3 */
	assert_true(out[1] == 10);
	assert_true(out[2] == 7);
	free(out);
}

static void
test_collector_histogram_quantile_per_interval(void **state)
{
	static const char text[] =
	    "version: 1\naggregate: 1m\nmetrics:\n"
	    "  - {name: lat, metric: h_seconds, type: histogram, quantile: 0.5, scale: 1000}\n"
	    "  - {name: c, metric: c_total, type: counter}\n";
	struct mm_err err;
	struct canary_config *cfg = canary_loadb(text, sizeof(text) - 1, "c.yaml", &err);
	struct canary_collector *col;
	char buf[1024];
	int i;

	(void)state;
	assert_non_null(cfg);
	col = canary_collector_new(cfg, 0);
	/* every 30 s: 10 observations in (0, 0.1], then 10 in (0.1, 0.2] in the second minute */
	for (i = 0; i <= 4; i++) {
		int lo = i <= 2 ? 10 * i : 20, hi = i <= 2 ? 0 : 10 * (i - 2);

		snprintf(buf, sizeof(buf),
			 "# TYPE h_seconds histogram\n"
			 "h_seconds_bucket{le=\"0.1\"} %d\nh_seconds_bucket{le=\"0.2\"} %d\n"
			 "h_seconds_bucket{le=\"+Inf\"} %d\nh_seconds_sum 1\nh_seconds_count %d\n"
			 "# TYPE c_total counter\nc_total %d\n",
			 lo, lo + hi, lo + hi, lo + hi, 3 * i);
		assert_int_equal(canary_collect_text(col, 30.0 * i, buf, strlen(buf), "t", &err),
				 0);
	}
	canary_collector_finish(col);
	assert_int_equal(canary_collector_series(col, 0)->n, 2);
	assert_true(fabs(canary_collector_series(col, 0)->v[0] - 50) <
		    1e-9); /* median of (0,0.1] */
	assert_true(fabs(canary_collector_series(col, 0)->v[1] - 150) < 1e-9);
	assert_true(canary_collector_series(col, 1)->v[1] == 6);
	canary_collector_free(col);
	canary_free(cfg);
}

static void
test_side_selector_and_promql(void **state)
{
	struct canary_config *cfg;
	struct mm_err err;
	char q[1024];

	(void)state;
	assert_int_equal(canary_side_check("instance=\"mm-prod-1\"", &err), 0);
	assert_int_equal(canary_side_check("job=\"a\",env=~\"c.*\"", &err), 0);
	assert_int_equal(canary_side_check("{instance=\"x\"}", &err), -1);
	assert_int_equal(canary_side_check("instance=\"x", &err), -1);
	assert_int_equal(canary_side_check("", &err), -1);
	assert_int_equal(canary_side_check("a=\"x\"\n", &err), -1);
	cfg = canary_load_default(&err);
	assert_non_null(cfg);
	canary_promql(canary_find(cfg, "latency_p95"), "instance=\"c\"", 60, q, sizeof(q));
	assert_string_equal(q, "histogram_quantile(0.94999999999999996, sum by (le) "
			       "(rate(mm_tick_latency_seconds_bucket{stage=\"tick_total\",instance="
			       "\"c\"}[60s]))) * 1000");
	canary_promql(canary_find(cfg, "hit_ratio"), "instance=\"c\"", 120, q, sizeof(q));
	assert_string_equal(q, "avg(avg_over_time(mm_hit_ratio{instance=\"c\"}[120s]))");
	canary_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default_is_the_file),
	    cmocka_unit_test(test_config_errors_have_positions),
	    cmocka_unit_test(test_judge_location_shift_is_high),
	    cmocka_unit_test(test_judge_tail_change_with_equal_medians),
	    cmocka_unit_test(test_judge_identical_samples_pass),
	    cmocka_unit_test(test_judge_autocorrelated_samples_count_for_less),
	    cmocka_unit_test(test_judge_nodata_below_min_samples_and_nan_dropped),
	    cmocka_unit_test(test_judge_sparse_metric_on_event_rate),
	    cmocka_unit_test(test_score_groups_and_critical),
	    cmocka_unit_test(test_aggregate_mean_per_interval),
	    cmocka_unit_test(test_collector_histogram_quantile_per_interval),
	    cmocka_unit_test(test_side_selector_and_promql),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
