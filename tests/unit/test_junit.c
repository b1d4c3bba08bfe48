/* test_junit.c - JUnit XML: counting a document, writing one that a real reader reads back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "junit.h"

/* ---- reading ---- */

static int
junit(const char *xml, struct junit_counts *c, struct mm_err *err)
{
	memset(c, 0, sizeof(*c));
	mm_err_init(err);
	return junit_count(xml, strlen(xml), "t.xml", c, err);
}

static void
test_junit_counts_cases_across_suites(void **state)
{
	struct junit_counts c;
	struct mm_err err;

	(void)state;
	assert_int_equal(
	    junit("<?xml version=\"1.0\"?>\n"
		  "<testsuites tests=\"99\">\n"
		  " <testsuite name=\"a\" tests=\"3\">\n"
		  "  <testcase name=\"ok\"/>\n"
		  "  <testcase name=\"f\"><failure message=\"x\">boom</failure></testcase>\n"
		  "  <testcase name=\"s\"><skipped/></testcase>\n"
		  " </testsuite>\n"
		  " <testsuite name=\"b\">\n"
		  "  <testcase name=\"e\"><error type=\"T\"/><failure/></testcase>\n"
		  "  <testcase name=\"o\"><system-out><![CDATA[<failure/>]]></system-out>"
		  "</testcase>\n"
		  "  <!-- <testcase name=\"commented\"><failure/></testcase> -->\n"
		  " </testsuite>\n"
		  "</testsuites>\n",
		  &c, &err),
	    0);
	assert_int_equal(c.suites, 2);
	assert_int_equal(c.tests, 5);
	assert_int_equal(c.failures, 1);
	assert_int_equal(c.errors, 1);
	assert_int_equal(c.skipped, 1);
	assert_false(c.from_attributes);
}

static void
test_junit_attributes_and_nested_suites(void **state)
{
	struct junit_counts c;
	struct mm_err err;

	(void)state;
	/* A suite with no cases speaks through its attributes. */
	assert_int_equal(
	    junit("<testsuite tests=\"12\" failures=\"0\" errors=\"1\" skipped=\"2\"/>", &c, &err),
	    0);
	assert_int_equal(c.tests, 12);
	assert_int_equal(c.errors, 1);
	assert_true(c.from_attributes);
	/* Attributes claiming more failures than the cases show win. */
	assert_int_equal(
	    junit("<testsuite tests=\"2\" failures=\"1\"><testcase/><testcase/></testsuite>", &c,
		  &err),
	    0);
	assert_int_equal(c.tests, 2);
	assert_int_equal(c.failures, 1);
	/* A parent's attributes aggregate its children: not counted twice. */
	assert_int_equal(
	    junit("<testsuites><testsuite tests=\"3\" failures=\"1\">"
		  "<testsuite tests=\"1\"><testcase/></testsuite>"
		  "<testsuite tests=\"2\" failures=\"1\"><testcase/><testcase><failure/>"
		  "</testcase></testsuite></testsuite></testsuites>",
		  &c, &err),
	    0);
	assert_int_equal(c.suites, 3);
	assert_int_equal(c.tests, 3);
	assert_int_equal(c.failures, 1);
	/* Namespaced and prefixed elements count by local name. */
	assert_int_equal(
	    junit("<j:testsuite xmlns:j=\"urn:x\"><j:testcase><j:failure/></j:testcase>"
		  "</j:testsuite>",
		  &c, &err),
	    0);
	assert_int_equal(c.failures, 1);
}

static void
test_junit_rejects_what_is_not_junit(void **state)
{
	struct junit_counts c;
	struct mm_err err;

	(void)state;
	assert_int_equal(junit("<html><body/></html>", &c, &err), -1);
	assert_non_null(strstr(err.msg, "root element is <html>"));
	assert_int_equal(junit("<testsuite>\n<testcase>\n</testsuite>", &c, &err), -1);
	assert_string_equal(err.file, "t.xml");
	assert_int_equal(err.line, 3);
	assert_int_equal(junit("", &c, &err), -1);
	assert_int_equal(junit("<testsuite tests=\"many\"/>", &c, &err), -1);
	assert_non_null(strstr(err.msg, "attribute 'tests' of <testsuite> is not a count"));
	assert_int_equal(junit("<testsuite tests=\"-1\"/>", &c, &err), -1);
}

