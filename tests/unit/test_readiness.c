/*
 * test_readiness.c - the readiness configuration, each section's scorer with
 * present, missing and corrupt evidence, JUnit counting, the whole score and
 * the validator (structure, ranges, verdict logic, runtime metadata).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "jsontree.h"
#include "readiness.h"
#include "xalloc.h"

/* ---- fixtures ---------------------------------------------------------- */

static char tmpdir[64];

static int
setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/mmops-readiness-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int
remove_dir(void **state)
{
	char cmd[128];

	(void)state;
	/* Only our own mkdtemp directory, only files we wrote. */
	snprintf(cmd, sizeof(cmd), "%s", tmpdir);
	if (strncmp(cmd, "/tmp/mmops-readiness-", 21) == 0) {
		static const char *const names[] = {
		    "gates.json", "golden.json", "a.xml",     "b.xml",
		    "alerts.yml", "policy.yaml", "conf.yaml", NULL,
		};
		size_t i;

		for (i = 0; names[i]; i++) {
			char p[160];

			snprintf(p, sizeof(p), "%s/%s", tmpdir, names[i]);
			unlink(p);
		}
		rmdir(tmpdir);
	}
	return 0;
}

/* Write s to tmpdir/name and return the path (static storage, one at a time per slot). */
static const char *
put(const char *name, const char *s)
{
	static char paths[8][160];
	static int slot;
	char *p = paths[slot++ % 8];
	FILE *fp;

	snprintf(p, 160, "%s/%s", tmpdir, name);
	fp = fopen(p, "w");
	assert_non_null(fp);
	fputs(s, fp);
	fclose(fp);
	return p;
}

static const char *
path_in(const char *name)
{
	static char p[160];

	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	return p;
}

static long
points(const json_t *s)
{
	return (long)json_integer_value(json_object_get(s, "points"));
}

static const char *
status(const json_t *s)
{
	return jsontree_str(s, "status", "?");
}

static void
assert_reason_has(const json_t *s, const char *needle)
{
	const char *r = jsontree_str(s, "reason", "");

	if (!strstr(r, needle))
		fail_msg("reason '%s' lacks '%s'", r, needle);
}

/* ---- evidence texts ---------------------------------------------------- */

#define GATES_ALL_PASS                                                                             \
	"{\"verdict\": \"PASS\", \"gates\": ["                                                     \
	"{\"name\": \"latency_p95\", \"hard\": true, \"verdict\": \"pass\", \"value\": 120, "      \
	"\"threshold\": 150},"                                                                     \
	"{\"name\": \"hit_ratio\", \"kind\": \"hard\", \"verdict\": \"pass\"},"                    \
	"{\"name\": \"maker_share\", \"hard\": false, \"verdict\": \"fail\", \"value\": 0.8, "     \
	"\"threshold\": 0.85}]}"

static const char alerts_full[] =
    "groups:\n"
    "  - name: soak\n"
    "    rules:\n"
    "      - record: mm:tick_p95\n"
    "        expr: histogram_quantile(0.95, rate(mm_tick_latency_seconds_bucket[5m]))\n"
    "      - alert: SoakLatencyP95High\n"
    "        expr: mm:tick_p95 > 0.15\n"
    "        for: 10m\n"
    "        labels: {severity: critical}\n"
    "      - alert: SoakWSLagHigh\n"
    "        expr: mm_ws_lag_max_seconds > 0.2\n"
    "        for: 15m\n"
    "        labels:\n"
    "          severity: warning\n";

static const char *const two_alerts[] = {"SoakLatencyP95High", "SoakWSLagHigh"};

/* ---- configuration ----------------------------------------------------- */

static void
test_readiness_default_config_is_deploy_readiness_yaml(void **state)
{
	struct buf b = BUF_INIT(1 << 20);
	struct mm_err err;
	const char *root = getenv("ROOT");
	char path[4096];

	(void)state;
	/* scripts/check runs unit tests from the repository root. */
	snprintf(path, sizeof(path), "%s%sdeploy/readiness.yaml", root ? root : "",
		 root ? "/" : "");
	assert_int_equal(buf_read_file(&b, path, &err), 0);
	assert_string_equal(b.data, readiness_default_yaml);
	buf_release(&b);
}

static void
test_readiness_default_config_has_five_sections_adding_to_100(void **state)
{
	static const struct {
		const char *name;
		enum readiness_check check;
		long max;
	} want[] = {
	    {"soak_gates", RCHECK_SOAK_GATES, 30},
	    {"golden", RCHECK_GOLDEN, 20},
	    {"tests", RCHECK_JUNIT, 20},
	    {"alert_rules", RCHECK_ALERT_RULES, 15},
	    {"rollback_policy", RCHECK_ROLLBACK_POLICY, 15},
	};
	struct readiness_conf c;
	struct mm_err err;
	size_t i;

	(void)state;
	assert_int_equal(readiness_conf_default(&c, &err), 0);
	assert_int_equal(c.n, 5);
	for (i = 0; i < 5; i++) {
		assert_string_equal(c.sections[i].name, want[i].name);
		assert_int_equal(c.sections[i].check, want[i].check);
		assert_int_equal(c.sections[i].max, want[i].max);
		assert_int_equal(c.sections[i].nevidence, 1);
	}
	assert_int_equal(c.sections[3].nrequire, 8);
	assert_string_equal(c.sections[3].require_alerts[0], "SoakLatencyP95High");
	assert_string_equal(c.sections[3].require_alerts[7], "SoakWSLagHigh");
	/* The six hard alerts must roll back; the two soft ones only notify. */
	assert_int_equal(c.sections[4].nrequire, 6);
	assert_string_equal(c.sections[4].require_alerts[5], "SoakGuardTrip");
	readiness_conf_release(&c);
}

