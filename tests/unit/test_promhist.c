/* test_promhist.c - the exporters' histogram: buckets, +Inf, and its exposition. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "promhist.h"

static const double bounds[] = {0.1, 0.5, 1};

static void
test_promhist_buckets_are_upper_bounds_inclusive(void **state)
{
	(void)state;
	assert_int_equal(promhist_bucket(bounds, 3, 0.05), 0);
	assert_int_equal(promhist_bucket(bounds, 3, 0.1), 0);
	assert_int_equal(promhist_bucket(bounds, 3, 0.10001), 1);
	assert_int_equal(promhist_bucket(bounds, 3, 1), 2);
	assert_int_equal(promhist_bucket(bounds, 3, 7), 3);
	assert_int_equal(promhist_bucket(bounds, 3, NAN), 3);
}

static void
test_promhist_exposition_is_cumulative(void **state)
{
	struct promhist h;
	struct buf out = BUF_INIT(1 << 16);

	(void)state;
	memset(&h, 0, sizeof(h));
	promhist_observe(&h, bounds, 3, 0.05);
	promhist_observe(&h, bounds, 3, 0.3);
	promhist_observe(&h, bounds, 3, 0.4);
	promhist_observe(&h, bounds, 3, 9);
	buf_adds(&out, "# TYPE x_seconds histogram\n");
	promhist_write(&out, "x_seconds", "kind=\"a\"", &h, bounds, 3);
	assert_non_null(strstr(out.data, "x_seconds_bucket{kind=\"a\",le=\"0.1\"} 1\n"));
	assert_non_null(strstr(out.data, "x_seconds_bucket{kind=\"a\",le=\"0.5\"} 3\n"));
	assert_non_null(strstr(out.data, "x_seconds_bucket{kind=\"a\",le=\"1\"} 3\n"));
	assert_non_null(strstr(out.data, "x_seconds_bucket{kind=\"a\",le=\"+Inf\"} 4\n"));
	assert_non_null(strstr(out.data, "x_seconds_sum{kind=\"a\"} 9.75\n"));
	assert_non_null(strstr(out.data, "x_seconds_count{kind=\"a\"} 4\n"));
	buf_reset(&out);
	promhist_write(&out, "y", "", &h, bounds, 3);
	assert_non_null(strstr(out.data, "y_bucket{le=\"+Inf\"} 4\ny_sum 9.75\ny_count 4\n"));
	buf_release(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_promhist_buckets_are_upper_bounds_inclusive),
	    cmocka_unit_test(test_promhist_exposition_is_cumulative),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
