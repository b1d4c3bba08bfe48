/*
 * fuzz_promapi.c - the Prometheus HTTP API answer decoder (lib/promapi) on
 * arbitrary bytes and statuses: no crash, no leak; a refusal has a message
 * and one of the documented codes; an accepted answer's series are well
 * formed (labels sorted by name, points present as counted).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "promapi.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = {200, 400, 422, 503};
	struct promapi_result r;
	struct mm_err err;
	size_t i, j;
	long status = size ? statuses[data[0] & 3] : 200;

	mm_err_init(&err);
	if (promapi_parse((const char *)data, size, status, &r, &err) < 0) {
		if (!err.msg[0] || (err.code != MM_E_PARSE && err.code != MM_E_NET &&
				    err.code != MM_E_RUNTIME && err.code != MM_E_LIMIT))
			abort();
		if (r.nseries || r.series)
			abort();
		return 0;
	}
	for (i = 0; i < r.nseries; i++) {
		const struct promapi_series *s = &r.series[i];

		for (j = 1; j < s->nlabels; j++)
			if (strcmp(s->labels[j - 1].name, s->labels[j].name) > 0)
				abort();
		if (s->n && !s->pts)
			abort();
		for (j = 0; j < s->nlabels; j++)
			if (promapi_label(s, s->labels[j].name) == NULL)
				abort();
	}
	promapi_result_release(&r);
	return 0;
}