static void
expect_conf_error(const char *yaml, const char *needle, unsigned long line)
{
	struct readiness_conf c;
	struct mm_err err;

	mm_err_init(&err);
	assert_int_equal(readiness_conf_loadb(&c, yaml, strlen(yaml), "r.yaml", &err), -1);
	if (!strstr(err.msg, needle))
		fail_msg("error '%s' lacks '%s'", err.msg, needle);
	assert_string_equal(err.file, "r.yaml");
	assert_int_equal(err.line, line);
	assert_int_equal(c.n, 0);
	readiness_conf_release(&c);
}

static void
test_readiness_config_errors_are_positioned(void **state)
{
	(void)state;
	expect_conf_error("sections:\n  - {name: a, check: golden, max: 60}\n"
			  "  - {name: b, check: junit, max: 30}\n",
			  "add up to 90, not 100", 2);
	expect_conf_error("sections:\n  - {name: a, check: golden, max: 100, evidnce: x}\n",
			  "unknown key 'evidnce'", 2);
	expect_conf_error("sections:\n  - {name: a, check: golden, max: 50}\n"
			  "  - {name: a, check: junit, max: 50}\n",
			  "defined twice", 3);
	expect_conf_error("sections:\n  - {name: a, check: gold, max: 100}\n",
			  "unknown check 'gold'", 2);
	expect_conf_error("sections:\n  - {name: A-b, check: golden, max: 100}\n",
			  "must be 1..64 of [a-z0-9_]", 2);
	expect_conf_error("sections:\n  - {name: a, check: golden, max: 101}\n",
			  "out of range 1..100", 2);
	expect_conf_error("sections:\n  - name: a\n    check: golden\n    max: 100\n"
			  "    evidence: [x.json, y.json]\n",
			  "reads one file, not 2", 5);
	expect_conf_error(
	    "sections:\n  - {name: a, check: golden, max: 100, require_alerts: [X]}\n",
	    "alert_rules sections only", 2);
	expect_conf_error(
	    "sections:\n  - {name: a, check: junit, max: 100, require_hard_alerts: [X]}\n",
	    "rollback_policy sections only", 2);
	expect_conf_error("sections: []\n", "non-empty list", 1);
	expect_conf_error("sectons: []\n", "unknown key 'sectons'", 1);
	expect_conf_error("", "empty configuration", 1);
}

static void
test_readiness_set_evidence_replaces_every_section_of_a_check(void **state)
{
	static const char yaml[] = "sections:\n"
				   "  - {name: unit, check: junit, max: 50, evidence: [u.xml]}\n"
				   "  - {name: e2e, check: junit, max: 25}\n"
				   "  - {name: golden, check: golden, max: 25, evidence: g.json}\n";
	const char *const paths[] = {"a.xml", "b.xml"};
	struct readiness_conf c;
	struct mm_err err;

	(void)state;
	assert_int_equal(readiness_conf_loadb(&c, yaml, strlen(yaml), "r.yaml", &err), 0);
	assert_int_equal(readiness_conf_set_evidence(&c, RCHECK_JUNIT, paths, 2), 2);
	assert_int_equal(c.sections[0].nevidence, 2);
	assert_string_equal(c.sections[1].evidence[1], "b.xml");
	assert_string_equal(c.sections[2].evidence[0], "g.json");
	assert_int_equal(readiness_conf_set_evidence(&c, RCHECK_SOAK_GATES, paths, 1), 0);
	readiness_conf_release(&c);
}

/* ---- soak gates -------------------------------------------------------- */

static json_t *
gates(const char *s)
{
	return readiness_eval_soak_gates(s, strlen(s), "gates.json", 30);
}

static void
test_readiness_gates_all_hard_pass_scores_full_and_reports_soft(void **state)
{
	json_t *s = gates(GATES_ALL_PASS), *ev;

	(void)state;
	assert_string_equal(status(s), "pass");
	assert_int_equal(points(s), 30);
	assert_reason_has(s, "all 2 hard gates passed");
	assert_reason_has(s, "maker_share (fail)");
	ev = json_object_get(s, "evidence");
	assert_string_equal(jsontree_str(ev, "path", ""), "gates.json");
	assert_int_equal(json_array_size(json_object_get(ev, "soft_not_passed")), 1);
	assert_true(jsontree_num(json_array_get(json_object_get(ev, "soft_not_passed"), 0), "value",
				 0) == 0.8);
	json_decref(s);
}

