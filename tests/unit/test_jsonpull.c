/* test_jsonpull.c - the strict pull scanner: what it accepts, what it refuses and where. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonpull.h"
#include "xalloc.h"

static int
valid(const char *s)
{
	struct mm_err err;

	mm_err_init(&err);
	return jsonpull_validate(s, strlen(s), "t.json", &err) == 0;
}

/* Validate s, expect a failure at line:col whose message contains what. */
static void
refused_at(const char *s, size_t len, unsigned long line, unsigned long col, const char *what)
{
	struct mm_err err;

	mm_err_init(&err);
	if (jsonpull_validate(s, len, "t.json", &err) == 0)
		fail_msg("accepted: %s", s);
	assert_int_equal(err.code, MM_E_PARSE);
	assert_string_equal(err.file, "t.json");
	if (err.line != line || err.col != col || !strstr(err.msg, what))
		fail_msg("'%s': got %lu:%lu %s, want %lu:%lu ...%s...", s, err.line, err.col,
			 err.msg, line, col, what);
}

static void
test_jsonscan_accepts_rfc8259_documents(void **state)
{
	static const char *const ok[] = {
	    "{}",
	    "[]",
	    " \t\r\n{ } ",
	    "0",
	    "-0",
	    "1.5e-3",
	    "1E+2",
	    "-12.0e10",
	    "\"\"",
	    "true",
	    "false",
	    "null",
	    "[1,[2,[3]],{\"a\":{}}]",
	    "{\"a\":1,\"b\":[true,false,null]}",
	    "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\"",
	    "\"\\ud83d\\ude00\"",
	    "\"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
	    "123456789012345678901234567890123456789",
	    "1e400",
	    "{\"\\u0000\":1}",
	    "[\"\\u0000\"]",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!valid(ok[i]))
			fail_msg("refused: %s", ok[i]);
}

