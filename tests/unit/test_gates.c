/*
 * test_gates.c - the gates file loader (every error with file:line:col; the
 * built-in default identical to deploy/gates/soak.yaml) and the judging of
 * one gate: windowed `for:`, streaks, no-data rules, the four verdicts.
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
#include "gates.h"
#include "yaml.h"

static const char head[] = "version: 1\n"
			   "metrics:\n"
			   "  lat_seconds: histogram\n"
			   "  ratio: gauge\n"
			   "  trips_total: counter\n"
			   "gates:\n";

static struct gate_config *
load(const char *gates, struct mm_err *err)
{
	char text[4096];

	snprintf(text, sizeof(text), "%s%s", head, gates);
	mm_err_init(err);
	return gates_loadb(text, strlen(text), "g.yaml", err);
}

/* Loading must fail with msg containing want, at line:col. */
static void
expect_error(const char *gates, unsigned long line, unsigned long col, const char *want)
{
	struct mm_err err;
	struct gate_config *cfg = load(gates, &err);

	if (cfg) {
		gates_free(cfg);
		print_error("loaded, expected '%s'\n", want);
		fail();
	}
	if (!strstr(err.msg, want) || err.line != line || err.col != col) {
		print_error("got %s:%lu:%lu: %s; want %lu:%lu '%s'\n", err.file, err.line, err.col,
			    err.msg, line, col, want);
		fail();
	}
	assert_string_equal(err.file, "g.yaml");
	assert_int_equal(err.code, MM_E_CONFIG);
}

static const char good_gate[] =
    "  - name: p95\n"
    "    kind: hard\n"
    "    metric: lat_seconds\n"
    "    labels: {stage: tick}\n"
    "    scale: 1000\n"
    "    unit: ms\n"
    "    aggregate: p95\n"
    "    op: \"<=\"\n"
    "    threshold: 150\n"
    "    alert: {name: LatHigh, expr: 'histogram_quantile(0.95, x) * 1000', for: 10m}\n";

static void
test_default_gates_load_and_match_the_file(void **st)
{
	struct mm_err err;
	struct gate_config *cfg;
	struct buf file = BUF_INIT(1 << 20);
	const char *root = getenv("ROOT");
	char path[4096];
	static const char *const names[] = {
	    "latency_p95",     "deadline_miss_rate", "edge_bps",    "hit_ratio",
	    "circuit_breaker", "guard_trips",	     "maker_share", "ws_lag",
	};
	size_t i;

	(void)st;
	mm_err_init(&err);
	cfg = gates_load_default(&err);
	assert_non_null(cfg);
	assert_int_equal(cfg->ngates, 8);
	for (i = 0; i < 8; i++)
		assert_string_equal(cfg->gates[i].name, names[i]);
	assert_true(cfg->gates[0].hard && !cfg->gates[6].hard && !cfg->gates[7].hard);
	assert_true(cfg->gates[0].agg == AGG_P95 && cfg->gates[0].sel.scale == 1000);
	assert_true(cfg->gates[0].alert.for_s == 600);
	assert_true(cfg->warmup == 600);
	gates_free(cfg);

	snprintf(path, sizeof(path), "%s/deploy/gates/soak.yaml", root ? root : ".");
	assert_int_equal(buf_read_file(&file, path, &err), 0);
	if (strcmp(file.data, gates_default_yaml) != 0) {
		print_error("lib/gates_default.c differs from deploy/gates/soak.yaml: "
			    "run scripts/gen-defaults\n");
		fail();
	}
	buf_release(&file);
}

/*
 * DESIGN §5: one threshold for the soak and production.  That the deployed
 * rules are the rendering of the gates is `mmops alerts check` (make check);
 * tests/unit/test_alerts.c tests the rendering.
 */

