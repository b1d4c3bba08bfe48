/*
 * jsonw.h - append JSON to a struct buf without building a jansson tree, for
 * the watcher's hot path (one audit line and one answer object per alert).
 * The caller writes keys in sorted order so the text matches the project's
 * canonical form (jsonx_dumps_compact); strings must be valid UTF-8 (they
 * come from jansson-decoded input or from mmops itself).
 */
#ifndef MM_JSONW_H
#define MM_JSONW_H

#include "buf.h"

struct jsonw {
	struct buf *b;
	int n;		/* members written in the current object */
};

/* Start an object on b ('{'). */
void jsonw_begin(struct jsonw *w, struct buf *b);
/*
 * End it ('}').  Returns -1 when any append to the buffer was refused (its
 * cap), since a struct buf's failure is sticky: the text is then incomplete
 * and must not be used; 0 otherwise.
 */
int jsonw_end(struct jsonw *w);
/* Members: "key": value. */
void jsonw_str(struct jsonw *w, const char *key, const char *val);
void jsonw_int(struct jsonw *w, const char *key, long long val);
void jsonw_bool(struct jsonw *w, const char *key, int val);
/* A member whose value is already JSON text. */
void jsonw_raw(struct jsonw *w, const char *key, const char *json);
/* Append s as a quoted, escaped JSON string. */
void jsonw_quote(struct buf *b, const char *s);

#endif
