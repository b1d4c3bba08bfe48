/*
 * jsontree.h - jansson helpers shared by every command.
 *
 * Loading refuses duplicate keys and NaN/Infinity and reports
 * "file:line:col: what"; dumping is the project's one canonical form:
 * sorted keys, two-space indent, a trailing newline, so machine outputs are
 * byte-for-byte reproducible.  Every real is written in the shortest form
 * that reads back to the same double (at most 17 significant digits, in
 * jansson's spelling: "0.1", "2.0", "1e300", "-0.0"), so a number survives
 * a report, a checkpoint or a golden baseline exactly.
 */
#ifndef MM_JSONX_H
#define MM_JSONX_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"

#define JSONTREE_MAX_FILE ((size_t)1 << 30) /* 1 GiB: the most any JSON input may be */

/*
 * Parse len bytes named name (used in the error position).  Duplicate keys
 * are an error.  Returns a new reference or NULL and err (MM_E_PARSE, with
 * name:line:col).
 */
json_t *jsontree_loadb(const char *data, size_t len, const char *name, struct mm_err *err);

/* Read and parse a file ("-" is stdin); MM_E_IO when it cannot be read. */
json_t *jsontree_load_file(const char *path, struct mm_err *err);

#define JSONTREE_REAL_MAX 32 /* bytes jsontree_format_real() may need, NUL included */

/*
 * The shortest decimal text that strtod() reads back as v exactly, spelt as
 * jansson spells a real ("0.1", "2.0", "1e300", "-0.0"); "null" for NaN and
 * infinities.  Writes at most n bytes (JSONTREE_REAL_MAX is always enough);
 * returns the length.
 */
size_t jsontree_format_real(double v, char *out, size_t n);

/*
 * Append the canonical text of j to b (compact: one line without a newline;
 * else indent 2 and a trailing newline).  -1 when b's cap was hit.
 */
int jsontree_dump_buf(const json_t *j, struct buf *b, int compact);

/* Canonical text of j: sorted keys, indent 2, trailing newline.  Caller frees. */
char *jsontree_dumps(const json_t *j);

/* One line, sorted keys, no trailing newline (for JSON lines).  Caller frees. */
char *jsontree_dumps_compact(const json_t *j);

/* Write the canonical text of j to path atomically (atomicfile_write_atomic). */
int jsontree_write_file(const char *path, const json_t *j, struct mm_err *err);

/* A new {"tool":"mmops","version":MMOPS_VERSION} object. */
json_t *jsontree_tool_meta(void);

/* Borrowed lookups that return a fallback when the key is absent or of another type. */
const char *jsontree_str(const json_t *obj, const char *key, const char *dflt);
double jsontree_num(const json_t *obj, const char *key, double dflt);
int jsontree_bool(const json_t *obj, const char *key, int dflt);

/* A JSON number for v, or null when v is NaN or infinite (JSON has neither). */
json_t *jsontree_real(double v);

#endif
