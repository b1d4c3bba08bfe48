/*
 * fuzz_policy.c - the rollback policy loader on arbitrary YAML: no crash,
 * no leak, every refusal carries a message; a policy that loads can
 * classify an alert and plan its actions.  Inputs naming /dev/ are skipped
 * (a "file:" variable pointing at a device could block the fuzzer, not the
 * watcher's correctness).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "policy.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct alert_label lab[2] = {{(char *)"alertname", (char *)"SoakGuardTrip"},
				     {(char *)"gate", (char *)"hard"}};
	struct policy *p;
	struct mm_err err;
	struct alert a;
	struct tpl_ctx c;
	json_t *plan;
	size_t i;

	for (i = 0; i + 5 <= size; i++)
		if (memcmp(data + i, "/dev/", 5) == 0)
			return 0;
	mm_err_init(&err);
	p = policy_loadb((const char *)data, size, "fuzz.yaml", &err);
	if (!p) {
		if (!err.msg[0])
			abort();
		return 0;
	}
	memset(&a, 0, sizeof(a));
	a.labels.v = lab;
	a.labels.n = 2;
	a.starts_at = a.ends_at = a.generator_url = (char *)"";
	a.fingerprint = (char *)"0123456789abcdef";
	memset(&c, 0, sizeof(c));
	c.alert = &a;
	c.decision = decision_name(DECISION_ROLLBACK);
	c.gate = hardness_name(policy_classify(p, &a, NULL, 0));
	plan = actions_plan(p, DECISION_ROLLBACK, &c, "planned");
	json_decref(plan);
	policy_free(p);
	return 0;
}
