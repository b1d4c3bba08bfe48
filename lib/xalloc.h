/*
 * xalloc.h - allocation that cannot fail.  Out of memory is the one condition
 * the library aborts on (STYLE.md): callers never check these for NULL.
 */
#ifndef MM_XALLOC_H
#define MM_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* Grow an array: xreallocarray(p, nmemb, size) with overflow checking. */
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a fresh string the caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#include "banned.h" /* last: see banned.h */

#endif
