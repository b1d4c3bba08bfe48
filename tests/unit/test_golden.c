/* test_golden.c - golden compare: tolerances, drift kinds, pointers, ignores, errors, reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "golden.h"
#include "jsontree.h"

struct cmp {
	struct golden_doc base, act;
	struct golden_opts o;
	struct golden_result r;
	struct mm_err err;
	int rc;
};

/* Compare two literal documents; ignore pointers are a NULL-terminated list. */
static void
cmp_run(struct cmp *c, const char *base, const char *act, double tol, double rel, const char **ign)
{
	memset(c, 0, sizeof(*c));
	golden_doc_init(&c->base, "base.json", base, strlen(base));
	golden_doc_init(&c->act, "act.json", act, strlen(act));
	golden_opts_init(&c->o);
	c->o.tolerance = tol;
	c->o.rel_tolerance = rel;
	if (ign) {
		c->o.ignore = ign;
		while (ign[c->o.nignore])
			c->o.nignore++;
	}
	mm_err_init(&c->err);
	c->rc = golden_compare(&c->base, &c->act, &c->o, &c->r, &c->err);
}

static void
cmp_done(struct cmp *c)
{
	golden_result_release(&c->r);
	golden_doc_release(&c->base);
	golden_doc_release(&c->act);
}

/* Drifts of one comparison as "kind pointer" lines, for one assert. */
static char *
drift_list(const struct cmp *c)
{
	struct buf b = BUF_INIT(1 << 20);
	size_t i;

	buf_adds(&b, "");
	for (i = 0; i < c->r.ndrifts; i++)
		buf_addf(&b, "%s %s\n", golden_kind_name(c->r.drifts[i].kind),
			 c->r.drifts[i].pointer);
	return buf_detach(&b, NULL);
}

static void
expect_drifts(const char *base, const char *act, double tol, double rel, const char **ign,
	      const char *want)
{
	struct cmp c;
	char *got;

	cmp_run(&c, base, act, tol, rel, ign);
	if (c.rc != 0)
		fail_msg("compare failed: %s", c.err.msg);
	got = drift_list(&c);
	if (strcmp(got, want) != 0)
		fail_msg("%s vs %s:\ngot:\n%swant:\n%s", base, act, got, want);
	assert_int_equal(c.r.drift_count, c.r.ndrifts);
	free(got);
	cmp_done(&c);
}

static void
test_golden_floats_within_tolerance_are_equal(void **state)
{
	(void)state;
	expect_drifts("{\"edge\": 2.5}", "{\"edge\": 2.5000000001}", 1e-9, 0, NULL, "");
	expect_drifts("{\"edge\": 2.5}", "{\"edge\": 2.500000000999}", 1e-9, 0, NULL, "");
	expect_drifts("[0.30000000000000004]", "[0.3]", 1e-9, 0, NULL, "");
	expect_drifts("{\"edge\": 2.5}", "{\"edge\": 2.51}", 1e-6, 0, NULL, "value /edge\n");
	expect_drifts("{\"edge\": 2.5}", "{\"edge\": 2.500002}", 1e-6, 0, NULL, "value /edge\n");
	/* exactly at the tolerance is within it */
	expect_drifts("[1]", "[1.5]", 0.5, 0, NULL, "");
	expect_drifts("[1]", "[1.5]", 0.4999, 0, NULL, "value /0\n");
}

static void
test_golden_numbers_compare_by_value(void **state)
{
	(void)state;
	expect_drifts("[1, -0, 100, 0.5, 1e2]", "[1.0, 0, 1e2, 5e-1, 100.000]", 0, 0, NULL, "");
	assert_true(golden_numbers_equal("1", 1, "1.0", 3, 0, 0));
	assert_true(golden_numbers_equal("-0.0", 4, "0", 1, 0, 0));
	assert_true(golden_numbers_equal("12.5e1", 6, "125", 3, 0, 0));
	assert_false(golden_numbers_equal("1", 1, "-1", 2, 0, 0));
	assert_false(golden_numbers_equal("1", 1, "2", 1, 0.5, 0));
	assert_true(golden_numbers_equal("1", 1, "2", 1, 1, 0));
}

static void
test_golden_relative_tolerance(void **state)
{
	(void)state;
	/* 1e6 vs 1e6+1: a 1e-6 relative difference */
	expect_drifts("[1000000.0]", "[1000001.0]", 1e-9, 1e-6, NULL, "");
	expect_drifts("[1000000.0]", "[1000002.0]", 1e-9, 1e-6, NULL, "value /0\n");
	/* either tolerance is enough */
	expect_drifts("[0.0]", "[1e-10]", 1e-9, 1e-6, NULL, "");
	expect_drifts("[1000000]", "[1000001]", 1e-9, 1e-6, NULL, "");
}