static void
test_readiness_gates_hard_failure_or_no_data_scores_zero(void **state)
{
	json_t *s;

	(void)state;
	s = gates("{\"verdict\": \"FAIL\", \"gates\": ["
		  "{\"name\": \"latency_p95\", \"hard\": true, \"verdict\": \"fail\"},"
		  "{\"name\": \"hit_ratio\", \"hard\": true, \"verdict\": \"no_data\"},"
		  "{\"name\": \"edge\", \"hard\": true, \"verdict\": \"pass\"}]}");
	assert_string_equal(status(s), "fail");
	assert_int_equal(points(s), 0);
	assert_reason_has(s, "2 of 3 hard gates not passed");
	assert_reason_has(s, "latency_p95 (fail)");
	assert_reason_has(s, "hit_ratio (no_data)");
	json_decref(s);

	/* A query error is not a pass either. */
	s = gates("{\"gates\": [{\"name\": \"g\", \"kind\": \"hard\", \"verdict\": \"error\"}]}");
	assert_int_equal(points(s), 0);
	assert_reason_has(s, "g (error)");
	json_decref(s);
}

static void
test_readiness_gates_accepts_map_and_seed_shapes(void **state)
{
	json_t *s;

	(void)state;
	s = gates("{\"gates\": {\"latency_p95\": {\"kind\": \"hard\", \"status\": \"PASS\"},"
		  "\"ws_lag\": {\"kind\": \"soft\", \"status\": \"FAIL\"}}}");
	assert_string_equal(status(s), "pass");
	assert_reason_has(s, "ws_lag (fail)");
	json_decref(s);
	s = gates("{\"hard_gates\": {\"latency_p95\": {\"pass\": true}},"
		  "\"soft_gates\": {\"ws_lag\": {\"pass\": false}}}");
	assert_string_equal(status(s), "pass");
	json_decref(s);
	s = gates("{\"hard_gates\": [{\"name\": \"latency_p95\", \"pass\": false}]}");
	assert_string_equal(status(s), "fail");
	json_decref(s);
}

static void
test_readiness_gates_corrupt_or_empty_summary_scores_zero(void **state)
{
	json_t *s;

	(void)state;
	s = gates("{\"gates\": [");
	assert_string_equal(status(s), "invalid");
	assert_int_equal(points(s), 0);
	assert_reason_has(s, "gates.json:1:");
	json_decref(s);
	s = gates("[1, 2]");
	assert_string_equal(status(s), "invalid");
	json_decref(s);
	s = gates("{\"verdict\": \"PASS\"}");
	assert_string_equal(status(s), "invalid");
	assert_reason_has(s, "lists no gates");
	json_decref(s);
	s = gates("{\"gates\": [1]}");
	assert_string_equal(status(s), "invalid");
	json_decref(s);
	s = gates("{\"gates\": [{\"name\": \"ws\", \"hard\": false, \"verdict\": \"pass\"}]}");
	assert_string_equal(status(s), "fail");
	assert_reason_has(s, "no hard gate");
	json_decref(s);
}

static void
test_readiness_gates_unknown_kind_counts_as_hard_and_verdict_must_agree(void **state)
{
	json_t *s;

	(void)state;
	s = gates("{\"gates\": [{\"name\": \"mystery\", \"verdict\": \"fail\"}]}");
	assert_int_equal(points(s), 0);
	assert_int_equal(jsontree_num(json_object_get(s, "evidence"), "gates_without_kind", 0), 1);
	json_decref(s);
	s = gates("{\"verdict\": \"FAIL\", \"gates\": [{\"name\": \"a\", \"hard\": true, "
		  "\"verdict\": \"pass\"}]}");
	assert_int_equal(points(s), 0);
	assert_reason_has(s, "verdict is 'FAIL'");
	json_decref(s);
	s = gates("{\"verdict\": \"WARN\", \"gates\": [{\"name\": \"a\", \"hard\": true, "
		  "\"verdict\": \"pass\"}]}");
	assert_int_equal(points(s), 30);
	json_decref(s);
	/* An interrupted soak is not evidence, even if its gates passed so far. */
	s = gates("{\"verdict\": \"incomplete\", \"gates\": [{\"name\": \"a\", \"kind\": \"hard\", "
		  "\"verdict\": \"pass\"}]}");
	assert_int_equal(points(s), 0);
	assert_reason_has(s, "verdict is 'incomplete'");
	json_decref(s);
	/* A simulated soak scores, and says so. */
	s = gates("{\"verdict\": \"pass\", \"run\": {\"source\": \"mock\"}, \"gates\": [{\"name\": "
		  "\"a\", \"kind\": \"hard\", \"verdict\": \"pass\"}]}");
	assert_int_equal(points(s), 30);
	assert_reason_has(s, "all 1 hard gates passed (simulated soak)");
	assert_string_equal(jsontree_str(json_object_get(s, "evidence"), "source", ""), "mock");
	json_decref(s);
}

/* ---- golden ------------------------------------------------------------ */

static json_t *
golden(const char *s)
{
	return readiness_eval_golden(s, strlen(s), "golden.json", 20);
}

static void
test_readiness_golden_scores_no_drift_only(void **state)
{
	json_t *s;

	(void)state;
	s = golden("{\"drift\": false, \"drift_count\": 0, \"baseline\": \"b.json\"}");
	assert_string_equal(status(s), "pass");
	assert_int_equal(points(s), 20);
	assert_string_equal(jsontree_str(json_object_get(s, "evidence"), "baseline", ""), "b.json");
	json_decref(s);
	s = golden("{\"drift\": true, \"drift_count\": 3, \"drifts\": [{\"pointer\": \"/a/0\"}]}");
	assert_string_equal(status(s), "fail");
	assert_int_equal(points(s), 0);
	assert_reason_has(s, "3 drifts");
	assert_string_equal(
	    json_string_value(
		json_array_get(json_object_get(json_object_get(s, "evidence"), "first_drifts"), 0)),
	    "/a/0");
	json_decref(s);
	s = golden("{\"drift\": false, \"drift_count\": 2}");
	assert_string_equal(status(s), "fail");
	assert_reason_has(s, "counts 2 drifts");
	json_decref(s);
}

