/*
 * test_policy.c - the rollback policy: the deploy file's hard-gate
 * detection (the seed's six hard and two soft alerts), Alertmanager-style
 * matchers, variables and secrets, templates, and every load error with its
 * file:line:col.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "policy.h"
#include "xalloc.h"

static const char *const seed_hard[] = {
    "SoakLatencyP95High",  "SoakDeadlineMissRate",   "SoakEdgeDegradation",
    "SoakMDCacheHitRatio", "SoakCircuitBreakerOpen", "SoakGuardTrip",
};
static const char *const seed_soft[] = {"SoakMakerTakerImbalance", "SoakWSLagHigh"};

/* An alert with up to 3 label pairs (NULL-terminated name, value list). */
struct tlabels {
	struct alert_label v[4];
	struct alert a;
};

static struct alert *
mk(struct tlabels *t, const char *n1, const char *v1, const char *n2, const char *v2,
   const char *n3, const char *v3)
{
	const char *names[3] = {n1, n2, n3}, *vals[3] = {v1, v2, v3};
	size_t i, j;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < 3 && names[i]; i++) {
		t->v[t->a.labels.n].name = (char *)names[i];
		t->v[t->a.labels.n].value = (char *)vals[i];
		t->a.labels.n++;
	}
	/* keep the set sorted by name, as the decoder does */
	for (i = 1; i < t->a.labels.n; i++)
		for (j = i; j > 0 && strcmp(t->v[j - 1].name, t->v[j].name) > 0; j--) {
			struct alert_label tmp = t->v[j];

			t->v[j] = t->v[j - 1];
			t->v[j - 1] = tmp;
		}
	t->a.labels.v = t->v;
	t->a.starts_at = t->a.ends_at = t->a.generator_url = (char *)"";
	t->a.fingerprint = (char *)"0123456789abcdef";
	return &t->a;
}

static struct policy *
load_deploy(void)
{
	const char *root = getenv("ROOT");
	char *path = xasprintf("%s/deploy/policies/rollback.yaml", root ? root : ".");
	struct mm_err err;
	struct policy *p;

	unsetenv("MMOPS_ONCALL_WEBHOOK_URL");
	unsetenv("MMOPS_SLACK_WEBHOOK_URL");
	unsetenv("MMOPS_ADMIN_TOKEN");
	p = policy_load_file(path, &err);
	if (!p)
		fail_msg("cannot load %s: %s:%lu:%lu: %s", path, err.file, err.line, err.col,
			 err.msg);
	free(path);
	return p;
}

static void
test_deploy_policy_detects_the_seed_hard_gates(void **state)
{
	struct policy *p = load_deploy();
	struct tlabels t;
	char why[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(seed_hard) / sizeof(seed_hard[0]); i++) {
		assert_int_equal(
		    policy_classify(p, mk(&t, "alertname", seed_hard[i], NULL, NULL, NULL, NULL),
				    why, sizeof(why)),
		    HARDNESS_HARD);
		assert_non_null(strstr(why, seed_hard[i]));
	}
	for (i = 0; i < sizeof(seed_soft) / sizeof(seed_soft[0]); i++)
		assert_int_equal(
		    policy_classify(p, mk(&t, "alertname", seed_soft[i], NULL, NULL, NULL, NULL),
				    why, sizeof(why)),
		    HARDNESS_SOFT);
	assert_int_equal(policy_classify(p, mk(&t, "alertname", "Watchdog", NULL, NULL, NULL, NULL),
					 why, sizeof(why)),
			 HARDNESS_NONE);
	assert_string_equal(why, "");
	/* the alert's own gate label counts, whatever its name */
	assert_int_equal(
	    policy_classify(p, mk(&t, "alertname", "NewHardAlert", "gate", "hard", NULL, NULL), why,
			    sizeof(why)),
	    HARDNESS_HARD);
	assert_string_equal(why, "matcher gate=\"hard\"");
	/* hard wins over soft */
	assert_int_equal(
	    policy_classify(p, mk(&t, "alertname", "SoakWSLagHigh", "gate", "hard", NULL, NULL),
			    why, sizeof(why)),
	    HARDNESS_HARD);
	assert_float_equal(p->cooldown, 900, 0);
	assert_int_equal(policy_count_actions(p, DECISION_ROLLBACK), 5);
	assert_int_equal(policy_count_actions(p, DECISION_NOTIFY), 2);
	/* the seed's order: scale 0, breaker, freeze, notify */
	assert_string_equal(p->actions[0].name, "scale_strategy_to_zero");
	assert_string_equal(p->actions[1].name, "open_circuit_breaker");
	assert_string_equal(p->actions[2].name, "freeze_order_placements");
	assert_string_equal(p->actions[3].name, "notify_oncall");
	assert_string_equal(p->actions[4].name, "notify_slack");
	assert_non_null(p->actions[3].skip_reason);
	assert_null(p->actions[0].skip_reason);
	policy_free(p);
}

