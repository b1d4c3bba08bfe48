/*
 * alert.h - Alertmanager's webhook payload (version 4), decoded and checked.
 *
 * The decoder reads the body Alertmanager POSTs to a webhook receiver:
 *
 *   {"version":"4","groupKey":"...","truncatedAlerts":0,"status":"firing",
 *    "receiver":"...","groupLabels":{},"commonLabels":{},"commonAnnotations":{},
 *    "externalURL":"...","alerts":[{"status":"firing","labels":{},
 *    "annotations":{},"startsAt":"...","endsAt":"...","generatorURL":"...",
 *    "fingerprint":"..."}]}
 *
 * Only "alerts" is required (the seed's hand-written curl sends nothing
 * else), and each alert needs "status" and "labels".  Keys Alertmanager may
 * add later are ignored; a known key with the wrong type, a "version" other
 * than "4", an unparsable startsAt, a NUL inside a string, or more than the
 * caps below is an error whose message names the place
 * ("alerts[2].labels.severity: expected a string, got a number").  An alert
 * without a fingerprint gets the one Alertmanager would compute (FNV-1a over
 * the sorted labels, as prometheus/common's LabelSet.Fingerprint), so the
 * seed's curl example dedupes like a real delivery.
 */
#ifndef MM_ALERT_H
#define MM_ALERT_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"

#define ALERT_MAX_ALERTS      1000  /* per notification; set Alertmanager's max_alerts to match */
#define ALERT_MAX_LABELS      64    /* per label or annotation set */
#define ALERT_MAX_NAME	      256   /* label or annotation name, bytes */
#define ALERT_MAX_VALUE	      16384 /* label or annotation value, bytes */
#define ALERT_MAX_STRING      4096  /* receiver, groupKey, URLs, times, fingerprint */
#define ALERT_FINGERPRINT_LEN 16    /* hex digits of a computed fingerprint */

enum alert_status {
	ALERT_FIRING,
	ALERT_RESOLVED,
};

struct alert_label {
	char *name;
	char *value;
};

/* A label (or annotation) set: sorted by name, names unique. */
struct alert_labels {
	struct alert_label *v;
	size_t n;
};

struct alert {
	enum alert_status status;
	struct alert_labels labels;
	struct alert_labels annotations;
	char *starts_at;     /* as sent, "" when absent */
	char *ends_at;	     /* as sent, "" when absent */
	double starts;	     /* starts_at in epoch seconds; 0 when absent */
	char *generator_url; /* "" when absent */
	char *fingerprint;   /* as sent, or computed */
	int fingerprint_computed;
};

struct alert_payload {
	char *version; /* "" when absent */
	char *receiver;
	char *group_key;
	char *external_url;
	char *status; /* group status as sent ("firing", "resolved"), "" when absent */
	long truncated_alerts;
	struct alert_labels group_labels;
	struct alert_labels common_labels;
	struct alert_labels common_annotations;
	struct alert *alerts;
	size_t nalerts;
};

/*
 * Decode len bytes of a webhook body into p (which need not be initialised).
 * 0 on success; -1 and err otherwise: MM_E_PARSE for malformed JSON
 * ("body:1:17: ..."), MM_E_CONFIG never, MM_E_PARSE for a wrong shape,
 * MM_E_LIMIT past a cap.  p is always safe to release afterwards.
 */
int alert_payload_decode(const char *body, size_t len, struct alert_payload *p, struct mm_err *err);
/* The same from an already parsed JSON value. */
int alert_payload_from_json(const json_t *root, struct alert_payload *p, struct mm_err *err);
void alert_payload_release(struct alert_payload *p);

/* Decode one alert object; where names it in errors ("alerts[3]"). */
int alert_from_json(const json_t *j, const char *where, struct alert *a, struct mm_err *err);
/* A deep copy of src into dst. */
void alert_copy(struct alert *dst, const struct alert *src);
void alert_release(struct alert *a);
/* The alert as webhook JSON (new reference; the computed fingerprint included). */
json_t *alert_to_json(const struct alert *a);

/* The value of label name, or NULL when the set has no such label. */
const char *alert_labels_get(const struct alert_labels *l, const char *name);
/* The alert's "alertname" label, "" when it has none. */
const char *alert_name(const struct alert *a);
const char *alert_status_name(enum alert_status s);

/* Alertmanager's fingerprint of a label set: 16 lowercase hex digits + NUL. */
void alert_fingerprint(const struct alert_labels *l, char out[ALERT_FINGERPRINT_LEN + 1]);

#endif