static void
test_readiness_golden_corrupt_report_scores_zero(void **state)
{
	json_t *s;

	(void)state;
	s = golden("{\"drift\": fals}");
	assert_string_equal(status(s), "invalid");
	assert_reason_has(s, "golden.json:1:");
	json_decref(s);
	s = golden("{\"drift_count\": 0}");
	assert_string_equal(status(s), "invalid");
	assert_reason_has(s, "no boolean 'drift'");
	json_decref(s);
	s = golden("{\"drift\": false, \"drift_count\": -1}");
	assert_string_equal(status(s), "invalid");
	json_decref(s);
	s = golden("\"drift\"");
	assert_string_equal(status(s), "invalid");
	json_decref(s);
}

/* ---- JUnit (the counting itself is tested in test_junit.c) ---------- */

static void
test_readiness_junit_section_files(void **state)
{
	struct readiness_section_conf s = {0};
	char *files[2];
	json_t *r;

	(void)state;
	s.name = (char *)"tests";
	s.check = RCHECK_JUNIT;
	s.max = 20;
	s.evidence = files;

	/* No file at all. */
	r = readiness_score_section(&s);
	assert_string_equal(status(r), "missing");
	assert_int_equal(points(r), 0);
	json_decref(r);

	/* Two good files add up. */
	files[0] = xstrdup(
	    put("a.xml", "<testsuite><testcase/><testcase><skipped/></testcase></testsuite>"));
	files[1] = xstrdup(put("b.xml", "<testsuite tests=\"4\" failures=\"0\"/>"));
	s.nevidence = 2;
	r = readiness_score_section(&s);
	assert_string_equal(status(r), "pass");
	assert_int_equal(points(r), 20);
	assert_int_equal(jsontree_num(json_object_get(r, "evidence"), "tests", 0), 6);
	assert_reason_has(r, "6 tests, 0 failures, 0 errors (1 skipped)");
	json_decref(r);

	/* A failure anywhere costs the section. */
	put("b.xml", "<testsuite><testcase><failure/></testcase></testsuite>");
	r = readiness_score_section(&s);
	assert_string_equal(status(r), "fail");
	assert_reason_has(r, "1 of 3 tests failed");
	json_decref(r);

	/* Zero tests is not a pass. */
	put("a.xml", "<testsuites/>");
	put("b.xml", "<testsuite/>");
	r = readiness_score_section(&s);
	assert_string_equal(status(r), "fail");
	assert_reason_has(r, "no test");
	json_decref(r);

	/* A missing file, then a corrupt one. */
	unlink(files[1]);
	r = readiness_score_section(&s);
	assert_string_equal(status(r), "missing");
	assert_reason_has(r, "does not exist");
	json_decref(r);
	put("b.xml", "<testsuite><testcase>");
	r = readiness_score_section(&s);
	assert_string_equal(status(r), "invalid");
	assert_reason_has(r, "b.xml:1:");
	json_decref(r);
	free(files[0]);
	free(files[1]);
}

/* ---- alert rules ------------------------------------------------------- */

static json_t *
alerts(const char *s, const char *const *req, size_t n)
{
	return readiness_eval_alert_rules(s, strlen(s), "alerts.yml", 15, req, n);
}

static void
test_readiness_alert_rules_complete_file_passes(void **state)
{
	json_t *s = alerts(alerts_full, two_alerts, 2), *ev;

	(void)state;
	assert_string_equal(status(s), "pass");
	assert_int_equal(points(s), 15);
	ev = json_object_get(s, "evidence");
	assert_int_equal(jsontree_num(ev, "rules", 0), 3);
	assert_int_equal(jsontree_num(ev, "alerts", 0), 2);
	assert_int_equal(json_array_size(json_object_get(ev, "missing")), 0);
	json_decref(s);
}

static void
test_readiness_alert_rules_missing_or_incomplete_alerts_fail(void **state)
{
	static const char *const req[] = {"SoakLatencyP95High", "SoakWSLagHigh", "SoakGuardTrip"};
	static const char no_for[] = "groups:\n"
				     "  - name: soak\n"
				     "    rules:\n"
				     "      - alert: SoakLatencyP95High\n"
				     "        expr: x > 1\n"
				     "        labels: {severity: critical}\n"
				     "      - alert: SoakWSLagHigh\n"
				     "        expr: y > 1\n"
				     "        for: soon\n"
				     "        labels: {severity: warning}\n";
	json_t *s, *inc;

	(void)state;
	s = alerts(alerts_full, req, 3);
	assert_string_equal(status(s), "fail");
	assert_int_equal(points(s), 0);
	assert_reason_has(s, "SoakGuardTrip missing");
	json_decref(s);

	s = alerts(no_for, two_alerts, 2);
	assert_string_equal(status(s), "fail");
	assert_reason_has(s, "SoakLatencyP95High: no for");
	inc = json_object_get(json_object_get(s, "evidence"), "incomplete");
	assert_int_equal(json_array_size(inc), 2);
	assert_string_equal(jsontree_str(json_array_get(inc, 0), "at", ""), "4:9");
	assert_non_null(strstr(jsontree_str(json_array_get(inc, 1), "problem", ""), "for:"));
	json_decref(s);

	s = alerts("groups:\n  - name: g\n    rules:\n      - alert: SoakWSLagHigh\n"
		   "        expr: y\n        for: 1m\n        labels: {team: mm}\n",
		   two_alerts + 1, 1);
	assert_reason_has(s, "no labels.severity");
	json_decref(s);
}

