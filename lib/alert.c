/*
 * alert.c - decode Alertmanager's webhook payload (version 4) into plain C
 * structs, checking every field's type and every cap, so that the watcher's
 * decision code never touches untrusted JSON.  Errors name the place in the
 * payload ("alerts[1].startsAt: ...") because they go back to the sender
 * as the reason of a 400.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "clock.h"
#include "jsontree.h"
#include "xalloc.h"

#define WHERE_MAX 320

static const char *
json_kind(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "something else";
}

/* A string value, checked for type, embedded NUL and length. */
static int
take_string(const json_t *v, const char *where, size_t max, char **out, struct mm_err *err)
{
	size_t n;

	if (!json_is_string(v))
		return mm_errf(err, MM_E_PARSE, "%s: expected a string, got %s", where,
			       json_kind(v));
	n = json_string_length(v);
	if (n > max)
		return mm_errf(err, MM_E_LIMIT, "%s: too long (%zu bytes, the most is %zu)", where,
			       n, max);
	if (strlen(json_string_value(v)) != n)
		return mm_errf(err, MM_E_PARSE, "%s: contains a NUL character", where);
	*out = xstrndup(json_string_value(v), n);
	return 0;
}

/* Optional string member: absent or null gives "". */
static int
opt_string(const json_t *obj, const char *key, const char *parent, size_t max, char **out,
	   struct mm_err *err)
{
	const json_t *v = json_object_get(obj, key);
	char where[WHERE_MAX];

	if (!v || json_is_null(v)) {
		*out = xstrdup("");
		return 0;
	}
	snprintf(where, sizeof(where), "%s%s%s", parent, *parent ? "." : "", key);
	return take_string(v, where, max, out, err);
}

static int
label_cmp(const void *a, const void *b)
{
	return strcmp(((const struct alert_label *)a)->name, ((const struct alert_label *)b)->name);
}

static void
labels_release(struct alert_labels *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].value);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void
labels_copy(struct alert_labels *dst, const struct alert_labels *src)
{
	size_t i;

	dst->n = src->n;
	dst->v = src->n ? xcalloc(src->n, sizeof(*dst->v)) : NULL;
	for (i = 0; i < src->n; i++) {
		dst->v[i].name = xstrdup(src->v[i].name);
		dst->v[i].value = xstrdup(src->v[i].value);
	}
}

/* A label set member ("labels", "annotations", ...): absent or null is empty. */
static int
take_labels(const json_t *obj, const char *key, const char *parent, struct alert_labels *l,
	    struct mm_err *err)
{
	const json_t *m = json_object_get(obj, key), *v;
	char where[WHERE_MAX];
	const char *name;
	size_t n;

	l->v = NULL;
	l->n = 0;
	snprintf(where, sizeof(where), "%s%s%s", parent, *parent ? "." : "", key);
	if (!m || json_is_null(m))
		return 0;
	if (!json_is_object(m))
		return mm_errf(err, MM_E_PARSE, "%s: expected an object, got %s", where,
			       json_kind(m));
	n = json_object_size(m);
	if (n > ALERT_MAX_LABELS)
		return mm_errf(err, MM_E_LIMIT, "%s: too many entries (%zu, the most is %d)", where,
			       n, ALERT_MAX_LABELS);
	l->v = n ? xcalloc(n, sizeof(*l->v)) : NULL;
	json_object_foreach((json_t *)m, name, v)
	{
		char vwhere[WHERE_MAX + 80];
		size_t nlen = strlen(name);

		if (nlen == 0)
			return mm_errf(err, MM_E_PARSE, "%s: empty name", where);
		if (nlen > ALERT_MAX_NAME)
			return mm_errf(err, MM_E_LIMIT,
				       "%s: name too long (%zu bytes, the most is %d)", where, nlen,
				       ALERT_MAX_NAME);
		snprintf(vwhere, sizeof(vwhere), "%s.%.*s", where, 64, name);
		if (take_string(v, vwhere, ALERT_MAX_VALUE, &l->v[l->n].value, err) < 0)
			return -1;
		l->v[l->n++].name = xstrdup(name);
	}
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), label_cmp);
	return 0;
}

const char *
alert_labels_get(const struct alert_labels *l, const char *name)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, l->v[mid].name);

		if (c == 0)
			return l->v[mid].value;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const char *
alert_name(const struct alert *a)
{
	const char *n = alert_labels_get(&a->labels, "alertname");

	return n ? n : "";
}

const char *
alert_status_name(enum alert_status s)
{
	return s == ALERT_RESOLVED ? "resolved" : "firing";
}

/* prometheus/common model: FNV-1a 64 with a 0xff separator after each name and value. */
#define FNV_OFFSET 14695981039346656037ULL
#define FNV_PRIME  1099511628211ULL

