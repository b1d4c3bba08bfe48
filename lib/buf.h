/*
 * buf.h - a growable byte buffer with a mandatory cap.
 *
 * Every buffer filled from outside (an HTTP body, a scrape, a child's output,
 * a file) has a limit: buf_init() takes it, and an append that would pass it
 * fails with -1 instead of growing (curl's dynbuf "toobig").  The contents are
 * always NUL-terminated, so b->data can be used as a C string when the data
 * is text.  The struct is caller-owned; buf_release() frees the contents.
 */
#ifndef MM_BUF_H
#define MM_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "err.h"

struct buf {
	char *data;	/* NULL until the first append; always NUL-terminated after */
	size_t len;	/* bytes used, not counting the NUL */
	size_t alloc;	/* bytes allocated */
	size_t cap;	/* the most len may ever be */
};

#define BUF_INIT(cap_) { NULL, 0, 0, (cap_) }

/* Set up an empty buffer that will never hold more than cap bytes. */
void buf_init(struct buf *b, size_t cap);
/* Free the contents; the buffer is empty (same cap) afterwards. Accepts NULL. */
void buf_release(struct buf *b);
/* Forget the contents but keep the allocation. */
void buf_reset(struct buf *b);

/* Append; -1 (buffer unchanged) when the cap would be passed. */
int buf_add(struct buf *b, const void *data, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_addc(struct buf *b, char c);
int buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap);

/* Make room for n more bytes; -1 past the cap. */
int buf_grow(struct buf *b, size_t n);

/* Hand the contents to the caller (free() them); b is left empty. */
char *buf_detach(struct buf *b, size_t *len);

/*
 * Read a whole file (or stdin for "-") into b, up to its cap.  On failure
 * returns -1 and fills err: MM_E_IO (with strerror) or MM_E_LIMIT.
 */
int buf_read_file(struct buf *b, const char *path, struct mm_err *err);

#endif
