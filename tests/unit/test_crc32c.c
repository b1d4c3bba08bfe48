/* test_crc32c.c - CRC-32C against its published check value, and chaining. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "crc32c.h"

static void
test_crc32c_matches_the_check_value(void **state)
{
	char hex[CRC32C_HEX_LEN + 1];

	(void)state;
	/* RFC 3720 B.4 / the "check" of the CRC catalogue */
	assert_int_equal(crc32c(0, "123456789", 9), 0xE3069283u);
	assert_int_equal(crc32c(0, "", 0), 0);
	crc32c_hex(crc32c(0, "123456789", 9), hex);
	assert_string_equal(hex, "e3069283");
	crc32c_hex(0x0000000fu, hex);
	assert_string_equal(hex, "0000000f");
}

static void
test_crc32c_chains_and_sees_one_flipped_bit(void **state)
{
	static const char s[] = "{\"type\":\"decision\",\"fingerprint\":\"abc\"}";
	char t[sizeof(s)];
	uint32_t whole = crc32c(0, s, sizeof(s) - 1);

	(void)state;
	assert_int_equal(crc32c(crc32c(0, s, 10), s + 10, sizeof(s) - 11), whole);
	memcpy(t, s, sizeof(s));
	t[20] ^= 0x01;
	assert_int_not_equal(crc32c(0, t, sizeof(s) - 1), whole);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_crc32c_matches_the_check_value),
	    cmocka_unit_test(test_crc32c_chains_and_sees_one_flipped_bit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
