/* test_jsonx.c - strict loading with positions, the canonical dump. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "jsonx.h"

static void
test_jsonx_rejects_duplicate_keys_with_position(void **state)
{
	struct mm_err err;
	const char *s = "{\n  \"a\": 1,\n  \"a\": 2\n}";

	(void)state;
	assert_null(jsonx_loadb(s, strlen(s), "r.json", &err));
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
	assert_null(jsonx_loadb("[NaN]", 5, "x", &err));
	assert_null(jsonx_loadb("[1,]", 4, "x", &err));
	assert_null(jsonx_loadb("", 0, "x", &err));
	assert_int_equal(err.line, 1);
}

static void
test_jsonx_dumps_sorted_with_newline(void **state)
{
	json_t *j = json_pack("{s:i, s:f, s:[i,i]}", "zeta", 1, "alpha", 0.1, "mid", 1, 2);
	char *s = jsonx_dumps(j), *c = jsonx_dumps_compact(j);

	(void)state;
	assert_string_equal(s, "{\n  \"alpha\": 0.1,\n  \"mid\": [\n    1,\n    2\n  ],\n  \"zeta\": 1\n}\n");
	assert_string_equal(c, "{\"alpha\":0.1,\"mid\":[1,2],\"zeta\":1}");
	free(s);
	free(c);
	json_decref(j);
}

static void
test_jsonx_real_maps_non_finite_to_null(void **state)
{
	json_t *a = jsonx_real(1.0 / 0.0), *b = jsonx_real(2.5);

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
	assert_string_equal(jsonx_str(j, "s", "d"), "x");
	assert_string_equal(jsonx_str(j, "n", "d"), "d");
	assert_true(jsonx_num(j, "n", 0) == 3);
	assert_true(jsonx_num(j, "missing", -1) == -1);
	assert_int_equal(jsonx_bool(j, "b", 0), 1);
	assert_int_equal(jsonx_bool(j, "s", 7), 7);
	json_decref(j);
}

static void
test_jsonx_tool_meta(void **state)
{
	json_t *m = jsonx_tool_meta();

	(void)state;
	assert_string_equal(jsonx_str(m, "tool", ""), "mmops");
	assert_string_equal(jsonx_str(m, "version", ""), MMOPS_VERSION);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
