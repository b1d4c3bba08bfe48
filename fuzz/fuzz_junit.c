/*
 * fuzz_junit.c - JUnit XML counting (libxml2's reader plus the suite/case
 * bookkeeping of readiness.c) on arbitrary input: no crash, no leak, no
 * output, counts never negative, and every error carries a position.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "junit.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct junit_counts c = {0, 0, 0, 0, 0, 0};
	struct mm_err err;

	mm_err_init(&err);
	if (junit_count((const char *)data, size, "fuzz.xml", &c, &err) < 0) {
		if (!err.msg[0] || (err.code == MM_E_PARSE && err.line == 0))
			abort();
		return 0;
	}
	if (c.tests < 0 || c.failures < 0 || c.errors < 0 || c.skipped < 0 || c.suites < 0)
		abort();
	return 0;
}
