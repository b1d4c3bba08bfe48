/*
 * tpl.h - the string templates of the rollback policy's actions (URLs,
 * headers, bodies, argv, env).  Two kinds of holes:
 *   ${name}   a policy variable, substituted once when the policy loads; a
 *             secret one is masked (TPL_SECRET_MASK) in the "shown" copy that
 *             plans, logs and the audit log print
 *   {{field}} a field of the alert, rendered when the action runs: one of
 *             TPL_FIELDS, labels.NAME or annotations.NAME (whitelisted: a
 *             template can never read anything else)
 * "$$" is a literal "$".  A template is parsed into literal and field
 * segments once; rendering appends to a capped struct buf.
 */
#ifndef MM_TPL_H
#define MM_TPL_H

#include <stddef.h>

#include "alert.h"
#include "buf.h"
#include "err.h"

#define TPL_SECRET_MASK "***"
/* The whitelisted alert fields a template may name (plus labels.X, annotations.X). */
#define TPL_FIELDS                                                                                 \
	"alertname, status, fingerprint, startsAt, endsAt, generatorURL, "                         \
	"receiver, externalURL, groupKey, decision, gate, rollback_id"

/* A template: literal pieces (as-is and as shown) and alert fields. */
struct tpl_seg {
	int field;   /* 0: literal; 1: alert field named text */
	char *text;  /* literal text with variables substituted, or the field name */
	char *shown; /* literal text with secret variables masked */
};

struct tpl {
	struct tpl_seg *seg;
	size_t n;
};

/* Where {{field}} values come from when an action runs (all borrowed). */
struct tpl_ctx {
	const struct alert *alert;
	const char *decision; /* "rollback", "notify", ... */
	const char *gate;     /* "hard", "soft" or "" */
	long rollback_id;     /* 0 when not a rollback */
	const char *receiver;
	const char *external_url;
	const char *group_key;
};

/*
 * Look up ${name} (name[0..len), not NUL-terminated): 1 with *value
 * (borrowed, lives as long as the caller's variables) and *secret, 0 when
 * there is no such variable.
 */
typedef int (*tpl_lookup_fn)(void *ctx, const char *name, size_t len, const char **value,
			     int *secret);

/*
 * Parse s into t (released by tpl_release).  {{field}} only when
 * allow_fields.  *used_empty (when not NULL) is set to 1 when a variable
 * substituted was empty.  -1 and err (MM_E_CONFIG, a message without
 * position: the caller knows where s came from), t then empty.
 */
int tpl_parse(const char *s, tpl_lookup_fn lookup, void *lookup_ctx, int allow_fields,
	      struct tpl *t, int *used_empty, struct mm_err *err);
/* Free the segments; t is empty afterwards.  Accepts an empty t. */
void tpl_release(struct tpl *t);

/*
 * Render t for ctx into out (appending).  shown: use the masked literals.
 * json_escape: escape substituted values for a JSON string.  -1 when out's
 * cap is hit.
 */
int tpl_render(const struct tpl *t, const struct tpl_ctx *ctx, int shown, int json_escape,
	       struct buf *out);
/* 1 when the template has no field, only literal text. */
int tpl_is_literal(const struct tpl *t);
/* A template without fields as a new string (text, or shown); the caller frees. */
char *tpl_literal(const struct tpl *t, int shown);

#endif