static void
test_golden_integers_compare_exactly(void **state)
{
	(void)state;
	/* 2^53 + 1 and 2^53 are one double; their exact difference is 1 */
	expect_drifts("[9007199254740993]", "[9007199254740992]", 1e-9, 0, NULL, "value /0\n");
	expect_drifts("[9223372036854775807]", "[-9223372036854775808]", 1e-9, 0, NULL,
		      "value /0\n");
	expect_drifts("[-9223372036854775808]", "[-9223372036854775808]", 1e-9, 0, NULL, "");
}

static void
test_golden_big_integers_are_never_rounded(void **state)
{
	(void)state;
	expect_drifts("{\"seed\": 18446744073709551617}", "{\"seed\": 18446744073709551616}", 1e-9,
		      0.5, NULL, "value /seed\n");
	expect_drifts("[123456789012345678901234567890]", "[123456789012345678901234567890]", 0, 0,
		      NULL, "");
	/* the same decimal value, written another way */
	expect_drifts("[100000000000000000000000000000]", "[1e29]", 0, 0, NULL, "");
	expect_drifts("[100000000000000000000000000000]", "[1.00000000000000000000000000001e29]",
		      1e30, 1, NULL, "value /0\n");
	/* past the range of a double: exact */
	expect_drifts("[1e400]", "[10e399]", 0, 0, NULL, "");
	expect_drifts("[1e400]", "[2e400]", 1e300, 1, NULL, "value /0\n");
}

static void
test_golden_strings_booleans_null_compare_exactly(void **state)
{
	(void)state;
	expect_drifts("[\"A\", \"\\u00e9\", \"a/b\"]", "[\"\\u0041\", \"\xc3\xa9\", \"a\\/b\"]", 0,
		      0, NULL, "");
	expect_drifts("[\"a\", true, null, false]", "[\"A\", false, null, false]", 1, 1, NULL,
		      "value /0\nvalue /1\n");
}

static void
test_golden_type_mismatch(void **state)
{
	struct cmp c;

	(void)state;
	expect_drifts("{\"n\": 1, \"s\": \"1\", \"z\": null, \"b\": true, \"o\": {}, \"a\": []}",
		      "{\"n\": \"1\", \"s\": 1, \"z\": 0, \"b\": 1, \"o\": [], \"a\": {}}", 1, 1,
		      NULL, "type /n\ntype /s\ntype /z\ntype /b\ntype /o\ntype /a\n");
	/* at the root the pointer is "" */
	cmp_run(&c, "[1]", "{\"a\":1}", 0, 0, NULL);
	assert_int_equal(c.rc, 0);
	assert_int_equal(c.r.ndrifts, 1);
	assert_int_equal(c.r.drifts[0].kind, GOLDEN_TYPE);
	assert_string_equal(c.r.drifts[0].pointer, "");
	assert_memory_equal(c.base.data + c.r.drifts[0].base_off, "[1]", c.r.drifts[0].base_len);
	assert_memory_equal(c.act.data + c.r.drifts[0].act_off, "{\"a\":1}", c.r.drifts[0].act_len);
	cmp_done(&c);
}

static void
test_golden_missing_and_extra_keys(void **state)
{
	struct cmp c;

	(void)state;
	expect_drifts("{\"a\": 1, \"b\": {\"x\": 1, \"y\": 2}}",
		      "{\"a\": 1, \"b\": {\"x\": 1}, \"c\": 3}", 0, 0, NULL,
		      "missing /b/y\nextra /c\n");
	cmp_run(&c, "{\"a\": 1, \"gone\": [1, 2]}", "{\"a\": 1}", 0, 0, NULL);
	assert_int_equal(c.r.drifts[0].kind, GOLDEN_MISSING);
	assert_memory_equal(c.base.data + c.r.drifts[0].base_off, "[1, 2]", 6);
	assert_int_equal(c.r.drifts[0].act_len, 0);
	assert_int_equal(c.r.kind_count[GOLDEN_MISSING], 1);
	cmp_done(&c);
}

