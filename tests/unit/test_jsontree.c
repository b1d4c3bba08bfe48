/* test_jsontree.c - strict loading with positions, the canonical dump. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsontree.h"

/*
 * Issue 10: every double a report, checkpoint or baseline holds must read
 * back to the same bits, through the dump and jansson's own parser.
 */
static void
test_jsonx_reals_round_trip_exactly(void **state)
{
	const double v[] = {
	    0.1,
	    20.365000000000002,
	    18446744073709551616.0 /* 2^64 */,
	    9007199254740992.0 /* 2^53 */,
	    9007199254740993.0 - 2 /* 2^53-1 */,
	    9007199254740994.0 /* 2^53+2 */,
	    DBL_MAX,
	    -DBL_MAX,
	    DBL_MIN,
	    -DBL_MIN,
	    4.9406564584124654e-324 /* smallest subnormal */,
	    2.2250738585072009e-308,
	    -0.0,
	    0.0,
	    1.0 / 3,
	    2.0 / 3,
	    1e300,
	    1e-300,
	    123456789012345678.0,
	    5e-324,
	    0.30000000000000004,
	    1e21,
	    1e22,
	    100.0,
	    -2.5,
	    1.5e-7,
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		json_t *a = json_pack("[f]", v[i]), *back;
		char *text = jsontree_dumps_compact(a);
		struct mm_err err;
		double got;

		back = jsontree_loadb(text, strlen(text), "t", &err);
		assert_non_null(back);
		assert_true(json_is_real(json_array_get(back, 0)));
		got = json_real_value(json_array_get(back, 0));
		if (memcmp(&got, &v[i], sizeof(got)) != 0)
			fail_msg("%.17g written as %s read back as %.17g", v[i], text, got);
		assert_true(strlen(text) <= 2 + 24);
		json_decref(back);
		json_decref(a);
		free(text);
	}
}

/* The shortest spelling, in jansson's style (what golden files hold). */
static void
test_jsonx_format_real_is_shortest(void **state)
{
	const struct {
		double v;
		const char *want;
	} t[] = {
	    {0.1, "0.1"},
	    {20.365000000000002, "20.365000000000002"},
	    {2.0, "2.0"},
	    {18446744073709551616.0, "1.8446744073709552e19"},
	    {9007199254740994.0, "9007199254740994.0"},
	    {DBL_MAX, "1.7976931348623157e308"},
	    {-0.0, "-0.0"},
	    {1e-5, "1e-5"},
	    {1e300, "1e300"},
	    {5e-324, "5e-324"},
	    {NAN, "null"},
	    {INFINITY, "null"},
	};
	char buf[JSONTREE_REAL_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		jsontree_format_real(t[i].v, buf, sizeof(buf));
		assert_string_equal(buf, t[i].want);
	}
}

/* Everything but reals comes out exactly as jansson's own dump wrote it. */
static void
test_jsonx_dump_matches_jansson_layout(void **state)
{
	const char *doc = "{\"b\":[1,true,{\"z\":null,\"a\":\"\\u0001\\\"\\\\/\u00e9\\n\"}],"
			  "\"a\":{},\"c\":[],\"d\":[[]],\"n\":-42}";
	struct mm_err err;
	json_t *j = jsontree_loadb(doc, strlen(doc), "t", &err);
	char *mine, *theirs, *c1, *c2;

	(void)state;
	assert_non_null(j);
	mine = jsontree_dumps(j);
	theirs = json_dumps(j, JSON_SORT_KEYS | JSON_INDENT(2));
	assert_non_null(theirs);
	assert_int_equal(strlen(mine), strlen(theirs) + 1);
	assert_memory_equal(mine, theirs, strlen(theirs));
	c1 = jsontree_dumps_compact(j);
	c2 = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(c1, c2);
	free(mine);
	free(theirs);
	free(c1);
	free(c2);
	json_decref(j);
}

static void
test_jsonx_rejects_duplicate_keys_with_position(void **state)
{
	struct mm_err err;
	const char *s = "{\n  \"a\": 1,\n  \"a\": 2\n}";

	(void)state;
	assert_null(jsontree_loadb(s, strlen(s), "r.json", &err));
	assert_int_equal(err.code, MM_E_PARSE);
	assert_string_equal(err.file, "r.json");
	assert_int_equal(err.line, 3);
	assert_non_null(strstr(err.msg, "duplicate"));
}

static void
test_jsonx_rejects_nan_and_garbage(void **state)
{
	struct mm_err err;

	(void)state;
	assert_null(jsontree_loadb("[NaN]", 5, "x", &err));
	assert_null(jsontree_loadb("[1,]", 4, "x", &err));
	assert_null(jsontree_loadb("", 0, "x", &err));
	assert_int_equal(err.line, 1);
}

static void
test_jsonx_dumps_sorted_with_newline(void **state)
{
	json_t *j = json_pack("{s:i, s:f, s:[i,i]}", "zeta", 1, "alpha", 0.1, "mid", 1, 2);
	char *s = jsontree_dumps(j), *c = jsontree_dumps_compact(j);

	(void)state;
	assert_string_equal(
	    s, "{\n  \"alpha\": 0.1,\n  \"mid\": [\n    1,\n    2\n  ],\n  \"zeta\": 1\n}\n");
	assert_string_equal(c, "{\"alpha\":0.1,\"mid\":[1,2],\"zeta\":1}");
	free(s);
	free(c);
	json_decref(j);
}

static void
test_jsonx_real_maps_non_finite_to_null(void **state)
{
	json_t *a = jsontree_real(1.0 / 0.0), *b = jsontree_real(2.5);

	(void)state;
	assert_true(json_is_null(a));
	assert_true(json_is_real(b));
	json_decref(a);
	json_decref(b);
}

static void
test_jsonx_lookups_fall_back(void **state)
{
	json_t *j = json_pack("{s:s, s:i, s:b}", "s", "x", "n", 3, "b", 1);

	(void)state;
	assert_string_equal(jsontree_str(j, "s", "d"), "x");
	assert_string_equal(jsontree_str(j, "n", "d"), "d");
	assert_true(jsontree_num(j, "n", 0) == 3);
	assert_true(jsontree_num(j, "missing", -1) == -1);
	assert_int_equal(jsontree_bool(j, "b", 0), 1);
	assert_int_equal(jsontree_bool(j, "s", 7), 7);
	json_decref(j);
}

static void
test_jsonx_tool_meta(void **state)
{
	json_t *m = jsontree_tool_meta();

	(void)state;
	assert_string_equal(jsontree_str(m, "tool", ""), "mmops");
	assert_string_equal(jsontree_str(m, "version", ""), MMOPS_VERSION);
	json_decref(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_jsonx_rejects_duplicate_keys_with_position),
	    cmocka_unit_test(test_jsonx_rejects_nan_and_garbage),
	    cmocka_unit_test(test_jsonx_dumps_sorted_with_newline),
	    cmocka_unit_test(test_jsonx_real_maps_non_finite_to_null),
	    cmocka_unit_test(test_jsonx_lookups_fall_back),
	    cmocka_unit_test(test_jsonx_tool_meta),
	    cmocka_unit_test(test_jsonx_reals_round_trip_exactly),
	    cmocka_unit_test(test_jsonx_format_real_is_shortest),
	    cmocka_unit_test(test_jsonx_dump_matches_jansson_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
