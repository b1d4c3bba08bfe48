/*
 * promtext.h - the Prometheus text exposition parser (format 0.0.4, plus
 * what Go and Python clients emit as OpenMetrics text: "# EOF", "# UNIT",
 * _created series, exemplars, which are skipped).
 *
 * Every scrape, soak and watcher self-check goes through this one parser.
 * It streams over a caller-owned buffer: promtext_next() hands out one sample
 * at a time with names and labels as borrowed slices, and allocates nothing
 * per sample (label values with escapes are decoded into a scratch buffer
 * the parser owns; a small table of family names grows once per family).
 *
 * Grammar accepted (one line each, '\n' or "\r\n" terminated, blanks are
 * spaces or tabs):
 *   # HELP name text           text: escapes \\ \n (and \" as OpenMetrics does)
 *   # TYPE name type           counter gauge histogram summary untyped, and the
 *                              OpenMetrics unknown gaugehistogram info stateset
 *   # UNIT name unit           OpenMetrics; recorded on the family
 *   # EOF                      end of the exposition; only blank lines may follow
 *   # anything else            a comment, ignored
 *   name[{l="v",...}] value [timestamp] [# {exemplar labels} value [ts]]
 * name [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*, label
 * values quoted with escapes \\ \" \n; a trailing comma in the label set is
 * allowed.  Values are Go ParseFloat style: decimal or exponent, NaN, Inf,
 * +Inf, -Inf (case-insensitive).  Timestamps are integer milliseconds, or
 * with PROMTEXT_OPENMETRICS float seconds.
 *
 * Checked, with "name:line:col: reason" errors (MM_E_PARSE, or MM_E_LIMIT
 * for the caps): syntax, bad escapes, duplicate label names in a sample, a
 * second HELP or TYPE for a family, a TYPE after the family's samples, a
 * sample name that does not fit its family's type (histogram: _bucket,
 * _sum, _count, _created; summary: name, _sum, _count, _created; counter:
 * name, _total, _created...), a histogram _bucket without a numeric "le", a
 * summary quantile sample without a numeric "quantile", content after
 * "# EOF", a last line without its newline (a truncated body: only "# EOF"
 * may end the input without one), values Prometheus refuses (hexadecimal,
 * literals too large for a double), and with PROMTEXT_OPENMETRICS input
 * that does not end with "# EOF".
 *
 * Semantic rules (errors with PROMTEXT_OPENMETRICS, warnings otherwise,
 * see promtext_warning()): a counter's value NaN or negative; a histogram
 * series without a +Inf bucket, with buckets out of le order, or with
 * cumulative counts that decrease, or a bucket count NaN or negative; a
 * summary quantile outside [0, 1].  A histogram series is the consecutive
 * _bucket lines with the same name and labels but le.
 *
 * _created samples (of counters, histograms, summaries) are checked and
 * then skipped: a creation timestamp is no value of its family.  No input
 * makes the parser crash or read outside [data, data+len).
 */
#ifndef MM_PROMTEXT_H
#define MM_PROMTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define PROMTEXT_MAX_LINE     ((size_t)1 << 16) /* bytes per line, 64 KiB */
#define PROMTEXT_MAX_LABELS   64		/* labels per sample */
#define PROMTEXT_MAX_SERIES   ((size_t)1 << 21) /* samples per scrape, 2,097,152 */
#define PROMTEXT_MAX_FAMILIES ((size_t)1 << 18) /* distinct family names, 262,144 */
#define PROMTEXT_MAX_WARNINGS 16		/* warnings kept (all are counted) */

/* Flags for promtext_init(). */
#define PROMTEXT_OPENMETRICS 0x1u /* timestamps are float seconds (OpenMetrics) */

enum prom_type {
	PROM_UNTYPED = 0, /* also OpenMetrics "unknown" */
	PROM_COUNTER,
	PROM_GAUGE,
	PROM_HISTOGRAM,
	PROM_SUMMARY,
	PROM_GAUGEHISTOGRAM,
	PROM_INFO,
	PROM_STATESET,
};

/* A borrowed, not NUL-terminated piece of text. */
struct prom_str {
	const char *p;
	size_t len;
};

struct prom_label {
	struct prom_str name;  /* points into the input */
	struct prom_str value; /* unescaped: into the input, or the parser's scratch */
};

struct prom_family {
	struct prom_str name; /* from TYPE/HELP, or the sample name for an implicit family */
	enum prom_type type;  /* PROM_UNTYPED without a TYPE line */
	struct prom_str help; /* unescaped; len 0 when there is no HELP */
	struct prom_str unit; /* OpenMetrics UNIT; len 0 when none */
	size_t index;	      /* 0-based ordinal among families that have samples */
};