static void
test_golden_key_order_does_not_matter(void **state)
{
	(void)state;
	expect_drifts("{\"a\": 1, \"b\": 2, \"c\": {\"x\": 1, \"y\": [1, {\"p\": 1, \"q\": 2}]}}",
		      "{\"c\": {\"y\": [1, {\"q\": 2, \"p\": 1}], \"x\": 1}, \"b\": 2, \"a\": 1}",
		      0, 0, NULL, "");
	/* drifts found by key come in baseline order, extras last in actual order */
	expect_drifts("{\"k\": 0, \"a\": 1, \"b\": 2, \"c\": 3}",
		      "{\"k\": 0, \"z\": 9, \"c\": 4, \"a\": 1, \"y\": 8}", 0, 0, NULL,
		      "missing /b\nvalue /c\nextra /z\nextra /y\n");
	/* a reordered object inside a reordered object */
	expect_drifts("{\"a\": {\"x\": 1, \"y\": 2}, \"b\": 0}",
		      "{\"b\": 0, \"a\": {\"y\": 3, \"x\": 1}}", 0, 0, NULL, "value /a/y\n");
}

static void
test_golden_array_length_reported_once_plus_elements(void **state)
{
	struct cmp c;

	(void)state;
	expect_drifts("{\"l\": [1, 2, 3]}", "{\"l\": [1, 5]}", 0, 0, NULL,
		      "value /l/1\nlength /l\nmissing /l/2\n");
	expect_drifts("[[1], []]", "[[1, 2, 3], []]", 0, 0, NULL,
		      "length /0\nextra /0/1\nextra /0/2\n");
	cmp_run(&c, "[1, 2, 3]", "[1]", 0, 0, NULL);
	assert_int_equal(c.r.drifts[0].kind, GOLDEN_LENGTH);
	assert_int_equal(c.r.drifts[0].base_count, 3);
	assert_int_equal(c.r.drifts[0].act_count, 1);
	cmp_done(&c);
}

static void
test_golden_pointers_escape_tilde_and_slash(void **state)
{
	(void)state;
	expect_drifts("{\"a/b\": {\"m~n\": 1, \"~/~\": [0]}}",
		      "{\"a/b\": {\"m~n\": 2, \"~/~\": [1]}}", 0, 0, NULL,
		      "value /a~1b/m~0n\nvalue /a~1b/~0~1~0/0\n");
	expect_drifts("{\"\": 1}", "{\"\": 2}", 0, 0, NULL, "value /\n");
}

static void
test_golden_ignore_pointers_and_globs(void **state)
{
	const char *gen[] = {"/generated_at", NULL};
	const char *ts[] = {"/records/*/ts", NULL};
	const char *star[] = {"/*/x", NULL};
	const char *esc[] = {"/a~1b", "/m~0n/0", NULL};
	const char *root[] = {"", NULL};
	const char *idx[] = {"/l/1", NULL};

	(void)state;
	expect_drifts("{\"generated_at\": \"2024\", \"v\": 1}",
		      "{\"generated_at\": \"2025\", \"v\": 1}", 0, 0, gen, "");
	/* ignoring covers presence too */
	expect_drifts("{\"generated_at\": \"2024\", \"v\": 1}", "{\"v\": 1}", 0, 0, gen, "");
	expect_drifts("{\"v\": 1}", "{\"generated_at\": 1, \"v\": 1}", 0, 0, gen, "");
	expect_drifts("{\"records\": [{\"ts\": 1, \"p\": 1}, {\"ts\": 2, \"p\": 2}]}",
		      "{\"records\": [{\"ts\": 5, \"p\": 1}, {\"p\": 3}]}", 0, 0, ts,
		      "value /records/1/p\n");
	expect_drifts("{\"a\": {\"x\": 1, \"y\": 1}, \"b\": {\"x\": 1}}",
		      "{\"a\": {\"x\": 2, \"y\": 2}, \"b\": {\"x\": 3}}", 0, 0, star,
		      "value /a/y\n");
	expect_drifts("{\"a/b\": 1, \"m~n\": [1, 2]}", "{\"a/b\": 2, \"m~n\": [3, 4]}", 0, 0, esc,
		      "value /m~0n/1\n");
	expect_drifts("[1]", "{\"a\": 2}", 0, 0, root, "");
	/* an ignored index is still counted in the length */
	expect_drifts("{\"l\": [1, 2]}", "{\"l\": [1]}", 0, 0, idx, "length /l\n");
	/* ignores apply in reordered objects too */
	expect_drifts("{\"a\": 1, \"generated_at\": 1}", "{\"generated_at\": 2, \"a\": 1}", 0, 0,
		      gen, "");
}

