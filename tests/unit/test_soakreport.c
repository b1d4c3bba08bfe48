/*
 * test_soakreport.c - the soak's report writers on a hand-made result: overall
 * verdicts, the JSON shapes readiness depends on, GitHub-flavoured Markdown,
 * the HTML page with its SVG charts, JUnit XML, and escaping everywhere.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "jsontree.h"
#include "soakreport.h"

#define T0 1760140800.0 /* 2025-10-11T00:00:00Z */

static struct gate_def defs[2];
static struct chart charts[3];
static struct soakreport_gate gates[2];
static struct soakreport_series series[1];
static struct series_sel rsel;
static struct soak_report rep;

static int
setup(void **st)
{
	size_t i;
	double t;

	(void)st;
	memset(defs, 0, sizeof(defs));
	defs[0].name = (char *)"latency_p95";
	defs[0].description = (char *)"P95 <tick> latency";
	defs[0].hard = 1;
	defs[0].sel.metric = (char *)"mm_tick_latency_seconds";
	defs[0].sel.unit = (char *)"ms";
	defs[0].sel.scale = 1000;
	defs[0].agg = AGG_P95;
	defs[0].op = OP_LE;
	defs[0].threshold = 150;
	defs[0].window = 300;
	defs[0].alert.name = (char *)"SoakLatencyP95High";
	defs[0].alert.expr = (char *)"histogram_quantile(0.95, x) * 1000";
	defs[0].alert.for_s = 600;
	defs[1] = defs[0];
	defs[1].name = (char *)"maker_share";
	defs[1].hard = 0;
	defs[1].agg = AGG_MEAN;
	defs[1].op = OP_GE;
	defs[1].threshold = 0.85;
	defs[1].sel.unit = (char *)"";
	defs[1].sel.scale = 1;
	defs[1].alert.name = (char *)"SoakMakerTakerImbalance";
	for (i = 0; i < 3; i++)
		chart_init(&charts[i], T0, 6 * 3600);
	for (t = T0; t <= T0 + 6 * 3600; t += 60) {
		int breach = t >= T0 + 7200 && t < T0 + 10800;

		chart_add(&charts[0], t, breach ? 400 : 80, breach);
		chart_add(&charts[1], t, 0.9, 0);
		chart_add(&charts[2], t, breach ? 400 : 80, 0);
	}
	memset(gates, 0, sizeof(gates));
	gates[0].res.def = &defs[0];
	gates[0].res.verdict = VERDICT_FAIL;
	gates[0].res.value = 160.5;
	gates[0].res.aggregate_breached = 1;
	snprintf(gates[0].res.reason, sizeof(gates[0].res.reason),
		 "p95 160.5 ms > 150 | \"quoted\" & <tagged>");
	gates[0].res.first_breach = T0 + 7230;
	gates[0].res.first_sustained = T0 + 7830;
	gates[0].res.longest = 3600;
	gates[0].res.longest_start = T0 + 7230;
	gates[0].res.breach_seconds = 3600;
	gates[0].chart = &charts[0];
	gates[1].res.def = &defs[1];
	gates[1].res.verdict = VERDICT_FAIL;
	gates[1].res.value = 0.80;
	gates[1].res.first_breach = NAN;
	gates[1].res.first_sustained = NAN;
	gates[1].res.longest_start = NAN;
	snprintf(gates[1].res.reason, sizeof(gates[1].res.reason), "mean 0.8 < 0.85");
	gates[1].chart = &charts[1];
	memset(&rsel, 0, sizeof(rsel));
	rsel.metric = (char *)"mm_tick_latency_seconds";
	rsel.type = MTYPE_HISTOGRAM;
	rsel.nlabels = 1;
	rsel.labels[0].name = (char *)"stage";
	rsel.labels[0].value = (char *)"tick_total";
	rsel.scale = 1000;
	rsel.unit = (char *)"ms";
	memset(series, 0, sizeof(series));
	series[0].name = "tick_latency_ms";
	series[0].sel = &rsel;
	series[0].chart_label = "p95 over 5m";
	series[0].chart = &charts[2];
	series[0].aggs.p50 = 40;
	series[0].aggs.p95 = 160.5;
	series[0].aggs.p99 = 300;
	series[0].aggs.p90 = NAN;
	series[0].aggs.p999 = NAN;
	series[0].aggs.count = 1000;
	series[0].aggs.samples = 1441;
	memset(&rep, 0, sizeof(rep));
	rep.run.source = "scrape";
	rep.run.target = "http://bot:9100/metrics?a=<1>&b=2";
	rep.run.gates_file = "deploy/gates/soak.yaml";
	rep.run.generated_at = T0 + 6 * 3600;
	rep.run.start = T0;
	rep.run.end = T0 + 6 * 3600;
	rep.run.planned = 6 * 3600;
	rep.run.elapsed = 6 * 3600;
	rep.run.interval = 15;
	rep.run.warmup = 600;
	rep.run.samples = 1441;
	rep.run.complete = 1;
	rep.run.abort_reason = "";
	rep.run.last_error = "";
	rep.ngates = 2;
	rep.gates = gates;
	rep.nseries = 1;
	rep.series = series;
	return 0;
}