static void
test_junit_does_not_expand_external_entities(void **state)
{
	struct junit_counts c;
	struct mm_err err;
	int r;

	(void)state;
	/* An external entity must neither be fetched nor turn into cases. */
	r = junit("<?xml version=\"1.0\"?>\n"
		  "<!DOCTYPE testsuite [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
		  "<testsuite>&x;<testcase/></testsuite>\n",
		  &c, &err);
	assert_int_equal(r, 0);
	assert_int_equal(c.tests, 1);
	/* Nor may entities multiply ("billion laughs"): libxml2 refuses the loop. */
	r = junit("<?xml version=\"1.0\"?>\n<!DOCTYPE t [<!ENTITY a \"aaaaaaaaaa\">"
		  "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c "
		  "\"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
		  "<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\"><!ENTITY e "
		  "\"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">"
		  "<!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\"><!ENTITY g "
		  "\"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">"
		  "<!ENTITY h \"&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;\">]>\n"
		  "<testsuite tests=\"&h;\"><testcase/></testsuite>\n",
		  &c, &err);
	assert_int_equal(r, -1);
	assert_int_equal(err.line, 3);
}

/* ---- writing ---- */

/* Text no reader would accept raw: markup, quotes, controls, bad UTF-8. */
static const char hostile[] =
    "p95 80 ms <= 150 ms & \"quoted\" 'x' ]]> \x01\x1f\x7f \xff\xc0\x80 \xed\xa0\x80 é\n<failure/>";

static void
test_junit_write_is_well_formed_and_counts_back(void **state)
{
	const struct junit_property props[] = {{"target", hostile}, {"empty", ""}};
	const struct junit_case cases[] = {
	    {"soak.hard", "tick_p95", 0, JUNIT_PASS, NULL, NULL, hostile},
	    {"soak.hard", "hit <ratio>", 1.5, JUNIT_FAILURE, "fail", hostile, hostile},
	    {"soak.hard", "edge", NAN, JUNIT_ERROR, "error", hostile, NULL},
	    {"soak.soft", "maker&share", -1, JUNIT_SKIPPED, NULL, hostile, NULL},
	    {"soak.hard", "plain", 0, JUNIT_PASS, NULL, NULL, NULL},
	};
	const struct junit_suite suites[] = {
	    {"soak gates", 12.25, "2026-12-06T00:00:00Z", props, 2, cases, 5},
	    {"empty <suite>", 0, NULL, NULL, 0, NULL, 0},
	};
	struct buf b = BUF_INIT(1 << 20);
	struct junit_counts c;
	struct mm_err err;
	xmlDocPtr doc;

	(void)state;
	mm_err_init(&err);
	assert_int_equal(junit_write("mmops <soak>", suites, 2, &b, &err), 0);
	/* libxml2's strict parser, no recovery: any well-formedness error fails. */
	doc = xmlReadMemory(b.data, (int)b.len, "j.xml", "UTF-8",
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc)
		fail_msg("not well-formed:\n%s", b.data);
	xmlFreeDoc(doc);
	memset(&c, 0, sizeof(c));
	assert_int_equal(junit_count(b.data, b.len, "j.xml", &c, &err), 0);
	assert_int_equal(c.suites, 2);
	assert_int_equal(c.tests, 5);
	assert_int_equal(c.failures, 1);
	assert_int_equal(c.errors, 1);
	assert_int_equal(c.skipped, 1);
	assert_non_null(strstr(b.data, "tests=\"5\" failures=\"1\" errors=\"1\" skipped=\"1\""));
	assert_non_null(strstr(b.data, "&lt;= 150 ms &amp;"));
	assert_null(strstr(b.data, "\x01"));
	assert_non_null(strstr(b.data, "\xef\xbf\xbd"));   /* the bad bytes, replaced */
	assert_non_null(strstr(b.data, "time=\"0.000\"")); /* NaN and negative times */
	buf_release(&b);
}

static void
test_junit_write_is_deterministic_and_respects_the_cap(void **state)
{
	const struct junit_case one = {"c", "n", 0, JUNIT_FAILURE, "fail", "m", "t"};
	const struct junit_suite s = {"s", 1, NULL, NULL, 0, &one, 1};
	struct buf a = BUF_INIT(1 << 16), b = BUF_INIT(1 << 16), small = BUF_INIT(40);
	struct mm_err err;

	(void)state;
	assert_int_equal(junit_write("x", &s, 1, &a, &err), 0);
	assert_int_equal(junit_write("x", &s, 1, &b, &err), 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	assert_int_equal(junit_write("x", &s, 1, &small, &err), -1);
	assert_int_equal(err.code, MM_E_LIMIT);
	buf_release(&a);
	buf_release(&b);
	buf_release(&small);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_junit_counts_cases_across_suites),
	    cmocka_unit_test(test_junit_attributes_and_nested_suites),
	    cmocka_unit_test(test_junit_rejects_what_is_not_junit),
	    cmocka_unit_test(test_junit_does_not_expand_external_entities),
	    cmocka_unit_test(test_junit_write_is_well_formed_and_counts_back),
	    cmocka_unit_test(test_junit_write_is_deterministic_and_respects_the_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
