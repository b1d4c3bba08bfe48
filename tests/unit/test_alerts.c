/*
 * test_alerts.c - the alert rules rendered from the gates: every gate becomes
 * one rule with its threshold, for:, severity, gate label and annotations;
 * the time scaling of for: and of every duration in an expression; the
 * Prometheus duration format; the line diff of `mmops alerts check`.
 * (promtool parses the renderings in tests/e2e/alerts_render.sh.)
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

#include "alerts.h"
#include "buf.h"
#include "gates.h"
#include "yaml.h"

static const char two_gates[] = "version: 1\n"
				"metrics:\n"
				"  lat_seconds: histogram\n"
				"  ratio: gauge\n"
				"gates:\n"
				"  - name: lat\n"
				"    description: P95 latency\n"
				"    kind: hard\n"
				"    metric: lat_seconds\n"
				"    scale: 1000\n"
				"    unit: ms\n"
				"    aggregate: p95\n"
				"    op: \"<=\"\n"
				"    threshold: 150\n"
				"    alert:\n"
				"      name: LatHigh\n"
				"      expr: histogram_quantile(0.95, sum by (le) "
				"(rate(lat_seconds_bucket{stage=\"a[1m]\"}[5m]))) * 1000\n"
				"      for: 10m\n"
				"      summary: latency \"high\"\n"
				"  - name: share\n"
				"    kind: soft\n"
				"    metric: ratio\n"
				"    aggregate: mean\n"
				"    op: \">=\"\n"
				"    threshold: 0.85\n"
				"    window: 0s\n"
				"    alert:\n"
				"      name: ShareLow\n"
				"      expr: ratio\n"
				"      for: 30m\n";

static struct gate_config *
load(void)
{
	struct mm_err err;
	struct gate_config *cfg = gates_loadb(two_gates, strlen(two_gates), "g.yaml", &err);

	if (!cfg)
		fail_msg("g.yaml: %s", err.msg);
	return cfg;
}

static void
render(double scale, struct buf *out)
{
	struct gate_config *cfg = load();
	struct alerts_opts o;
	struct mm_err err;

	alerts_opts_init(&o);
	o.time_scale = scale;
	if (alerts_render(cfg, &o, out, &err) < 0)
		fail_msg("render: %s", err.msg);
	gates_free(cfg);
}

/* The rule named alert in a parsed rule file. */
static const struct ynode *
rule(const struct ydoc *doc, const char *alert)
{
	const struct ynode *groups = ynode_get(doc->root, "groups"), *rules;
	size_t i;

	assert_non_null(groups);
	assert_int_equal(groups->n, 1);
	rules = ynode_get(groups->items[0], "rules");
	assert_non_null(rules);
	for (i = 0; i < rules->n; i++) {
		const struct ynode *n = ynode_get(rules->items[i], "alert");

		if (n && n->kind == YNODE_SCALAR && strcmp(n->str, alert) == 0)
			return rules->items[i];
	}
	fail_msg("no rule %s", alert);
	return NULL;
}

static const char *
str_at(const struct ynode *n, const char *k1, const char *k2)
{
	const struct ynode *v = ynode_get(n, k1);

	if (k2)
		v = ynode_get(v, k2);
	assert_non_null(v);
	assert_int_equal(v->kind, YNODE_SCALAR);
	return v->str;
}

static void
test_each_gate_is_one_rule_with_threshold_for_and_labels(void **st)
{
	struct buf out = BUF_INIT(ALERTS_MAX_OUTPUT);
	struct mm_err err;
	struct ydoc *doc;
	const struct ynode *r;

	(void)st;
	render(1, &out);
	doc = yaml_loadb(out.data, out.len, "rules.yml", &err);
	if (!doc)
		fail_msg("the rendering is not YAML: %s", err.msg);
	r = rule(doc, "LatHigh");
	assert_string_equal(str_at(r, "expr", NULL),
			    "histogram_quantile(0.95, sum by (le) "
			    "(rate(lat_seconds_bucket{stage=\"a[1m]\"}[5m]))) * 1000 > 150");
	assert_string_equal(str_at(r, "for", NULL), "10m");
	assert_string_equal(str_at(r, "labels", "severity"), "critical");
	assert_string_equal(str_at(r, "labels", "gate"), "hard");
	assert_string_equal(str_at(r, "annotations", "summary"), "latency \"high\"");
	assert_non_null(strstr(str_at(r, "annotations", "description"), "{{ $value"));
	assert_non_null(strstr(str_at(r, "annotations", "description"), "(<= 150 ms) for 10m"));
	assert_string_equal(str_at(r, "annotations", "runbook_url"),
			    ALERTS_RUNBOOK_BASE "soak-test-failures.md#lathigh");
	r = rule(doc, "ShareLow");
	assert_string_equal(str_at(r, "expr", NULL), "ratio < 0.85");
	assert_string_equal(str_at(r, "for", NULL), "30m");
	assert_string_equal(str_at(r, "labels", "severity"), "warning");
	assert_string_equal(str_at(r, "labels", "gate"), "soft");
	/* no summary in the gate: the alert's name */
	assert_string_equal(str_at(r, "annotations", "summary"), "ShareLow");
	ydoc_free(doc);
	buf_release(&out);
}

