/*
 * err.c - filling and rendering struct mm_err.  Kept tiny on purpose: every
 * other module reports through it, and the tool turns it into a message and
 * an exit code.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

void
mm_err_init(struct mm_err *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}

static void
verrf(struct mm_err *err, enum mm_errcode code, const char *file, unsigned long line,
      unsigned long col, const char *fmt, va_list ap)
{
	err->code = code;
	err->line = line;
	err->col = col;
	err->file[0] = '\0';
	if (file)
		snprintf(err->file, sizeof(err->file), "%s", file);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int
mm_errf(struct mm_err *err, enum mm_errcode code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	verrf(err, code, NULL, 0, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int
mm_errf_at(struct mm_err *err, enum mm_errcode code, const char *file, unsigned long line,
	   unsigned long col, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	verrf(err, code, file, line, col, fmt, ap);
	va_end(ap);
	return -1;
}

const char *
mm_err_format(const struct mm_err *err, char *buf, size_t n)
{
	size_t off = 0;
	int w;

	if (n == 0)
		return buf;
	buf[0] = '\0';
	if (err->file[0]) {
		w = snprintf(buf, n, "%s:", err->file);
		off = w > 0 ? (size_t)w : 0;
	}
	if (err->line && off < n) {
		if (err->col)
			w = snprintf(buf + off, n - off, "%lu:%lu:", err->line, err->col);
		else
			w = snprintf(buf + off, n - off, "%lu:", err->line);
		off += w > 0 ? (size_t)w : 0;
	}
	if (off < n)
		snprintf(buf + off, n - off, "%s%s", off ? " " : "", err->msg);
	return buf;
}

int
mm_err_exit_code(const struct mm_err *err)
{
	switch (err->code) {
	case MM_E_OK:
		return 0;
	case MM_E_USAGE:
	case MM_E_CONFIG:
	case MM_E_PARSE:
	case MM_E_LIMIT:
	case MM_E_IO:
		return 2;
	case MM_E_NET:
	case MM_E_RUNTIME:
	case MM_E_WRITE:
	default:
		return 3;
	}
}