static void
test_good_gate_loads_with_defaults(void **st)
{
	struct mm_err err;
	struct gate_config *cfg = load(good_gate, &err);
	const struct gate_def *g;
	char buf[512];

	(void)st;
	assert_non_null(cfg);
	g = &cfg->gates[0];
	assert_string_equal(g->sel.metric, "lat_seconds");
	assert_int_equal(g->sel.type, MTYPE_HISTOGRAM);
	assert_int_equal(g->sel.nlabels, 1);
	assert_true(g->window == GATES_DEFAULT_WINDOW);
	assert_int_equal(g->no_data, NODATA_NO_DATA);
	assert_int_equal(g->op, OP_LE);
	assert_string_equal(gates_alert_expr(g, buf, sizeof(buf)),
			    "histogram_quantile(0.95, x) * 1000 > 150");
	assert_string_equal(gates_selector_str(&g->sel, buf, sizeof(buf)),
			    "lat_seconds{stage=\"tick\"}");
	gates_free(cfg);
}

static void
test_unknown_key_is_error_at_its_position(void **st)
{
	(void)st;
	expect_error("  - name: a\n    kind: hard\n    metric: ratio\n    aggregate: mean\n"
		     "    op: '>='\n    threshold: 1\n    treshold: 2\n"
		     "    alert: {name: A, expr: ratio, for: 5m}\n",
		     13, 5, "unknown key 'treshold'");
}

static void
test_unknown_metric_is_error(void **st)
{
	(void)st;
	expect_error(
	    "  - name: a\n    kind: hard\n    metric: nope_total\n    aggregate: increase\n"
	    "    op: '=='\n    threshold: 0\n    alert: {name: A, expr: x, for: 5m}\n",
	    9, 13, "unknown metric 'nope_total'");
}

static void
test_unknown_aggregate_and_operator_are_errors(void **st)
{
	(void)st;
	expect_error("  - name: a\n    kind: hard\n    metric: ratio\n    aggregate: median\n"
		     "    op: '>='\n    threshold: 1\n    alert: {name: A, expr: x, for: 5m}\n",
		     10, 16, "unknown aggregate 'median'");
	expect_error("  - name: a\n    kind: hard\n    metric: ratio\n    aggregate: mean\n"
		     "    op: '=>'\n    threshold: 1\n    alert: {name: A, expr: x, for: 5m}\n",
		     11, 9, "unknown operator '=>'");
}

static void
test_aggregate_must_fit_the_metric_type(void **st)
{
	(void)st;
	expect_error("  - name: a\n    kind: hard\n    metric: ratio\n    aggregate: increase\n"
		     "    op: '=='\n    threshold: 0\n    alert: {name: A, expr: x, for: 5m}\n",
		     10, 16, "aggregate 'increase' does not apply to gauge 'ratio'");
	expect_error("  - name: a\n    kind: hard\n    metric: lat_seconds\n    aggregate: max\n"
		     "    op: '<='\n    threshold: 0\n    alert: {name: A, expr: x, for: 5m}\n",
		     10, 16, "does not apply to histogram");
}

static void
test_other_config_errors(void **st)
{
	(void)st;
	/* Missing threshold: reported at the gate. */
	expect_error("  - name: a\n    kind: hard\n    metric: ratio\n    aggregate: mean\n"
		     "    op: '>='\n    alert: {name: A, expr: x, for: 5m}\n",
		     7, 5, "missing key 'threshold'");
	/* Bad kind, bad duration, bad scale, le matcher, no_data rule. */
	expect_error("  - name: a\n    kind: firm\n    metric: ratio\n    aggregate: mean\n"
		     "    op: '>='\n    threshold: 1\n    alert: {name: A, expr: x, for: 5m}\n",
		     8, 11, "unknown kind 'firm'");
	expect_error(
	    "  - name: a\n    kind: hard\n    metric: ratio\n    aggregate: mean\n"
	    "    op: '>='\n    threshold: 1\n    alert: {name: A, expr: x, for: 5 minutes}\n",
	    13, 36, "'5 minutes' is not a duration");
	expect_error(
	    "  - name: a\n    kind: hard\n    metric: ratio\n    scale: -1\n    aggregate: mean\n"
	    "    op: '>='\n    threshold: 1\n    alert: {name: A, expr: x, for: 5m}\n",
	    10, 12, "scale must be greater than 0");
	expect_error(
	    "  - name: a\n    kind: hard\n    metric: lat_seconds\n    labels: {le: '0.1'}\n"
	    "    aggregate: p95\n    op: '<='\n    threshold: 1\n"
	    "    alert: {name: A, expr: x, for: 5m}\n",
	    10, 14, "cannot match on 'le'");
	expect_error("  - name: a\n    kind: hard\n    metric: ratio\n    aggregate: mean\n"
		     "    op: '>='\n    threshold: 1\n    no_data: ignore\n"
		     "    alert: {name: A, expr: x, for: 5m}\n",
		     13, 14, "unknown no_data rule 'ignore'");
	expect_error("  - name: a\n    kind: hard\n    metric: lat_seconds\n    aggregate: p95\n"
		     "    op: '<='\n    threshold: 1\n    window: 0s\n"
		     "    alert: {name: A, expr: x, for: 5m}\n",
		     13, 13, "window must be longer than 0s for aggregate 'p95'");
	expect_error("  - name: a\n    kind: hard\n    metric: ratio\n    aggregate: mean\n"
		     "    op: '>='\n    threshold: high\n    alert: {name: A, expr: x, for: 5m}\n",
		     12, 16, "expected a number");
}