static void
test_readiness_alert_rules_corrupt_file_is_invalid(void **state)
{
	json_t *s;

	(void)state;
	s = alerts("groups: [\n", two_alerts, 2);
	assert_string_equal(status(s), "invalid");
	assert_reason_has(s, "alerts.yml:");
	json_decref(s);
	s = alerts("rules: []\n", two_alerts, 2);
	assert_string_equal(status(s), "invalid");
	assert_reason_has(s, "no 'groups' list");
	json_decref(s);
	s = alerts("groups:\n  - name: g\n  - 3\n", two_alerts, 2);
	assert_string_equal(status(s), "invalid");
	assert_reason_has(s, "2:5: group without a 'rules' list");
	assert_reason_has(s, "3:5: group is not a mapping");
	json_decref(s);
}

/* ---- rollback policy --------------------------------------------------- */

static const char policy_ok[] = "version: 1\n"
				"cooldown: 15m\n"
				"hard:\n"
				"  alertnames: [SoakLatencyP95High, SoakGuardTrip]\n"
				"soft:\n"
				"  alertnames: [SoakWSLagHigh]\n"
				"actions:\n"
				"  - name: scale_to_zero\n"
				"    on: [rollback]\n"
				"    command: [/bin/true]\n";

static json_t *
policy(const char *s, const char *const *hard, size_t n)
{
	return readiness_eval_rollback_policy(s, strlen(s), "policy.yaml", 15, hard, n);
}

static void
test_readiness_rollback_policy_loads_and_rolls_back_hard_alerts(void **state)
{
	static const char *const hard[] = {"SoakLatencyP95High", "SoakGuardTrip"};
	json_t *s, *ev;

	(void)state;
	s = policy(policy_ok, hard, 2);
	assert_string_equal(status(s), "pass");
	assert_int_equal(points(s), 15);
	ev = json_object_get(s, "evidence");
	assert_string_equal(jsontree_str(ev, "cooldown", ""), "15m");
	assert_int_equal(jsontree_num(ev, "rollback_actions", 0), 1);
	assert_int_equal(jsontree_num(ev, "hard_alertnames", 0), 2);
	json_decref(s);
}

static void
test_readiness_rollback_policy_must_roll_back_each_required_alert(void **state)
{
	static const char *const hard[] = {"SoakLatencyP95High", "SoakWSLagHigh", "SoakEdge"};
	static const char no_hard[] = "version: 1\nsoft:\n  alertnames: [A]\nactions:\n"
				      "  - {name: n, on: [notify], command: [/bin/true]}\n";
	json_t *s;

	(void)state;
	s = policy(policy_ok, hard, 3);
	assert_string_equal(status(s), "fail");
	assert_int_equal(points(s), 0);
	assert_reason_has(s, "would not roll back: SoakWSLagHigh, SoakEdge");
	assert_int_equal(
	    json_array_size(json_object_get(json_object_get(s, "evidence"), "not_rolled_back")), 2);
	json_decref(s);
	s = policy(no_hard, NULL, 0);
	assert_string_equal(status(s), "fail");
	assert_reason_has(s, "names no hard alert");
	json_decref(s);
}

static void
test_readiness_rollback_policy_corrupt_is_invalid(void **state)
{
	json_t *s;

	(void)state;
	s = policy("hard: [\n", NULL, 0);
	assert_string_equal(status(s), "invalid");
	assert_int_equal(points(s), 0);
	assert_reason_has(s, "policy.yaml:");
	json_decref(s);
	/* The watcher's own checks apply: an unknown key is an error at its place. */
	s = policy("version: 1\ncooldwn: 15m\n", NULL, 0);
	assert_string_equal(status(s), "invalid");
	assert_reason_has(s, "policy.yaml:2:1:");
	json_decref(s);
}

/* ---- one section from files ------------------------------------------- */

static void
test_readiness_missing_or_unreadable_evidence_costs_the_section(void **state)
{
	struct readiness_section_conf s = {0};
	char *files[1];
	json_t *r;

	(void)state;
	s.name = (char *)"golden";
	s.check = RCHECK_GOLDEN;
	s.max = 20;
	s.evidence = files;
	s.nevidence = 1;
	files[0] = xstrdup(path_in("nope.json"));
	r = readiness_score_section(&s);
	assert_string_equal(status(r), "missing");
	assert_int_equal(points(r), 0);
	assert_reason_has(r, "does not exist");
	assert_string_equal(jsontree_str(json_object_get(r, "evidence"), "path", ""), files[0]);
	json_decref(r);
	free(files[0]);
	/* A directory cannot be read as a report. */
	files[0] = xstrdup(tmpdir);
	r = readiness_score_section(&s);
	assert_string_equal(status(r), "invalid");
	assert_reason_has(r, "Is a directory");
	json_decref(r);
	free(files[0]);
	s.nevidence = 0;
	r = readiness_score_section(&s);
	assert_string_equal(status(r), "missing");
	json_decref(r);
}

