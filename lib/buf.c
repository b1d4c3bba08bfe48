/*
 * buf.c - growable, capped byte buffers.  Growth doubles so that appending
 * byte by byte stays linear; the cap is checked before any allocation, so a
 * hostile peer can make us refuse, never make us allocate.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "xalloc.h"

void
buf_init(struct buf *b, size_t cap)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap;
	b->failed = 0;
}

void
buf_release(struct buf *b)
{
	if (!b)
		return;
	free(b->data);
	buf_init(b, b->cap);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->failed = 0;
	if (b->data)
		b->data[0] = '\0';
}

/* Room for n more bytes, or -1 past the cap; does not fail the buffer. */
static int
reserve(struct buf *b, size_t n)
{
	size_t want, na;

	if (n > b->cap || b->len > b->cap - n)
		return -1;
	want = b->len + n + 1;
	if (want <= b->alloc)
		return 0;
	na = b->alloc ? b->alloc : 64;
	while (na < want)
		na = na > ((size_t)-1) / 2 ? want : na * 2;
	if (na > b->cap + 1)
		na = b->cap + 1;
	b->data = xrealloc(b->data, na);
	b->alloc = na;
	return 0;
}

int
buf_grow(struct buf *b, size_t n)
{
	if (b->failed || reserve(b, n) < 0) {
		b->failed = 1;
		return -1;
	}
	return 0;
}

int
buf_add(struct buf *b, const void *data, size_t n)
{
	if (buf_grow(b, n) < 0)
		return -1;
	if (n)
		memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_addc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int
buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0) {
		b->failed = 1;
		return -1;
	}
	if (buf_grow(b, (size_t)n) < 0)
		return -1;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return r;
}

char *
buf_detach(struct buf *b, size_t *len)
{
	char *p = b->data;

	if (!p)
		p = xstrdup("");
	if (len)
		*len = b->len;
	buf_init(b, b->cap);
	return p;
}

int
buf_read_file(struct buf *b, const char *path, struct mm_err *err)
{
	int fd, ret = -1;
	struct stat st;
	ssize_t n;

	if (strcmp(path, "-") == 0)
		fd = 0;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return mm_errf(err, MM_E_IO, "cannot read '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		mm_errf(err, MM_E_IO, "cannot read '%s': Is a directory", path);
		goto out;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		if ((size_t)st.st_size > b->cap - b->len || reserve(b, (size_t)st.st_size) < 0) {
			b->failed = 1;
			mm_errf(err, MM_E_LIMIT, "'%s' is larger than the limit of %zu bytes", path,
				b->cap);
			goto out;
		}
	}
	for (;;) {
		if (reserve(b, 65536) < 0 && reserve(b, 1) < 0) {
			char c;

			/* Exactly at the cap: only fine if the file ends here. */
			n = read(fd, &c, 1);
			if (n == 0)
				break;
			b->failed = 1;
			mm_errf(err, MM_E_LIMIT, "'%s' is larger than the limit of %zu bytes", path,
				b->cap);
			goto out;
		}
		size_t room = b->alloc - b->len - 1;

		n = read(fd, b->data + b->len, room);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			mm_errf(err, MM_E_IO, "cannot read '%s': %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
		b->data[b->len] = '\0';
	}
	if (!b->data)
		reserve(b, 0);
	if (b->data)
		b->data[b->len] = '\0';
	ret = 0;
out:
	if (fd > 0)
		close(fd);
	return ret;
}

int
buf_add_html(struct buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			buf_adds(b, "&lt;");
			break;
		case '>':
			buf_adds(b, "&gt;");
			break;
		case '&':
			buf_adds(b, "&amp;");
			break;
		case '"':
			buf_adds(b, "&quot;");
			break;
		case '\'':
			buf_adds(b, "&#39;");
			break;
		default:
			buf_addc(b, *s);
		}
	}
	return buf_failed(b) ? -1 : 0;
}

int
buf_add_mdcell(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			buf_adds(b, "\\|");
		else if (*s == '\n' || *s == '\r')
			buf_addc(b, ' ');
		else
			buf_addc(b, *s);
	}
	return buf_failed(b) ? -1 : 0;
}
