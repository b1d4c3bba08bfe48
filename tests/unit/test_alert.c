/*
 * test_alert.c - the Alertmanager webhook payload decoder: a real version 4
 * payload, the seed's minimal curl body, Alertmanager's own fingerprints,
 * and every way a payload is refused (with the place named in the reason).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "buf.h"
#include "xalloc.h"

/* A payload as Alertmanager 0.25 sends it (captured shape). */
static const char real_payload[] =
    "{\"receiver\":\"mmops-watch-hard\",\"status\":\"firing\",\"alerts\":[{\"status\":\"firing\","
    "\"labels\":{\"alertname\":\"SoakLatencyP95High\",\"gate\":\"hard\",\"severity\":\"critical\"},"
    "\"annotations\":{\"summary\":\"Tick latency P95 above 150 ms\"},"
    "\"startsAt\":\"2025-10-11T10:00:00.123456789Z\",\"endsAt\":\"0001-01-01T00:00:00Z\","
    "\"generatorURL\":\"http://prometheus:9090/"
    "graph?g0.expr=x\",\"fingerprint\":\"ee622b2e520ab31e\"},"
    "{\"status\":\"resolved\",\"labels\":{\"alertname\":\"SoakWSLagHigh\",\"gate\":\"soft\"},"
    "\"annotations\":{},\"startsAt\":\"2025-10-11T09:00:00Z\",\"endsAt\":\"2025-10-11T09:30:00Z\","
    "\"generatorURL\":\"\",\"fingerprint\":\"0123456789abcdef\"}],"
    "\"groupLabels\":{\"alertname\":\"SoakLatencyP95High\"},\"commonLabels\":{\"severity\":"
    "\"critical\"},"
    "\"commonAnnotations\":{},\"externalURL\":\"http://am:9093\",\"version\":\"4\","
    "\"groupKey\":\"{}:{alertname=\\\"SoakLatencyP95High\\\"}\",\"truncatedAlerts\":0}";

static void
test_decodes_a_real_version_4_payload(void **state)
{
	struct alert_payload p;
	struct mm_err err;

	(void)state;
	assert_int_equal(alert_payload_decode(real_payload, strlen(real_payload), &p, &err), 0);
	assert_string_equal(p.version, "4");
	assert_string_equal(p.receiver, "mmops-watch-hard");
	assert_string_equal(p.status, "firing");
	assert_string_equal(p.external_url, "http://am:9093");
	assert_string_equal(p.group_key, "{}:{alertname=\"SoakLatencyP95High\"}");
	assert_int_equal(p.truncated_alerts, 0);
	assert_int_equal(p.nalerts, 2);
	assert_string_equal(alert_labels_get(&p.group_labels, "alertname"), "SoakLatencyP95High");
	assert_string_equal(alert_labels_get(&p.common_labels, "severity"), "critical");
	assert_int_equal(p.alerts[0].status, ALERT_FIRING);
	assert_string_equal(alert_name(&p.alerts[0]), "SoakLatencyP95High");
	assert_string_equal(alert_labels_get(&p.alerts[0].labels, "gate"), "hard");
	assert_string_equal(alert_labels_get(&p.alerts[0].annotations, "summary"),
			    "Tick latency P95 above 150 ms");
	assert_string_equal(p.alerts[0].starts_at, "2025-10-11T10:00:00.123456789Z");
	assert_true(p.alerts[0].starts > 1760176800.0 && p.alerts[0].starts < 1760176801.0);
	assert_string_equal(p.alerts[0].ends_at, "0001-01-01T00:00:00Z");
	assert_string_equal(p.alerts[0].fingerprint, "ee622b2e520ab31e");
	assert_false(p.alerts[0].fingerprint_computed);
	assert_int_equal(p.alerts[1].status, ALERT_RESOLVED);
	assert_null(alert_labels_get(&p.alerts[1].labels, "severity"));
	alert_payload_release(&p);
}

static void
test_seed_curl_body_is_enough(void **state)
{
	static const char body[] = "{\"alerts\": [{\"labels\": {\"alertname\": "
				   "\"SoakLatencyP95High\"}, \"status\": \"firing\"}]}";
	struct alert_payload p;
	struct mm_err err;

	(void)state;
	assert_int_equal(alert_payload_decode(body, strlen(body), &p, &err), 0);
	assert_int_equal(p.nalerts, 1);
	assert_string_equal(p.version, "");
	assert_string_equal(p.alerts[0].starts_at, "");
	assert_true(p.alerts[0].fingerprint_computed);
	assert_int_equal(strlen(p.alerts[0].fingerprint), 16);
	alert_payload_release(&p);
}