/* ---- the whole score --------------------------------------------------- */

static void
load_conf_for_tmp(struct readiness_conf *c, const char *golden_json)
{
	struct mm_err err;
	char yaml[2048];

	put("gates.json", GATES_ALL_PASS);
	put("golden.json", golden_json);
	put("a.xml", "<testsuite><testcase/></testsuite>");
	put("alerts.yml", alerts_full);
	snprintf(yaml, sizeof(yaml),
		 "sections:\n"
		 "  - {name: soak_gates, check: soak_gates, max: 30, evidence: %s/gates.json}\n"
		 "  - {name: golden, check: golden, max: 20, evidence: %s/golden.json}\n"
		 "  - {name: tests, check: junit, max: 35, evidence: [%s/a.xml]}\n"
		 "  - name: alert_rules\n"
		 "    check: alert_rules\n"
		 "    max: 15\n"
		 "    evidence: %s/alerts.yml\n"
		 "    require_alerts: [SoakLatencyP95High, SoakWSLagHigh]\n",
		 tmpdir, tmpdir, tmpdir, tmpdir);
	assert_int_equal(readiness_conf_loadb(c, yaml, strlen(yaml), "conf.yaml", &err), 0);
}

static void
test_readiness_score_go_and_hold_both_validate(void **state)
{
	struct readiness_problems p = {0};
	struct readiness_conf c;
	json_t *doc;

	(void)state;
	load_conf_for_tmp(&c, "{\"drift\": false, \"drift_count\": 0}");
	doc = readiness_score(&c, 0);
	assert_int_equal(json_integer_value(json_object_get(doc, "score")), 100);
	assert_string_equal(jsontree_str(doc, "verdict", ""), "GO");
	assert_string_equal(jsontree_str(json_object_get(doc, "runtime"), "utc", ""),
			    "1970-01-01T00:00:00Z");
	assert_string_equal(jsontree_str(json_object_get(doc, "runtime"), "version", ""),
			    MMOPS_VERSION);
	assert_string_equal(jsontree_str(doc, "tool", ""), "mmops");
	assert_int_equal(readiness_validate(doc, &p), 0);
	json_decref(doc);
	readiness_conf_release(&c);

	load_conf_for_tmp(&c, "{\"drift\": true, \"drift_count\": 1}");
	doc = readiness_score(&c, 1760140800);
	assert_int_equal(json_integer_value(json_object_get(doc, "score")), 80);
	assert_string_equal(jsontree_str(doc, "verdict", ""), "HOLD");
	assert_string_equal(jsontree_str(json_object_get(doc, "runtime"), "utc", ""),
			    "2025-10-11T00:00:00Z");
	assert_int_equal(readiness_validate(doc, &p), 0);
	json_decref(doc);
	readiness_conf_release(&c);
}

static void
test_readiness_score_is_deterministic(void **state)
{
	struct readiness_conf c;
	json_t *a, *b;
	char *sa, *sb;

	(void)state;
	load_conf_for_tmp(&c, "{\"drift\": false}");
	a = readiness_score(&c, 0);
	b = readiness_score(&c, 0);
	sa = jsontree_dumps(a);
	sb = jsontree_dumps(b);
	assert_string_equal(sa, sb);
	free(sa);
	free(sb);
	json_decref(a);
	json_decref(b);
	readiness_conf_release(&c);
}

/* ---- validation -------------------------------------------------------- */

static const char valid_go[] =
    "{\"runtime\": {\"utc\": \"1970-01-01T00:00:00Z\", \"version\": \"0.1.0\"},"
    " \"score\": 100, \"verdict\": \"GO\", \"sections\": {"
    " \"a\": {\"max\": 60, \"points\": 60, \"status\": \"pass\", \"reason\": \"ok\","
    " \"evidence\": {}},"
    " \"b\": {\"max\": 40, \"points\": 40, \"status\": \"pass\", \"reason\": \"ok\","
    " \"evidence\": {}}}}";

/* Validate text; expect exactly the problems listed as "where|needle" strings. */
static void
expect_problems(const char *text, const char *const *want, size_t nwant)
{
	struct readiness_problems p = {0};
	struct mm_err err;
	json_t *doc = jsontree_loadb(text, strlen(text), "r.json", &err);
	size_t i, j;

	assert_non_null(doc);
	i = readiness_validate(doc, &p);
	assert_int_equal(i, p.n);
	for (i = 0; i < nwant; i++) {
		const char *bar = strchr(want[i], '|');
		int found = 0;

		for (j = 0; j < p.n; j++)
			if (strlen(p.v[j].where) == (size_t)(bar - want[i]) &&
			    strncmp(p.v[j].where, want[i], (size_t)(bar - want[i])) == 0 &&
			    strstr(p.v[j].what, bar + 1))
				found = 1;
		if (!found) {
			for (j = 0; j < p.n; j++)
				print_message("  got %s: %s\n", p.v[j].where, p.v[j].what);
			fail_msg("no problem '%s'", want[i]);
		}
	}
	if (p.n != nwant) {
		for (j = 0; j < p.n; j++)
			print_message("  got %s: %s\n", p.v[j].where, p.v[j].what);
		fail_msg("%zu problems, want %zu", p.n, nwant);
	}
	readiness_problems_release(&p);
	json_decref(doc);
}