static int
teardown(void **st)
{
	size_t i;

	(void)st;
	for (i = 0; i < 3; i++)
		chart_release(&charts[i]);
	return 0;
}

static void
test_overall_verdict_rules(void **st)
{
	unsigned c[2][4];

	(void)st;
	assert_string_equal(soakreport_verdict(&rep), "fail");
	soakreport_counts(&rep, c);
	assert_int_equal(c[1][VERDICT_FAIL], 1);
	assert_int_equal(c[0][VERDICT_FAIL], 1);
	gates[0].res.verdict = VERDICT_PASS;
	assert_string_equal(soakreport_verdict(&rep), "pass"); /* a soft failure only warns */
	rep.run.complete = 0;
	rep.run.interrupted = 1;
	assert_string_equal(soakreport_verdict(&rep), "incomplete");
	gates[0].res.verdict = VERDICT_ERROR;
	assert_string_equal(soakreport_verdict(&rep), "error");
	gates[0].res.verdict = VERDICT_NO_DATA;
	assert_string_equal(soakreport_verdict(&rep), "fail");
	rep.run.unreachable = 1;
	assert_string_equal(soakreport_verdict(&rep), "error");
}

static void
test_gates_json_shape(void **st)
{
	json_t *j = soakreport_gates_json(&rep), *g0, *g1;
	char *text;

	(void)st;
	assert_string_equal(jsontree_str(j, "verdict", ""), "fail");
	assert_false(jsontree_bool(j, "passed", 1));
	assert_int_equal((int)jsontree_num(json_object_get(j, "hard"), "fail", -1), 1);
	assert_int_equal((int)jsontree_num(json_object_get(j, "soft"), "fail", -1), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "warnings"), 0)),
			    "maker_share");
	g0 = json_array_get(json_object_get(j, "gates"), 0);
	g1 = json_array_get(json_object_get(j, "gates"), 1);
	assert_string_equal(jsontree_str(g0, "kind", ""), "hard");
	assert_string_equal(jsontree_str(g0, "verdict", ""), "fail");
	assert_string_equal(jsontree_str(g0, "op", ""), "<=");
	assert_true(jsontree_num(g0, "margin", 0) == 150 - 160.5); /* negative: outside */
	assert_true(jsontree_num(g1, "margin", 0) < 0);
	assert_string_equal(jsontree_str(g0, "first_breach", ""), "2025-10-11T02:00:30Z");
	assert_true(jsontree_num(g0, "first_breach_offset_seconds", 0) == 7230);
	assert_true(json_is_null(json_object_get(g1, "first_breach")));
	assert_string_equal(jsontree_str(g0, "alert_expr", ""),
			    "histogram_quantile(0.95, x) * 1000 > 150");
	assert_string_equal(jsontree_str(g1, "kind", ""), "soft");
	text = jsontree_dumps(j);
	/* Canonical: sorted keys and a trailing newline. */
	assert_true(text[strlen(text) - 1] == '\n');
	assert_true(strstr(text, "\"abort_reason\"") < strstr(text, "\"verdict\""));
	free(text);
	json_decref(j);
}

