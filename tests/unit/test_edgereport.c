/*
 * test_edgereport.c - the edge report of `mmops sim --report`: the same
 * config gives the same canonical text, another seed another; hours are
 * validated; every hour has its row and the rows add up to the summary; a
 * latency fault shows in its hour's P95 and is listed; a breaker fault
 * leaves its hours without fills (null maker share and edge).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jsontree.h"
#include "edgereport.h"

static json_t *
report(uint64_t seed, double hours, const char *fault)
{
	struct sim_config cfg = {0};
	struct sim_fault f;
	struct mm_err err;
	json_t *r;

	cfg.seed = seed;
	if (fault) {
		assert_int_equal(sim_fault_parse(fault, 0, &f, &err), 0);
		cfg.faults = &f;
		cfg.nfaults = 1;
	}
	r = edgereport_edge(&cfg, hours, &err);
	if (!r)
		fail_msg("%s", err.msg);
	return r;
}

static double
num(const json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

static void
test_same_seed_same_text(void **state)
{
	json_t *a = report(1, 3, NULL), *b = report(1, 3, NULL), *c = report(2, 3, NULL);
	char *ta = jsontree_dumps(a), *tb = jsontree_dumps(b), *tc = jsontree_dumps(c);

	assert_string_equal(ta, tb);
	assert_string_not_equal(ta, tc);
	assert_string_equal(json_string_value(json_object_get(a, "tool")), "mmops");
	assert_string_equal(json_string_value(json_object_get(a, "report")), "edge");
	assert_int_equal(json_integer_value(json_object_get(a, "hours")), 3);
	assert_int_equal(json_integer_value(json_object_get(a, "seed")), 1);
	free(ta);
	free(tb);
	free(tc);
	json_decref(a);
	json_decref(b);
	json_decref(c);
	(void)state;
}

static void
test_hours_are_validated(void **state)
{
	static const double bad[] = {0, -1, 1.5, EDGEREPORT_MAX_HOURS + 1, NAN};
	struct sim_config cfg = {0};
	struct mm_err err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mm_err_init(&err);
		assert_null(edgereport_edge(&cfg, bad[i], &err));
		assert_int_equal(err.code, MM_E_USAGE);
	}
	(void)state;
}

static void
test_hourly_rows_add_up_to_the_summary(void **state)
{
	json_t *r = report(3, 4, NULL), *hourly = json_object_get(r, "hourly");
	json_t *sum = json_object_get(r, "summary");
	double ticks = 0, fills = 0, maker = 0, pnl = 0, misses = 0;
	size_t i;

	assert_int_equal(json_array_size(hourly), 4);
	for (i = 0; i < 4; i++) {
		json_t *h = json_array_get(hourly, i), *lat = json_object_get(h, "latency_ms");

		assert_int_equal(json_integer_value(json_object_get(h, "hour")), (json_int_t)i);
		assert_true(num(h, "ticks") == 18000);
		assert_true(num(lat, "p50") < num(lat, "p95") && num(lat, "p95") < num(lat, "p99"));
		assert_true(num(h, "maker_share") > 0.85 && num(h, "maker_share") < 0.97);
		assert_true(num(h, "edge_bps_mean") > 2.0);
		ticks += num(h, "ticks");
		fills += num(h, "fills");
		maker += num(h, "fills_maker");
		pnl += num(h, "pnl_usd");
		misses += num(h, "deadline_misses");
	}
	assert_true(ticks == num(sum, "ticks"));
	assert_true(fills == num(sum, "fills"));
	assert_true(maker == num(sum, "fills_maker"));
	assert_true(misses == num(sum, "deadline_misses"));
	assert_true(fabs(pnl - num(sum, "pnl_usd")) < 1e-3);
	assert_true(num(sum, "hit_ratio") > 0.85);
	assert_true(num(json_object_get(sum, "latency_ms"), "p95") < 150);
	json_decref(r);
	(void)state;
}

static void
test_latency_fault_shows_in_its_hour(void **state)
{
	json_t *r = report(4, 3, "latency:x4@1h+1h"), *hourly = json_object_get(r, "hourly");
	json_t *faults = json_object_get(r, "faults");

	assert_int_equal(json_array_size(faults), 1);
	assert_string_equal(json_string_value(json_array_get(faults, 0)), "latency:x4@1h+1h");
	assert_true(num(json_object_get(json_array_get(hourly, 0), "latency_ms"), "p95") < 150);
	assert_true(num(json_object_get(json_array_get(hourly, 1), "latency_ms"), "p95") > 150);
	assert_true(num(json_object_get(json_array_get(hourly, 2), "latency_ms"), "p95") < 150);
	json_decref(r);
	(void)state;
}

static void
test_breaker_hour_has_no_fills(void **state)
{
	json_t *r = report(5, 2, "breaker@1h+1h"),
	       *h1 = json_array_get(json_object_get(r, "hourly"), 1);

	assert_true(num(h1, "fills") == 0);
	assert_true(json_is_null(json_object_get(h1, "maker_share")));
	assert_true(json_is_null(json_object_get(h1, "edge_bps_mean")));
	assert_true(num(h1, "ticks") == 18000);
	json_decref(r);
	(void)state;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_seed_same_text),
	    cmocka_unit_test(test_hours_are_validated),
	    cmocka_unit_test(test_hourly_rows_add_up_to_the_summary),
	    cmocka_unit_test(test_latency_fault_shows_in_its_hour),
	    cmocka_unit_test(test_breaker_hour_has_no_fills),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