static void
test_deploy_policy_admin_url_from_environment(void **state)
{
	struct policy *p;

	(void)state;
	setenv("MMOPS_ADMIN_URL", "http://127.0.0.1:1234", 1);
	p = load_deploy();
	assert_string_equal(p->actions[0].url, "http://127.0.0.1:1234/admin/scale");
	/* no admin token: no Authorization header, only the body's Content-Type */
	assert_int_equal(p->actions[0].nheaders, 1);
	assert_string_equal(p->actions[0].headers[0].name, "Content-Type");
	policy_free(p);
	unsetenv("MMOPS_ADMIN_URL");
}

struct mcase {
	const char *matcher;
	const char *label, *value; /* value NULL: label absent */
	int want;
};

static void
test_matchers_follow_alertmanager(void **state)
{
	static const struct mcase cases[] = {
	    {"gate=\"hard\"", "gate", "hard", 1},
	    {"gate=\"hard\"", "gate", "hardly", 0},
	    {"gate=hard", "gate", "hard", 1},
	    {" gate = \"hard\" ", "gate", "hard", 1},
	    {"gate!=\"hard\"", "gate", "soft", 1},
	    {"gate!=\"hard\"", "gate", NULL, 1},
	    {"gate=\"\"", "gate", NULL, 1},
	    {"gate=~\"ha.*\"", "gate", "hard", 1},
	    {"gate=~\"ar\"", "gate", "hard", 0}, /* anchored */
	    {"gate=~\"hard|soft\"", "gate", "soft", 1},
	    {"gate!~\"hard|soft\"", "gate", "soft", 0},
	    {"gate!~\"hard|soft\"", "gate", NULL, 1},
	    {"team=\"a \\\"b\\\"\"", "team", "a \"b\"", 1},
	    {"{gate=\"hard\", severity=\"critical\"}", "gate", "hard",
	     0}, /* AND: severity missing */
	    {"{gate=\"hard\", severity!=\"critical\",}", "gate", "hard", 1},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct matcher_group g;
		struct alert_label l = {(char *)cases[i].label, (char *)cases[i].value};
		struct alert_labels set = {&l, cases[i].value ? 1 : 0};
		struct mm_err err;

		if (matcher_group_parse(cases[i].matcher, &g, &err) < 0)
			fail_msg("case %zu: '%s' refused: %s", i, cases[i].matcher, err.msg);
		if (matcher_group_match(&g, &set) != cases[i].want)
			fail_msg("case %zu: '%s' on %s=%s gave %d", i, cases[i].matcher,
				 cases[i].label, cases[i].value ? cases[i].value : "(absent)",
				 !cases[i].want);
		matcher_group_release(&g);
	}
}

static void
test_bad_matchers_are_refused(void **state)
{
	static const char *const bad[] = {
	    "gate", "=\"x\"",	   "gate==\"x\"x",	 "gate=\"x",	  "gate=~\"(\"",
	    "{}",   "{gate=\"x\"", "{gate=\"x\"} extra", "gate=\"x\\q\"", "1abc=\"x\"",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct matcher_group g;
		struct mm_err err;

		if (matcher_group_parse(bad[i], &g, &err) == 0)
			fail_msg("'%s' accepted", bad[i]);
		assert_int_equal(err.code, MM_E_CONFIG);
	}
}

