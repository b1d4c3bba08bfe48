/*
 * jsonw.c - a minimal JSON writer for text the watcher emits per request:
 * escaping as jansson does (quote, backslash, control characters), no tree,
 * no allocation beyond the buffer's own growth.
 */
#include <stdio.h>

#include "jsonw.h"

void
jsonw_quote(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";	/* as jansson writes \u001F */
	const char *run = s;

	buf_addc(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		const char *esc = NULL;
		char u[7];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		buf_add(b, run, (size_t)(s - run));
		run = s + 1;
		switch (c) {
		case '"':	esc = "\\\""; break;
		case '\\':	esc = "\\\\"; break;
		case '\b':	esc = "\\b"; break;
		case '\f':	esc = "\\f"; break;
		case '\n':	esc = "\\n"; break;
		case '\r':	esc = "\\r"; break;
		case '\t':	esc = "\\t"; break;
		default:
			u[0] = '\\';
			u[1] = 'u';
			u[2] = '0';
			u[3] = '0';
			u[4] = hex[c >> 4];
			u[5] = hex[c & 15];
			u[6] = '\0';
			esc = u;
		}
		buf_adds(b, esc);
	}
	buf_add(b, run, (size_t)(s - run));
	buf_addc(b, '"');
}

void
jsonw_begin(struct jsonw *w, struct buf *b)
{
	w->b = b;
	w->n = 0;
	buf_addc(b, '{');
}

void
jsonw_end(struct jsonw *w)
{
	buf_addc(w->b, '}');
}

static void
key(struct jsonw *w, const char *k)
{
	if (w->n++)
		buf_addc(w->b, ',');
	jsonw_quote(w->b, k);
	buf_addc(w->b, ':');
}

void
jsonw_str(struct jsonw *w, const char *k, const char *val)
{
	key(w, k);
	jsonw_quote(w->b, val ? val : "");
}

void
jsonw_int(struct jsonw *w, const char *k, long long val)
{
	key(w, k);
	buf_addf(w->b, "%lld", val);
}

void
jsonw_bool(struct jsonw *w, const char *k, int val)
{
	key(w, k);
	buf_adds(w->b, val ? "true" : "false");
}

void
jsonw_raw(struct jsonw *w, const char *k, const char *json)
{
	key(w, k);
	buf_adds(w->b, json);
}