static void
test_time_scale_divides_for_and_windows_not_strings(void **st)
{
	struct buf out = BUF_INIT(ALERTS_MAX_OUTPUT);
	struct mm_err err;
	struct ydoc *doc;
	const struct ynode *r;

	(void)st;
	render(60, &out);
	assert_non_null(strstr(out.data, "TIME-SCALED by 60"));
	doc = yaml_loadb(out.data, out.len, "rules.yml", &err);
	assert_non_null(doc);
	r = rule(doc, "LatHigh");
	/* the window is scaled, the label value that looks like one is not */
	assert_string_equal(str_at(r, "expr", NULL),
			    "histogram_quantile(0.95, sum by (le) "
			    "(rate(lat_seconds_bucket{stage=\"a[1m]\"}[5s]))) * 1000 > 150");
	assert_string_equal(str_at(r, "for", NULL), "10s");
	assert_string_equal(str_at(rule(doc, "ShareLow"), "for", NULL), "30s");
	ydoc_free(doc);
	buf_release(&out);
}

static void
test_rendering_is_deterministic(void **st)
{
	struct buf a = BUF_INIT(ALERTS_MAX_OUTPUT), b = BUF_INIT(ALERTS_MAX_OUTPUT);

	(void)st;
	render(1, &a);
	render(1, &b);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	buf_release(&a);
	buf_release(&b);
}

static void
test_scale_out_of_range_is_usage_error(void **st)
{
	struct gate_config *cfg = load();
	struct buf out = BUF_INIT(ALERTS_MAX_OUTPUT);
	struct alerts_opts o;
	struct mm_err err;

	(void)st;
	alerts_opts_init(&o);
	o.time_scale = 0.5;
	assert_int_equal(alerts_render(cfg, &o, &out, &err), -1);
	assert_int_equal(err.code, MM_E_USAGE);
	o.time_scale = NAN;
	assert_int_equal(alerts_render(cfg, &o, &out, &err), -1);
	o.time_scale = 1;
	o.runbook_base = "http://x/\"y";
	assert_int_equal(alerts_render(cfg, &o, &out, &err), -1);
	/* 10m / 1e6 is 0.6 ms: rounds to 1ms and renders; 5m at 1e6 ... the
	 * window [5m] is 0.3 ms and does not */
	o.runbook_base = NULL;
	o.time_scale = 1e6;
	assert_int_equal(alerts_render(cfg, &o, &out, &err), -1);
	assert_int_equal(err.code, MM_E_CONFIG);
	assert_non_null(strstr(err.msg, "gate 'lat'"));
	assert_non_null(strstr(err.msg, "under 1ms"));
	gates_free(cfg);
	buf_release(&out);
}

static void
scaled(const char *expr, double k, const char *want)
{
	struct buf out = BUF_INIT(4096);
	struct mm_err err;

	if (alerts_scale_expr(expr, k, &out, &err) < 0)
		fail_msg("%s: %s", expr, err.msg);
	assert_string_equal(out.data ? out.data : "", want);
	buf_release(&out);
}

static void
bad_scale(const char *expr, double k, const char *msg)
{
	struct buf out = BUF_INIT(4096);
	struct mm_err err;

	assert_int_equal(alerts_scale_expr(expr, k, &out, &err), -1);
	assert_int_equal(err.code, MM_E_CONFIG);
	if (!strstr(err.msg, msg))
		fail_msg("'%s': got '%s', want '%s'", expr, err.msg, msg);
	buf_release(&out);
}

static void
test_scale_expr_handles_ranges_subqueries_offsets(void **st)
{
	(void)st;
	scaled("rate(x[5m])", 60, "rate(x[5s])");
	scaled("rate(x[ 1h30m ])", 60, "rate(x[ 1m30s ])");
	scaled("max_over_time(rate(x[5m])[1h:1m])", 60, "max_over_time(rate(x[5s])[1m:1s])");
	scaled("max_over_time(x[30m:])", 60, "max_over_time(x[30s:])");
	scaled("x offset 10m", 60, "x offset 10s");
	scaled("x offset -10m", 60, "x offset -10s");
	scaled("rate(x[10m])", 7, "rate(x[1m25s714ms])");
	scaled("rate(x[1d])", 2, "rate(x[12h])");
	scaled("rate(x[1s])", 4, "rate(x[250ms])");
	/* strings, identifiers that contain "offset" and comments are copied */
	scaled("x{a=\"[5m]\",b='[1h]',c=`[2m]`} + my_offset_total", 60,
	       "x{a=\"[5m]\",b='[1h]',c=`[2m]`} + my_offset_total");
	scaled("x{a=\"q\\\"[5m]\"}", 60, "x{a=\"q\\\"[5m]\"}");
	scaled("x # [5m]\n", 60, "x # [5m]\n");
	scaled("", 60, "");
}