/* A minimal valid policy with one extra line spliced in where the test wants. */
static const char base[] = "version: 1\n"
			   "cooldown: 10m\n"
			   "hard:\n"
			   "  alertnames: [A]\n"
			   "actions:\n"
			   "  - name: stop\n"
			   "    http:\n"
			   "      url: http://127.0.0.1:1/admin/scale\n";

struct ecase {
	const char *text;
	unsigned long line, col;
	const char *msg;
};

static void
test_load_errors_have_file_line_col(void **state)
{
	static const struct ecase cases[] = {
	    {"version: 1\ncooldwn: 10m\n", 2, 1, "unknown key 'cooldwn'"},
	    {"version: 2\n", 1, 10, "unsupported policy version 2"},
	    {"cooldown: soon\n", 1, 11, ""},
	    {"hard:\n  alertnames: [A]\n  matchers: ['gate~\"x\"']\n", 3, 14, "needs an operator"},
	    {"hard:\n  names: [A]\n", 2, 3, "unknown key 'names'"},
	    {"hard:\n  alertnames: [A]\nsoft:\n  alertnames: [B, A]\nactions:\n  - name: x\n"
	     "    http: {url: 'http://h/'}\n",
	     4, 19, "listed as both hard and soft"},
	    {"hard:\n  alertnames: [A]\n", 1, 1, "no action runs on rollback"},
	    {"actions:\n  - name: x\n    http: {url: 'http://h/'}\n    retrys: 2\n", 4, 5,
	     "unknown key 'retrys'"},
	    {"actions:\n  - name: x\n    http: {url: '${nope}/x'}\n", 3, 17,
	     "unknown variable 'nope'"},
	    {"actions:\n  - name: x\n    http: {url: 'http://h/{{alertname}}'}\n", 3, 17,
	     "not allowed here"},
	    {"actions:\n  - name: x\n    http: {url: 'ftp://h/'}\n", 3, 17, "is not an http"},
	    {"actions:\n  - name: x\n    http:\n      url: 'http://h/'\n      body: '{\"a\": "
	     "{{alertname}}}'\n",
	     5, 13, "body is not valid JSON"},
	    {"actions:\n  - name: x\n    http:\n      url: 'http://h/'\n      body: '{\"a\": "
	     "\"{{alert}}\"}'\n",
	     5, 13, "unknown alert field 'alert'"},
	    {"actions:\n  - name: x\n    http:\n      url: 'http://h/'\n      headers: {'Bad "
	     "Header': x}\n",
	     5, 17, "not a valid header name"},
	    {"actions:\n  - name: x\n    http:\n      method: FETCH\n      url: 'http://h/'\n", 4,
	     15, "unknown HTTP method"},
	    {"actions:\n  - name: x\n    command: [rm, -rf]\n", 3, 15, "must be an absolute path"},
	    {"actions:\n  - name: x\n    command: []\n", 3, 14, "non-empty list"},
	    {"actions:\n  - name: x\n", 2, 5, "needs exactly one of http or command"},
	    {"actions:\n  - name: x\n    http: {url: 'http://h/'}\n    command: [/bin/true]\n", 2,
	     5, "needs exactly one"},
	    {"actions:\n  - name: x\n    http: {url: 'http://h/'}\n  - name: x\n    http: {url: "
	     "'http://h/'}\n",
	     4, 11, "duplicate action name 'x'"},
	    {"actions:\n  - name: x\n    on: [ignored]\n    http: {url: 'http://h/'}\n", 3, 10,
	     "is not rollback or notify"},
	    {"actions:\n  - name: x\n    timeout: 0s\n    http: {url: 'http://h/'}\n", 3, 14,
	     "timeout must be more than 0"},
	    {"actions:\n  - name: x\n    retries: 99\n    http: {url: 'http://h/'}\n", 3, 14,
	     "out of range"},
	    {"actions:\n  - name: x\n    requires: [ghost]\n    http: {url: 'http://h/'}\n", 3, 16,
	     "unknown variable 'ghost'"},
	    {"variables:\n  v: {env: 'NOT A NAME'}\n", 2, 12, "not an environment variable name"},
	    {"variables:\n  v: {secret: true}\n", 2, 6, "has no value"},
	    {"variables:\n  v: {file: /nonexistent/mmops-secret}\n", 2, 13, "variable 'v'"},
	    {"dedup_retention: 5m\n", 1, 18, "at least 1h"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mm_err err;
		struct policy *p;

		mm_err_init(&err);
		p = policy_loadb(cases[i].text, strlen(cases[i].text), "p.yaml", &err);
		if (p) {
			policy_free(p);
			fail_msg("case %zu accepted:\n%s", i, cases[i].text);
		}
		if (strcmp(err.file, "p.yaml") != 0 || err.line != cases[i].line ||
		    err.col != cases[i].col || !strstr(err.msg, cases[i].msg))
			fail_msg("case %zu: got %s:%lu:%lu: %s; want p.yaml:%lu:%lu: ...%s...", i,
				 err.file, err.line, err.col, err.msg, cases[i].line, cases[i].col,
				 cases[i].msg);
	}
}

static void
test_minimal_policy_defaults(void **state)
{
	struct mm_err err;
	struct policy *p = policy_loadb(base, strlen(base), "p.yaml", &err);

	(void)state;
	assert_non_null(p);
	assert_float_equal(p->cooldown, 600, 0);
	assert_float_equal(p->retention, POLICY_DEFAULT_RETENTION, 0);
	assert_int_equal(p->nactions, 1);
	assert_string_equal(p->actions[0].method, "POST");
	assert_float_equal(p->actions[0].timeout, POLICY_DEFAULT_TIMEOUT, 0);
	assert_int_equal(p->actions[0].retries, 0);
	assert_int_equal(p->actions[0].on, 1u << DECISION_ROLLBACK);
	assert_int_equal(p->actions[0].line, 6);
	assert_int_equal(p->actions[0].col, 5);
	policy_free(p);
}

static void
test_variables_env_file_default_and_secret(void **state)
{
	char path[] = "/tmp/mmops-test-secret-XXXXXX";
	int fd = mkstemp(path);
	struct buf text = BUF_INIT(1 << 16);
	struct mm_err err;
	struct policy *p;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "s3cret\n", 7), 7);
	close(fd);
	setenv("MMOPS_TEST_URL", "http://10.0.0.1:8", 1);
	unsetenv("MMOPS_TEST_UNSET");
	buf_addf(&text,
		 "variables:\n"
		 "  base: {env: MMOPS_TEST_URL, default: 'http://x'}\n"
		 "  other: {env: MMOPS_TEST_UNSET, default: 'http://fallback'}\n"
		 "  token: {env: MMOPS_TEST_UNSET, file: '%s', secret: true}\n"
		 "  missing: {file: /nonexistent/mmops, default: ''}\n"
		 "  plain: literal\n"
		 "actions:\n"
		 "  - name: a\n"
		 "    http:\n"
		 "      url: '${base}/x?t=${token}&p=${plain}&$$'\n"
		 "      headers: {Authorization: 'Bearer ${token}'}\n"
		 "  - name: b\n"
		 "    requires: [missing]\n"
		 "    http: {url: '${other}/y', headers: {Authorization: 'Bearer ${missing}'}}\n"
		 "  - name: c\n"
		 "    requires: [token]\n"
		 "    command: [/bin/echo, '${token}']\n"
		 "    env: {TOKEN: '${token}', WHO: '{{alertname}}'}\n",
		 path);
	p = policy_loadb(text.data, text.len, "v.yaml", &err);
	if (!p)
		fail_msg("%s:%lu:%lu: %s", err.file, err.line, err.col, err.msg);
	assert_string_equal(p->actions[0].url, "http://10.0.0.1:8/x?t=s3cret&p=literal&$");
	assert_string_equal(p->actions[0].url_shown, "http://10.0.0.1:8/x?t=***&p=literal&$");
	assert_string_equal(p->actions[0].headers[0].value, "Bearer s3cret");
	assert_string_equal(p->actions[0].headers[0].shown, "Bearer ***");
	assert_null(p->actions[0].skip_reason);
	assert_string_equal(p->actions[1].skip_reason, "variable 'missing' is empty");
	/* a header using an empty variable is not sent */
	assert_int_equal(p->actions[1].nheaders, 0);
	assert_string_equal(p->actions[1].url, "http://fallback/y");
	assert_null(p->actions[2].skip_reason);
	assert_int_equal(p->actions[2].kind, ACTION_COMMAND);
	assert_int_equal(p->actions[2].nenv, 2);
	policy_free(p);
	unlink(path);
	unsetenv("MMOPS_TEST_URL");
	buf_release(&text);
}