static void
test_golden_bad_ignore_pointer_is_a_usage_error(void **state)
{
	const char *bad[] = {"generated_at", NULL};
	const char *tilde[] = {"/a~2", NULL};
	struct cmp c;

	(void)state;
	cmp_run(&c, "{}", "{}", 0, 0, bad);
	assert_int_equal(c.rc, -1);
	assert_int_equal(c.err.code, MM_E_USAGE);
	assert_non_null(strstr(c.err.msg, "starts with '/'"));
	cmp_done(&c);
	cmp_run(&c, "{}", "{}", 0, 0, tilde);
	assert_int_equal(c.rc, -1);
	assert_int_equal(c.err.code, MM_E_USAGE);
	cmp_done(&c);
	cmp_run(&c, "{}", "{}", -1, 0, NULL);
	assert_int_equal(c.rc, -1);
	assert_int_equal(c.err.code, MM_E_USAGE);
	cmp_done(&c);
}

static void
test_golden_duplicate_keys_are_errors_with_position(void **state)
{
	struct cmp c;

	(void)state;
	cmp_run(&c, "{\"a\": 1}", "{\n  \"a\": 1,\n  \"a\": 2\n}", 0, 0, NULL);
	assert_int_equal(c.rc, -1);
	assert_int_equal(c.err.code, MM_E_PARSE);
	assert_string_equal(c.err.file, "act.json");
	assert_int_equal(c.err.line, 3);
	assert_int_equal(c.err.col, 3);
	assert_non_null(strstr(c.err.msg, "duplicate key 'a'"));
	cmp_done(&c);
	/* also inside an ignored subtree, and after keys diverged */
	{
		const char *ign[] = {"/x", NULL};

		cmp_run(&c, "{\"x\": {\"d\": 1, \"d\": 1}}", "{\"x\": 1}", 0, 0, ign);
		assert_int_equal(c.rc, -1);
		assert_string_equal(c.err.file, "base.json");
		cmp_done(&c);
	}
	cmp_run(&c, "{\"a\": 1, \"b\": 2}", "{\"b\": 2, \"a\": 1, \"b\": 3}", 0, 0, NULL);
	assert_int_equal(c.rc, -1);
	assert_non_null(strstr(c.err.msg, "duplicate key 'b'"));
	cmp_done(&c);
}

static void
test_golden_nan_literal_is_an_error_with_line_and_column(void **state)
{
	struct cmp c;

	(void)state;
	cmp_run(&c, "{\n  \"edge\": NaN\n}", "{\n  \"edge\": 1\n}", 0, 0, NULL);
	assert_int_equal(c.rc, -1);
	assert_string_equal(c.err.file, "base.json");
	assert_int_equal(c.err.line, 2);
	assert_int_equal(c.err.col, 11);
	assert_non_null(strstr(c.err.msg, "'NaN' is not valid JSON"));
	cmp_done(&c);
	cmp_run(&c, "[1, 2]", "[1, Infinity]", 0, 0, NULL);
	assert_int_equal(c.rc, -1);
	assert_string_equal(c.err.file, "act.json");
	assert_int_equal(c.err.col, 5);
	cmp_done(&c);
	/* an error after the documents already drifted is still an error */
	cmp_run(&c, "[1, 2] x", "[3, 4]", 0, 0, NULL);
	assert_int_equal(c.rc, -1);
	assert_non_null(strstr(c.err.msg, "trailing data"));
	cmp_done(&c);
}

static void
test_golden_caps_kept_drifts_but_counts_all(void **state)
{
	struct cmp c;

	(void)state;
	memset(&c, 0, sizeof(c));
	golden_doc_init(&c.base, "b", "[1,2,3,4,5]", 11);
	golden_doc_init(&c.act, "a", "[0,0,0,0,0,0]", 13);
	golden_opts_init(&c.o);
	c.o.max_drifts = 2;
	assert_int_equal(golden_compare(&c.base, &c.act, &c.o, &c.r, &c.err), 0);
	assert_int_equal(c.r.drift_count, 7);
	assert_int_equal(c.r.kind_count[GOLDEN_VALUE], 5);
	assert_int_equal(c.r.kind_count[GOLDEN_LENGTH], 1);
	assert_int_equal(c.r.kind_count[GOLDEN_EXTRA], 1);
	assert_int_equal(c.r.ndrifts, 2);
	cmp_done(&c);
}