static uint64_t
fnv_add(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= FNV_PRIME;
	}
	return h;
}

static uint64_t
fnv_add_byte(uint64_t h, unsigned char b)
{
	h ^= b;
	return h * FNV_PRIME;
}

void
alert_fingerprint(const struct alert_labels *l, char out[ALERT_FINGERPRINT_LEN + 1])
{
	uint64_t h = FNV_OFFSET;
	size_t i;

	/*
	 * The set is sorted by name, as the Go code sorts before hashing; an
	 * empty value is the same as no label (Alertmanager drops it).
	 */
	for (i = 0; i < l->n; i++) {
		if (!l->v[i].value[0])
			continue;
		h = fnv_add(h, l->v[i].name);
		h = fnv_add_byte(h, 0xff);
		h = fnv_add(h, l->v[i].value);
		h = fnv_add_byte(h, 0xff);
	}
	snprintf(out, ALERT_FINGERPRINT_LEN + 1, "%016llx", (unsigned long long)h);
}

void
alert_release(struct alert *a)
{
	if (!a)
		return;
	labels_release(&a->labels);
	labels_release(&a->annotations);
	free(a->starts_at);
	free(a->ends_at);
	free(a->generator_url);
	free(a->fingerprint);
	memset(a, 0, sizeof(*a));
}

void
alert_copy(struct alert *dst, const struct alert *src)
{
	dst->status = src->status;
	labels_copy(&dst->labels, &src->labels);
	labels_copy(&dst->annotations, &src->annotations);
	dst->starts_at = xstrdup(src->starts_at);
	dst->ends_at = xstrdup(src->ends_at);
	dst->starts = src->starts;
	dst->generator_url = xstrdup(src->generator_url);
	dst->fingerprint = xstrdup(src->fingerprint);
	dst->fingerprint_computed = src->fingerprint_computed;
}

static int
check_fingerprint(const char *fp, const char *where, struct mm_err *err)
{
	const char *p;

	if (!*fp)
		return mm_errf(err, MM_E_PARSE, "%s.fingerprint: empty", where);
	for (p = fp; *p; p++)
		if ((unsigned char)*p < 0x21 || *p == 0x7f)
			return mm_errf(err, MM_E_PARSE,
				       "%s.fingerprint: contains a space or control character",
				       where);
	return 0;
}

int
alert_from_json(const json_t *j, const char *where, struct alert *a, struct mm_err *err)
{
	char *status = NULL, fp[ALERT_FINGERPRINT_LEN + 1], w[WHERE_MAX];
	const json_t *v;
	int ret = -1;

	memset(a, 0, sizeof(*a));
	if (!json_is_object(j))
		return mm_errf(err, MM_E_PARSE, "%s: expected an object, got %s", where,
			       json_kind(j));
	if (!(v = json_object_get(j, "status")))
		return mm_errf(err, MM_E_PARSE, "%s.status: missing", where);
	snprintf(w, sizeof(w), "%s.status", where);
	if (take_string(v, w, ALERT_MAX_STRING, &status, err) < 0)
		goto out;
	if (strcmp(status, "firing") == 0) {
		a->status = ALERT_FIRING;
	} else if (strcmp(status, "resolved") == 0) {
		a->status = ALERT_RESOLVED;
	} else {
		mm_errf(err, MM_E_PARSE,
			"%s.status: expected \"firing\" or \"resolved\", got '%.64s'", where,
			status);
		goto out;
	}
	if (!json_object_get(j, "labels")) {
		mm_errf(err, MM_E_PARSE, "%s.labels: missing", where);
		goto out;
	}
	if (take_labels(j, "labels", where, &a->labels, err) < 0 ||
	    take_labels(j, "annotations", where, &a->annotations, err) < 0 ||
	    opt_string(j, "startsAt", where, ALERT_MAX_STRING, &a->starts_at, err) < 0 ||
	    opt_string(j, "endsAt", where, ALERT_MAX_STRING, &a->ends_at, err) < 0 ||
	    opt_string(j, "generatorURL", where, ALERT_MAX_STRING, &a->generator_url, err) < 0 ||
	    opt_string(j, "fingerprint", where, ALERT_MAX_STRING, &a->fingerprint, err) < 0)
		goto out;
	if (*a->starts_at) {
		struct mm_err perr;

		if (clock_parse_rfc3339(a->starts_at, &a->starts, &perr) < 0) {
			mm_errf(err, MM_E_PARSE, "%s.startsAt: not an RFC 3339 time: '%.64s'",
				where, a->starts_at);
			goto out;
		}
	}
	if (json_object_get(j, "fingerprint") && !json_is_null(json_object_get(j, "fingerprint"))) {
		if (check_fingerprint(a->fingerprint, where, err) < 0)
			goto out;
	} else {
		alert_fingerprint(&a->labels, fp);
		free(a->fingerprint);
		a->fingerprint = xstrdup(fp);
		a->fingerprint_computed = 1;
	}
	ret = 0;
out:
	free(status);
	if (ret < 0)
		alert_release(a);
	return ret;
}

