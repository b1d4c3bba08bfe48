/* test_err.c - error formatting and the exit codes of DESIGN.md §2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "err.h"

static void
test_err_formats_position_and_message(void **state)
{
	struct mm_err err;
	char buf[256];

	(void)state;
	assert_int_equal(
	    mm_errf_at(&err, MM_E_PARSE, "gates.yaml", 3, 7, "expected number, got '%s'", "x"), -1);
	assert_string_equal(mm_err_format(&err, buf, sizeof(buf)),
			    "gates.yaml:3:7: expected number, got 'x'");
	mm_errf(&err, MM_E_NET, "cannot connect");
	assert_string_equal(mm_err_format(&err, buf, sizeof(buf)), "cannot connect");
	mm_errf_at(&err, MM_E_PARSE, NULL, 2, 0, "bad");
	assert_string_equal(mm_err_format(&err, buf, sizeof(buf)), "2: bad");
	assert_int_equal(mm_errf(NULL, MM_E_IO, "ignored"), -1);
}

static void
test_err_exit_codes(void **state)
{
	struct mm_err err;

	(void)state;
	mm_err_init(&err);
	assert_int_equal(mm_err_exit_code(&err), 0);
	mm_errf(&err, MM_E_USAGE, "x");
	assert_int_equal(mm_err_exit_code(&err), 2);
	mm_errf(&err, MM_E_PARSE, "x");
	assert_int_equal(mm_err_exit_code(&err), 2);
	mm_errf(&err, MM_E_NET, "x");
	assert_int_equal(mm_err_exit_code(&err), 3);
	mm_errf(&err, MM_E_RUNTIME, "x");
	assert_int_equal(mm_err_exit_code(&err), 3);
	/* one rule for files: an input that cannot be read is 2, an output that cannot be written 3
	 */
	mm_errf(&err, MM_E_IO, "cannot read 'in.json'");
	assert_int_equal(mm_err_exit_code(&err), 2);
	mm_errf(&err, MM_E_WRITE, "cannot write 'out.json'");
	assert_int_equal(mm_err_exit_code(&err), 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_err_formats_position_and_message),
	    cmocka_unit_test(test_err_exit_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