static void
test_jsonscan_refuses_what_strict_parsers_refuse(void **state)
{
	static const char *const bad[] = {
	    "",
	    " ",
	    "{",
	    "[1,]",
	    "{\"a\":1,}",
	    "[1 2]",
	    "{\"a\" 1}",
	    "{a:1}",
	    "{'a':1}",
	    "01",
	    "1.",
	    ".5",
	    "+1",
	    "1e",
	    "1e+",
	    "-",
	    "--1",
	    "tru",
	    "nul",
	    "True",
	    "[NaN]",
	    "Infinity",
	    "-Infinity",
	    "\"abc",
	    "\"\\x\"",
	    "\"\\u12\"",
	    "\"\\ud800\"",
	    "\"\\udc00\"",
	    "\"\\ud800\\u0041\"",
	    "\"a\tb\"",
	    "\"\xff\"",
	    "\"\xc0\xaf\"",
	    "\"\xed\xa0\x80\"",
	    "\"\xf4\x90\x80\x80\"",
	    "\"\xe2\x82\"",
	    "{} {}",
	    "[] x",
	    "/* c */ 1",
	    "\xef\xbb\xbf{}",
	    "{\"a\":1,\"a\":2}",
	    "[1]]",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (valid(bad[i]))
			fail_msg("accepted: %s", bad[i]);
	/* NUL bytes are neither whitespace nor a token */
	{
		struct mm_err err;

		assert_int_equal(jsonpull_validate("[1]\0", 4, "t", &err), -1);
		assert_int_equal(jsonpull_validate("[\"a\0\"]", 6, "t", &err), -1);
	}
}

static void
test_jsonscan_errors_name_line_and_column(void **state)
{
	(void)state;
	refused_at("{\n  \"a\": NaN\n}", 14, 2, 8, "'NaN' is not valid JSON");
	refused_at("[1,\n Infinity]", 14, 2, 2, "'Infinity' is not valid JSON");
	refused_at("[-Infinity]", 11, 1, 2, "'-Infinity' is not valid JSON");
	refused_at("{\"a\": 1,\n \"b\": 2,\n \"a\": 3}", 26, 3, 2, "duplicate key 'a'");
	refused_at("[1,]", 4, 1, 4, "trailing comma");
	refused_at("{\"a\":1,}", 8, 1, 8, "trailing comma");
	refused_at("{\"a\" 1}", 7, 1, 6, "expected ':'");
	refused_at("[1 2]", 5, 1, 4, "expected ',' or ']'");
	refused_at("[\"abc", 5, 1, 2, "unterminated string");
	refused_at("\"\xc3\xa9\xff\"", 5, 1, 3, "invalid UTF-8 byte 0xff");
	refused_at("\"a\nb\"", 5, 1, 3, "control character 0x0a");
	refused_at("{\"k\": \"\\ud800x\"}", 16, 1, 8, "lone high surrogate");
	refused_at("[01]", 4, 1, 2, "leading zero");
	refused_at("[1] [2]", 7, 1, 5, "trailing data");
	refused_at("", 0, 1, 1, "unexpected end of input");
	refused_at("{\"a\":", 5, 1, 6, "unexpected end of input");
}

static void
test_jsonscan_duplicate_keys_in_big_objects_and_after_unescaping(void **state)
{
	struct buf b = BUF_INIT(1 << 20);
	int i;

	(void)state;
	/* "a" written twice, once escaped: the same key */
	assert_false(valid("{\"a\":1,\"\\u0061\":2}"));
	/* Equal prefixes are not duplicates */
	assert_true(valid("{\"ab\":1,\"a\":2,\"abc\":3,\"\":4}"));
	/* past the linear limit: the hash table must still find them */
	buf_adds(&b, "{");
	for (i = 0; i < 5000; i++)
		buf_addf(&b, "%s\"k%d\":%d", i ? "," : "", i, i);
	buf_adds(&b, "}");
	assert_true(valid(b.data));
	b.len--;
	buf_adds(&b, ",\"k4321\":0}");
	assert_false(valid(b.data));
	/* the same keys in sibling and nested objects are fine */
	assert_true(valid("[{\"a\":1},{\"a\":{\"a\":2}}]"));
	buf_release(&b);
}

/* d nested arrays: "[[...]]" */
static char *
nested(size_t d)
{
	char *s = xmalloc(2 * d + 1);
	size_t i;

	for (i = 0; i < d; i++) {
		s[i] = '[';
		s[2 * d - 1 - i] = ']';
	}
	s[2 * d] = '\0';
	return s;
}

static void
test_jsonscan_caps_nesting(void **state)
{
	char *deep = nested(JSONPULL_MAX_DEPTH);

	(void)state;
	assert_true(valid(deep));
	free(deep);
	deep = nested(JSONPULL_MAX_DEPTH + 1);
	refused_at(deep, strlen(deep), 1, JSONPULL_MAX_DEPTH + 1, "nesting deeper");
	free(deep);
}

static void
test_jsonscan_pulls_values_as_spans(void **state)
{
	const char *doc = "{ \"n\": -1.5e3, \"s\": \"a\\nb\", \"l\": [true, null] }";
	struct jsonpull s;
	struct jsonpull_tok t;
	struct jsonpull_key k;
	struct mm_err err;

	(void)state;
	jsonpull_init(&s, doc, strlen(doc), "t", &err);
	assert_int_equal(jsonpull_peek(&s), JSONPULL_OBJECT);
	assert_int_equal(jsonpull_begin(&s), 0);
	assert_int_equal(jsonpull_obj_next(&s, &k), 1);
	assert_int_equal(k.len, 1);
	assert_memory_equal(k.s, "n", 1);
	assert_int_equal(jsonpull_scalar(&s, &t), 0);
	assert_int_equal(t.type, JSONPULL_NUMBER);
	assert_int_equal(t.integer, 0);
	assert_memory_equal(doc + t.off, "-1.5e3", t.len);
	assert_int_equal(jsonpull_obj_next(&s, &k), 1);
	assert_int_equal(jsonpull_scalar(&s, &t), 0);
	assert_int_equal(t.type, JSONPULL_STRING);
	assert_true(t.escaped);
	assert_int_equal(t.len, 6);
	assert_int_equal(jsonpull_obj_next(&s, &k), 1);
	assert_int_equal(jsonpull_skip(&s, &t), 0);
	assert_int_equal(t.type, JSONPULL_ARRAY);
	assert_memory_equal(doc + t.off, "[true, null]", t.len);
	assert_int_equal(jsonpull_obj_next(&s, &k), 0);
	assert_int_equal(jsonpull_finish(&s), 0);
	assert_int_equal(s.depth, 0);
	/* a consumed value can be read again */
	jsonpull_seek(&s, t.off);
	assert_int_equal(jsonpull_skip(&s, NULL), 0);
	jsonpull_release(&s);
}

static void
test_jsonscan_unescape_compact_and_quote(void **state)
{
	const char *raw = "a\\u00e9\\ud83d\\ude00\\n\\/\\\"";
	char out[64];
	struct buf b = BUF_INIT(256);
	size_t n;

	(void)state;
	n = jsonpull_unescape(raw, strlen(raw), out);
	assert_int_equal(n, 1 + 2 + 4 + 1 + 1 + 1);
	assert_memory_equal(out, "a\xc3\xa9\xf0\x9f\x98\x80\n/\"", n);
	assert_int_equal(jsonpull_compact("{ \"a b\" : [ 1 ,\n 2 ] }", 22, &b), 0);
	assert_string_equal(b.data, "{\"a b\":[1,2]}");
	buf_reset(&b);
	assert_int_equal(jsonpull_quote("q\"\\\n\x01\xff/\xc3\xa9", 9, &b), 0);
	assert_string_equal(b.data, "\"q\\\"\\\\\\n\\u0001\\ufffd/\xc3\xa9\"");
	buf_release(&b);
}

static void
test_jsonscan_position_counts_characters(void **state)
{
	unsigned long line, col;

	(void)state;
	jsonpull_position("ab\n\xc3\xa9x", 6, 5, &line, &col);
	assert_int_equal(line, 2);
	assert_int_equal(col, 2);
	jsonpull_position("abc", 3, 0, &line, &col);
	assert_int_equal(line, 1);
	assert_int_equal(col, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_jsonscan_accepts_rfc8259_documents),
	    cmocka_unit_test(test_jsonscan_refuses_what_strict_parsers_refuse),
	    cmocka_unit_test(test_jsonscan_errors_name_line_and_column),
	    cmocka_unit_test(test_jsonscan_duplicate_keys_in_big_objects_and_after_unescaping),
	    cmocka_unit_test(test_jsonscan_caps_nesting),
	    cmocka_unit_test(test_jsonscan_pulls_values_as_spans),
	    cmocka_unit_test(test_jsonscan_unescape_compact_and_quote),
	    cmocka_unit_test(test_jsonscan_position_counts_characters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
