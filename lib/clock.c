/*
 * clock.c - the one place mmops learns the time, and the one parser of
 * timestamps and durations.  CI_FAKE_UTC and SOURCE_DATE_EPOCH make every
 * report reproducible; durations follow Prometheus's spelling (15m, 1h30m).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static int
digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
clock_parse_rfc3339(const char *s, double *t, struct mm_err *err)
{
	int y, mo, d, h, mi, se, oh = 0, om = 0;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	const char *p;
	double frac = 0, scale = 0.1;
	long long days;

	if (strlen(s) < 20 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
	    digits(s + 17, 2, &se))
		goto bad;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 60)
		goto bad;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		goto bad;
	p = s + 19;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			goto bad;
		while (*p >= '0' && *p <= '9') {
			frac += (*p - '0') * scale;
			scale /= 10;
			p++;
		}
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1;

		if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 ||
		    om > 59)
			goto bad;
		oh *= sign;
		om *= sign;
		p += 6;
	} else {
		goto bad;
	}
	if (*p)
		goto bad;
	days = days_from_civil(y, (unsigned)mo, (unsigned)d);
	*t = (double)(days * 86400 + h * 3600 + mi * 60 + se - oh * 3600 - om * 60) + frac;
	return 0;
bad:
	return mm_errf(err, MM_E_PARSE, "'%s' is not an RFC 3339 time (like 2025-10-11T00:00:00Z)",
		       s);
}

int
clock_parse_time(const char *s, double *t, struct mm_err *err)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (*s && !errno && end != s && !*end && isfinite(v)) {
		*t = v;
		return 0;
	}
	return clock_parse_rfc3339(s, t, err);
}

int
clock_now(double *now, struct mm_err *err)
{
	const char *fake = getenv("CI_FAKE_UTC");
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	struct timespec ts;

	if (fake && *fake) {
		if (clock_parse_rfc3339(fake, now, err) < 0)
			return mm_errf(err, MM_E_USAGE, "CI_FAKE_UTC: '%s' is not an RFC 3339 time",
				       fake);
		return 0;
	}
	if (sde && *sde) {
		char *end;
		long long v;

		errno = 0;
		v = strtoll(sde, &end, 10);
		if (errno || end == sde || *end || v < 0)
			return mm_errf(err, MM_E_USAGE,
				       "SOURCE_DATE_EPOCH: '%s' is not a number of seconds", sde);
		*now = (double)v;
		return 0;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	*now = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	return 0;
}

double
clock_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

const char *
clock_format_rfc3339(double t, char *buf, size_t n)
{
	time_t sec = (time_t)floor(t);
	long ms = lround((t - floor(t)) * 1000);
	struct tm tm;

	if (ms >= 1000) {
		sec++;
		ms -= 1000;
	}
	gmtime_r(&sec, &tm);
	if (ms)
		snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
	else
		snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return buf;
}

static const struct unit {
	const char *name;
	double seconds;
} units[] = {
    /* "ms" before "m" so the longest unit matches first. */
    {"ms", 0.001}, {"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}, {"w", 604800},
};

int
clock_parse_duration(const char *s, double *seconds, struct mm_err *err)
{
	const char *p = s;
	double total = 0;
	char *end;

	if (!*s)
		return mm_errf(err, MM_E_PARSE, "empty duration");
	errno = 0;
	total = strtod(s, &end);
	if (end != s && !*end && !errno) {
		if (!isfinite(total) || total < 0)
			return mm_errf(err, MM_E_PARSE,
				       "'%s' is not a duration (like 15m, 72h, 1h30m)", s);
		*seconds = total;
		return 0;
	}
	total = 0;
	while (*p) {
		double v;
		size_t i;

		if (*p < '0' || *p > '9')
			goto bad;
		errno = 0;
		v = strtod(p, &end);
		if (end == p || errno || !isfinite(v))
			goto bad;
		p = end;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t ul = strlen(units[i].name);

			if (strncmp(p, units[i].name, ul) == 0) {
				total += v * units[i].seconds;
				p += ul;
				break;
			}
		}
		if (i == sizeof(units) / sizeof(units[0]))
			goto bad;
	}
	*seconds = total;
	return 0;
bad:
	return mm_errf(err, MM_E_PARSE, "'%s' is not a duration (like 15m, 72h, 1h30m)", s);
}

const char *
clock_format_duration(double seconds, char *buf, size_t n)
{
	long long ms = llround(seconds * 1000), h, m, s;
	size_t off = 0;

	if (ms == 0) {
		snprintf(buf, n, "0s");
		return buf;
	}
	if (ms % 1000) {
		if (ms < 1000) {
			snprintf(buf, n, "%lldms", ms);
			return buf;
		}
		snprintf(buf, n, "%gs", seconds);
		return buf;
	}
	s = ms / 1000;
	h = s / 3600;
	m = (s % 3600) / 60;
	s %= 60;
	buf[0] = '\0';
	if (h && off < n)
		off += (size_t)snprintf(buf + off, n - off, "%lldh", h);
	if (m && off < n)
		off += (size_t)snprintf(buf + off, n - off, "%lldm", m);
	if (s && off < n)
		snprintf(buf + off, n - off, "%llds", s);
	return buf;
}
