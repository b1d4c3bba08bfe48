/*
 * err.h - the error every library function reports through.
 *
 * lib/ never prints and never exits: a function that can fail returns -1 (or
 * NULL) and, when the caller passed a non-NULL struct mm_err, fills it with a
 * code and a message.  Parsers add the file, line and column, and
 * mm_err_format() renders "file:line:col: what" for the tool to print.
 */
#ifndef MM_ERR_H
#define MM_ERR_H

#include <stddef.h>

#define MM_ERR_MSG_MAX	512
#define MM_ERR_FILE_MAX 256

enum mm_errcode {
	MM_E_OK = 0,
	MM_E_USAGE,   /* bad option or argument: exit 2 */
	MM_E_CONFIG,  /* bad configuration file: exit 2 */
	MM_E_PARSE,   /* malformed input: exit 2 */
	MM_E_IO,      /* cannot read an input file: exit 2 */
	MM_E_NET,     /* network or upstream failure: exit 3 */
	MM_E_LIMIT,   /* a cap was hit (size, count): exit 2 */
	MM_E_RUNTIME, /* anything else that failed while running: exit 3 */
	MM_E_WRITE,   /* cannot write an output (report, baseline, state): exit 3 */
};

struct mm_err {
	enum mm_errcode code;
	char file[MM_ERR_FILE_MAX]; /* "" when not about a file position */
	unsigned long line;	    /* 1-based; 0 when unknown */
	unsigned long col;	    /* 1-based; 0 when unknown */
	char msg[MM_ERR_MSG_MAX];
};

/* Clear *err (safe with NULL). */
void mm_err_init(struct mm_err *err);

/*
 * Fill err (if non-NULL) with code and a printf-style message; returns -1 so
 * that "return mm_errf(err, MM_E_PARSE, ...)" reads naturally.  The position
 * fields are cleared.
 */
int mm_errf(struct mm_err *err, enum mm_errcode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* As mm_errf(), with a file:line:col position (file may be NULL). */
int mm_errf_at(struct mm_err *err, enum mm_errcode code, const char *file, unsigned long line,
	       unsigned long col, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/*
 * Render err as "file:line:col: msg" (parts that are unknown are left out)
 * into buf of size n; returns buf.
 */
const char *mm_err_format(const struct mm_err *err, char *buf, size_t n);

/*
 * The exit code DESIGN.md gives this error: 2 for usage, config and input
 * (MM_E_IO: a file that cannot be read), 3 for runtime and output
 * (MM_E_WRITE: a file that cannot be written).  The one mapping: commands
 * return it as it is.
 */
int mm_err_exit_code(const struct mm_err *err);

/* Last: the banned functions fail to compile from here on (see banned.h). */
#include "banned.h"

#endif
