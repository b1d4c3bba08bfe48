/*
 * fuzz_readiness.c - readiness.json validation and the JSON/YAML evidence
 * scorers on arbitrary input.  Besides "no crash, no leak", it checks the
 * scorers against the validator: whatever the evidence, a report assembled
 * from the sections they return must validate with no problem, and every
 * problem the validator lists on the raw input must say where and what.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsontree.h"
#include "readiness.h"

static const char *const required[] = {"SoakLatencyP95High", "SoakWSLagHigh", "a"};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct readiness_problems p = {NULL, 0, 0, 0};
	json_t *doc, *report, *sections, *s;
	struct mm_err err;
	const char *key;
	long score = 0;
	size_t i;

	/* 1. The validator on the input itself. */
	if ((doc = jsontree_loadb(text, size, "fuzz.json", &err))) {
		readiness_validate(doc, &p);
		for (i = 0; i < p.n; i++)
			if (!p.v[i].where || !p.v[i].what || !*p.v[i].what)
				abort();
		readiness_problems_release(&p);
		json_decref(doc);
	} else if (!err.msg[0] || err.line == 0) {
		abort();
	}

	/* 2. The scorers on the input as evidence; their report must be valid. */
	sections = json_object();
	json_object_set_new(sections, "soak_gates",
			    readiness_eval_soak_gates(text, size, "g.json", 30));
	json_object_set_new(sections, "golden", readiness_eval_golden(text, size, "d.json", 20));
	json_object_set_new(sections, "alert_rules",
			    readiness_eval_alert_rules(text, size, "a.yml", 50, required, 3));
	json_object_foreach(sections, key, s) score +=
	    (long)json_integer_value(json_object_get(s, "points"));
	report = json_pack("{s:o, s:I, s:s, s:{s:s, s:s}}", "sections", sections, "score",
			   (json_int_t)score, "verdict", score == 100 ? "GO" : "HOLD", "runtime",
			   "utc", "1970-01-01T00:00:00Z", "version", "fuzz");
	if (!report || readiness_validate(report, &p) != 0)
		abort();
	readiness_problems_release(&p);
	json_decref(report);
	return 0;
}