static json_t *
labels_to_json(const struct alert_labels *l)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; i < l->n; i++)
		json_object_set_new(o, l->v[i].name, json_string(l->v[i].value));
	return o;
}

json_t *
alert_to_json(const struct alert *a)
{
	return json_pack("{s:s, s:o, s:o, s:s, s:s, s:s, s:s}", "status",
			 alert_status_name(a->status), "labels", labels_to_json(&a->labels),
			 "annotations", labels_to_json(&a->annotations), "startsAt",
			 a->starts_at ? a->starts_at : "", "endsAt", a->ends_at ? a->ends_at : "",
			 "generatorURL", a->generator_url ? a->generator_url : "", "fingerprint",
			 a->fingerprint ? a->fingerprint : "");
}

void
alert_payload_release(struct alert_payload *p)
{
	size_t i;

	if (!p)
		return;
	free(p->version);
	free(p->receiver);
	free(p->group_key);
	free(p->external_url);
	free(p->status);
	labels_release(&p->group_labels);
	labels_release(&p->common_labels);
	labels_release(&p->common_annotations);
	for (i = 0; i < p->nalerts; i++)
		alert_release(&p->alerts[i]);
	free(p->alerts);
	memset(p, 0, sizeof(*p));
}

int
alert_payload_from_json(const json_t *root, struct alert_payload *p, struct mm_err *err)
{
	const json_t *alerts, *t;
	size_t i, n;

	memset(p, 0, sizeof(*p));
	if (!json_is_object(root))
		return mm_errf(err, MM_E_PARSE, "payload: expected an object, got %s",
			       json_kind(root));
	if (opt_string(root, "version", "", 16, &p->version, err) < 0 ||
	    opt_string(root, "receiver", "", ALERT_MAX_STRING, &p->receiver, err) < 0 ||
	    opt_string(root, "groupKey", "", ALERT_MAX_STRING, &p->group_key, err) < 0 ||
	    opt_string(root, "externalURL", "", ALERT_MAX_STRING, &p->external_url, err) < 0 ||
	    opt_string(root, "status", "", 16, &p->status, err) < 0)
		return -1;
	if (*p->version && strcmp(p->version, "4") != 0)
		return mm_errf(err, MM_E_PARSE,
			       "version: unsupported webhook payload version '%s' "
			       "(mmops reads version 4)",
			       p->version);
	if (*p->status && strcmp(p->status, "firing") && strcmp(p->status, "resolved"))
		return mm_errf(err, MM_E_PARSE,
			       "status: expected \"firing\" or \"resolved\", got '%s'", p->status);
	if ((t = json_object_get(root, "truncatedAlerts")) && !json_is_null(t)) {
		if (!json_is_integer(t) || json_integer_value(t) < 0)
			return mm_errf(err, MM_E_PARSE,
				       "truncatedAlerts: expected a non-negative integer, got %s",
				       json_kind(t));
		p->truncated_alerts = (long)json_integer_value(t);
	}
	if (take_labels(root, "groupLabels", "", &p->group_labels, err) < 0 ||
	    take_labels(root, "commonLabels", "", &p->common_labels, err) < 0 ||
	    take_labels(root, "commonAnnotations", "", &p->common_annotations, err) < 0)
		return -1;
	alerts = json_object_get(root, "alerts");
	if (!alerts)
		return mm_errf(err, MM_E_PARSE, "alerts: missing");
	if (!json_is_array(alerts))
		return mm_errf(err, MM_E_PARSE, "alerts: expected an array, got %s",
			       json_kind(alerts));
	n = json_array_size(alerts);
	if (n > ALERT_MAX_ALERTS)
		return mm_errf(err, MM_E_LIMIT,
			       "alerts: too many alerts (%zu, the most is %d; set "
			       "max_alerts in Alertmanager's webhook_config)",
			       n, ALERT_MAX_ALERTS);
	p->alerts = n ? xcalloc(n, sizeof(*p->alerts)) : NULL;
	for (i = 0; i < n; i++) {
		char where[32];

		snprintf(where, sizeof(where), "alerts[%zu]", i);
		if (alert_from_json(json_array_get(alerts, i), where, &p->alerts[i], err) < 0)
			return -1;
		p->nalerts++;
	}
	return 0;
}

int
alert_payload_decode(const char *body, size_t len, struct alert_payload *p, struct mm_err *err)
{
	json_t *root;
	int ret;

	memset(p, 0, sizeof(*p));
	if (!(root = jsontree_loadb(body, len, "body", err)))
		return -1;
	ret = alert_payload_from_json(root, p, err);
	json_decref(root);
	return ret;
}
