/*
 * crc32c.h - CRC-32C (Castagnoli), the checksum of the watcher's journal
 * records and state snapshot: it catches every burst error up to 32 bits
 * and a torn or flipped record with probability 1 - 2^-32, which is what a
 * damaged file needs; it is not a defence against someone forging records.
 */
#ifndef MM_CRC32C_H
#define MM_CRC32C_H

#include <stddef.h>
#include <stdint.h>

#define CRC32C_HEX_LEN 8 /* the checksum written as 8 lowercase hex digits */

/* CRC-32C of len bytes of data, continuing from crc (0 to start). */
uint32_t crc32c(uint32_t crc, const void *data, size_t len);

/* Write the checksum as CRC32C_HEX_LEN hex digits and a NUL into out[9]. */
void crc32c_hex(uint32_t crc, char out[CRC32C_HEX_LEN + 1]);

#include "banned.h" /* last: see banned.h */

#endif