static void
test_metrics_json_has_the_aggregates_of_the_type(void **st)
{
	json_t *j = soakreport_metrics_json(&rep), *s, *a;

	(void)st;
	s = json_object_get(json_object_get(j, "series"), "tick_latency_ms");
	a = json_object_get(s, "aggregates");
	assert_true(jsontree_num(a, "p95", 0) == 160.5);
	assert_non_null(json_object_get(a, "p999"));
	assert_true(json_is_null(json_object_get(a, "p999"))); /* NaN is null */
	assert_null(json_object_get(a, "mean"));	       /* not a histogram aggregate */
	assert_string_equal(jsontree_str(json_object_get(s, "labels"), "stage", ""), "tick_total");
	assert_string_equal(jsontree_str(json_object_get(j, "run"), "start", ""),
			    "2025-10-11T00:00:00Z");
	json_decref(j);
}

static void
test_markdown_summary(void **st)
{
	struct buf b = BUF_INIT(1 << 20);

	(void)st;
	assert_int_equal(soakreport_markdown(&rep, &b), 0);
	assert_non_null(strstr(b.data, "# Soak results: ❌ FAIL\n"));
	assert_non_null(strstr(b.data, "| latency_p95 | hard | ❌ fail | 160.5 ms p95 | ≤ 150 ms | "
				       "-10.5 ms | +2h30s | 1h | SoakLatencyP95High (10m) |"));
	assert_non_null(strstr(b.data, "> **Warning** (soft gate maker_share): mean 0.8 < 0.85"));
	/* A pipe in a reason does not break the table. */
	assert_non_null(strstr(b.data, "ms > 150 \\| \"quoted\""));
	buf_release(&b);
}

static void
test_html_is_self_contained_with_charts(void **st)
{
	struct buf b = BUF_INIT(4 << 20);
	const char *p;
	int svgs = 0;

	(void)st;
	assert_int_equal(soakreport_html(&rep, &b), 0);
	for (p = b.data; (p = strstr(p, "<svg ")); p++)
		svgs++;
	assert_int_equal(svgs, 3);
	assert_non_null(strstr(b.data, "class=\"th\""));
	assert_non_null(strstr(b.data, "class=\"breach\""));
	assert_non_null(strstr(b.data, "class=\"warmup\""));
	assert_null(strstr(b.data, "<script"));
	/* The target and the reasons are escaped. */
	assert_non_null(strstr(b.data, "metrics?a=&lt;1&gt;&amp;b=2"));
	assert_non_null(strstr(b.data, "&quot;quoted&quot; &amp; &lt;tagged&gt;"));
	assert_non_null(strstr(b.data, "P95 &lt;tick&gt; latency"));
	buf_release(&b);
}

static void
test_junit_one_testcase_per_gate(void **st)
{
	struct buf b = BUF_INIT(1 << 20);

	(void)st;
	assert_int_equal(soakreport_junit(&rep, &b), 0);
	assert_non_null(strstr(b.data, "<testsuites name=\"mmops soak\" tests=\"2\" failures=\"1\" "
				       "errors=\"0\" skipped=\"1\""));
	assert_non_null(strstr(b.data, "<testcase classname=\"soak.hard\" name=\"latency_p95\""));
	assert_non_null(strstr(b.data, "<failure type=\"fail\" message=\"p95 160.5 ms &gt; 150 | "
				       "&quot;quoted&quot; &amp; &lt;tagged&gt;\">"));
	assert_non_null(
	    strstr(b.data, "<skipped message=\"soft gate (warning): mean 0.8 &lt; 0.85\"/>"));
	buf_release(&b);
}

static void
test_writers_are_atomic_files(void **st)
{
	char dir[] = "/tmp/test_soakreport.XXXXXX", path[128];
	struct buf b = BUF_INIT(1 << 20);
	struct mm_err err;

	(void)st;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sub/g.json", dir);
	assert_int_equal(soakreport_write_gates(&rep, path, &err), 0);
	assert_int_equal(buf_read_file(&b, path, &err), 0);
	assert_non_null(strstr(b.data, "\"verdict\": \"fail\""));
	unlink(path);
	snprintf(path, sizeof(path), "%s/sub", dir);
	rmdir(path);
	rmdir(dir);
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_overall_verdict_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gates_json_shape, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_metrics_json_has_the_aggregates_of_the_type, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_markdown_summary, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_html_is_self_contained_with_charts, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_junit_one_testcase_per_gate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_writers_are_atomic_files, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