static void
test_templates_render_whitelisted_fields_json_escaped(void **state)
{
	static const char text[] =
	    "variables:\n"
	    "  key: {value: k1, secret: true}\n"
	    "hard:\n"
	    "  alertnames: [A]\n"
	    "actions:\n"
	    "  - name: a\n"
	    "    http:\n"
	    "      url: 'http://h/'\n"
	    "      body: '{\"n\":\"{{ alertname "
	    "}}\",\"s\":\"{{labels.severity}}\",\"sum\":\"{{annotations.summary}}\","
	    "\"r\":{{rollback_id}},\"d\":\"{{decision}}\",\"g\":\"{{gate}}\",\"k\":\"${key}\","
	    "\"x\":\"{{labels.none}}\"}'\n";
	struct alert_label lab[] = {{(char *)"alertname", (char *)"A\"; rm -rf /"},
				    {(char *)"severity", (char *)"crit\nical"}};
	struct alert_label ann[] = {{(char *)"summary", (char *)"back\\slash"}};
	struct buf out = BUF_INIT(1 << 16);
	struct mm_err err;
	struct policy *p = policy_loadb(text, strlen(text), "t.yaml", &err);
	struct tpl_ctx c;
	struct alert a;
	json_t *j;

	(void)state;
	if (!p)
		fail_msg("%s:%lu:%lu: %s", err.file, err.line, err.col, err.msg);
	memset(&a, 0, sizeof(a));
	a.labels.v = lab;
	a.labels.n = 2;
	a.annotations.v = ann;
	a.annotations.n = 1;
	a.starts_at = a.ends_at = a.generator_url = (char *)"";
	a.fingerprint = (char *)"f";
	memset(&c, 0, sizeof(c));
	c.alert = &a;
	c.decision = decision_name(DECISION_ROLLBACK);
	c.gate = "hard";
	c.rollback_id = 7;
	assert_false(tpl_is_literal(&p->actions[0].body));
	assert_int_equal(tpl_render(&p->actions[0].body, &c, 0, 1, &out), 0);
	j = json_loads(out.data, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "n")), "A\"; rm -rf /");
	assert_string_equal(json_string_value(json_object_get(j, "s")), "crit\nical");
	assert_string_equal(json_string_value(json_object_get(j, "sum")), "back\\slash");
	assert_int_equal(json_integer_value(json_object_get(j, "r")), 7);
	assert_string_equal(json_string_value(json_object_get(j, "d")), "rollback");
	assert_string_equal(json_string_value(json_object_get(j, "g")), "hard");
	assert_string_equal(json_string_value(json_object_get(j, "k")), "k1");
	assert_string_equal(json_string_value(json_object_get(j, "x")), "");
	json_decref(j);
	buf_reset(&out);
	assert_int_equal(tpl_render(&p->actions[0].body, &c, 1, 1, &out), 0);
	assert_non_null(strstr(out.data, "\"k\":\"***\""));
	buf_release(&out);
	policy_free(p);
}

static void
test_decision_names_round_trip(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < DECISION__COUNT; i++)
		assert_int_equal(decision_from_name(decision_name((enum decision_kind)i)), i);
	assert_int_equal(decision_from_name("rollbackk"), -1);
	assert_string_equal(decision_name(DECISION_COOLDOWN), "cooldown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_deploy_policy_detects_the_seed_hard_gates),
	    cmocka_unit_test(test_deploy_policy_admin_url_from_environment),
	    cmocka_unit_test(test_matchers_follow_alertmanager),
	    cmocka_unit_test(test_bad_matchers_are_refused),
	    cmocka_unit_test(test_load_errors_have_file_line_col),
	    cmocka_unit_test(test_minimal_policy_defaults),
	    cmocka_unit_test(test_variables_env_file_default_and_secret),
	    cmocka_unit_test(test_templates_render_whitelisted_fields_json_escaped),
	    cmocka_unit_test(test_decision_names_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
