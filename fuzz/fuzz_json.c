/*
 * fuzz_json.c - the JSON scanner and golden compare on arbitrary input.
 *
 *  1. differential: jsonpull and jansson (JSON_REJECT_DUPLICATES |
 *     JSON_DECODE_ANY | JSON_ALLOW_NUL) must give the same accept/reject
 *     verdict, except where mmops accepts valid JSON on purpose (integers
 *     and reals beyond jansson's range, "\u0000" in keys) or the two depth
 *     limits count differently, or jansson lets a raw NUL byte through;
 *  2. a valid document compared with itself has no drift;
 *  3. the input split in two documents: comparing A with B and B with A
 *     finds the same number of drifts, with missing and extra swapped;
 *  4. every report rendered is valid JSON by the scanner's own rules.
 * Any broken property aborts, so libFuzzer keeps the input.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden.h"
#include "jsonpull.h"

/* jansson refusals of JSON that mmops accepts by design. */
static const char *const jansson_only[] = {
    "too big integer",
    "too big negative integer",
    "real number overflow",
    "NUL byte in object key not supported",
    "maximum parsing depth reached",
};

static int
jansson_only_refusal(const char *text)
{
	size_t i;

	for (i = 0; i < sizeof(jansson_only) / sizeof(jansson_only[0]); i++)
		if (strstr(text, jansson_only[i]))
			return 1;
	return 0;
}

static void
differential(const char *data, size_t size)
{
	struct mm_err err;
	json_error_t je;
	json_t *j;
	int ours, theirs;

	mm_err_init(&err);
	ours = jsonpull_validate(data, size, "fuzz.json", &err) == 0;
	if (!ours && (!err.msg[0] || !err.line || !err.col))
		abort(); /* every refusal has a position and a reason */
	j = json_loadb(data, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	theirs = j != NULL;
	json_decref(j);
	if (ours == theirs)
		return;
	if (ours && jansson_only_refusal(je.text))
		return;
	if (!ours && strstr(err.msg, "nesting deeper"))
		return;
	/* jansson lets some raw NUL bytes through ("[12\0]" reads as [12]); JSON does not */
	if (!ours && memchr(data, '\0', size))
		return;
	fprintf(stderr, "verdicts differ: jsonpull %s (%s), jansson %s (%s)\n",
		ours ? "accepts" : "refuses", err.msg, theirs ? "accepts" : "refuses", je.text);
	abort();
}

static void
check_report(const struct golden_doc *a, const struct golden_doc *b, const struct golden_opts *o,
	     const struct golden_result *r)
{
	struct buf out = BUF_INIT((size_t)1 << 26);
	struct mm_err err;

	if (golden_render_json(a, b, o, r, &out) < 0)
		abort();
	if (jsonpull_validate(out.data, out.len, "report", &err) < 0) {
		fprintf(stderr, "invalid report: %s\n%s", err.msg, out.data);
		abort();
	}
	buf_reset(&out);
	if (golden_render_text(a, b, o, r, &out) < 0)
		abort();
	buf_release(&out);
}

static int
compare(const char *x, size_t nx, const char *y, size_t ny, const struct golden_opts *o,
	struct golden_result *r)
{
	struct golden_doc a, b;
	struct mm_err err;
	int rc;

	golden_doc_init(&a, "a.json", x, nx);
	golden_doc_init(&b, "b.json", y, ny);
	rc = golden_compare(&a, &b, o, r, &err);
	if (rc == 0)
		check_report(&a, &b, o, r);
	golden_doc_release(&a);
	golden_doc_release(&b);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ign[] = {"/a/*", "/*/0", "/x~1y"};
	const char *s = (const char *)data;
	struct golden_result r1, r2;
	struct golden_opts o;
	size_t cut;

	differential(s, size);

	golden_opts_init(&o);
	o.max_drifts = 50;
	if (compare(s, size, s, size, &o, &r1) == 0 && r1.drift_count != 0) {
		fprintf(stderr, "a document drifts from itself\n");
		abort();
	}
	golden_result_release(&r1);

	/* Two documents: the first byte says where to cut, the rest is split. */
	if (size < 2)
		return 0;
	cut = 1 + data[0] % (size - 1);
	o.nignore = data[0] & 1 ? 3 : 0;
	o.ignore = ign;
	o.rel_tolerance = data[0] & 2 ? 1e-3 : 0;
	{
		int a = compare(s + 1, cut - 1, s + cut, size - cut, &o, &r1);
		int b = compare(s + cut, size - cut, s + 1, cut - 1, &o, &r2);

		if (a != b)
			abort(); /* both documents are validated either way */
		if (a == 0 && (r1.drift_count != r2.drift_count ||
			       r1.kind_count[GOLDEN_MISSING] != r2.kind_count[GOLDEN_EXTRA] ||
			       r1.kind_count[GOLDEN_VALUE] != r2.kind_count[GOLDEN_VALUE] ||
			       r1.kind_count[GOLDEN_TYPE] != r2.kind_count[GOLDEN_TYPE] ||
			       r1.kind_count[GOLDEN_LENGTH] != r2.kind_count[GOLDEN_LENGTH])) {
			fprintf(stderr, "asymmetric: %zu vs %zu drifts\n", r1.drift_count,
				r2.drift_count);
			abort();
		}
	}
	golden_result_release(&r1);
	golden_result_release(&r2);
	return 0;
}
