/*
 * test_jsonwrite.c - the minimal JSON writer: its text parses back to what was
 * written and equals jansson's canonical compact dump, escapes included.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "jsonwrite.h"
#include "jsontree.h"

static void
test_matches_jansson_canonical_text(void **state)
{
	static const char *const strs[] = {
	    "",
	    "plain",
	    "quote \" and backslash \\",
	    "nl\ncr\rtab\tbs\bff\f",
	    "\x01\x1f ctl",
	    "utf-8 \xc3\xa9 \xf0\x9f\x98\x80",
	    "slash / stays",
	    "\x7f del",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		struct buf b = BUF_INIT(1 << 16);
		struct jsonwrite w;
		json_t *j = json_pack("{s:b, s:I, s:s, s:s, s:o}", "a", 1, "b", (json_int_t)-42,
				      "c", strs[i], "d", "x", "e", json_pack("[i]", 1));
		char *want = jsontree_dumps_compact(j);

		jsonwrite_begin(&w, &b);
		jsonwrite_bool(&w, "a", 1);
		jsonwrite_int(&w, "b", -42);
		jsonwrite_str(&w, "c", strs[i]);
		jsonwrite_str(&w, "d", "x");
		jsonwrite_raw(&w, "e", "[1]");
		jsonwrite_end(&w);
		if (strcmp(b.data, want) != 0)
			fail_msg("case %zu:\n got %s\nwant %s", i, b.data, want);
		free(want);
		json_decref(j);
		buf_release(&b);
	}
}

static void
test_empty_object_and_null_string(void **state)
{
	struct buf b = BUF_INIT(64);
	struct jsonwrite w;

	(void)state;
	jsonwrite_begin(&w, &b);
	jsonwrite_end(&w);
	assert_string_equal(b.data, "{}");
	buf_reset(&b);
	jsonwrite_begin(&w, &b);
	jsonwrite_str(&w, "k", NULL);
	jsonwrite_end(&w);
	assert_string_equal(b.data, "{\"k\":\"\"}");
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_matches_jansson_canonical_text),
	    cmocka_unit_test(test_empty_object_and_null_string),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
