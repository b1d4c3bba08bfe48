/*
 * fuzz_promtext.c - lib/promtext on arbitrary input.
 *
 *  1. no input crashes it or makes it read outside the buffer (the input is
 *     an exactly-sized copy, so ASan sees any over-read); the first byte
 *     picks 0.0.4 or OpenMetrics mode;
 *  2. every sample it hands out is well-formed: a valid metric name and
 *     label names that lie inside the input, no duplicate label names;
 *  3. every warning (a semantic rule broken in 0.0.4) has a position, and
 *     OpenMetrics mode gives none (there the rules are errors);
 *  4. round trip: the accepted samples written back as text (values with
 *     %.17g, label values re-escaped, timestamps in ms) parse again to the
 *     same names, labels, values and timestamps.
 * Any broken property aborts, so libFuzzer keeps the input.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "promtext.h"

#define MAX_KEEP 4096 /* samples compared in the round trip */

static int
name_ok(struct prom_str s, int label)
{
	size_t i;

	if (!s.len)
		return 0;
	for (i = 0; i < s.len; i++) {
		char c = s.p[i];
		int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';

		if (alpha || (!label && c == ':') || (i > 0 && c >= '0' && c <= '9'))
			continue;
		return 0;
	}
	return 1;
}

static int
inside(struct prom_str s, const char *d, size_t n)
{
	return s.p >= d && s.p + s.len <= d + n;
}

static void
put_value(struct buf *b, double v)
{
	if (isnan(v))
		buf_adds(b, "NaN");
	else if (isinf(v))
		buf_adds(b, v > 0 ? "+Inf" : "-Inf");
	else
		buf_addf(b, "%.17g", v);
}

static void
put_sample(struct buf *b, const struct prom_sample *s)
{
	size_t i, k;

	buf_add(b, s->name.p, s->name.len);
	buf_addc(b, '{');
	for (i = 0; i < s->nlabels; i++) {
		buf_add(b, s->labels[i].name.p, s->labels[i].name.len);
		buf_adds(b, "=\"");
		for (k = 0; k < s->labels[i].value.len; k++) {
			char c = s->labels[i].value.p[k];

			if (c == '\n')
				buf_adds(b, "\\n");
			else if (c == '"' || c == '\\') {
				buf_addc(b, '\\');
				buf_addc(b, c);
			} else
				buf_addc(b, c);
		}
		buf_adds(b, "\",");
	}
	buf_adds(b, "} ");
	put_value(b, s->value);
	if (s->has_timestamp)
		buf_addf(b, " %lld", (long long)s->timestamp_ms);
	buf_addc(b, '\n');
}

/* A sample in canonical text, for comparing first and second parses. */
static void
canon(struct buf *b, const struct prom_sample *s)
{
	size_t i;

	buf_add(b, s->name.p, s->name.len);
	for (i = 0; i < s->nlabels; i++) {
		buf_addc(b, '|');
		buf_add(b, s->labels[i].name.p, s->labels[i].name.len);
		buf_addc(b, '=');
		buf_addf(b, "%zu:", s->labels[i].value.len);
		buf_add(b, s->labels[i].value.p, s->labels[i].value.len);
	}
	buf_addc(b, ' ');
	if (isnan(s->value))
		buf_adds(b, "nan");
	else
		buf_addf(b, "%a", s->value);
	if (s->has_timestamp)
		buf_addf(b, " @%lld", (long long)s->timestamp_ms);
	buf_addc(b, '\n');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf text = BUF_INIT((size_t)64 << 20), want = BUF_INIT((size_t)64 << 20);
	struct buf got = BUF_INIT((size_t)64 << 20);
	struct promtext p;
	struct prom_sample s;
	struct mm_err err;
	unsigned flags;
	size_t n = 0, i, j;
	char *d;
	int r;

	if (size == 0)
		return 0;
	flags = (data[0] & 1) ? PROMTEXT_OPENMETRICS : 0;
	d = malloc(size - 1 ? size - 1 : 1);
	memcpy(d, data + 1, size - 1);
	promtext_init(&p, d, size - 1, "fuzz", flags);
	while ((r = promtext_next(&p, &s, &err)) == 1) {
		if (!name_ok(s.name, 0) || !inside(s.name, d, size - 1) ||
		    !inside(s.family->name, d, size - 1) || s.nlabels > PROMTEXT_MAX_LABELS)
			abort();
		for (i = 0; i < s.nlabels; i++) {
			if (!name_ok(s.labels[i].name, 1) || !inside(s.labels[i].name, d, size - 1))
				abort();
			for (j = 0; j < i; j++)
				if (s.labels[j].name.len == s.labels[i].name.len &&
				    memcmp(s.labels[j].name.p, s.labels[i].name.p,
					   s.labels[i].name.len) == 0)
					abort();
		}
		if (n < MAX_KEEP) {
			put_sample(&text, &s);
			canon(&want, &s);
			n++;
		}
	}
	if (r < 0 && (err.line == 0 || err.col == 0 || !err.msg[0]))
		abort();
	/* Every warning kept has a position and a message; OpenMetrics mode has none. */
	for (i = 0; i < promtext_nwarnings(&p); i++) {
		const struct mm_err *w = promtext_warning(&p, i);

		if ((i < PROMTEXT_MAX_WARNINGS) != (w != NULL) || (flags & PROMTEXT_OPENMETRICS))
			abort();
		if (w && (w->line == 0 || w->col == 0 || !w->msg[0]))
			abort();
	}
	promtext_release(&p);
	free(d);

	/*
	 * Round trip what was accepted (before any error).  Rewriting can
	 * lengthen a line (a trailing comma per label, longer numbers), so
	 * inputs big enough to come near the line cap are not compared.
	 */
	if (size > PROMTEXT_MAX_LINE / 2)
		goto out;
	promtext_init(&p, text.data ? text.data : "", text.len, "again", 0);
	i = 0;
	while ((r = promtext_next(&p, &s, &err)) == 1) {
		canon(&got, &s);
		i++;
	}
	if (r != 0 || i != n)
		abort();
	if (want.len != got.len || (want.len && memcmp(want.data, got.data, want.len) != 0))
		abort();
out:
	promtext_release(&p);
	buf_release(&text);
	buf_release(&want);
	buf_release(&got);
	return 0;
}