/*
 * One sample.  Lifetime: name and label names point into the caller's input
 * and live as long as it does; label values, the family and the labels
 * array live until the next promtext_next() call or promtext_release().
 * Copy what you keep.
 */
struct prom_sample {
	const struct prom_family *family;
	struct prom_str name; /* "mm_tick_latency_seconds_bucket" */
	const struct prom_label *labels;
	size_t nlabels;
	double value;
	int has_timestamp;
	int64_t timestamp_ms;
	unsigned long line; /* 1-based line of the sample */
};

/* The parser.  Fields are private; it lives on the caller's stack. */
struct promtext {
	const char *data, *end, *pos;
	const char *name;
	unsigned flags;
	unsigned long line;
	size_t nsamples;
	size_t nfamilies_with_samples;
	int eof_seen;
	int done;
	struct prom_family fam; /* the current family */
	int fam_has_samples;
	int fam_has_help_line;
	int fam_has_type_line;
	int fam_active; /* fam describes something (TYPE/HELP or samples) */
	struct prom_label labels[PROMTEXT_MAX_LABELS];
	char *scratch; /* decoded escapes of the current sample / family */
	size_t scratch_len, scratch_cap;
	char *help_store; /* decoded HELP of the current family */
	size_t help_cap;
	struct promtext_famset { /* every family name seen: catches second TYPE/HELP */
		struct promtext_famkey *slots;
		size_t cap, n;
	} seen;
	size_t cur_key;	       /* slot of fam in seen, or (size_t)-1 */
	size_t max_series;     /* PROMTEXT_MAX_SERIES; may be lowered after init */
	struct promtext_hist { /* the histogram series whose buckets are being read */
		uint64_t key;  /* its name and labels but le */
		int active, inf_seen;
		double le, count; /* of its last bucket */
		const char *name; /* its sample name, in the input */
		size_t name_len;
		const char *a, *b; /* its last bucket's text before and after the le label */
		size_t alen, blen;
		unsigned long line; /* of its last bucket */
	} hist;
	struct mm_err *warn; /* the first PROMTEXT_MAX_WARNINGS warnings; NULL until one */
	size_t nwarn;	     /* warnings in all */
	int failed;
	struct mm_err last_err; /* repeated by calls after a failure */
};

/*
 * Start parsing len bytes at data (not necessarily NUL-terminated), named
 * name in errors ("http://x/metrics", "-", a file name).  data and name are
 * borrowed and must outlive the parser.  flags: PROMTEXT_OPENMETRICS or 0.
 */
void promtext_init(struct promtext *p, const char *data, size_t len, const char *name,
		   unsigned flags);

/*
 * The next sample: 1 and *s filled, 0 at the end of input (or "# EOF"),
 * -1 and err on the first error (the parser is then done; further calls
 * return -1 with the same kind of error).
 */
int promtext_next(struct promtext *p, struct prom_sample *s, struct mm_err *err);

/* Free what the parser allocated.  Accepts NULL.  Borrowed slices die here. */
void promtext_release(struct promtext *p);

/*
 * Warnings: semantic rules of OpenMetrics broken in 0.0.4 input, where the
 * format does not forbid them but a value computed from them would be
 * wrong (with PROMTEXT_OPENMETRICS they are errors).  promtext_nwarnings()
 * counts them all; promtext_warning() returns the i-th for i below
 * PROMTEXT_MAX_WARNINGS (and below the count), else NULL.  Valid until
 * promtext_release().
 */
size_t promtext_nwarnings(const struct promtext *p);
const struct mm_err *promtext_warning(const struct promtext *p, size_t i);

/* Samples returned so far; and whether "# EOF" was seen. */
size_t promtext_nsamples(const struct promtext *p);
int promtext_saw_eof(const struct promtext *p);

/*
 * Callback form: parse everything, calling cb for each sample; cb returns 0
 * to go on, non-zero to stop early (promtext_parse then returns 1).
 * Returns 0 at the end, -1 and err on an error.
 */
typedef int (*promtext_cb)(const struct prom_sample *s, void *ctx);
int promtext_parse(const char *data, size_t len, const char *name, unsigned flags, promtext_cb cb,
		   void *ctx, struct mm_err *err);

/* The value of label name in s, or NULL. */
const struct prom_str *prom_sample_label(const struct prom_sample *s, const char *name);

/* Whether a equals the C string s. */
int prom_str_eq(struct prom_str a, const char *s);

/* "counter", "gauge", ... ("untyped" for PROM_UNTYPED). */
const char *prom_type_name(enum prom_type t);

/*
 * Parse a Prometheus float ("1.5e3", "NaN", "+Inf", "-inf") of exactly len
 * bytes; 0 and *v, or -1.  Exposed for the label value of "le"/"quantile".
 */
int prom_parse_float(const char *s, size_t len, double *v);

#endif