static void
test_duplicate_gate_and_alert_names_are_errors(void **st)
{
	char two[2048];

	(void)st;
	snprintf(two, sizeof(two), "%s%s", good_gate, good_gate);
	expect_error(two, 17, 11, "duplicate gate name 'p95'");
}

static void
test_version_and_top_level_keys(void **st)
{
	struct mm_err err;
	struct gate_config *cfg;
	static const char v2[] = "version: 2\nmetrics: {}\ngates: []\n";
	static const char extra[] = "version: 1\nmetrics: {}\ngate: []\n";

	(void)st;
	mm_err_init(&err);
	cfg = gates_loadb(v2, strlen(v2), "v.yaml", &err);
	assert_null(cfg);
	assert_int_equal(err.line, 1);
	cfg = gates_loadb(extra, strlen(extra), "v.yaml", &err);
	assert_null(cfg);
	assert_int_equal(err.line, 3);
	assert_non_null(strstr(err.msg, "unknown key 'gate'"));
}

static struct gate_def *
mkgate(struct gate_def *g, enum gate_op op, double th, double for_s)
{
	memset(g, 0, sizeof(*g));
	g->name = (char *)"g";
	g->hard = 1;
	g->sel.metric = (char *)"m";
	g->sel.unit = (char *)"ms";
	g->sel.scale = 1;
	g->agg = AGG_P95;
	g->op = op;
	g->threshold = th;
	g->alert.name = (char *)"A";
	g->alert.expr = (char *)"m";
	g->alert.for_s = for_s;
	return g;
}

static void
test_eval_breach_shorter_than_for_is_not_sustained(void **st)
{
	struct gate_def g;
	struct gate_eval ev;
	struct gate_result r;
	double t;

	(void)st;
	gate_eval_init(&ev, mkgate(&g, OP_LE, 150, 600), 300);
	for (t = 0; t < 3600; t += 15)
		gate_eval_step(&ev, t, t >= 1000 && t < 1300 ? 200 : 100);
	gate_eval_finish(&ev, t);
	assert_false(ev.sustained);
	assert_true(ev.first_breach == 1005);
	assert_true(ev.longest == 1305 - 1005); /* until the first evaluation back inside */
	gate_judge(&g, &ev, 120, GDATA_OK, NULL, &r);
	assert_int_equal(r.verdict, VERDICT_PASS);
	assert_non_null(strstr(r.reason, "shorter than 10m"));
}

static void
test_eval_sustained_breach_fails_even_when_the_aggregate_passes(void **st)
{
	struct gate_def g;
	struct gate_eval ev;
	struct gate_result r;
	double t;
	int newly = 0, at = -1;

	(void)st;
	gate_eval_init(&ev, mkgate(&g, OP_LE, 150, 600), 300);
	for (t = 0; t < 7200; t += 15)
		if (gate_eval_step(&ev, t, t >= 1800 && t < 1800 + 900 ? 400 : 100)) {
			newly++;
			at = (int)t;
		}
	gate_eval_finish(&ev, t);
	assert_int_equal(newly, 1);
	assert_int_equal(at, 1800 + 600);
	assert_true(ev.longest == 900);
	gate_judge(&g, &ev, 120, GDATA_OK, NULL, &r);
	assert_int_equal(r.verdict, VERDICT_FAIL);
	assert_false(r.aggregate_breached);
	assert_non_null(strstr(r.reason, "for 15m"));
}

