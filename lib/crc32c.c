/*
 * crc32c.c - CRC-32C, reflected polynomial 0x82F63B78, table-driven one byte
 * at a time: the watcher checksums a few hundred bytes per decision, so a
 * 1 KiB table is all the speed it needs.
 */
#include <pthread.h>

#include "crc32c.h"

static uint32_t table[256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void
table_init(void)
{
	uint32_t i, k, c;

	for (i = 0; i < 256; i++) {
		c = i;
		for (k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		table[i] = c;
	}
}

uint32_t
crc32c(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;

	pthread_once(&table_once, table_init);
	crc = ~crc;
	while (len--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

void
crc32c_hex(uint32_t crc, char out[CRC32C_HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = CRC32C_HEX_LEN - 1; i >= 0; i--) {
		out[i] = hex[crc & 0xf];
		crc >>= 4;
	}
	out[CRC32C_HEX_LEN] = '\0';
}
