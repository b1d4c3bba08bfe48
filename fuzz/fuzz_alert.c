/*
 * fuzz_alert.c - the Alertmanager webhook decoder on arbitrary bodies: no
 * crash, no leak, every refusal has a reason; what decodes is classified by
 * a policy, rendered into an action plan (templates fed with the fuzzed
 * label values), written back with lib/jsonwrite as the audit log does (the
 * text must parse to the same strings) and survives a JSON round trip.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "alert.h"
#include "buf.h"
#include "jsonwrite.h"
#include "policy.h"

static const char policy_text[] =
    "hard:\n"
    "  alertnames: [SoakLatencyP95High]\n"
    "  matchers: ['gate=\"hard\"', '{severity=~\"crit.*\", team!~\"x|y\"}']\n"
    "soft:\n"
    "  matchers: ['gate=\"soft\"']\n"
    "actions:\n"
    "  - name: stop\n"
    "    on: [rollback, notify]\n"
    "    http:\n"
    "      url: 'http://127.0.0.1:9/admin/scale'\n"
    "      body: "
    "'{\"a\":\"{{alertname}}\",\"s\":\"{{labels.severity}}\",\"x\":\"{{annotations.summary}}\","
    "\"f\":\"{{fingerprint}}\",\"t\":\"{{startsAt}}\",\"g\":\"{{generatorURL}}\"}'\n"
    "  - name: cmd\n"
    "    command: [/bin/true, '{{alertname}}', '{{labels.instance}}']\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct policy *pol;
	struct alert_payload p;
	struct mm_err err;
	size_t i;

	if (!pol) {
		pol = policy_loadb(policy_text, strlen(policy_text), "fuzz-policy.yaml", &err);
		if (!pol)
			abort();
	}
	mm_err_init(&err);
	if (alert_payload_decode((const char *)data, size, &p, &err) < 0) {
		if (!err.msg[0])
			abort();
		alert_payload_release(&p);
		return 0;
	}
	for (i = 0; i < p.nalerts; i++) {
		struct alert back;
		struct tpl_ctx c;
		enum hardness g = policy_classify(pol, &p.alerts[i], NULL, 0);
		enum decision_kind k = g == HARDNESS_HARD ? DECISION_ROLLBACK : DECISION_NOTIFY;
		json_t *j, *plan;

		memset(&c, 0, sizeof(c));
		c.alert = &p.alerts[i];
		c.decision = decision_name(k);
		c.gate = hardness_name(g);
		c.receiver = p.receiver;
		c.external_url = p.external_url;
		c.group_key = p.group_key;
		plan = actions_plan(pol, k, &c, "planned");
		if (!plan)
			abort();
		json_decref(plan);
		{
			struct buf b = BUF_INIT((size_t)1 << 24);
			struct jsonwrite w;
			json_t *back_j;

			jsonwrite_begin(&w, &b);
			jsonwrite_str(&w, "alertname", alert_name(&p.alerts[i]));
			jsonwrite_str(&w, "fingerprint", p.alerts[i].fingerprint);
			jsonwrite_str(&w, "summary",
				      alert_labels_get(&p.alerts[i].annotations, "summary"));
			jsonwrite_end(&w);
			back_j = json_loadb(b.data, b.len, 0, NULL);
			if (!back_j ||
			    strcmp(json_string_value(json_object_get(back_j, "alertname")),
				   alert_name(&p.alerts[i])) != 0 ||
			    strcmp(json_string_value(json_object_get(back_j, "fingerprint")),
				   p.alerts[i].fingerprint) != 0)
				abort();
			json_decref(back_j);
			buf_release(&b);
		}
		j = alert_to_json(&p.alerts[i]);
		if (!j || alert_from_json(j, "rt", &back, &err) < 0)
			abort();
		if (strcmp(back.fingerprint, p.alerts[i].fingerprint) != 0)
			abort();
		alert_release(&back);
		json_decref(j);
	}
	alert_payload_release(&p);
	return 0;
}