static void
test_eval_nan_and_stale_gaps_end_a_streak(void **st)
{
	struct gate_def g;
	struct gate_eval ev;

	(void)st;
	gate_eval_init(&ev, mkgate(&g, OP_GE, 2, 600), 300);
	gate_eval_step(&ev, 0, 1);
	gate_eval_step(&ev, 100, NAN); /* no value: the streak ends here */
	gate_eval_step(&ev, 200, 1);
	gate_eval_step(&ev, 700, 1); /* 500 s gap > staleness: ends at 200 */
	gate_eval_step(&ev, 900, 1);
	gate_eval_finish(&ev, 900);
	assert_false(ev.sustained);
	assert_true(ev.longest == 200); /* 700..900 */
	assert_true(ev.breach_seconds == 100 + 0 + 200);
	assert_int_equal(ev.nan_evals, 1);
}

static void
test_judge_no_data_rules_and_error(void **st)
{
	struct gate_def g;
	struct gate_eval ev;
	struct gate_result r;

	(void)st;
	gate_eval_init(&ev, mkgate(&g, OP_LE, 150, 600), 300);
	gate_judge(&g, &ev, NAN, GDATA_NONE, NULL, &r);
	assert_int_equal(r.verdict, VERDICT_NO_DATA);
	g.no_data = NODATA_FAIL;
	gate_judge(&g, &ev, NAN, GDATA_NONE, NULL, &r);
	assert_int_equal(r.verdict, VERDICT_FAIL);
	g.no_data = NODATA_PASS;
	gate_judge(&g, &ev, NAN, GDATA_NONE, NULL, &r);
	assert_int_equal(r.verdict, VERDICT_PASS);
	gate_judge(&g, &ev, NAN, GDATA_ERROR, "bad_data: parse error", &r);
	assert_int_equal(r.verdict, VERDICT_ERROR);
	assert_non_null(strstr(r.reason, "bad_data"));
	gate_judge(&g, &ev, 151, GDATA_OK, NULL, &r);
	assert_int_equal(r.verdict, VERDICT_FAIL);
	assert_true(r.aggregate_breached);
	gate_judge(&g, &ev, 150, GDATA_OK, NULL, &r);
	assert_int_equal(r.verdict, VERDICT_PASS);
}

static void
test_compare_and_negation(void **st)
{
	(void)st;
	assert_true(gates_compare(OP_LE, 1, 1) && !gates_compare(OP_LT, 1, 1));
	assert_true(gates_compare(OP_EQ, 0, 0) && !gates_compare(OP_NE, 0, 0));
	assert_false(gates_compare(OP_GE, NAN, 0));
	assert_string_equal(gates_op_negated(OP_EQ), "!=");
	assert_string_equal(gates_op_negated(OP_GE), "<");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default_gates_load_and_match_the_file),
	    cmocka_unit_test(test_good_gate_loads_with_defaults),
	    cmocka_unit_test(test_unknown_key_is_error_at_its_position),
	    cmocka_unit_test(test_unknown_metric_is_error),
	    cmocka_unit_test(test_unknown_aggregate_and_operator_are_errors),
	    cmocka_unit_test(test_aggregate_must_fit_the_metric_type),
	    cmocka_unit_test(test_other_config_errors),
	    cmocka_unit_test(test_duplicate_gate_and_alert_names_are_errors),
	    cmocka_unit_test(test_version_and_top_level_keys),
	    cmocka_unit_test(test_eval_breach_shorter_than_for_is_not_sustained),
	    cmocka_unit_test(test_eval_sustained_breach_fails_even_when_the_aggregate_passes),
	    cmocka_unit_test(test_eval_nan_and_stale_gaps_end_a_streak),
	    cmocka_unit_test(test_judge_no_data_rules_and_error),
	    cmocka_unit_test(test_compare_and_negation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
