/*
 * jsonpull.h - a strict, fast pull scanner for JSON held in memory.
 *
 * jansson builds a tree of allocated nodes and parses about 30 MB/s; golden
 * compare needs to walk two 50 MB reports side by side, so it pulls values
 * straight out of the text instead: no tree, no allocation per value, one
 * pass, and scalars come back as spans of the input (offset and length), so
 * a number keeps every digit it was written with.
 *
 * The scanner is as strict as jansson with JSON_REJECT_DUPLICATES: RFC 8259
 * grammar only (no NaN, Infinity, comments, trailing commas, leading zeros,
 * byte order mark), strings must be valid UTF-8 with no raw control
 * characters and escapes must form whole code points (no lone surrogates),
 * duplicate keys in one object are an error, nesting is capped at
 * JSONPULL_MAX_DEPTH.  Unlike jansson it accepts integers of any size and
 * "\u0000" in keys: both are valid JSON, and the caller decides what to do
 * with them.  Any value may be the document (RFC 8259), not only a container.
 *
 * Errors fill the struct mm_err given to jsonpull_init() with MM_E_PARSE and
 * "name:line:col: what"; line and column (both 1-based, the column counted
 * in characters) are computed only when an error happens.  After an error
 * the scanner must not be used except for jsonpull_release().
 *
 * Use: jsonpull_peek() says what the next value is; a scalar is consumed
 * with jsonpull_scalar(), any value with jsonpull_skip(), and a container is
 * opened with jsonpull_begin() and walked with jsonpull_obj_next() or
 * jsonpull_arr_next(), each of which leaves the scanner in front of one
 * member value that the caller must consume before calling it again.
 * jsonpull_finish() checks that only whitespace follows the document.
 */
#ifndef MM_JSONSCAN_H
#define MM_JSONSCAN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

#define JSONPULL_MAX_DEPTH 2048 /* open arrays and objects, as jansson's JSON_PARSER_MAX_DEPTH */

enum jsonpull_type {
	JSONPULL_ERROR = 0, /* the scanner's error was filled */
	JSONPULL_NULL,
	JSONPULL_FALSE,
	JSONPULL_TRUE,
	JSONPULL_NUMBER,
	JSONPULL_STRING,
	JSONPULL_ARRAY,
	JSONPULL_OBJECT,
};

/* A value as written: buf[off .. off+len).  Strings include their quotes. */
struct jsonpull_tok {
	enum jsonpull_type type;
	size_t off;
	size_t len;
	int escaped; /* strings: contains at least one backslash escape */
	int integer; /* numbers: no fraction and no exponent */
};

/*
 * An object key, decoded (escapes resolved, may contain NUL bytes).  It stays
 * valid while its object is open and until the next object is opened at the
 * same depth.
 */
struct jsonpull_key {
	const char *s;
	size_t len;
};

struct jsonpull_level;

struct jsonpull {
	const unsigned char *buf; /* borrowed; must outlive the scanner */
	const unsigned char *p;	  /* next byte to read */
	const unsigned char *end;
	const char *name;   /* for error messages; borrowed */
	struct mm_err *err; /* may be NULL */
	unsigned depth;	    /* open containers */
	unsigned nlevels;   /* allocated levels */
	struct jsonpull_level *levels;
};

/* Scan len bytes of buf, named name in errors; err may be NULL. */
void jsonpull_init(struct jsonpull *s, const char *buf, size_t len, const char *name,
		   struct mm_err *err);
/* Free what the scanner allocated (levels, key tables). Accepts NULL. */
void jsonpull_release(struct jsonpull *s);

/* Skip whitespace and say what the next value is, without consuming it. */
enum jsonpull_type jsonpull_peek(struct jsonpull *s);

/*
 * Consume the next value, which must be a scalar (string, number, true,
 * false, null), validating it; tok gets its span.  0, or -1 on error (also
 * when the next value is a container).
 */
int jsonpull_scalar(struct jsonpull *s, struct jsonpull_tok *tok);

/* Consume and validate the next value of any type; tok (may be NULL) gets its span. */
int jsonpull_skip(struct jsonpull *s, struct jsonpull_tok *tok);

/*
 * Consume the next value finding only where it ends: strings and containers
 * are not validated (scalars other than strings are).  For a caller that
 * reads the value again later with the validating calls (jsonpull_seek() to
 * tok->off), which then report any error in it; when the text is valid the
 * span is the one jsonpull_skip() gives.  -1 with the error at the end of
 * input when the value never ends.
 */
int jsonpull_skip_lazy(struct jsonpull *s, struct jsonpull_tok *tok);

/* Open the array or object that jsonpull_peek() announced.  0 or -1. */
int jsonpull_begin(struct jsonpull *s);

/*
 * Read the next member of the open object: 1 with *key set and the scanner
 * in front of the member's value, 0 at the closing brace (the object is
 * closed), -1 on error (a duplicate key is one).
 */
int jsonpull_obj_next(struct jsonpull *s, struct jsonpull_key *key);

/* Next element of the open array: 1 (in front of it), 0 at ']' (closed), -1. */
int jsonpull_arr_next(struct jsonpull *s);

/* After the document: only whitespace may remain.  0 or -1. */
int jsonpull_finish(struct jsonpull *s);

/* Offset of the next byte; with jsonpull_seek() a caller re-reads a value it
 * has already consumed (its span's off), at the same or a shallower depth. */
size_t jsonpull_tell(const struct jsonpull *s);
void jsonpull_seek(struct jsonpull *s, size_t off);

/* Validate a whole document (the fuzz target and tests).  0 or -1 with err. */
int jsonpull_validate(const char *buf, size_t len, const char *name, struct mm_err *err);

/* 1-based line and column (in characters) of byte off of buf. */
void jsonpull_position(const char *buf, size_t len, size_t off, unsigned long *line,
		       unsigned long *col);

/*
 * Decode the body of a valid string token (without its quotes: raw, rawlen)
 * into out, which needs rawlen bytes (a decoded string is never longer).
 * Returns the decoded length.  Only for text the scanner accepted.
 */
size_t jsonpull_unescape(const char *raw, size_t rawlen, char *out);

/*
 * Append the valid JSON text buf[0..len) to out with the whitespace between
 * tokens removed.  -1 when out's cap is reached.
 */
int jsonpull_compact(const char *buf, size_t len, struct buf *out);

/*
 * Append s (len bytes, any content) as a JSON string literal with quotes.
 * Control characters are escaped as jansson writes them (\n, \u001F), and a
 * byte that is not valid UTF-8 becomes \ufffd, so the result is always valid
 * JSON.  -1 past out's cap.  jsonpull_escape() is the same without the quotes,
 * for text placed inside a string literal.
 */
int jsonpull_quote(const char *s, size_t len, struct buf *out);
int jsonpull_escape(const char *s, size_t len, struct buf *out);

#endif
