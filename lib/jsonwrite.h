/*
 * jsonwrite.h - append JSON to a struct buf without building a jansson tree, for
 * the watcher's hot path (one audit line and one answer object per alert).
 * The caller writes keys in sorted order so the text matches the project's
 * canonical form (jsontree_dumps_compact); strings must be valid UTF-8 (they
 * come from jansson-decoded input or from mmops itself).
 */
#ifndef MM_JSONW_H
#define MM_JSONW_H

#include "buf.h"

struct jsonwrite {
	struct buf *b;
	int n; /* members written in the current object */
};

/* Start an object on b ('{'). */
void jsonwrite_begin(struct jsonwrite *w, struct buf *b);
/*
 * End it ('}').  Returns -1 when any append to the buffer was refused (its
 * cap), since a struct buf's failure is sticky: the text is then incomplete
 * and must not be used; 0 otherwise.
 */
int jsonwrite_end(struct jsonwrite *w);
/* Members: "key": value. */
void jsonwrite_str(struct jsonwrite *w, const char *key, const char *val);
void jsonwrite_int(struct jsonwrite *w, const char *key, long long val);
void jsonwrite_bool(struct jsonwrite *w, const char *key, int val);
/* A member whose value is already JSON text. */
void jsonwrite_raw(struct jsonwrite *w, const char *key, const char *json);
/* Append s as a quoted, escaped JSON string. */
void jsonwrite_quote(struct buf *b, const char *s);

#endif
