/* test_clock.c - now with overrides, RFC 3339 both ways, durations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

static void
test_clock_now_honours_ci_fake_utc_then_source_date_epoch(void **state)
{
	struct mm_err err;
	double t;

	(void)state;
	setenv("CI_FAKE_UTC", "1970-01-01T00:00:00Z", 1);
	setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
	assert_int_equal(clock_now(&t, &err), 0);
	assert_true(t == 0);
	unsetenv("CI_FAKE_UTC");
	assert_int_equal(clock_now(&t, &err), 0);
	assert_true(t == 1700000000);
	setenv("SOURCE_DATE_EPOCH", "soon", 1);
	assert_int_equal(clock_now(&t, &err), -1);
	assert_non_null(strstr(err.msg, "SOURCE_DATE_EPOCH"));
	unsetenv("SOURCE_DATE_EPOCH");
	setenv("CI_FAKE_UTC", "yesterday", 1);
	assert_int_equal(clock_now(&t, &err), -1);
	unsetenv("CI_FAKE_UTC");
	assert_int_equal(clock_now(&t, &err), 0);
	assert_true(t > 1700000000);
}

static void
test_clock_rfc3339_round_trips(void **state)
{
	struct mm_err err;
	char buf[CLOCK_RFC3339_MAX];
	double t;

	(void)state;
	assert_int_equal(clock_parse_rfc3339("2025-10-11T12:34:56Z", &t, &err), 0);
	assert_true(t == 1760186096);
	assert_string_equal(clock_format_rfc3339(t, buf, sizeof(buf)), "2025-10-11T12:34:56Z");
	assert_int_equal(clock_parse_rfc3339("2025-10-11T14:34:56.250+02:00", &t, &err), 0);
	assert_true(t == 1760186096.25);
	assert_string_equal(clock_format_rfc3339(t, buf, sizeof(buf)), "2025-10-11T12:34:56.250Z");
	assert_int_equal(clock_parse_rfc3339("2024-02-29T00:00:00Z", &t, &err), 0);
	assert_int_equal(clock_parse_rfc3339("1969-12-31T23:59:59Z", &t, &err), 0);
	assert_true(t == -1);
}

static void
test_clock_rfc3339_rejects_malformed(void **state)
{
	static const char *bad[] = {
	    "2025-10-11",
	    "2025-10-11T12:34:56",
	    "2025-13-01T00:00:00Z",
	    "2023-02-29T00:00:00Z",
	    "2025-10-11T24:00:00Z",
	    "2025-10-11T12:34:56Zjunk",
	    "2025-10-11T12:34:56.Z",
	    "20251011T123456Z",
	    "",
	};
	struct mm_err err;
	double t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(clock_parse_rfc3339(bad[i], &t, &err), -1);
	assert_int_equal(err.code, MM_E_PARSE);
}

static void
test_clock_parse_time_accepts_epoch_seconds(void **state)
{
	struct mm_err err;
	double t;

	(void)state;
	assert_int_equal(clock_parse_time("1700000000.5", &t, &err), 0);
	assert_true(t == 1700000000.5);
	assert_int_equal(clock_parse_time("2025-10-11T00:00:00Z", &t, &err), 0);
	assert_int_equal(clock_parse_time("now", &t, &err), -1);
}

static void
test_clock_durations(void **state)
{
	static const struct {
		const char *s;
		double v;
	} good[] = {
	    {"15m", 900},   {"72h", 259200}, {"1h30m", 5400}, {"500ms", 0.5}, {"1.5s", 1.5},
	    {"2d", 172800}, {"1w", 604800},  {"30", 30},      {"0", 0},	      {"1m30s", 90},
	};
	static const char *bad[] = {"", "m", "15x", "-5m", "15 m", "1h-1m", "nan", "inf"};
	struct mm_err err;
	double v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(clock_parse_duration(good[i].s, &v, &err), 0);
		assert_true(v == good[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(clock_parse_duration(bad[i], &v, &err), -1);
}

static void
test_clock_format_duration_reads_back(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(clock_format_duration(5400, buf, sizeof(buf)), "1h30m");
	assert_string_equal(clock_format_duration(900, buf, sizeof(buf)), "15m");
	assert_string_equal(clock_format_duration(0.25, buf, sizeof(buf)), "250ms");
	assert_string_equal(clock_format_duration(0, buf, sizeof(buf)), "0s");
	assert_string_equal(clock_format_duration(259200, buf, sizeof(buf)), "72h");
	assert_string_equal(clock_format_duration(3661, buf, sizeof(buf)), "1h1m1s");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_clock_now_honours_ci_fake_utc_then_source_date_epoch),
	    cmocka_unit_test(test_clock_rfc3339_round_trips),
	    cmocka_unit_test(test_clock_rfc3339_rejects_malformed),
	    cmocka_unit_test(test_clock_parse_time_accepts_epoch_seconds),
	    cmocka_unit_test(test_clock_durations),
	    cmocka_unit_test(test_clock_format_duration_reads_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