static void
test_scale_expr_errors_say_where(void **st)
{
	(void)st;
	bad_scale("rate(x[5m)", 60, "byte 10: expected ']'");
	bad_scale("rate(x[5q])", 60, "byte 8: expected a duration");
	bad_scale("rate(x[])", 60, "expected a duration");
	bad_scale("rate(x[1ms])", 4, "under 1ms");
	bad_scale("x{a=\"open", 60, "unterminated string");
	bad_scale("rate(x[5m", 60, "expected ']'");
}

static void
test_prometheus_durations(void **st)
{
	char b[64];

	(void)st;
	assert_string_equal(alerts_format_duration(600, b, sizeof(b)), "10m");
	assert_string_equal(alerts_format_duration(5400, b, sizeof(b)), "1h30m");
	assert_string_equal(alerts_format_duration(0.5, b, sizeof(b)), "500ms");
	assert_string_equal(alerts_format_duration(86400 * 3, b, sizeof(b)), "72h");
	assert_string_equal(alerts_format_duration(61.001, b, sizeof(b)), "1m1s1ms");
	assert_null(alerts_format_duration(0.0004, b, sizeof(b)));
	assert_null(alerts_format_duration(0, b, sizeof(b)));
	assert_null(alerts_format_duration(INFINITY, b, sizeof(b)));
	assert_null(alerts_format_duration(NAN, b, sizeof(b)));
}

static size_t
diff(const char *a, const char *b, struct buf *out)
{
	buf_reset(out);
	return alerts_diff(a, strlen(a), "a", b, strlen(b), "b", out);
}

static void
test_diff_is_unified_with_context(void **st)
{
	struct buf out = BUF_INIT(1 << 16);

	(void)st;
	assert_int_equal(diff("x\ny\n", "x\ny\n", &out), 0);
	assert_string_equal(out.data, "--- a\n+++ b\n");
	assert_int_equal(
	    diff("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nFIVE\n6\n7\n8\n9\n", &out), 2);
	assert_string_equal(out.data,
			    "--- a\n+++ b\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+FIVE\n 6\n 7\n 8\n");
	/* a line added at the end, and the empty file */
	assert_int_equal(diff("a\n", "a\nb\n", &out), 1);
	assert_string_equal(out.data, "--- a\n+++ b\n@@ -1,1 +1,2 @@\n a\n+b\n");
	assert_int_equal(diff("", "a\n", &out), 1);
	assert_string_equal(out.data, "--- a\n+++ b\n@@ -0,0 +1,1 @@\n+a\n");
	/* a missing final newline is a difference */
	assert_int_equal(diff("a\nb", "a\nb\n", &out) > 0, 1);
	buf_release(&out);
}

static void
test_diff_far_apart_changes_make_two_hunks(void **st)
{
	struct buf out = BUF_INIT(1 << 16), a = BUF_INIT(1 << 16), b = BUF_INIT(1 << 16);
	int i;
	const char *p;
	size_t hunks = 0;

	(void)st;
	for (i = 0; i < 40; i++) {
		buf_addf(&a, "line %d\n", i);
		buf_addf(&b, "line %d%s\n", i, i == 3 || i == 30 ? " changed" : "");
	}
	assert_int_equal(alerts_diff(a.data, a.len, "a", b.data, b.len, "b", &out), 4);
	for (p = out.data; (p = strstr(p, "\n@@ ")); p++)
		hunks++;
	assert_int_equal(hunks, 2);
	buf_release(&out);
	buf_release(&a);
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_each_gate_is_one_rule_with_threshold_for_and_labels),
	    cmocka_unit_test(test_time_scale_divides_for_and_windows_not_strings),
	    cmocka_unit_test(test_rendering_is_deterministic),
	    cmocka_unit_test(test_scale_out_of_range_is_usage_error),
	    cmocka_unit_test(test_scale_expr_handles_ranges_subqueries_offsets),
	    cmocka_unit_test(test_scale_expr_errors_say_where),
	    cmocka_unit_test(test_prometheus_durations),
	    cmocka_unit_test(test_diff_is_unified_with_context),
	    cmocka_unit_test(test_diff_far_apart_changes_make_two_hunks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
