/*
 * readiness_validate.c - the validator of a readiness.json: every section
 * with its keys, types and ranges, the score equal to the sum of the
 * sections' points and the verdict to the score, RFC 3339 UTC timestamps.  Each problem is listed
 * with its JSON Pointer; the scorer (readiness.c) writes files that pass it.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "jsontree.h"
#include "readiness.h"
#include "xalloc.h"

void
readiness_problems_release(struct readiness_problems *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n; i++) {
		free(p->v[i].where);
		free(p->v[i].what);
	}
	free(p->v);
	memset(p, 0, sizeof(*p));
}

static void problem(struct readiness_problems *p, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
problem(struct readiness_problems *p, const char *where, const char *fmt, ...)
{
	struct buf b = BUF_INIT(8192);
	va_list ap;

	if (p->n >= READINESS_MAX_PROBLEMS) {
		p->truncated = 1;
		return;
	}
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (p->n == p->alloc) {
		p->alloc = p->alloc ? 2 * p->alloc : 16;
		p->v = xreallocarray(p->v, p->alloc, sizeof(*p->v));
	}
	p->v[p->n].where = xstrdup(where);
	p->v[p->n].what = b.data ? buf_detach(&b, NULL) : xstrdup("");
	p->n++;
	buf_release(&b);
}

/* "/sections/<key>" with RFC 6901 escaping of the key. */
static char *
section_pointer(const char *key, const char *member)
{
	struct buf b = BUF_INIT((size_t)1 << 20);
	const char *p;

	buf_adds(&b, "/sections/");
	for (p = key; *p; p++) {
		if (*p == '~')
			buf_adds(&b, "~0");
		else if (*p == '/')
			buf_adds(&b, "~1");
		else
			buf_addc(&b, *p);
	}
	if (member)
		buf_addf(&b, "/%s", member);
	return b.data ? buf_detach(&b, NULL) : xstrdup("/sections/");
}

/* Quote a value from the document for a message (short, one line). */
static const char *
show(const json_t *v, char *buf, size_t n)
{
	char *s = jsontree_dumps_compact(v);
	size_t len;

	snprintf(buf, n, "%s", s ? s : "?");
	free(s);
	len = strlen(buf);
	if (len + 1 >= n && n > 4) {
		/* Cut on a UTF-8 boundary, then mark the cut. */
		size_t cut = n - 4;

		while (cut > 0 && ((unsigned char)buf[cut] & 0xC0) == 0x80)
			cut--;
		memcpy(buf + cut, "...", 4);
	}
	return buf;
}

static const char *
type_name(const json_t *v)
{
	static const char *const names[] = {
	    [JSON_OBJECT] = "an object", [JSON_ARRAY] = "an array", [JSON_STRING] = "a string",
	    [JSON_INTEGER] = "a number", [JSON_REAL] = "a number",  [JSON_TRUE] = "a boolean",
	    [JSON_FALSE] = "a boolean",	 [JSON_NULL] = "null",
	};

	return v ? names[json_typeof(v)] : "missing";
}

/* Equal within the rounding of adding a few dozen decimal numbers. */
static int
same(double a, double b)
{
	return fabs(a - b) <= 1e-9 * fmax(1.0, fmax(fabs(a), fabs(b)));
}

/* Validate one section; adds its points and max to the sums when they are usable. */
static void
validate_section(const char *key, const json_t *s, struct readiness_problems *out,
		 double *points_sum, double *max_sum, int *sums_ok)
{
	json_t *max = json_object_get(s, "max"), *points = json_object_get(s, "points");
	json_t *status = json_object_get(s, "status"), *reason = json_object_get(s, "reason");
	json_t *evidence = json_object_get(s, "evidence"), *check = json_object_get(s, "check");
	char *at = section_pointer(key, NULL), *p;
	char shown[96];
	double m = 0, pt = 0;
	int max_ok = 0, points_ok = 0;

	if (!*key)
		problem(out, at, "section name is empty");
	if (!json_is_object(s)) {
		problem(out, at, "expected an object, found %s", type_name(s));
		*sums_ok = 0;
		free(at);
		return;
	}
	p = section_pointer(key, "max");
	if (!max)
		problem(out, at, "missing required key 'max'");
	else if (!json_is_number(max))
		problem(out, p, "expected a number, found %s", type_name(max));
	else if ((m = json_number_value(max)) <= 0 || m > READINESS_TOTAL)
		problem(out, p, "%s is out of range (0, %d]", show(max, shown, sizeof(shown)),
			READINESS_TOTAL);
	else
		max_ok = 1;
	free(p);
	p = section_pointer(key, "points");
	if (!points)
		problem(out, at, "missing required key 'points'");
	else if (!json_is_number(points))
		problem(out, p, "expected a number, found %s", type_name(points));
	else if ((pt = json_number_value(points)) < 0)
		problem(out, p, "%s is below 0", show(points, shown, sizeof(shown)));
	else if (max_ok && pt > m && !same(pt, m))
		problem(out, p, "%s is above the section's max %g",
			show(points, shown, sizeof(shown)), m);
	else
		points_ok = 1;
	free(p);
	p = section_pointer(key, "status");
	if (!status) {
		problem(out, at, "missing required key 'status'");
	} else if (!json_is_string(status)) {
		problem(out, p, "expected a string, found %s", type_name(status));
	} else {
		const char *st = json_string_value(status);
		int i, known = 0;

		for (i = 0; i < READINESS_NSTATUS; i++)
			if (strcmp(st, readiness_status_names[i]) == 0)
				known = 1;
		if (!known)
			problem(out, p, "%s is not one of pass, fail, missing, invalid",
				show(status, shown, sizeof(shown)));
		else if (max_ok && points_ok && strcmp(st, "pass") == 0 && !same(pt, m))
			problem(out, p, "\"pass\" but the section has %g of %g points", pt, m);
		else if (max_ok && points_ok && strcmp(st, "pass") != 0 && same(pt, m))
			problem(out, p, "%s but the section has all its %g points",
				show(status, shown, sizeof(shown)), m);
	}
	free(p);
	if (!reason)
		problem(out, at, "missing required key 'reason'");
	else if (!json_is_string(reason)) {
		p = section_pointer(key, "reason");
		problem(out, p, "expected a string, found %s", type_name(reason));
		free(p);
	}
	if (!evidence)
		problem(out, at, "missing required key 'evidence'");
	else if (!json_is_object(evidence)) {
		p = section_pointer(key, "evidence");
		problem(out, p, "expected an object, found %s", type_name(evidence));
		free(p);
	}
	if (check && !json_is_string(check)) {
		p = section_pointer(key, "check");
		problem(out, p, "expected a string, found %s", type_name(check));
		free(p);
	}
	if (max_ok && points_ok) {
		*points_sum += pt;
		*max_sum += m;
	} else {
		*sums_ok = 0;
	}
	free(at);
}