/* base with the first from replaced by to; caller frees. */
static char *
replace(const char *base, const char *from, const char *to)
{
	const char *at = strstr(base, from);
	struct buf b = BUF_INIT(1 << 16);

	assert_non_null(at);
	buf_add(&b, base, (size_t)(at - base));
	buf_adds(&b, to);
	buf_adds(&b, at + strlen(from));
	return buf_detach(&b, NULL);
}

/* valid_go with one substring replaced. */
static char *
edit(const char *from, const char *to)
{
	return replace(valid_go, from, to);
}

static void
test_readiness_validate_accepts_a_valid_go(void **state)
{
	(void)state;
	expect_problems(valid_go, NULL, 0);
}

static void
test_readiness_validate_structure(void **state)
{
	static const char *const not_obj[] = {"|expected a JSON object, found an array"};
	static const char *const empty[] = {
	    "|missing required key 'score'",
	    "|missing required key 'verdict'",
	    "|missing required key 'sections'",
	    "|missing required key 'runtime'",
	};
	static const char *const types[] = {
	    "/score|expected a number, found a string",
	    "/verdict|expected a string, found a boolean",
	    "/sections|expected an object, found an array",
	    "/runtime|expected an object, found null",
	};
	static const char *const sect[] = {
	    "/sections/a|missing required key 'points'",
	    "/sections/a/reason|expected a string, found a number",
	    "/sections/a/evidence|expected an object, found an array",
	    "/sections/x~1y|expected an object, found a number",
	};

	(void)state;
	expect_problems("[]", not_obj, 1);
	expect_problems("{}", empty, 4);
	expect_problems(
	    "{\"score\": \"100\", \"verdict\": true, \"sections\": [], \"runtime\": null}", types,
	    4);
	expect_problems(
	    "{\"runtime\": {\"utc\": \"1970-01-01T00:00:00Z\", \"version\": \"1\"},"
	    " \"score\": 0, \"verdict\": \"HOLD\", \"sections\": {"
	    " \"a\": {\"max\": 100, \"status\": \"fail\", \"reason\": 1, \"evidence\": []},"
	    " \"x/y\": 5}}",
	    sect, 4);
}

static void
test_readiness_validate_ranges(void **state)
{
	static const char *const over[] = {"/score|150 is out of range 0..100"};
	static const char *const points_over[] = {
	    "/sections/a/points|70 is above the section's max 60",
	};
	static const char *const negative[] = {"/sections/b/points|-5 is below 0"};
	static const char *const max_range[] = {"/sections/b/max|0 is out of range (0, 100]"};
	static const char *const max_sum[] = {
	    "/sections|the section maxima add up to 90, not 100",
	    "/score|100 but the sections' points add up to 90",
	};
	static const char *const sum[] = {
	    "/score|90 but the sections' points add up to 100",
	    "/verdict|\"GO\" but the score is 90, not 100",
	};
	char *t, *u;

	(void)state;
	/* A score out of range is not judged further (verdict, sum). */
	t = edit("\"score\": 100", "\"score\": 150");
	expect_problems(t, over, 1);
	free(t);
	t = edit("\"points\": 60", "\"points\": 70");
	expect_problems(t, points_over, 1);
	free(t);
	t = edit("\"points\": 40", "\"points\": -5");
	expect_problems(t, negative, 1);
	free(t);
	t = edit("\"max\": 40", "\"max\": 0");
	expect_problems(t, max_range, 1);
	free(t);
	t = edit("\"max\": 40, \"points\": 40", "\"max\": 30, \"points\": 30");
	expect_problems(t, max_sum, 2);
	free(t);
	t = edit("\"score\": 100", "\"score\": 90");
	expect_problems(t, sum, 2);
	free(t);
	/* Fractional points are fine when they add up. */
	t = edit("\"max\": 40, \"points\": 40", "\"max\": 40, \"points\": 39.5");
	u = replace(t, "\"score\": 100, \"verdict\": \"GO\"",
		    "\"score\": 99.5, \"verdict\": \"HOLD\"");
	free(t);
	t = replace(u, "\"points\": 39.5, \"status\": \"pass\"",
		    "\"points\": 39.5, \"status\": \"fail\"");
	expect_problems(t, NULL, 0);
	free(t);
	free(u);
}

static void
test_readiness_validate_verdict_logic(void **state)
{
	static const char *const hold100[] = {"/verdict|\"HOLD\" but the score is 100"};
	static const char *const maybe[] = {"/verdict|\"MAYBE\" is neither \"GO\" nor \"HOLD\""};
	static const char *const go90[] = {
	    "/verdict|\"GO\" but the score is 90, not 100",
	    "/sections/b/status|\"pass\" but the section has 30 of 40 points",
	};
	static const char *const fail_full[] = {
	    "/sections/a/status|\"fail\" but the section has all its 60 points",
	};
	char *t, *u;

	(void)state;
	t = edit("\"GO\"", "\"HOLD\"");
	expect_problems(t, hold100, 1);
	free(t);
	t = edit("\"GO\"", "\"MAYBE\"");
	expect_problems(t, maybe, 1);
	free(t);
	/* A consistent HOLD is valid: its exit 1 comes from the verdict, not a problem. */
	t = edit("\"score\": 100, \"verdict\": \"GO\"", "\"score\": 60, \"verdict\": \"HOLD\"");
	u = replace(t, "\"max\": 40, \"points\": 40, \"status\": \"pass\"",
		    "\"max\": 40, \"points\": 0, \"status\": \"missing\"");
	expect_problems(u, NULL, 0);
	free(t);
	free(u);
	t = edit("\"score\": 100, \"verdict\": \"GO\"", "\"score\": 90, \"verdict\": \"GO\"");
	u = replace(t, "\"points\": 40", "\"points\": 30");
	expect_problems(u, go90, 2);
	free(t);
	free(u);
	t = edit("\"points\": 60, \"status\": \"pass\"", "\"points\": 60, \"status\": \"fail\"");
	expect_problems(t, fail_full, 1);
	free(t);
}

