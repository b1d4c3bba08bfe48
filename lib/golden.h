/*
 * golden.h - compare a JSON document (the actual report) with its golden
 * baseline and list every drift.
 *
 * The two documents are walked side by side with the jsonpull pull scanner:
 * no tree is built, so two 50 MB reports are compared in one pass in about
 * the memory of the two files.  Objects whose keys come in the same order
 * (the usual case: one generator wrote both) are compared in lockstep; from
 * the first key that differs, the rest of that object is compared by key.
 *
 * Rules (docs/golden.md has the user's version):
 *   - numbers compare by value: 1 == 1.0 == 1e0; two numbers are equal when
 *     |a - b| <= tolerance or |a - b| <= rel_tolerance * max(|a|, |b|);
 *     integers written without fraction or exponent that fit in 64 bits
 *     compare with their exact difference; an integer beyond 64 bits, or a
 *     number beyond the range of a double, is equal only to the same
 *     decimal value (digits compared as written, never rounded);
 *   - strings (after unescaping), booleans and null compare exactly;
 *   - a value of another JSON type is a GOLDEN_TYPE drift (1 vs "1");
 *   - object members compare by key: absent from the actual document is
 *     GOLDEN_MISSING, absent from the baseline is GOLDEN_EXTRA;
 *   - arrays compare by position; different lengths give one GOLDEN_LENGTH
 *     drift at the array plus one MISSING or EXTRA drift per element past
 *     the shorter one;
 *   - a drift is named by its RFC 6901 JSON Pointer ("~" as "~0", "/" as
 *     "~1"; "" is the whole document);
 *   - ignore pointers remove a subtree (value, presence and all) from the
 *     comparison; a segment that is exactly "*" matches any key or index.
 * Both documents are validated in full (jsonpull's strict rules: duplicate
 * keys, NaN/Infinity and bad UTF-8 are errors), also inside ignored parts.
 */
#ifndef MM_GOLDEN_H
#define MM_GOLDEN_H

#include <stddef.h>

#include "buf.h"
#include "filemap.h"
#include "err.h"

#define GOLDEN_DEFAULT_TOLERANCE  1e-9 /* the seed's default */
#define GOLDEN_DEFAULT_MAX_DRIFTS 1000 /* drifts kept for the report; all are counted */
#define GOLDEN_MAX_IGNORE	  64   /* --ignore pointers */
#define GOLDEN_MAX_FILE		  ((size_t)1 << 30) /* 1 GiB per document */
#define GOLDEN_TEXT_VALUE_MAX	  72		    /* bytes of a value shown in the text report */
#define GOLDEN_MAX_REPORT	  ((size_t)1 << 31) /* cap of a rendered report */

enum golden_kind {
	GOLDEN_VALUE,	/* same type, different value */
	GOLDEN_TYPE,	/* different JSON types */
	GOLDEN_MISSING, /* in the baseline, not in the actual document */
	GOLDEN_EXTRA,	/* in the actual document, not in the baseline */
	GOLDEN_LENGTH,	/* arrays of different lengths */
};
#define GOLDEN_NKINDS 5

/* "value", "type", "missing", "extra", "length". */
const char *golden_kind_name(enum golden_kind k);

struct golden_opts {
	double tolerance;	   /* absolute, >= 0 */
	double rel_tolerance;	   /* relative, >= 0; 0 = off */
	const char *const *ignore; /* JSON Pointers, '*' segments; borrowed */
	size_t nignore;		   /* <= GOLDEN_MAX_IGNORE */
	size_t max_drifts;	   /* drifts kept in golden_result.drifts */
};

/* Defaults: tolerance 1e-9, no relative tolerance, nothing ignored. */
void golden_opts_init(struct golden_opts *o);

/* Check tolerances, the ignore count and every ignore pointer: 0, or -1 and MM_E_USAGE. */
int golden_opts_check(const struct golden_opts *o, struct mm_err *err);

/* A document in memory.  name appears in errors ("name:line:col: what") and reports. */
struct golden_doc {
	const char *name; /* borrowed */
	const char *data;
	size_t len;
	struct filemap file; /* what golden_doc_load() read or mapped */
};

/* Use len bytes at data (borrowed, must outlive the doc) named name. */
void golden_doc_init(struct golden_doc *d, const char *name, const char *data, size_t len);

/*
 * Read path ("-" is stdin, named "<stdin>") up to GOLDEN_MAX_FILE.  -1 and
 * err: MM_E_IO when it cannot be read, MM_E_LIMIT when too big.  The doc
 * borrows path as its name.  A big regular file is mapped read-only
 * instead of copied (lib/filemap: reading 50 MB through read() costs as much
 * as comparing it).
 */
int golden_doc_load(struct golden_doc *d, const char *path, struct mm_err *err);
void golden_doc_release(struct golden_doc *d);

struct golden_drift {
	enum golden_kind kind;
	char *pointer;	    /* RFC 6901, escaped; owned; NUL-terminated */
	size_t pointer_len; /* may be less than strlen: keys can hold "\u0000" */
	/* Spans of the two values in their documents; len 0 = that side has none. */
	size_t base_off, base_len;
	size_t act_off, act_len;
	size_t base_count, act_count; /* GOLDEN_LENGTH: the two array lengths */
};

struct golden_result {
	size_t drift_count; /* every drift found */
	size_t kind_count[GOLDEN_NKINDS];
	size_t compared;	     /* value pairs compared */
	struct golden_drift *drifts; /* the first min(drift_count, max_drifts), in order */
	size_t ndrifts;
};

/*
 * Compare act with base under o (checked with golden_opts_check()).  Fills
 * r (release with golden_result_release() in every case).  Returns 0 when
 * both documents are valid JSON (whether or not they drift), -1 and err
 * (MM_E_PARSE with name:line:col, or MM_E_USAGE for bad options) otherwise.
 */
int golden_compare(const struct golden_doc *base, const struct golden_doc *act,
		   const struct golden_opts *o, struct golden_result *r, struct mm_err *err);
void golden_result_release(struct golden_result *r);

/*
 * Whether two valid JSON number texts are equal under the tolerances (the
 * rules above).  Exposed for the tests.
 */
int golden_numbers_equal(const char *a, size_t alen, const char *b, size_t blen, double tolerance,
			 double rel_tolerance);

/*
 * The report for a person: a summary line with the counts, then one line
 * per kept drift (pointer, kind, both values shortened to
 * GOLDEN_TEXT_VALUE_MAX bytes).  Appends to out; -1 past out's cap.
 */
int golden_render_text(const struct golden_doc *base, const struct golden_doc *act,
		       const struct golden_opts *o, const struct golden_result *r, struct buf *out);

/*
 * The report for a program (the shape is in docs/golden.md): sorted keys,
 * two-space indent, trailing newline, {"tool":"mmops","version":...}; drift
 * values are the JSON values as written (whitespace removed), so big
 * integers keep every digit.  Appends to out; -1 past out's cap.
 */
int golden_render_json(const struct golden_doc *base, const struct golden_doc *act,
		       const struct golden_opts *o, const struct golden_result *r, struct buf *out);

#endif
