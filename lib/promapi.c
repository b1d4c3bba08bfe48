/*
 * promapi.c - Prometheus HTTP API client: builds the query URLs, performs
 * them through lib/http, and copies the JSON answer into plain arrays, so
 * the soak engine can treat a Prometheus server as one more sample source.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "jsontree.h"
#include "promapi.h"
#include "xalloc.h"

void
promapi_result_init(struct promapi_result *r)
{
	memset(r, 0, sizeof(*r));
}

void
promapi_result_release(struct promapi_result *r)
{
	size_t i, j;

	if (!r)
		return;
	for (i = 0; i < r->nseries; i++) {
		for (j = 0; j < r->series[i].nlabels; j++) {
			free(r->series[i].labels[j].name);
			free(r->series[i].labels[j].value);
		}
		free(r->series[i].labels);
		free(r->series[i].pts);
	}
	free(r->series);
	promapi_result_init(r);
}

const char *
promapi_label(const struct promapi_series *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nlabels; i++)
		if (strcmp(s->labels[i].name, name) == 0)
			return s->labels[i].value;
	return NULL;
}

char *
promapi_urlencode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s), i, o = 0;
	char *out = xmalloc(n * 3 + 1);

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}

double
promapi_choose_step(double start, double end, double min_step)
{
	double span = end - start, step = min_step > 0 ? ceil(min_step) : 1;

	if (step < 1)
		step = 1;
	if (span > 0 && span / step + 1 > PROMAPI_MAX_POINTS)
		step = ceil(span / (PROMAPI_MAX_POINTS - 1));
	while (span > 0 && span / step + 1 > PROMAPI_MAX_POINTS)
		step += 1;
	return step;
}

static int
cmp_label(const void *a, const void *b)
{
	return strcmp(((const struct promapi_label *)a)->name,
		      ((const struct promapi_label *)b)->name);
}

/* [ts, "value"] */
static int
parse_point(const json_t *p, struct promapi_point *out, struct mm_err *err)
{
	const json_t *t, *v;
	const char *s;
	char *end;

	if (!json_is_array(p) || json_array_size(p) != 2)
		return mm_errf(err, MM_E_PARSE, "prometheus: a sample is not [time, \"value\"]");
	t = json_array_get(p, 0);
	v = json_array_get(p, 1);
	if (!json_is_number(t) || !json_is_string(v))
		return mm_errf(err, MM_E_PARSE, "prometheus: a sample is not [time, \"value\"]");
	out->t = json_number_value(t);
	s = json_string_value(v);
	out->v = strtod(s, &end);
	if (end == s || *end)
		return mm_errf(err, MM_E_PARSE, "prometheus: sample value '%s' is not a number", s);
	return 0;
}

static int
parse_series(const json_t *item, int matrix, struct promapi_series *s, struct mm_err *err)
{
	const json_t *metric = json_object_get(item, "metric"), *val;
	const char *k;
	json_t *v;
	size_t i;

	if (!json_is_object(metric))
		return mm_errf(err, MM_E_PARSE, "prometheus: a result has no \"metric\" object");
	s->labels = xcalloc(json_object_size(metric) + 1, sizeof(*s->labels));
	json_object_foreach((json_t *)metric, k, v)
	{
		if (!json_is_string(v))
			return mm_errf(err, MM_E_PARSE, "prometheus: label '%s' is not a string",
				       k);
		s->labels[s->nlabels].name = xstrdup(k);
		s->labels[s->nlabels].value = xstrdup(json_string_value(v));
		s->nlabels++;
	}
	qsort(s->labels, s->nlabels, sizeof(*s->labels), cmp_label);
	if (matrix) {
		val = json_object_get(item, "values");
		if (!json_is_array(val))
			return mm_errf(err, MM_E_PARSE,
				       "prometheus: a matrix result has no \"values\"");
		s->pts = xcalloc(json_array_size(val) + 1, sizeof(*s->pts));
		for (i = 0; i < json_array_size(val); i++) {
			if (parse_point(json_array_get(val, i), &s->pts[s->n], err) < 0)
				return -1;
			s->n++;
		}
	} else {
		val = json_object_get(item, "value");
		s->pts = xcalloc(1, sizeof(*s->pts));
		if (parse_point(val, &s->pts[0], err) < 0)
			return -1;
		s->n = 1;
	}
	return 0;
}

