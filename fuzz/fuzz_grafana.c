/*
 * fuzz_grafana.c - the dashboard linter and the PromQL name scan on
 * arbitrary input.
 *
 *  1. the input as a dashboard file: grafana_lint_text() with the built-in
 *     gates either refuses it as JSON or lints it; every problem has a
 *     pointer that starts with '/' and a position inside the text;
 *  2. the input as a PromQL expression: every metric name reported lies
 *     inside the input, is not empty, and starts like a Prometheus name
 *     (or comes from a {__name__="..."} string);
 *  3. the input wrapped as the expr of a gated panel lints without a crash.
 * A broken property aborts, so libFuzzer keeps the input.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gates.h"
#include "grafana.h"
#include "jsonpull.h"

static struct gate_config *gates;

struct span {
	const char *lo, *hi;
};

static void
inside(const char *name, size_t len, void *ctx)
{
	const struct span *s = ctx;

	if (len == 0 && name[-1] != '"' && name[-1] != '\'' && name[-1] != '`')
		abort();
	if (name < s->lo || name + len > s->hi)
		abort();
}

static void
lint_text(const char *text, size_t len)
{
	struct grafana_lint l;
	struct mm_err err;
	unsigned long lines = 1;
	size_t i;

	for (i = 0; i < len; i++)
		lines += text[i] == '\n';
	if (grafana_lint_text(text, len, "fuzz.json", gates, &l, &err) == 0) {
		for (i = 0; i < l.n; i++) {
			if (l.v[i].pointer[0] && l.v[i].pointer[0] != '/')
				abort();
			if (l.v[i].line < 1 || l.v[i].line > lines)
				abort();
		}
		if (l.n > l.count)
			abort();
	}
	grafana_lint_release(&l);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct span sp;
	struct buf doc = BUF_INIT(1 << 22);

	if (!gates && !(gates = gates_load_default(NULL)))
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	lint_text(s, size);

	sp.lo = s;
	sp.hi = s + strlen(s);
	grafana_expr_metrics(s, inside, &sp);

	buf_adds(&doc, "{\"title\":\"t\",\"uid\":\"u\",\"schemaVersion\":1,\"panels\":[{\"id\":1,"
		       "\"gridPos\":{\"x\":0,\"y\":0,\"w\":1,\"h\":1},\"datasource\":\"$d\","
		       "\"targets\":[{\"refId\":\"A\",\"expr\":");
	jsonpull_quote(s, strlen(s), &doc);
	buf_adds(&doc, "}]}]}");
	if (!buf_failed(&doc))
		lint_text(doc.data, doc.len);
	buf_release(&doc);
	free(s);
	return 0;
}