/* "2025-10-11T00:00:00Z" or with +00:00: RFC 3339 and actually UTC. */
static int
is_rfc3339_utc(const char *s)
{
	struct mm_err err;
	size_t n = strlen(s);
	double t;

	if (clock_parse_rfc3339(s, &t, &err) < 0)
		return 0;
	return (n >= 1 && (s[n - 1] == 'Z' || s[n - 1] == 'z')) ||
	       (n >= 6 && (strcmp(s + n - 6, "+00:00") == 0 || strcmp(s + n - 6, "-00:00") == 0));
}

size_t
readiness_validate(const json_t *doc, struct readiness_problems *out)
{
	json_t *score, *verdict, *sections, *runtime, *s;
	double score_v = 0, points_sum = 0, max_sum = 0;
	int score_ok = 0, verdict_ok = 0, sums_ok = 1;
	const char *key, *vs = NULL;
	char shown[96];
	size_t before = out->n;

	if (!json_is_object(doc)) {
		problem(out, "", "expected a JSON object, found %s", type_name(doc));
		return out->n - before;
	}
	score = json_object_get(doc, "score");
	if (!score)
		problem(out, "", "missing required key 'score'");
	else if (!json_is_number(score))
		problem(out, "/score", "expected a number, found %s", type_name(score));
	else if ((score_v = json_number_value(score)) < 0 || score_v > READINESS_TOTAL)
		problem(out, "/score", "%s is out of range 0..%d",
			show(score, shown, sizeof(shown)), READINESS_TOTAL);
	else
		score_ok = 1;

	verdict = json_object_get(doc, "verdict");
	if (!verdict)
		problem(out, "", "missing required key 'verdict'");
	else if (!json_is_string(verdict))
		problem(out, "/verdict", "expected a string, found %s", type_name(verdict));
	else if (strcmp((vs = json_string_value(verdict)), "GO") != 0 && strcmp(vs, "HOLD") != 0)
		problem(out, "/verdict", "%s is neither \"GO\" nor \"HOLD\"",
			show(verdict, shown, sizeof(shown)));
	else
		verdict_ok = 1;
	if (score_ok && verdict_ok) {
		int full = same(score_v, READINESS_TOTAL);

		if (full && strcmp(vs, "GO") != 0)
			problem(out, "/verdict",
				"\"%s\" but the score is %d: the verdict must be GO", vs,
				READINESS_TOTAL);
		else if (!full && strcmp(vs, "GO") == 0)
			problem(out, "/verdict", "\"GO\" but the score is %s, not %d",
				show(score, shown, sizeof(shown)), READINESS_TOTAL);
	}

	sections = json_object_get(doc, "sections");
	if (!sections) {
		problem(out, "", "missing required key 'sections'");
		sums_ok = 0;
	} else if (!json_is_object(sections)) {
		problem(out, "/sections", "expected an object, found %s", type_name(sections));
		sums_ok = 0;
	} else if (json_object_size(sections) == 0) {
		problem(out, "/sections", "no sections");
		sums_ok = 0;
	} else {
		json_object_foreach(sections, key, s)
		    validate_section(key, s, out, &points_sum, &max_sum, &sums_ok);
	}
	if (sums_ok) {
		if (!same(max_sum, READINESS_TOTAL))
			problem(out, "/sections", "the section maxima add up to %g, not %d",
				max_sum, READINESS_TOTAL);
		if (score_ok && !same(points_sum, score_v))
			problem(out, "/score", "%s but the sections' points add up to %g",
				show(score, shown, sizeof(shown)), points_sum);
	}

	runtime = json_object_get(doc, "runtime");
	if (!runtime) {
		problem(out, "", "missing required key 'runtime'");
	} else if (!json_is_object(runtime)) {
		problem(out, "/runtime", "expected an object, found %s", type_name(runtime));
	} else {
		json_t *utc = json_object_get(runtime, "utc"),
		       *ver = json_object_get(runtime, "version");

		if (!utc)
			problem(out, "/runtime", "missing required key 'utc'");
		else if (!json_is_string(utc))
			problem(out, "/runtime/utc", "expected a string, found %s", type_name(utc));
		else if (!is_rfc3339_utc(json_string_value(utc)))
			problem(out, "/runtime/utc", "%s is not an RFC 3339 UTC time",
				show(utc, shown, sizeof(shown)));
		if (!ver)
			problem(out, "/runtime", "missing required key 'version'");
		else if (!json_is_string(ver))
			problem(out, "/runtime/version", "expected a string, found %s",
				type_name(ver));
		else if (!*json_string_value(ver))
			problem(out, "/runtime/version", "is empty");
	}
	return out->n - before;
}