int
promapi_parse(const char *body, size_t len, long status, struct promapi_result *out,
	      struct mm_err *err)
{
	json_t *root, *data, *result, *w;
	const char *st, *rt;
	int ret = -1, matrix;
	size_t i;

	promapi_result_init(out);
	if (!(root = jsontree_loadb(body, len, "prometheus response", err))) {
		if (status >= 500)
			return mm_errf(err, MM_E_NET, "prometheus: HTTP %ld", status);
		return -1;
	}
	st = jsontree_str(root, "status", "");
	if (strcmp(st, "success") != 0) {
		enum mm_errcode code = status >= 500 && status != 422 ? MM_E_NET : MM_E_RUNTIME;

		mm_errf(err, code, "prometheus: %s: %s (HTTP %ld)",
			jsontree_str(root, "errorType", "error"),
			jsontree_str(root, "error", "no message"), status);
		goto out;
	}
	if ((w = json_object_get(root, "warnings")) && json_is_array(w))
		out->nwarnings = json_array_size(w);
	data = json_object_get(root, "data");
	rt = jsontree_str(data, "resultType", "");
	snprintf(out->type, sizeof(out->type), "%s", rt);
	result = json_object_get(data, "result");
	if (strcmp(rt, "scalar") == 0 || strcmp(rt, "string") == 0) {
		out->series = xcalloc(1, sizeof(*out->series));
		out->nseries = 1;
		if (strcmp(rt, "scalar") == 0) {
			out->series[0].pts = xcalloc(1, sizeof(*out->series[0].pts));
			if (parse_point(result, &out->series[0].pts[0], err) < 0)
				goto out;
			out->series[0].n = 1;
		}
		ret = 0;
		goto out;
	}
	matrix = strcmp(rt, "matrix") == 0;
	if ((!matrix && strcmp(rt, "vector") != 0) || !json_is_array(result)) {
		mm_errf(err, MM_E_PARSE, "prometheus: unexpected result type '%s'", rt);
		goto out;
	}
	if (json_array_size(result) > PROMAPI_MAX_SERIES) {
		mm_errf(err, MM_E_LIMIT, "prometheus: more than %d series in one answer",
			PROMAPI_MAX_SERIES);
		goto out;
	}
	out->series = xcalloc(json_array_size(result) + 1, sizeof(*out->series));
	for (i = 0; i < json_array_size(result); i++) {
		out->nseries++;
		if (parse_series(json_array_get(result, i), matrix, &out->series[i], err) < 0)
			goto out;
	}
	ret = 0;
out:
	json_decref(root);
	if (ret < 0)
		promapi_result_release(out);
	return ret;
}

static int
get(const char *url, double timeout, struct promapi_result *out, struct mm_err *err)
{
	struct http_request req = {
	    .method = "GET", .url = url, .timeout = timeout, .max_body = PROMAPI_MAX_BODY};
	struct http_response resp;
	int ret;

	http_response_init(&resp);
	if (http_do(&req, &resp, err) < 0) {
		http_response_release(&resp);
		promapi_result_init(out);
		return -1;
	}
	ret = promapi_parse(resp.body.data ? resp.body.data : "", resp.body.len, resp.status, out,
			    err);
	http_response_release(&resp);
	return ret;
}

/* base without a trailing slash + path + query string. */
static char *
api_url(const char *base, const char *path, const char *query, const char *rest)
{
	size_t bl = strlen(base);
	char *q = promapi_urlencode(query), *url;

	while (bl > 0 && base[bl - 1] == '/')
		bl--;
	url = xasprintf("%.*s%s?query=%s%s", (int)bl, base, path, q, rest);
	free(q);
	return url;
}

int
promapi_query(const char *base, const char *query, double t, double timeout,
	      struct promapi_result *out, struct mm_err *err)
{
	char rest[64] = "";
	char *url;
	int ret;

	if (!isnan(t))
		snprintf(rest, sizeof(rest), "&time=%.3f", t);
	url = api_url(base, "/api/v1/query", query, rest);
	ret = get(url, timeout, out, err);
	free(url);
	return ret;
}

int
promapi_query_range(const char *base, const char *query, double start, double end, double step,
		    double timeout, struct promapi_result *out, struct mm_err *err)
{
	char rest[128];
	char *url;
	int ret;

	snprintf(rest, sizeof(rest), "&start=%.3f&end=%.3f&step=%.3f", start, end, step);
	url = api_url(base, "/api/v1/query_range", query, rest);
	ret = get(url, timeout, out, err);
	free(url);
	return ret;
}
