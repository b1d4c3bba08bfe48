/*
 * fuzz_gates.c - the gates file loader (lib/gates) on arbitrary input:
 *  1. no crash, no leak, no read out of bounds;
 *  2. a refusal always says what and, for the file's content, where;
 *  3. what loads is consistent: every gate's aggregate fits its metric's
 *     type, thresholds and scales are finite (scale > 0), names are unique,
 *     and the alert expression and selector render;
 *  4. loading the loaded text again gives the same gates (determinism).
 * Any broken property aborts, so libFuzzer keeps the input.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gates.h"

static void
check(const struct gate_config *c)
{
	char buf[8192];
	size_t i, j;

	for (i = 0; i < c->ngates; i++) {
		const struct gate_def *g = &c->gates[i];
		double q = gates_agg_quantile(g->agg);

		if (!isfinite(g->threshold) || !(g->sel.scale > 0) || !isfinite(g->sel.scale) ||
		    !(g->window > 0) || g->alert.for_s < 0 || !*g->name || !*g->alert.name)
			abort();
		if (g->agg == AGG_INCREASE && g->sel.type != MTYPE_COUNTER)
			abort();
		if (g->sel.type == MTYPE_HISTOGRAM && q < 0)
			abort();
		for (j = 0; j < i; j++)
			if (strcmp(c->gates[j].name, g->name) == 0 ||
			    strcmp(c->gates[j].alert.name, g->alert.name) == 0)
				abort();
		gates_alert_expr(g, buf, sizeof(buf));
		if (!strstr(buf, gates_op_negated(g->op)))
			abort();
		gates_selector_str(&g->sel, buf, sizeof(buf));
		if (strncmp(buf, g->sel.metric, strlen(g->sel.metric)) != 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mm_err err;
	struct gate_config *c, *again;
	size_t i;

	mm_err_init(&err);
	c = gates_loadb((const char *)data, size, "fuzz.yaml", &err);
	if (!c) {
		if (!err.msg[0] || err.code == MM_E_OK)
			abort();
		return 0;
	}
	check(c);
	again = gates_loadb(c->text, c->text_len, "again.yaml", &err);
	if (!again || again->ngates != c->ngates || again->nrecord != c->nrecord)
		abort();
	for (i = 0; i < c->ngates; i++)
		if (strcmp(again->gates[i].name, c->gates[i].name) != 0 ||
		    again->gates[i].threshold != c->gates[i].threshold)
			abort();
	gates_free(again);
	gates_free(c);
	return 0;
}
