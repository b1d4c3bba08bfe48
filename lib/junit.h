/*
 * junit.h - JUnit XML, the test-result format CI systems read: counting the
 * tests of a document (the readiness score's test evidence) and writing one
 * (the soak's and the canary's results).
 *
 * Both go through libxml2: the reader is its xmlTextReader (no network, no
 * DTD, no entity expansion), the writer its xmlTextWriter, so whatever text
 * a gate's reason holds ('<', '&', quotes, control characters, bad UTF-8),
 * the file is well-formed XML 1.0 that the counting side reads back.
 */
#ifndef MM_JUNIT_H
#define MM_JUNIT_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

#define JUNIT_MAX_DEPTH 256	       /* nested <testsuite> elements when reading */
#define JUNIT_MAX_COUNT 1000000000000L /* per-attribute and total cap when reading: 10^12 */

/* Test totals of JUnit XML. */
struct junit_counts {
	long suites; /* <testsuite> elements */
	long tests;  /* <testcase> elements, or the attributes when there are none */
	long failures;
	long errors;
	long skipped;
	int from_attributes; /* 1 when the totals come from <testsuite tests=...> attributes */
};

/*
 * Count the tests of one JUnit XML document (<testsuites> or <testsuite>
 * root).  Each <testcase> is one test; one with <error> is an error, else
 * one with <failure> a failure, else one with <skipped> skipped.  Suites
 * without <testcase> children contribute their tests/failures/errors/skipped
 * attributes instead.  When a suite's failures or errors attributes claim
 * more than its test cases show, the larger numbers are kept (a release gate
 * errs towards HOLD).  The XML is parsed with libxml2 without network access
 * or entity expansion.  Adds to *out (zero it first); -1 and err
 * (MM_E_PARSE, name:line:col) when the document is not JUnit XML.
 */
int junit_count(const char *data, size_t len, const char *name, struct junit_counts *out,
		struct mm_err *err);

/* out += in, each count saturating at JUNIT_MAX_COUNT. */
void junit_counts_add(struct junit_counts *out, const struct junit_counts *in);

/* ---- writing ---- */

enum junit_outcome {
	JUNIT_PASS,
	JUNIT_FAILURE, /* <failure>: the thing tested is wrong */
	JUNIT_ERROR,   /* <error>: the test could not decide */
	JUNIT_SKIPPED, /* <skipped>: reported, not counted against the run */
};

struct junit_case {
	const char *classname;
	const char *name;
	double time; /* seconds; NAN or negative is written as 0 */
	enum junit_outcome outcome;
	const char *type;    /* failure/error type attribute; NULL: none */
	const char *message; /* failure/error/skipped message attribute; NULL: none */
	const char *text;    /* failure/error body, or <system-out> of a pass; NULL: none */
};

struct junit_property {
	const char *name, *value;
};

struct junit_suite {
	const char *name;
	double time;	       /* seconds */
	const char *timestamp; /* RFC 3339, or NULL */
	const struct junit_property *props;
	size_t nprops;
	const struct junit_case *cases;
	size_t ncases;
};

/*
 * Append to out a JUnit document: <testsuites name=...> holding the suites,
 * with tests/failures/errors/skipped counted from the cases (the root sums
 * them).  Text is written as XML 1.0 allows: characters it forbids are
 * dropped and invalid UTF-8 becomes U+FFFD.  Deterministic: the same input
 * gives the same bytes.  -1 and err (MM_E_LIMIT when out's cap is hit,
 * MM_E_RUNTIME when libxml2 fails).
 */
int junit_write(const char *name, const struct junit_suite *suites, size_t nsuites, struct buf *out,
		struct mm_err *err);

#endif
