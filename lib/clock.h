/*
 * clock.h - "now", RFC 3339 timestamps and durations.
 *
 * Every output that carries a time asks clock_now(): it honours CI_FAKE_UTC
 * (an RFC 3339 time, as in the seed) and then SOURCE_DATE_EPOCH (seconds), so
 * CI artefacts are byte-for-byte reproducible.  Durations ("15m", "72h",
 * "1h30m", "500ms") have exactly one parser, here.
 */
#ifndef MM_CLOCK_H
#define MM_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define CLOCK_RFC3339_MAX 40 /* room for "2006-01-02T15:04:05.000000000Z" */

/*
 * Wall-clock now in seconds since the epoch (fractional), with the
 * CI_FAKE_UTC / SOURCE_DATE_EPOCH overrides.  -1 and err when an override is
 * set but malformed.
 */
int clock_now(double *now, struct mm_err *err);

/* Monotonic seconds, for measuring elapsed time (never overridden). */
double clock_mono(void);

/*
 * Format t (seconds since the epoch) as RFC 3339 UTC: "2025-10-11T00:00:00Z"
 * when t is whole, else with milliseconds ("...:00.250Z").  Returns buf.
 */
const char *clock_format_rfc3339(double t, char *buf, size_t n);

/*
 * Parse an RFC 3339 timestamp ("2025-10-11T00:00:00Z", fractional seconds
 * and "+02:00" offsets allowed) or, with clock_parse_time, also a plain
 * number of epoch seconds.  -1 and err (MM_E_PARSE) on anything else.
 */
int clock_parse_rfc3339(const char *s, double *t, struct mm_err *err);
int clock_parse_time(const char *s, double *t, struct mm_err *err);

/*
 * Parse a duration: one or more <number><unit> with units ms, s, m, h, d, w
 * ("15m", "1h30m", "0.5s"), or a bare number meaning seconds.  Negative
 * durations are refused.  -1 and err (MM_E_PARSE) on anything else.
 */
int clock_parse_duration(const char *s, double *seconds, struct mm_err *err);

/* Format a duration the way clock_parse_duration reads it ("1h30m", "15m", "250ms"). */
const char *clock_format_duration(double seconds, char *buf, size_t n);

#endif
