/*
 * jsonw.c - a minimal JSON writer for text the watcher emits per request:
 * escaping as jansson does (jsonscan_quote: quote, backslash, control
 * characters; invalid UTF-8 as U+FFFD), no tree,
 * no allocation beyond the buffer's own growth.
 */
#include <stdio.h>
#include <string.h>

#include "jsonscan.h"
#include "jsonw.h"

void
jsonw_quote(struct buf *b, const char *s)
{
	(void)jsonscan_quote(s, strlen(s), b);
}

void
jsonw_begin(struct jsonw *w, struct buf *b)
{
	w->b = b;
	w->n = 0;
	buf_addc(b, '{');
}

int
jsonw_end(struct jsonw *w)
{
	buf_addc(w->b, '}');
	return buf_failed(w->b) ? -1 : 0;
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