static void
test_golden_json_report_is_canonical_and_keeps_digits(void **state)
{
	struct cmp c;
	struct buf out = BUF_INIT(1 << 20);
	struct mm_err err;
	json_t *j, *d;

	(void)state;
	/* big integers keep every digit (jansson could not even read this report) */
	cmp_run(&c, "{\"seed\": 18446744073709551617}", "{\"seed\": 18446744073709551618}", 1e-9, 0,
		NULL);
	assert_int_equal(golden_render_json(&c.base, &c.act, &c.o, &c.r, &out), 0);
	assert_non_null(strstr(out.data, "\"actual\": 18446744073709551618,\n"));
	assert_non_null(strstr(out.data, "\"baseline\": 18446744073709551617,\n"));
	buf_release(&out);
	cmp_done(&c);

	cmp_run(&c, "{\"seed\": 1844674407370955161, \"l\": [1, 2], \"s\": \"x\"}",
		"{\"seed\": 1844674407370955162, \"l\": [1], \"s\": {\"k\": [1, 2]}}", 1e-9, 0,
		NULL);
	assert_int_equal(c.rc, 0);
	assert_int_equal(golden_render_json(&c.base, &c.act, &c.o, &c.r, &out), 0);
	assert_int_equal(out.data[out.len - 1], '\n');
	assert_non_null(strstr(out.data, "\"actual\": {\"k\":[1,2]},"));
	j = jsontree_loadb(out.data, out.len, "report", &err);
	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "drift")));
	assert_int_equal(json_integer_value(json_object_get(j, "drift_count")), 4);
	assert_string_equal(json_string_value(json_object_get(j, "tool")), "mmops");
	assert_non_null(json_object_get(j, "version"));
	assert_string_equal(json_string_value(json_object_get(j, "baseline")), "base.json");
	assert_string_equal(json_string_value(json_object_get(j, "actual")), "act.json");
	assert_true(json_number_value(json_object_get(j, "tolerance")) == 1e-9);
	d = json_array_get(json_object_get(j, "drifts"), 1);
	assert_string_equal(json_string_value(json_object_get(d, "kind")), "length");
	assert_int_equal(json_integer_value(json_object_get(d, "baseline")), 2);
	assert_int_equal(json_integer_value(json_object_get(d, "actual")), 1);
	json_decref(j);
	buf_release(&out);
	cmp_done(&c);

	/* with scalar drift values it is byte for byte jsontree_dumps()' canonical form */
	{
		const char *ign[] = {"/t", NULL};
		char *canon;

		cmp_run(&c, "{\"b\": 1.5, \"a\": [true, \"x\"], \"t\": 0}",
			"{\"a\": [false], \"b\": 2}", 1e-9, 0.001, ign);
		assert_int_equal(golden_render_json(&c.base, &c.act, &c.o, &c.r, &out), 0);
		j = jsontree_loadb(out.data, out.len, "report", &err);
		assert_non_null(j);
		canon = jsontree_dumps(j);
		assert_string_equal(out.data, canon);
		free(canon);
		json_decref(j);
		buf_release(&out);
		cmp_done(&c);
	}
	/* no drift: drift false, empty list */
	cmp_run(&c, "{}", "{}", 1e-9, 0, NULL);
	assert_int_equal(golden_render_json(&c.base, &c.act, &c.o, &c.r, &out), 0);
	j = jsontree_loadb(out.data, out.len, "report", &err);
	assert_non_null(j);
	assert_true(json_is_false(json_object_get(j, "drift")));
	assert_int_equal(json_array_size(json_object_get(j, "drifts")), 0);
	json_decref(j);
	buf_release(&out);
	cmp_done(&c);
}

static void
test_golden_text_report_has_summary_and_one_line_per_drift(void **state)
{
	struct cmp c;
	struct buf out = BUF_INIT(1 << 20);

	(void)state;
	cmp_run(&c, "{\"edge\": 2.5, \"gone\": 1, \"l\": [1, 2]}",
		"{\"edge\": 2.7, \"l\": [1, 2, 3], \"new\": true}", 1e-9, 0, NULL);
	assert_int_equal(golden_render_text(&c.base, &c.act, &c.o, &c.r, &out), 0);
	assert_string_equal(
	    out.data,
	    "golden: 5 drifts (1 value, 1 missing, 2 extra, 1 length) in 'act.json' against "
	    "'base.json' (5 values compared, tolerance 1e-09)\n"
	    "value    /edge: baseline 2.5, actual 2.7\n"
	    "missing  /gone: baseline 1, actual (absent)\n"
	    "length   /l: baseline 2 elements, actual 3 elements\n"
	    "extra    /l/2: baseline (absent), actual 3\n"
	    "extra    /new: baseline (absent), actual true\n");
	buf_release(&out);
	cmp_done(&c);
	cmp_run(&c, "[\"a\"]", "[\"a\"]", 1e-9, 0, NULL);
	assert_int_equal(golden_render_text(&c.base, &c.act, &c.o, &c.r, &out), 0);
	assert_string_equal(out.data, "golden: no drift: 'act.json' matches 'base.json' (2 values "
				      "compared, tolerance 1e-09)\n");
	buf_release(&out);
	cmp_done(&c);
}

