/*
 * jsonwrite.c - a minimal JSON writer for text the watcher emits per request:
 * escaping as jansson does (jsonpull_quote: quote, backslash, control
 * characters; invalid UTF-8 as U+FFFD), no tree,
 * no allocation beyond the buffer's own growth.
 */
#include <stdio.h>
#include <string.h>

#include "jsonpull.h"
#include "jsonwrite.h"

void
jsonwrite_quote(struct buf *b, const char *s)
{
	(void)jsonpull_quote(s, strlen(s), b);
}

void
jsonwrite_begin(struct jsonwrite *w, struct buf *b)
{
	w->b = b;
	w->n = 0;
	buf_addc(b, '{');
}

int
jsonwrite_end(struct jsonwrite *w)
{
	buf_addc(w->b, '}');
	return buf_failed(w->b) ? -1 : 0;
}

static void
key(struct jsonwrite *w, const char *k)
{
	if (w->n++)
		buf_addc(w->b, ',');
	jsonwrite_quote(w->b, k);
	buf_addc(w->b, ':');
}

void
jsonwrite_str(struct jsonwrite *w, const char *k, const char *val)
{
	key(w, k);
	jsonwrite_quote(w->b, val ? val : "");
}

void
jsonwrite_int(struct jsonwrite *w, const char *k, long long val)
{
	key(w, k);
	buf_addf(w->b, "%lld", val);
}

void
jsonwrite_bool(struct jsonwrite *w, const char *k, int val)
{
	key(w, k);
	buf_adds(w->b, val ? "true" : "false");
}

void
jsonwrite_raw(struct jsonwrite *w, const char *k, const char *json)
{
	key(w, k);
	buf_adds(w->b, json);
}
