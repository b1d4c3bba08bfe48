/*
 * test_tpl.c - the policy's templates on their own: variables substituted
 * and masked, "$$", the field whitelist, rendering with JSON escaping, and
 * the refusals (each a message without position).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "tpl.h"

static int
lookup(void *ctx, const char *name, size_t len, const char **value, int *secret)
{
	(void)ctx;
	if (len == 4 && memcmp(name, "base", 4) == 0) {
		*value = "http://127.0.0.1:9";
		*secret = 0;
		return 1;
	}
	if (len == 5 && memcmp(name, "token", 5) == 0) {
		*value = "s3cret";
		*secret = 1;
		return 1;
	}
	if (len == 5 && memcmp(name, "empty", 5) == 0) {
		*value = "";
		*secret = 0;
		return 1;
	}
	return 0;
}

static void
test_tpl_variables_are_substituted_and_secrets_masked(void **state)
{
	struct tpl t;
	struct mm_err err;
	char *text, *shown;
	int empty = 0;

	(void)state;
	assert_int_equal(tpl_parse("${base}/x?t=${token}&p=$$5", lookup, NULL, 0, &t, &empty, &err),
			 0);
	assert_true(tpl_is_literal(&t));
	text = tpl_literal(&t, 0);
	shown = tpl_literal(&t, 1);
	assert_string_equal(text, "http://127.0.0.1:9/x?t=s3cret&p=$5");
	assert_string_equal(shown, "http://127.0.0.1:9/x?t=" TPL_SECRET_MASK "&p=$5");
	assert_int_equal(empty, 0);
	free(text);
	free(shown);
	tpl_release(&t);
	assert_int_equal(tpl_parse("${empty}", lookup, NULL, 0, &t, &empty, &err), 0);
	assert_int_equal(empty, 1);
	tpl_release(&t);
}

static void
test_tpl_fields_render_from_the_alert_json_escaped(void **state)
{
	struct alert_label lab[] = {{(char *)"alertname", (char *)"Soak\"X"},
				    {(char *)"severity", (char *)"critical"}};
	struct buf out = BUF_INIT(4096);
	struct tpl_ctx c;
	struct alert a;
	struct tpl t;
	struct mm_err err;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.labels.v = lab;
	a.labels.n = 2;
	a.fingerprint = (char *)"fp";
	memset(&c, 0, sizeof(c));
	c.alert = &a;
	c.decision = "rollback";
	c.gate = "hard";
	c.rollback_id = 7;
	assert_int_equal(
	    tpl_parse("{\"a\":\"{{ alertname }}\",\"s\":\"{{labels.severity}}\","
		      "\"d\":\"{{decision}}\",\"r\":{{rollback_id}},\"n\":\"{{labels.none}}\"}",
		      lookup, NULL, 1, &t, NULL, &err),
	    0);
	assert_false(tpl_is_literal(&t));
	assert_int_equal(tpl_render(&t, &c, 0, 1, &out), 0);
	assert_string_equal(out.data, "{\"a\":\"Soak\\\"X\",\"s\":\"critical\",\"d\":\"rollback\","
				      "\"r\":7,\"n\":\"\"}");
	tpl_release(&t);
	buf_release(&out);
}

static void
test_tpl_refusals_say_what_is_wrong(void **state)
{
	struct tpl t;
	struct mm_err err;

	(void)state;
	assert_int_equal(tpl_parse("${nope}", lookup, NULL, 1, &t, NULL, &err), -1);
	assert_int_equal(err.code, MM_E_CONFIG);
	assert_non_null(strstr(err.msg, "unknown variable 'nope'"));
	assert_int_equal(tpl_parse("{{labels}}", lookup, NULL, 1, &t, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "unknown alert field 'labels'"));
	assert_int_equal(tpl_parse("{{alertname}}", lookup, NULL, 0, &t, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "not allowed here"));
	assert_int_equal(tpl_parse("${base", lookup, NULL, 0, &t, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "unterminated '${'"));
	assert_int_equal(tpl_parse("{{alertname", lookup, NULL, 1, &t, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "unterminated '{{'"));
	assert_int_equal(t.n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tpl_variables_are_substituted_and_secrets_masked),
	    cmocka_unit_test(test_tpl_fields_render_from_the_alert_json_escaped),
	    cmocka_unit_test(test_tpl_refusals_say_what_is_wrong),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