static void
test_golden_text_report_shortens_long_values(void **state)
{
	struct cmp c;
	struct buf out = BUF_INIT(1 << 20);
	char base[400], act[400];
	int i, n = 0, m = 0;

	(void)state;
	n += snprintf(base + n, sizeof(base) - n, "{\"l\": [");
	m += snprintf(act + m, sizeof(act) - m, "{\"l\": \"x\"}");
	for (i = 0; i < 40; i++)
		n += snprintf(base + n, sizeof(base) - n, "%s%d", i ? ", " : "", 1000 + i);
	snprintf(base + n, sizeof(base) - n, "]}");
	cmp_run(&c, base, act, 0, 0, NULL);
	assert_int_equal(golden_render_text(&c.base, &c.act, &c.o, &c.r, &out), 0);
	assert_non_null(strstr(out.data, "type     /l: baseline [1000,1001,"));
	assert_non_null(strstr(out.data, "... (array), actual \"x\" (string)\n"));
	buf_release(&out);
	cmp_done(&c);
}

static void
test_golden_doc_load_reads_and_maps_files(void **state)
{
	char small[] = "/tmp/golden-test-XXXXXX", big[] = "/tmp/golden-test-XXXXXX";
	struct golden_doc d;
	struct mm_err err;
	FILE *f;
	size_t i;
	int fd;

	(void)state;
	fd = mkstemp(small);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "[1]", 3), 3);
	close(fd);
	assert_int_equal(golden_doc_load(&d, small, &err), 0);
	assert_int_equal(d.len, 3);
	assert_null(d.file.map);
	golden_doc_release(&d);
	fd = mkstemp(big);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputc('[', f);
	for (i = 0; i < FILEMAP_MIN / 2; i++)
		fputs("1,", f);
	fputs("1]", f);
	fclose(f);
	assert_int_equal(golden_doc_load(&d, big, &err), 0);
	assert_non_null(d.file.map);
	assert_int_equal(d.len, FILEMAP_MIN + 3);
	assert_int_equal(d.data[d.len - 1], ']');
	golden_doc_release(&d);
	unlink(small);
	unlink(big);
	assert_int_equal(golden_doc_load(&d, "/nonexistent/golden.json", &err), -1);
	assert_int_equal(err.code, MM_E_IO);
	golden_doc_release(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_golden_floats_within_tolerance_are_equal),
	    cmocka_unit_test(test_golden_numbers_compare_by_value),
	    cmocka_unit_test(test_golden_relative_tolerance),
	    cmocka_unit_test(test_golden_integers_compare_exactly),
	    cmocka_unit_test(test_golden_big_integers_are_never_rounded),
	    cmocka_unit_test(test_golden_strings_booleans_null_compare_exactly),
	    cmocka_unit_test(test_golden_type_mismatch),
	    cmocka_unit_test(test_golden_missing_and_extra_keys),
	    cmocka_unit_test(test_golden_key_order_does_not_matter),
	    cmocka_unit_test(test_golden_array_length_reported_once_plus_elements),
	    cmocka_unit_test(test_golden_pointers_escape_tilde_and_slash),
	    cmocka_unit_test(test_golden_ignore_pointers_and_globs),
	    cmocka_unit_test(test_golden_bad_ignore_pointer_is_a_usage_error),
	    cmocka_unit_test(test_golden_duplicate_keys_are_errors_with_position),
	    cmocka_unit_test(test_golden_nan_literal_is_an_error_with_line_and_column),
	    cmocka_unit_test(test_golden_caps_kept_drifts_but_counts_all),
	    cmocka_unit_test(test_golden_json_report_is_canonical_and_keeps_digits),
	    cmocka_unit_test(test_golden_text_report_has_summary_and_one_line_per_drift),
	    cmocka_unit_test(test_golden_text_report_shortens_long_values),
	    cmocka_unit_test(test_golden_doc_load_reads_and_maps_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
