/* test_buf.c - the capped buffer: growth, the cap, file reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"

static void
test_buf_appends_and_stays_nul_terminated(void **state)
{
	struct buf b = BUF_INIT(1024);
	int i;

	(void)state;
	for (i = 0; i < 200; i++)
		assert_int_equal(buf_addc(&b, 'a' + i % 26), 0);
	assert_int_equal(b.len, 200);
	assert_int_equal(b.data[200], '\0');
	assert_int_equal(buf_addf(&b, "%d-%s", 42, "x"), 0);
	assert_string_equal(b.data + 200, "42-x");
	buf_release(&b);
	assert_null(b.data);
	assert_int_equal(b.cap, 1024);
}

static void
test_buf_refuses_to_pass_its_cap(void **state)
{
	struct buf b = BUF_INIT(8);

	(void)state;
	assert_int_equal(buf_adds(&b, "12345678"), 0);
	assert_int_equal(buf_addc(&b, '9'), -1);
	assert_int_equal(b.len, 8);
	assert_string_equal(b.data, "12345678");
	assert_int_equal(buf_addf(&b, "%s", "x"), -1);
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_int_equal(buf_adds(&b, "abc"), 0);
	buf_release(&b);
}

/* Issue 10: a refusal must not leave a hole that a later append papers over. */
static void
test_buf_report_text_escapes(void **state)
{
	struct buf b = BUF_INIT(1024), small = BUF_INIT(8);

	(void)state;
	assert_int_equal(buf_add_html(&b, "a<b & 'c' > \"d\""), 0);
	assert_int_equal(buf_addc(&b, '\0'), 0);
	assert_string_equal(b.data, "a&lt;b &amp; &#39;c&#39; &gt; &quot;d&quot;");
	buf_release(&b);
	assert_int_equal(buf_add_mdcell(&b, "x|y\nz\r"), 0);
	assert_int_equal(buf_addc(&b, '\0'), 0);
	assert_string_equal(b.data, "x\\|y z ");
	buf_release(&b);
	/* an escape that passes the cap fails the buffer, as every append does */
	assert_int_equal(buf_add_html(&small, "<<<"), -1);
	assert_true(buf_failed(&small));
	buf_release(&small);
}

static void
test_buf_refusal_is_sticky(void **state)
{
	struct buf b = BUF_INIT(10);

	(void)state;
	assert_int_equal(buf_adds(&b, "12345678"), 0);
	assert_false(buf_failed(&b));
	assert_int_equal(buf_adds(&b, "ABCDE"), -1);
	assert_true(buf_failed(&b));
	assert_int_equal(buf_adds(&b, "!"), -1);
	assert_int_equal(buf_addc(&b, '!'), -1);
	assert_int_equal(buf_addf(&b, "%d", 1), -1);
	assert_int_equal(buf_grow(&b, 0), -1);
	assert_string_equal(b.data, "12345678");
	buf_reset(&b);
	assert_false(buf_failed(&b));
	assert_int_equal(buf_adds(&b, "ok"), 0);
	assert_int_equal(buf_grow(&b, 100), -1);
	assert_true(buf_failed(&b));
	buf_release(&b);
	assert_false(buf_failed(&b));
	assert_int_equal(buf_adds(&b, "again"), 0);
	buf_release(&b);
}

static void
test_buf_detach_hands_over_contents(void **state)
{
	struct buf b = BUF_INIT(64);
	size_t len;
	char *s;

	(void)state;
	s = buf_detach(&b, &len);
	assert_string_equal(s, "");
	free(s);
	buf_adds(&b, "hello");
	s = buf_detach(&b, &len);
	assert_string_equal(s, "hello");
	assert_int_equal(len, 5);
	assert_null(b.data);
	free(s);
}

static void
test_buf_read_file_reads_whole_file_and_enforces_cap(void **state)
{
	char path[] = "/tmp/mmops-test-buf.XXXXXX";
	int fd = mkstemp(path);
	struct buf b = BUF_INIT(100000);
	struct buf small = BUF_INIT(10);
	struct mm_err err;
	char data[70000];

	(void)state;
	assert_true(fd >= 0);
	memset(data, 'z', sizeof(data));
	assert_int_equal(write(fd, data, sizeof(data)), (ssize_t)sizeof(data));
	close(fd);
	assert_int_equal(buf_read_file(&b, path, &err), 0);
	assert_int_equal(b.len, sizeof(data));
	assert_int_equal(buf_read_file(&small, path, &err), -1);
	assert_int_equal(err.code, MM_E_LIMIT);
	unlink(path);
	assert_int_equal(buf_read_file(&small, path, &err), -1);
	assert_int_equal(err.code, MM_E_IO);
	assert_non_null(strstr(err.msg, "No such file"));
	buf_release(&b);
	buf_release(&small);
}

static void
test_buf_read_file_exactly_at_cap(void **state)
{
	char path[] = "/tmp/mmops-test-buf.XXXXXX";
	int fd = mkstemp(path);
	struct buf b = BUF_INIT(5);
	struct mm_err err;

	(void)state;
	assert_int_equal(write(fd, "12345", 5), 5);
	close(fd);
	assert_int_equal(buf_read_file(&b, path, &err), 0);
	assert_string_equal(b.data, "12345");
	unlink(path);
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_buf_appends_and_stays_nul_terminated),
	    cmocka_unit_test(test_buf_refuses_to_pass_its_cap),
	    cmocka_unit_test(test_buf_refusal_is_sticky),
	    cmocka_unit_test(test_buf_report_text_escapes),
	    cmocka_unit_test(test_buf_detach_hands_over_contents),
	    cmocka_unit_test(test_buf_read_file_reads_whole_file_and_enforces_cap),
	    cmocka_unit_test(test_buf_read_file_exactly_at_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
