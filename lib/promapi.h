/*
 * promapi.h - a small client of Prometheus's HTTP API (/api/v1/query and
 * /api/v1/query_range), for `mmops soak --prometheus` and the e2e tests.
 *
 * Results are copied out of the JSON into plain arrays the caller owns.
 * Errors keep Prometheus's distinction between "could not ask" and "asked,
 * and the query was refused":
 *   MM_E_NET      transport failure, timeout, or 5xx/503 (Prometheus busy
 *                 or down): retry later, count as missing data
 *   MM_E_RUNTIME  the API answered status "error" (bad_data, execution,
 *                 timeout on the server side...) with its message
 *   MM_E_PARSE    the answer was not the API's JSON
 */
#ifndef MM_PROMAPI_H
#define MM_PROMAPI_H

#include <stddef.h>

#include "err.h"

#define PROMAPI_MAX_POINTS 11000 /* Prometheus refuses ranges with more points per series */
#define PROMAPI_MAX_BODY   ((size_t)256 << 20)
#define PROMAPI_MAX_SERIES 100000

struct promapi_point {
	double t; /* seconds since the epoch */
	double v;
};

struct promapi_label {
	char *name, *value;
};

struct promapi_series {
	size_t nlabels;
	struct promapi_label *labels; /* sorted by name, __name__ included when present */
	size_t n;
	struct promapi_point *pts; /* one for a vector, n for a matrix, time-ordered */
};

struct promapi_result {
	char type[16]; /* "vector", "matrix", "scalar", "string" */
	size_t nseries;
	struct promapi_series *series;
	size_t nwarnings; /* warnings Prometheus attached */
};

void promapi_result_init(struct promapi_result *r);
void promapi_result_release(struct promapi_result *r);

/* The value of label name of s, or NULL. */
const char *promapi_label(const struct promapi_series *s, const char *name);

/*
 * Instant query at time t (seconds; NAN: the server's now).  base is the
 * server's root URL ("http://127.0.0.1:9090").  timeout in seconds (0: 10).
 */
int promapi_query(const char *base, const char *query, double t, double timeout,
		  struct promapi_result *out, struct mm_err *err);

/* Range query over [start, end] with step seconds. */
int promapi_query_range(const char *base, const char *query, double start, double end, double step,
			double timeout, struct promapi_result *out, struct mm_err *err);

/*
 * The step for a range: at least min_step, whole seconds, and small enough
 * that (end - start) / step + 1 <= PROMAPI_MAX_POINTS.
 */
double promapi_choose_step(double start, double end, double min_step);

/* Parse an API answer (exposed for tests and the fuzzer).  name is used in errors. */
int promapi_parse(const char *body, size_t len, long status, struct promapi_result *out,
		  struct mm_err *err);

/* Percent-encode s for a query string into a new string (caller frees). */
char *promapi_urlencode(const char *s);

#endif
