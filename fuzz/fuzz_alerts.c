/*
 * fuzz_alerts.c - the alert rule renderer on arbitrary input: as a gates file
 * (rendered at time scale 1 and 60), as a PromQL expression to time-scale,
 * and as two texts to diff.  No crash, no leak; every refusal carries a
 * message; a diff is empty exactly when the texts are equal.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "gates.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gate_config *cfg;
	struct alerts_opts o;
	struct mm_err err;
	struct buf out = BUF_INIT(ALERTS_MAX_OUTPUT);
	char *s;
	size_t half = size / 2, n;

	mm_err_init(&err);
	cfg = gates_loadb((const char *)data, size, "fuzz.yaml", &err);
	if (cfg) {
		alerts_opts_init(&o);
		if (alerts_render(cfg, &o, &out, &err) < 0 && !err.msg[0])
			abort();
		buf_reset(&out);
		o.time_scale = 60;
		if (alerts_render(cfg, &o, &out, &err) < 0 && !err.msg[0])
			abort();
		gates_free(cfg);
	}
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	buf_reset(&out);
	mm_err_init(&err);
	if (alerts_scale_expr(s, 60, &out, &err) < 0 && !err.msg[0])
		abort();
	buf_reset(&out);
	n = alerts_diff((const char *)data, half, "a", (const char *)data + half, size - half, "b",
			&out);
	if ((n == 0) != (half == size - half && memcmp(data, data + half, half) == 0))
		abort();
	buf_release(&out);
	free(s);
	return 0;
}
