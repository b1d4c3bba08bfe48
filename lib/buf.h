/*
 * buf.h - a growable byte buffer with a mandatory cap.
 *
 * Every buffer filled from outside (an HTTP body, a scrape, a child's output,
 * a file) has a limit: buf_init() takes it, and an append that would pass it
 * fails with -1 instead of growing (curl's dynbuf "toobig").  The contents are
 * always NUL-terminated, so b->data can be used as a C string when the data
 * is text.  The struct is caller-owned; buf_release() frees the contents.
 *
 * A refusal is sticky: once an append has failed, the buffer is "failed"
 * and every later append fails too, leaving the contents as they were at
 * the first refusal, so output can never come out with a hole in it (cap 10:
 * "12345678" ok, "ABCDE" refused, "!" refused too).  A writer may therefore
 * append without checking each call and ask buf_failed() once at the end.
 * buf_reset() and buf_release() clear the state.
 */
#ifndef MM_BUF_H
#define MM_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "err.h"

struct buf {
	char *data;   /* NULL until the first append; always NUL-terminated after */
	size_t len;   /* bytes used, not counting the NUL */
	size_t alloc; /* bytes allocated */
	size_t cap;   /* the most len may ever be */
	int failed;   /* an append was refused: every later one is refused too */
};

#define BUF_INIT(cap_)                                                                             \
	{                                                                                          \
		NULL, 0, 0, (cap_), 0                                                              \
	}

/* Set up an empty buffer that will never hold more than cap bytes. */
void buf_init(struct buf *b, size_t cap);
/* Free the contents; the buffer is empty (same cap, not failed) afterwards. Accepts NULL. */
void buf_release(struct buf *b);
/* Forget the contents but keep the allocation; clears the failed state. */
void buf_reset(struct buf *b);

/* 1 when an append or buf_grow() has been refused since the last reset. */
static inline int
buf_failed(const struct buf *b)
{
	return b->failed;
}

/*
 * Append; -1 when the cap would be passed or the buffer has already failed
 * (the contents stay as they were at the first refusal).
 */
int buf_add(struct buf *b, const void *data, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_addc(struct buf *b, char c);
int buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap);
/* Text for reports: s escaped as HTML text or attribute (< > & " '), or as one
 * Markdown table cell ('|' escaped, line breaks become spaces). */
int buf_add_html(struct buf *b, const char *s);
int buf_add_mdcell(struct buf *b, const char *s);

/* Make room for n more bytes; -1 past the cap (which fails the buffer). */
int buf_grow(struct buf *b, size_t n);

/* Hand the contents to the caller (free() them); b is left empty. */
char *buf_detach(struct buf *b, size_t *len);

/*
 * Read a whole file (or stdin for "-") into b, up to its cap.  On failure
 * returns -1 and fills err: MM_E_IO (with strerror) or MM_E_LIMIT.
 */
int buf_read_file(struct buf *b, const char *path, struct mm_err *err);

#endif
