/*
 * tpl.c - the policy's templates: the parser (${variable} at load time,
 * {{field}} checked against the whitelist) and the renderer (field values
 * taken from the alert being acted on, JSON-escaped inside bodies).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonpull.h"
#include "tpl.h"
#include "xalloc.h"

#define TPL_MAX_TEXT ((size_t)1 << 22) /* a template's text, variables substituted */

static const char *const plain_fields[] = {
    "alertname",   "status",   "fingerprint", "startsAt", "endsAt",	 "generatorURL", "receiver",
    "externalURL", "groupKey", "decision",    "gate",	  "rollback_id", NULL,
};

static int
field_known(const char *f)
{
	size_t i;

	for (i = 0; plain_fields[i]; i++)
		if (strcmp(plain_fields[i], f) == 0)
			return 1;
	if (strncmp(f, "labels.", 7) == 0 && f[7])
		return 1;
	if (strncmp(f, "annotations.", 12) == 0 && f[12])
		return 1;
	return 0;
}

void
tpl_release(struct tpl *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->seg[i].text);
		free(t->seg[i].shown);
	}
	free(t->seg);
	t->seg = NULL;
	t->n = 0;
}

static void
tpl_push(struct tpl *t, int field, struct buf *text, struct buf *shown)
{
	t->seg = xreallocarray(t->seg, t->n + 1, sizeof(*t->seg));
	t->seg[t->n].field = field;
	t->seg[t->n].text = xstrdup(text->data ? text->data : "");
	t->seg[t->n].shown = xstrdup(shown->data ? shown->data : "");
	t->n++;
	buf_reset(text);
	buf_reset(shown);
}

int
tpl_parse(const char *s, tpl_lookup_fn lookup, void *lookup_ctx, int allow_fields, struct tpl *t,
	  int *used_empty, struct mm_err *err)
{
	struct buf text = BUF_INIT(TPL_MAX_TEXT), shown = BUF_INIT(TPL_MAX_TEXT);
	const char *p = s;
	int ret = -1;

	memset(t, 0, sizeof(*t));
	while (*p) {
		if (p[0] == '$' && p[1] == '$') {
			buf_addc(&text, '$');
			buf_addc(&shown, '$');
			p += 2;
		} else if (p[0] == '$' && p[1] == '{') {
			const char *end = strchr(p + 2, '}'), *value;
			int secret = 0;

			if (!end) {
				mm_errf(err, MM_E_CONFIG, "unterminated '${' in '%s'", s);
				goto out;
			}
			if (!lookup ||
			    !lookup(lookup_ctx, p + 2, (size_t)(end - p - 2), &value, &secret)) {
				mm_errf(err, MM_E_CONFIG,
					"unknown variable '%.*s' (define it under "
					"variables)",
					(int)(end - p - 2), p + 2);
				goto out;
			}
			buf_adds(&text, value);
			buf_adds(&shown, secret ? TPL_SECRET_MASK : value);
			if (used_empty && !*value)
				*used_empty = 1;
			p = end + 1;
		} else if (p[0] == '{' && p[1] == '{') {
			const char *end = strstr(p + 2, "}}"), *fs, *fe;
			struct buf f = BUF_INIT(ALERT_MAX_NAME + 16);

			if (!end) {
				mm_errf(err, MM_E_CONFIG, "unterminated '{{' in '%s'", s);
				goto out;
			}
			if (!allow_fields) {
				mm_errf(err, MM_E_CONFIG,
					"alert fields ({{...}}) are not allowed here, "
					"only ${variables}");
				goto out;
			}
			for (fs = p + 2; *fs == ' ' || *fs == '\t'; fs++)
				;
			fe = end;
			while (fe > fs && (fe[-1] == ' ' || fe[-1] == '\t'))
				fe--;
			if (buf_add(&f, fs, (size_t)(fe - fs)) < 0 ||
			    !field_known(f.data ? f.data : "")) {
				mm_errf(err, MM_E_CONFIG,
					"unknown alert field '%.*s' (fields: %s, "
					"labels.NAME, annotations.NAME)",
					(int)(fe - fs) > 64 ? 64 : (int)(fe - fs), fs, TPL_FIELDS);
				buf_release(&f);
				goto out;
			}
			if (text.len)
				tpl_push(t, 0, &text, &shown);
			buf_adds(&text, f.data);
			buf_adds(&shown, f.data);
			tpl_push(t, 1, &text, &shown);
			buf_release(&f);
			p = end + 2;
		} else {
			buf_addc(&text, *p);
			buf_addc(&shown, *p);
			p++;
		}
	}
	if (text.len || t->n == 0)
		tpl_push(t, 0, &text, &shown);
	ret = 0;
out:
	buf_release(&text);
	buf_release(&shown);
	if (ret < 0)
		tpl_release(t);
	return ret;
}

int
tpl_is_literal(const struct tpl *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->seg[i].field)
			return 0;
	return 1;
}

static const char *
field_value(const char *f, const struct tpl_ctx *c, char *tmp, size_t tmpsz)
{
	const struct alert *a = c->alert;
	const char *v = NULL;

	if (strncmp(f, "labels.", 7) == 0)
		v = a ? alert_labels_get(&a->labels, f + 7) : NULL;
	else if (strncmp(f, "annotations.", 12) == 0)
		v = a ? alert_labels_get(&a->annotations, f + 12) : NULL;
	else if (strcmp(f, "alertname") == 0)
		v = a ? alert_name(a) : NULL;
	else if (strcmp(f, "status") == 0)
		v = a ? alert_status_name(a->status) : NULL;
	else if (strcmp(f, "fingerprint") == 0)
		v = a ? a->fingerprint : NULL;
	else if (strcmp(f, "startsAt") == 0)
		v = a ? a->starts_at : NULL;
	else if (strcmp(f, "endsAt") == 0)
		v = a ? a->ends_at : NULL;
	else if (strcmp(f, "generatorURL") == 0)
		v = a ? a->generator_url : NULL;
	else if (strcmp(f, "receiver") == 0)
		v = c->receiver;
	else if (strcmp(f, "externalURL") == 0)
		v = c->external_url;
	else if (strcmp(f, "groupKey") == 0)
		v = c->group_key;
	else if (strcmp(f, "decision") == 0)
		v = c->decision;
	else if (strcmp(f, "gate") == 0)
		v = c->gate;
	else if (strcmp(f, "rollback_id") == 0) {
		snprintf(tmp, tmpsz, "%ld", c->rollback_id);
		v = tmp;
	}
	return v ? v : "";
}

int
tpl_render(const struct tpl *t, const struct tpl_ctx *ctx, int shown, int json_escape,
	   struct buf *out)
{
	char tmp[32];
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct tpl_seg *s = &t->seg[i];

		if (!s->field) {
			if (buf_adds(out, shown ? s->shown : s->text) < 0)
				return -1;
			continue;
		}
		if (json_escape) {
			const char *v = field_value(s->text, ctx, tmp, sizeof(tmp));

			if (jsonpull_escape(v, strlen(v), out) < 0)
				return -1;
		} else if (buf_adds(out, field_value(s->text, ctx, tmp, sizeof(tmp))) < 0) {
			return -1;
		}
	}
	return 0;
}

char *
tpl_literal(const struct tpl *t, int shown)
{
	struct buf b = BUF_INIT(TPL_MAX_TEXT);
	struct tpl_ctx c;
	char *s;

	memset(&c, 0, sizeof(c));
	tpl_render(t, &c, shown, 0, &b);
	s = xstrdup(b.data ? b.data : "");
	buf_release(&b);
	return s;
}