/* Fingerprints read back from a real Alertmanager 0.25 for the same label sets. */
static void
test_fingerprint_matches_alertmanager(void **state)
{
	static const char body[] =
	    "{\"alerts\":[{\"status\":\"firing\",\"labels\":{\"alertname\":\"X\"}},"
	    "{\"status\":\"firing\",\"labels\":{\"severity\":\"critical\",\"gate\":\"hard\","
	    "\"alertname\":\"SoakLatencyP95High\"}},"
	    "{\"status\":\"firing\",\"labels\":{\"b\":\"\",\"a\":\"\\u00fc\"}}]}";
	struct alert_payload p;
	struct mm_err err;

	(void)state;
	assert_int_equal(alert_payload_decode(body, strlen(body), &p, &err), 0);
	assert_string_equal(p.alerts[0].fingerprint, "d2aeefc389ca7746");
	assert_string_equal(p.alerts[1].fingerprint, "ee622b2e520ab31e");
	assert_string_equal(p.alerts[2].fingerprint, "ffd1cb2f240bec9b");
	alert_payload_release(&p);
}

struct bad {
	const char *body;
	enum mm_errcode code;
	const char *msg; /* substring of the message */
};

static void
test_refusals_name_the_place(void **state)
{
	static const struct bad cases[] = {
	    {"", MM_E_PARSE, ""},
	    {"{\"alerts\": [", MM_E_PARSE, ""},
	    {"[]", MM_E_PARSE, "payload: expected an object, got an array"},
	    {"{}", MM_E_PARSE, "alerts: missing"},
	    {"{\"alerts\": {}}", MM_E_PARSE, "alerts: expected an array, got an object"},
	    {"{\"version\": \"3\", \"alerts\": []}", MM_E_PARSE,
	     "unsupported webhook payload version '3'"},
	    {"{\"version\": 4, \"alerts\": []}", MM_E_PARSE,
	     "version: expected a string, got a number"},
	    {"{\"status\": \"maybe\", \"alerts\": []}", MM_E_PARSE,
	     "status: expected \"firing\" or \"resolved\""},
	    {"{\"truncatedAlerts\": -1, \"alerts\": []}", MM_E_PARSE, "truncatedAlerts"},
	    {"{\"alerts\": [1]}", MM_E_PARSE, "alerts[0]: expected an object, got a number"},
	    {"{\"alerts\": [{\"labels\": {}}]}", MM_E_PARSE, "alerts[0].status: missing"},
	    {"{\"alerts\": [{\"status\": \"firing\"}]}", MM_E_PARSE, "alerts[0].labels: missing"},
	    {"{\"alerts\": [{\"status\": \"on\", \"labels\": {}}]}", MM_E_PARSE,
	     "alerts[0].status: expected"},
	    {"{\"alerts\": [{\"status\": \"firing\", \"labels\": {\"severity\": 3}}]}", MM_E_PARSE,
	     "alerts[0].labels.severity: expected a string, got a number"},
	    {"{\"alerts\": [{\"status\": \"firing\", \"labels\": []}]}", MM_E_PARSE,
	     "alerts[0].labels: expected an object, got an array"},
	    {"{\"alerts\": [{\"status\": \"firing\", \"labels\": {\"a\": \"x\\u0000y\"}}]}",
	     MM_E_PARSE, "contains a NUL character"},
	    {"{\"alerts\": [{\"status\": \"firing\", \"labels\": {}, \"startsAt\": "
	     "\"yesterday\"}]}",
	     MM_E_PARSE, "alerts[0].startsAt: not an RFC 3339 time"},
	    {"{\"alerts\": [{\"status\": \"firing\", \"labels\": {}, \"fingerprint\": \"a b\"}]}",
	     MM_E_PARSE, "alerts[0].fingerprint"},
	    {"{\"alerts\": [{\"status\": \"firing\", \"labels\": {}, \"fingerprint\": \"\"}]}",
	     MM_E_PARSE, "alerts[0].fingerprint: empty"},
	    {"{\"alerts\": [], \"alerts\": []}", MM_E_PARSE, ""},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct alert_payload p;
		struct mm_err err;

		mm_err_init(&err);
		if (alert_payload_decode(cases[i].body, strlen(cases[i].body), &p, &err) == 0)
			fail_msg("case %zu accepted: %s", i, cases[i].body);
		if (err.code != cases[i].code || !strstr(err.msg, cases[i].msg))
			fail_msg("case %zu: code %d msg '%s', want '%s'", i, err.code, err.msg,
				 cases[i].msg);
		alert_payload_release(&p);
	}
}