static void
test_readiness_validate_runtime_metadata(void **state)
{
	static const char *const bad_utc[] = {
	    "/runtime/utc|\"yesterday\" is not an RFC 3339 UTC time"};
	static const char *const offset[] = {"/runtime/utc|is not an RFC 3339 UTC time"};
	static const char *const no_ver[] = {"/runtime|missing required key 'version'"};
	static const char *const empty_ver[] = {"/runtime/version|is empty"};
	char *t;

	(void)state;
	t = edit("\"1970-01-01T00:00:00Z\"", "\"yesterday\"");
	expect_problems(t, bad_utc, 1);
	free(t);
	t = edit("\"1970-01-01T00:00:00Z\"", "\"1970-01-01T02:00:00+02:00\"");
	expect_problems(t, offset, 1);
	free(t);
	t = edit("\"1970-01-01T00:00:00Z\"", "\"1970-01-01T00:00:00.250+00:00\"");
	expect_problems(t, NULL, 0);
	free(t);
	t = edit(", \"version\": \"0.1.0\"", "");
	expect_problems(t, no_ver, 1);
	free(t);
	t = edit("\"version\": \"0.1.0\"", "\"version\": \"\"");
	expect_problems(t, empty_ver, 1);
	free(t);
}

static void
test_readiness_validate_lists_every_problem(void **state)
{
	static const char *const all[] = {
	    "/score|-1 is out of range 0..100",
	    "/verdict|\"go\" is neither",
	    "/sections/a/max|expected a number, found a string",
	    "/sections/a/status|\"done\" is not one of pass, fail, missing, invalid",
	    "/sections/b|missing required key 'reason'",
	    "/runtime/utc|expected a string, found a number",
	    "/runtime|missing required key 'version'",
	};

	(void)state;
	expect_problems(
	    "{\"score\": -1, \"verdict\": \"go\", \"runtime\": {\"utc\": 0},"
	    " \"sections\": {\"a\": {\"max\": \"60\", \"points\": 0, \"status\": \"done\","
	    " \"reason\": \"\", \"evidence\": {}},"
	    " \"b\": {\"max\": 40, \"points\": 0, \"status\": \"fail\", \"evidence\": {}}}}",
	    all, 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_readiness_default_config_is_deploy_readiness_yaml),
	    cmocka_unit_test(test_readiness_default_config_has_five_sections_adding_to_100),
	    cmocka_unit_test(test_readiness_config_errors_are_positioned),
	    cmocka_unit_test(test_readiness_set_evidence_replaces_every_section_of_a_check),
	    cmocka_unit_test(test_readiness_gates_all_hard_pass_scores_full_and_reports_soft),
	    cmocka_unit_test(test_readiness_gates_hard_failure_or_no_data_scores_zero),
	    cmocka_unit_test(test_readiness_gates_accepts_map_and_seed_shapes),
	    cmocka_unit_test(test_readiness_gates_corrupt_or_empty_summary_scores_zero),
	    cmocka_unit_test(
		test_readiness_gates_unknown_kind_counts_as_hard_and_verdict_must_agree),
	    cmocka_unit_test(test_readiness_golden_scores_no_drift_only),
	    cmocka_unit_test(test_readiness_golden_corrupt_report_scores_zero),
	    cmocka_unit_test(test_readiness_junit_section_files),
	    cmocka_unit_test(test_readiness_alert_rules_complete_file_passes),
	    cmocka_unit_test(test_readiness_alert_rules_missing_or_incomplete_alerts_fail),
	    cmocka_unit_test(test_readiness_alert_rules_corrupt_file_is_invalid),
	    cmocka_unit_test(test_readiness_rollback_policy_loads_and_rolls_back_hard_alerts),
	    cmocka_unit_test(test_readiness_rollback_policy_must_roll_back_each_required_alert),
	    cmocka_unit_test(test_readiness_rollback_policy_corrupt_is_invalid),
	    cmocka_unit_test(test_readiness_missing_or_unreadable_evidence_costs_the_section),
	    cmocka_unit_test(test_readiness_score_go_and_hold_both_validate),
	    cmocka_unit_test(test_readiness_score_is_deterministic),
	    cmocka_unit_test(test_readiness_validate_accepts_a_valid_go),
	    cmocka_unit_test(test_readiness_validate_structure),
	    cmocka_unit_test(test_readiness_validate_ranges),
	    cmocka_unit_test(test_readiness_validate_verdict_logic),
	    cmocka_unit_test(test_readiness_validate_runtime_metadata),
	    cmocka_unit_test(test_readiness_validate_lists_every_problem),
	};

	return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