static void
test_caps_on_alerts_and_labels(void **state)
{
	struct buf b = BUF_INIT((size_t)8 << 20);
	struct alert_payload p;
	struct mm_err err;
	size_t i;

	(void)state;
	buf_adds(&b, "{\"alerts\": [");
	for (i = 0; i <= ALERT_MAX_ALERTS; i++)
		buf_addf(&b, "%s{\"status\":\"firing\",\"labels\":{}}", i ? "," : "");
	buf_adds(&b, "]}");
	assert_int_equal(alert_payload_decode(b.data, b.len, &p, &err), -1);
	assert_int_equal(err.code, MM_E_LIMIT);
	assert_non_null(strstr(err.msg, "too many alerts (1001, the most is 1000"));
	alert_payload_release(&p);

	buf_reset(&b);
	buf_adds(&b, "{\"alerts\": [{\"status\":\"firing\",\"labels\":{");
	for (i = 0; i <= ALERT_MAX_LABELS; i++)
		buf_addf(&b, "%s\"l%zu\":\"v\"", i ? "," : "", i);
	buf_adds(&b, "}}]}");
	assert_int_equal(alert_payload_decode(b.data, b.len, &p, &err), -1);
	assert_int_equal(err.code, MM_E_LIMIT);
	assert_non_null(strstr(err.msg, "alerts[0].labels: too many entries"));
	alert_payload_release(&p);

	buf_reset(&b);
	buf_adds(&b, "{\"alerts\": [{\"status\":\"firing\",\"labels\":{\"a\":\"");
	for (i = 0; i <= ALERT_MAX_VALUE; i++)
		buf_addc(&b, 'x');
	buf_adds(&b, "\"}}]}");
	assert_int_equal(alert_payload_decode(b.data, b.len, &p, &err), -1);
	assert_int_equal(err.code, MM_E_LIMIT);
	assert_non_null(strstr(err.msg, "alerts[0].labels.a: too long"));
	alert_payload_release(&p);
	buf_release(&b);
}

static void
test_exactly_at_the_caps_is_accepted(void **state)
{
	struct buf b = BUF_INIT((size_t)8 << 20);
	struct alert_payload p;
	struct mm_err err;
	size_t i;

	(void)state;
	buf_adds(&b, "{\"alerts\": [");
	for (i = 0; i < ALERT_MAX_ALERTS; i++)
		buf_addf(&b, "%s{\"status\":\"firing\",\"labels\":{\"alertname\":\"A%zu\"}}",
			 i ? "," : "", i);
	buf_adds(&b, "]}");
	assert_int_equal(alert_payload_decode(b.data, b.len, &p, &err), 0);
	assert_int_equal(p.nalerts, ALERT_MAX_ALERTS);
	alert_payload_release(&p);
	buf_release(&b);
}

static void
test_unknown_keys_are_ignored_and_null_is_absent(void **state)
{
	static const char body[] =
	    "{\"future\": {\"x\": 1}, \"receiver\": null, \"alerts\": [{\"status\": \"firing\","
	    "\"labels\": {\"alertname\": \"A\"}, \"annotations\": null, \"new\": [1],"
	    "\"fingerprint\": null}]}";
	struct alert_payload p;
	struct mm_err err;

	(void)state;
	assert_int_equal(alert_payload_decode(body, strlen(body), &p, &err), 0);
	assert_string_equal(p.receiver, "");
	assert_int_equal(p.alerts[0].annotations.n, 0);
	assert_true(p.alerts[0].fingerprint_computed);
	alert_payload_release(&p);
}

static void
test_json_round_trip_and_copy(void **state)
{
	struct alert_payload p;
	struct alert copy, back;
	struct mm_err err;
	json_t *j;

	(void)state;
	assert_int_equal(alert_payload_decode(real_payload, strlen(real_payload), &p, &err), 0);
	alert_copy(&copy, &p.alerts[0]);
	j = alert_to_json(&copy);
	assert_int_equal(alert_from_json(j, "x", &back, &err), 0);
	assert_string_equal(back.fingerprint, p.alerts[0].fingerprint);
	assert_string_equal(back.starts_at, p.alerts[0].starts_at);
	assert_string_equal(alert_name(&back), "SoakLatencyP95High");
	assert_string_equal(alert_labels_get(&back.annotations, "summary"),
			    "Tick latency P95 above 150 ms");
	json_decref(j);
	alert_release(&back);
	alert_release(&copy);
	alert_payload_release(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decodes_a_real_version_4_payload),
	    cmocka_unit_test(test_seed_curl_body_is_enough),
	    cmocka_unit_test(test_fingerprint_matches_alertmanager),
	    cmocka_unit_test(test_refusals_name_the_place),
	    cmocka_unit_test(test_caps_on_alerts_and_labels),
	    cmocka_unit_test(test_exactly_at_the_caps_is_accepted),
	    cmocka_unit_test(test_unknown_keys_are_ignored_and_null_is_absent),
	    cmocka_unit_test(test_json_round_trip_and_copy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
