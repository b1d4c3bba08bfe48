/*
 * promtext.c - a streaming parser for the Prometheus text exposition format.
 *
 * It walks the caller's buffer one line at a time (memchr for the newline),
 * classifies bytes through one table, and hands back samples whose names and
 * labels are slices of the input.  Nothing is allocated per sample: label
 * values that carry escapes are decoded into one scratch buffer sized for
 * the longest line, allocated the first time an escape shows up, and the
 * set of family names (to catch a second TYPE or HELP) grows once per
 * family.  Numbers take Clinger's fast path (an exact integer mantissa and a
 * power of ten that are both exactly representable) and fall back to
 * strtod() otherwise, so every value is correctly rounded.  Every read is
 * bounded by the end of the current line, itself bounded by the buffer.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promtext.h"
#include "xalloc.h"

/* Byte classes. */
#define C_NAME0	 0x01 /* may start a metric name: [a-zA-Z_:] */
#define C_NAME	 0x02 /* may continue a metric name: [a-zA-Z0-9_:] */
#define C_LAB0	 0x04 /* may start a label name: [a-zA-Z_] */
#define C_LAB	 0x08 /* may continue a label name: [a-zA-Z0-9_] */
#define C_BLANK	 0x10 /* space or tab */
#define C_VALEND 0x20 /* ends a quoted label value scan fast path: '"' '\\' */
#define C_TOKEND 0x40 /* ends a value token: blank */

static unsigned char cls[256];
static pthread_once_t cls_once = PTHREAD_ONCE_INIT;

static void
cls_fill(void)
{
	int c;

	for (c = 0; c < 256; c++) {
		unsigned char v = 0;
		int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
		int digit = c >= '0' && c <= '9';

		if (alpha || c == '_' || c == ':')
			v |= C_NAME0;
		if (alpha || digit || c == '_' || c == ':')
			v |= C_NAME;
		if (alpha || c == '_')
			v |= C_LAB0;
		if (alpha || digit || c == '_')
			v |= C_LAB;
		if (c == ' ' || c == '\t')
			v |= C_BLANK | C_TOKEND;
		if (c == '"' || c == '\\')
			v |= C_VALEND;
		cls[c] = v;
	}
}

static void
cls_init(void)
{
	pthread_once(&cls_once, cls_fill);
}

#define IS(c, m) (cls[(unsigned char)(c)] & (m))

/* The set of family names seen, for duplicate TYPE/HELP detection. */
struct promtext_famkey {
	const char *p;
	size_t len;
	unsigned char flags;
	unsigned char type;
};

#define FK_TYPE	   0x1
#define FK_HELP	   0x2
#define FK_SAMPLES 0x4

/* A multiply-mix hash over 8-byte words; names are short and hashed once per family. */
static uint64_t
hash_name(const char *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n, w;

	while (n >= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
		h ^= h >> 31;
		p += 8;
		n -= 8;
	}
	w = 0;
	memcpy(&w, p, n);
	h = (h ^ w) * 0x94d049bb133111ebull;
	return h ^ (h >> 29);
}

static struct promtext_famkey *
famset_find(struct promtext_famset *fs, const char *name, size_t len)
{
	size_t i, mask;

	if (!fs->cap)
		return NULL;
	mask = fs->cap - 1;
	for (i = hash_name(name, len) & mask;; i = (i + 1) & mask) {
		struct promtext_famkey *k = &fs->slots[i];

		if (!k->p)
			return NULL;
		if (k->len == len && memcmp(k->p, name, len) == 0)
			return k;
	}
}

/* Find or add; NULL when the family cap is reached.  Growing moves the slots. */
static struct promtext_famkey *
famset_get(struct promtext *pp, const char *name, size_t len)
{
	struct promtext_famset *fs = &pp->seen;
	struct promtext_famkey *k = famset_find(fs, name, len);
	size_t i, mask;

	if (k)
		return k;
	if (fs->n >= PROMTEXT_MAX_FAMILIES)
		return NULL;
	if ((fs->n + 1) * 2 > fs->cap) {
		struct promtext_famset nf;
		size_t j;

		nf.cap = fs->cap ? fs->cap * 2 : 32;
		nf.n = 0;
		nf.slots = xcalloc(nf.cap, sizeof(*nf.slots));
		for (j = 0; j < fs->cap; j++) {
			struct promtext_famkey *o = &fs->slots[j];

			if (!o->p)
				continue;
			mask = nf.cap - 1;
			for (i = hash_name(o->p, o->len) & mask; nf.slots[i].p; i = (i + 1) & mask)
				;
			nf.slots[i] = *o;
			nf.n++;
		}
		free(fs->slots);
		*fs = nf;
		pp->cur_key = (size_t)-1;
	}
	mask = fs->cap - 1;
	for (i = hash_name(name, len) & mask; fs->slots[i].p; i = (i + 1) & mask)
		;
	k = &fs->slots[i];
	k->p = name;
	k->len = len;
	k->flags = 0;
	k->type = PROM_UNTYPED;
	fs->n++;
	return k;
}

static const char *const type_names[] = {
    [PROM_UNTYPED] = "untyped", [PROM_COUNTER] = "counter",
    [PROM_GAUGE] = "gauge",	[PROM_HISTOGRAM] = "histogram",
    [PROM_SUMMARY] = "summary", [PROM_GAUGEHISTOGRAM] = "gaugehistogram",
    [PROM_INFO] = "info",	[PROM_STATESET] = "stateset",
};

const char *
prom_type_name(enum prom_type t)
{
	if ((unsigned)t >= sizeof(type_names) / sizeof(type_names[0]))
		return "untyped";
	return type_names[t];
}

/* TYPE keywords, "unknown" being OpenMetrics' name for untyped. */
static const struct {
	const char *name;
	size_t len;
	enum prom_type type;
} type_words[] = {
#define TW(w, t)                                                                                   \
	{                                                                                          \
		w, sizeof(w) - 1, t                                                                \
	}
    TW("counter", PROM_COUNTER),
    TW("gauge", PROM_GAUGE),
    TW("histogram", PROM_HISTOGRAM),
    TW("summary", PROM_SUMMARY),
    TW("untyped", PROM_UNTYPED),
    TW("unknown", PROM_UNTYPED),
    TW("gaugehistogram", PROM_GAUGEHISTOGRAM),
    TW("info", PROM_INFO),
    TW("stateset", PROM_STATESET),
#undef TW
};

/*
 * The sample-name suffixes each type allows after the family name ("" is
 * the bare name), with their lengths.  Terminated by a NULL suffix.
 */
struct sfx {
	const char *s;
	size_t len;
};
#define SFX(x)                                                                                     \
	{                                                                                          \
		x, sizeof(x) - 1                                                                   \
	}
static const struct sfx sfx_counter[] = {SFX(""), SFX("_total"), SFX("_created"), {NULL, 0}};
static const struct sfx sfx_plain[] = {SFX(""), {NULL, 0}};
static const struct sfx sfx_histogram[] = {
    SFX("_bucket"), SFX("_sum"), SFX("_count"), SFX("_created"), {NULL, 0}};
static const struct sfx sfx_summary[] = {
    SFX(""), SFX("_sum"), SFX("_count"), SFX("_created"), {NULL, 0}};
static const struct sfx sfx_gaugehist[] = {SFX("_bucket"), SFX("_gsum"), SFX("_gcount"), {NULL, 0}};
static const struct sfx sfx_info[] = {SFX("_info"), {NULL, 0}};

static const struct sfx *const type_sfx[] = {
    [PROM_UNTYPED] = sfx_plain,	  [PROM_COUNTER] = sfx_counter,
    [PROM_GAUGE] = sfx_plain,	  [PROM_HISTOGRAM] = sfx_histogram,
    [PROM_SUMMARY] = sfx_summary, [PROM_GAUGEHISTOGRAM] = sfx_gaugehist,
    [PROM_INFO] = sfx_info,	  [PROM_STATESET] = sfx_plain,
};

int
prom_str_eq(struct prom_str a, const char *s)
{
	size_t n = strlen(s);

	return a.len == n && memcmp(a.p, s, n) == 0;
}

const struct prom_str *
prom_sample_label(const struct prom_sample *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nlabels; i++)
		if (prom_str_eq(s->labels[i].name, name))
			return &s->labels[i].value;
	return NULL;
}

static const double pow10_exact[] = {
    1e0,  1e1,	1e2,  1e3,  1e4,  1e5,	1e6,  1e7,  1e8,  1e9,	1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static int
lower_eq(const char *p, size_t n, const char *word)
{
	size_t i;

	if (strlen(word) != n)
		return 0;
	for (i = 0; i < n; i++) {
		char c = p[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != word[i])
			return 0;
	}
	return 1;
}

/* strtod on a bounded copy; the token must be consumed whole. */
static int
slow_float(const char *s, size_t len, double *v)
{
	char small[128], *tmp = small, *end;
	int ret = -1;

	if (len >= sizeof(small))
		tmp = xmalloc(len + 1);
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	errno = 0;
	*v = strtod(tmp, &end);
	/*
	 * As Go's ParseFloat, which Prometheus uses: a literal too large for a
	 * double ("1e400") is an error, not +Inf; one too small to represent
	 * reads as 0 or a subnormal, which is what it is closest to.
	 */
	if (end == tmp + len && end != tmp && !(errno == ERANGE && isinf(*v)))
		ret = 0;
	if (tmp != small)
		free(tmp);
	return ret;
}

int
prom_parse_float(const char *s, size_t len, double *v)
{
	const char *p = s, *e = s + len;
	uint64_t m = 0;
	int neg = 0, nd = 0, ndigits = 0, exp10 = 0, trunc = 0;

	if (len == 0)
		return -1;
	if (*p == '+' || *p == '-') {
		neg = *p == '-';
		p++;
		if (p == e)
			return -1;
	}
	if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) {
		size_t n = (size_t)(e - p);

		if (lower_eq(p, n, "inf") || lower_eq(p, n, "infinity")) {
			*v = neg ? -INFINITY : INFINITY;
			return 0;
		}
		if (p == s && lower_eq(p, n, "nan")) {
			*v = NAN;
			return 0;
		}
		return -1;
	}
	/* Prometheus's text format has decimal numbers only (no "0x10"). */
	while (p < e && *p >= '0' && *p <= '9') {
		ndigits++;
		if (nd < 19) {
			m = m * 10 + (uint64_t)(*p - '0');
			if (m)
				nd++;
		} else {
			exp10++;
			trunc = 1;
		}
		p++;
	}
	if (p < e && *p == '.') {
		p++;
		while (p < e && *p >= '0' && *p <= '9') {
			ndigits++;
			if (nd < 19) {
				m = m * 10 + (uint64_t)(*p - '0');
				if (m)
					nd++;
				exp10--;
			} else {
				trunc = 1;
			}
			p++;
		}
	}
	if (!ndigits)
		return -1;
	if (p < e && (*p == 'e' || *p == 'E')) {
		int eneg = 0, ev = 0, edigits = 0;

		p++;
		if (p < e && (*p == '+' || *p == '-')) {
			eneg = *p == '-';
			p++;
		}
		while (p < e && *p >= '0' && *p <= '9') {
			if (ev < 100000)
				ev = ev * 10 + (*p - '0');
			edigits++;
			p++;
		}
		if (!edigits)
			return -1;
		exp10 += eneg ? -ev : ev;
	}
	if (p != e)
		return -1;
	if (!trunc && m < ((uint64_t)1 << 53) && exp10 >= -22 && exp10 <= 22) {
		double d = (double)m;

		d = exp10 < 0 ? d / pow10_exact[-exp10] : d * pow10_exact[exp10];
		*v = neg ? -d : d;
		return 0;
	}
	return slow_float(s, len, v);
}

static int
parse_int64(const char *s, size_t len, int64_t *out)
{
	const char *p = s, *e = s + len;
	uint64_t v = 0, lim;
	int neg = 0;

	if (p < e && (*p == '+' || *p == '-')) {
		neg = *p == '-';
		p++;
	}
	if (p == e)
		return -1;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; p < e; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if (v > (lim - (uint64_t)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

/* Whether [p, p+n) is valid UTF-8 (no overlongs, no surrogates). */
static int
utf8_valid(const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = p[i];
		size_t k;
		uint32_t cp;

		/* ASCII runs, eight bytes at a time. */
		while (n - i >= 8) {
			uint64_t w;

			memcpy(&w, p + i, 8);
			if (w & 0x8080808080808080ull)
				break;
			i += 8;
		}
		if (i >= n)
			break;
		c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			k = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (n - i <= k)
			return 0;
		for (size_t j = 1; j <= k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + j] & 0x3f);
		}
		if ((k == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (k == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		i += k + 1;
	}
	return 1;
}

void
promtext_init(struct promtext *p, const char *data, size_t len, const char *name, unsigned flags)
{
	cls_init();
	/* Not memset: labels[] and last_err are written before they are read. */
	memset(&p->fam, 0, sizeof(p->fam));
	memset(&p->seen, 0, sizeof(p->seen));
	p->line = 0;
	p->nsamples = p->nfamilies_with_samples = 0;
	p->eof_seen = p->done = p->failed = 0;
	p->fam_has_samples = p->fam_has_help_line = p->fam_has_type_line = p->fam_active = 0;
	p->scratch = p->help_store = NULL;
	p->scratch_len = p->scratch_cap = p->help_cap = 0;
	p->cur_key = (size_t)-1;
	p->data = data ? data : "";
	p->pos = p->data;
	p->end = p->data + (data ? len : 0);
	p->name = name ? name : "-";
	p->flags = flags;
	p->max_series = PROMTEXT_MAX_SERIES;
	memset(&p->hist, 0, sizeof(p->hist));
	p->warn = NULL;
	p->nwarn = 0;
}

void
promtext_release(struct promtext *p)
{
	if (p) {
		free(p->warn);
		p->warn = NULL;
	}
	if (!p)
		return;
	free(p->scratch);
	free(p->help_store);
	free(p->seen.slots);
	p->scratch = p->help_store = NULL;
	p->seen.slots = NULL;
	p->seen.cap = p->seen.n = 0;
	p->done = 1;
}

size_t
promtext_nsamples(const struct promtext *p)
{
	return p->nsamples;
}

int
promtext_saw_eof(const struct promtext *p)
{
	return p->eof_seen;
}

/* The position of the line being parsed, for errors. */
struct line {
	const char *start, *end;
};

static int
vfail(struct promtext *p, struct mm_err *err, const struct line *ln, const char *at,
      enum mm_errcode code, const char *fmt, va_list ap)
{
	unsigned long col = (unsigned long)(at - ln->start) + 1;
	char msg[MM_ERR_MSG_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	mm_errf_at(&p->last_err, code, p->name, p->line, col, "%s", msg);
	if (err)
		*err = p->last_err;
	p->failed = 1;
	p->done = 1;
	return -1;
}

/* A syntax error at byte at of line ln: MM_E_PARSE, "name:line:col: msg". */
__attribute__((format(printf, 5, 6))) static int
fail(struct promtext *p, struct mm_err *err, const struct line *ln, const char *at, const char *fmt,
     ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vfail(p, err, ln, at, MM_E_PARSE, fmt, ap);
	va_end(ap);
	return r;
}

/* A cap was hit: MM_E_LIMIT. */
__attribute__((format(printf, 5, 6))) static int
fail_limit(struct promtext *p, struct mm_err *err, const struct line *ln, const char *at,
	   const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vfail(p, err, ln, at, MM_E_LIMIT, fmt, ap);
	va_end(ap);
	return r;
}

static const char *
skip_blanks(const char *c, const char *e)
{
	while (c < e && IS(*c, C_BLANK))
		c++;
	return c;
}

/* A printable excerpt of a bad token for messages. */
static int
excerpt_len(const char *s, const char *e)
{
	size_t n = (size_t)(e - s);

	return n > 40 ? 40 : (int)n;
}

/*
 * Decode a quoted string's escapes from [s, e) into out; valid escapes are
 * \\ \" \n.  Returns the decoded length, or -1 with *bad at the backslash.
 */
static long
unescape(const char *s, const char *e, char *out, const char **bad)
{
	char *o = out;

	while (s < e) {
		if (*s != '\\') {
			*o++ = *s++;
			continue;
		}
		if (s + 1 >= e) {
			*bad = s;
			return -1;
		}
		switch (s[1]) {
		case '\\':
			*o++ = '\\';
			break;
		case '"':
			*o++ = '"';
			break;
		case 'n':
			*o++ = '\n';
			break;
		default:
			*bad = s;
			return -1;
		}
		s += 2;
	}
	return o - out;
}

static int
type_allows(enum prom_type t, const char *fam, size_t flen, const char *name, size_t nlen,
	    const char **suffix)
{
	const struct sfx *sx;

	if (nlen < flen || memcmp(name, fam, flen) != 0)
		return 0;
	for (sx = type_sfx[t]; sx->s; sx++) {
		if (nlen == flen + sx->len && memcmp(name + flen, sx->s, sx->len) == 0) {
			*suffix = sx->s;
			return 1;
		}
	}
	return 0;
}

/* A metric name at c; returns its end (== c when there is none). */
static const char *
scan_name(const char *c, const char *e)
{
	if (c >= e || !IS(*c, C_NAME0))
		return c;
	c++;
	while (c < e && IS(*c, C_NAME))
		c++;
	return c;
}

/* The set entry of the current family (found or added again after a rehash). */
static struct promtext_famkey *
cur_key(struct promtext *p)
{
	struct promtext_famkey *k;

	if (p->cur_key != (size_t)-1)
		return &p->seen.slots[p->cur_key];
	if (!p->fam_active || !(k = famset_get(p, p->fam.name.p, p->fam.name.len)))
		return NULL;
	p->cur_key = (size_t)(k - p->seen.slots);
	return k;
}

/* HELP, TYPE, UNIT and EOF lines; other comments are ignored. */
static int
comment_line(struct promtext *p, const struct line *ln, const char *c, struct mm_err *err)
{
	const char *e = ln->end, *kw, *kwe, *nm, *nme;
	struct promtext_famkey *fk;
	enum { K_HELP, K_TYPE, K_UNIT } kind;
	unsigned fkflag;

	c = skip_blanks(c + 1, e);
	kw = c;
	while (c < e && !IS(*c, C_BLANK))
		c++;
	kwe = c;
	if (kwe - kw == 3 && memcmp(kw, "EOF", 3) == 0) {
		if (skip_blanks(c, e) != e)
			return fail(p, err, ln, skip_blanks(c, e), "unexpected text after '# EOF'");
		p->eof_seen = 1;
		return 0;
	}
	if (kwe - kw == 4 && memcmp(kw, "HELP", 4) == 0)
		kind = K_HELP;
	else if (kwe - kw == 4 && memcmp(kw, "TYPE", 4) == 0)
		kind = K_TYPE;
	else if (kwe - kw == 4 && memcmp(kw, "UNIT", 4) == 0)
		kind = K_UNIT;
	else
		return 0; /* a plain comment */
	if (c == e || !IS(*c, C_BLANK))
		return fail(p, err, ln, c, "expected a metric name after '%.*s'", (int)(kwe - kw),
			    kw);
	nm = skip_blanks(c, e);
	nme = scan_name(nm, e);
	if (nme == nm)
		return fail(p, err, ln, nm, "invalid metric name in %.*s line", (int)(kwe - kw),
			    kw);
	if (nme < e && !IS(*nme, C_BLANK))
		return fail(p, err, ln, nme, "invalid character '%c' in metric name", *nme);
	c = skip_blanks(nme, e);

	/* Which family: the current one, or a new one. */
	if (!(p->fam_active && p->fam.name.len == (size_t)(nme - nm) &&
	      memcmp(p->fam.name.p, nm, p->fam.name.len) == 0)) {
		if (!(fk = famset_get(p, nm, (size_t)(nme - nm))))
			return fail_limit(p, err, ln, nm, "more than %zu metric families",
					  PROMTEXT_MAX_FAMILIES);
		if (kind == K_TYPE && (fk->flags & FK_TYPE))
			return fail(p, err, ln, nm, "second TYPE line for '%.*s'", (int)(nme - nm),
				    nm);
		if (kind == K_HELP && (fk->flags & FK_HELP))
			return fail(p, err, ln, nm, "second HELP line for '%.*s'", (int)(nme - nm),
				    nm);
		if (kind == K_TYPE && (fk->flags & FK_SAMPLES))
			return fail(p, err, ln, nm, "TYPE line for '%.*s' after its samples",
				    (int)(nme - nm), nm);
		memset(&p->fam, 0, sizeof(p->fam));
		p->cur_key = (size_t)(fk - p->seen.slots);
		p->fam.name.p = nm;
		p->fam.name.len = (size_t)(nme - nm);
		p->fam.type = (enum prom_type)fk->type;
		p->fam_active = 1;
		p->fam_has_samples = 0;
		p->fam_has_help_line = (fk->flags & FK_HELP) != 0;
		p->fam_has_type_line = (fk->flags & FK_TYPE) != 0;
	} else {
		if (kind == K_TYPE && p->fam_has_type_line)
			return fail(p, err, ln, nm, "second TYPE line for '%.*s'", (int)(nme - nm),
				    nm);
		if (kind == K_HELP && p->fam_has_help_line)
			return fail(p, err, ln, nm, "second HELP line for '%.*s'", (int)(nme - nm),
				    nm);
		if (kind == K_TYPE && p->fam_has_samples)
			return fail(p, err, ln, nm, "TYPE line for '%.*s' after its samples",
				    (int)(nme - nm), nm);
		fk = cur_key(p);
		if (!fk)
			return fail_limit(p, err, ln, nm, "more than %zu metric families",
					  PROMTEXT_MAX_FAMILIES);
	}

	fkflag = 0;
	if (kind == K_TYPE) {
		const char *t = c, *te;
		size_t i;

		while (c < e && !IS(*c, C_BLANK))
			c++;
		te = c;
		if (t == te)
			return fail(p, err, ln, t, "missing type in TYPE line");
		for (i = 0; i < sizeof(type_words) / sizeof(type_words[0]); i++)
			if (type_words[i].len == (size_t)(te - t) &&
			    memcmp(t, type_words[i].name, type_words[i].len) == 0)
				break;
		if (i == sizeof(type_words) / sizeof(type_words[0]))
			return fail(p, err, ln, t, "unknown metric type '%.*s'", excerpt_len(t, te),
				    t);
		if (skip_blanks(c, e) != e)
			return fail(p, err, ln, skip_blanks(c, e),
				    "unexpected text after the type");
		p->fam.type = type_words[i].type;
		p->fam_has_type_line = 1;
		fk->type = (unsigned char)p->fam.type;
		fkflag = FK_TYPE;
	} else if (kind == K_HELP) {
		const char *bs = memchr(c, '\\', (size_t)(e - c));

		if (!bs) {
			p->fam.help.p = c;
			p->fam.help.len = (size_t)(e - c);
		} else {
			const char *bad = NULL;
			long n;

			if (!p->help_store)
				p->help_store = xmalloc(PROMTEXT_MAX_LINE + 1);
			n = unescape(c, e, p->help_store, &bad);
			if (n < 0)
				return fail(p, err, ln, bad,
					    "invalid escape sequence '%.*s' in HELP",
					    bad + 1 < e ? 2 : 1, bad);
			p->fam.help.p = p->help_store;
			p->fam.help.len = (size_t)n;
		}
		if (!utf8_valid((const unsigned char *)p->fam.help.p, p->fam.help.len))
			return fail(p, err, ln, c, "HELP text is not valid UTF-8");
		p->fam_has_help_line = 1;
		fkflag = FK_HELP;
	} else {
		const char *u = c;

		while (c < e && IS(*c, C_LAB))
			c++;
		if (skip_blanks(c, e) != e)
			return fail(p, err, ln, skip_blanks(c, e), "invalid unit in UNIT line");
		p->fam.unit.p = u;
		p->fam.unit.len = (size_t)(c - u);
	}
	fk->flags |= (unsigned char)fkflag;
	return 0;
}

/* The label set starting after '{' at c; returns the position after '}' or NULL. */
static const char *
parse_labels(struct promtext *p, const struct line *ln, const char *c, size_t *nlabels,
	     struct mm_err *err)
{
	const char *e = ln->end;
	size_t n = 0, i;

	p->scratch_len = 0;
	for (;;) {
		const char *ln0, *lne, *v0;
		unsigned acc = 0;
		struct prom_label *lab;

		c = skip_blanks(c, e);
		if (c < e && *c == '}') {
			c++;
			break;
		}
		if (c >= e || !IS(*c, C_LAB0)) {
			fail(p, err, ln, c,
			     c < e ? "invalid label name" : "unterminated label set");
			return NULL;
		}
		ln0 = c++;
		while (c < e && IS(*c, C_LAB))
			c++;
		lne = c;
		if (c < e && IS(*c, C_NAME) && !IS(*c, C_LAB)) {
			fail(p, err, ln, c, "invalid character '%c' in label name", *c);
			return NULL;
		}
		c = skip_blanks(c, e);
		if (c >= e || *c != '=') {
			fail(p, err, ln, c, "expected '=' after label name '%.*s'",
			     excerpt_len(ln0, lne), ln0);
			return NULL;
		}
		c = skip_blanks(c + 1, e);
		if (c >= e || *c != '"') {
			fail(p, err, ln, c, "expected '\"' to open the value of label '%.*s'",
			     excerpt_len(ln0, lne), ln0);
			return NULL;
		}
		v0 = ++c;
		while (c < e && !IS(*c, C_VALEND))
			acc |= (unsigned char)*c++;
		if (n >= PROMTEXT_MAX_LABELS) {
			fail_limit(p, err, ln, ln0, "more than %d labels", PROMTEXT_MAX_LABELS);
			return NULL;
		}
		lab = &p->labels[n];
		lab->name.p = ln0;
		lab->name.len = (size_t)(lne - ln0);
		if (c < e && *c == '"') {
			lab->value.p = v0;
			lab->value.len = (size_t)(c - v0);
		} else if (c < e) {
			/* A backslash: find the real closing quote, then decode. */
			const char *q = c, *bad = NULL;
			long dn;

			while (q < e && *q != '"') {
				if (*q == '\\')
					q++;
				if (q < e)
					acc |= (unsigned char)*q++;
			}
			if (q >= e) {
				fail(p, err, ln, v0 - 1, "unterminated label value");
				return NULL;
			}
			if (!p->scratch) {
				p->scratch = xmalloc(PROMTEXT_MAX_LINE + 1);
				p->scratch_cap = PROMTEXT_MAX_LINE + 1;
			}
			dn = unescape(v0, q, p->scratch + p->scratch_len, &bad);
			if (dn < 0) {
				fail(p, err, ln, bad,
				     "invalid escape sequence '%.*s' in label value",
				     bad + 1 < e ? 2 : 1, bad);
				return NULL;
			}
			lab->value.p = p->scratch + p->scratch_len;
			lab->value.len = (size_t)dn;
			p->scratch_len += (size_t)dn;
			c = q;
		} else {
			fail(p, err, ln, v0 - 1, "unterminated label value");
			return NULL;
		}
		if ((acc & 0x80) &&
		    !utf8_valid((const unsigned char *)lab->value.p, lab->value.len)) {
			fail(p, err, ln, v0, "label value is not valid UTF-8");
			return NULL;
		}
		c++; /* the closing quote */
		for (i = 0; i < n; i++) {
			if (p->labels[i].name.len == lab->name.len &&
			    memcmp(p->labels[i].name.p, lab->name.p, lab->name.len) == 0) {
				fail(p, err, ln, ln0, "duplicate label name '%.*s'",
				     excerpt_len(ln0, lne), ln0);
				return NULL;
			}
		}
		n++;
		c = skip_blanks(c, e);
		if (c < e && *c == ',') {
			c++;
			continue;
		}
		if (c < e && *c == '}') {
			c++;
			break;
		}
		fail(p, err, ln, c,
		     c < e ? "expected ',' or '}' after a label" : "unterminated label set");
		return NULL;
	}
	*nlabels = n;
	return c;
}

/* ---- semantic rules ---- */

/*
 * A semantic rule broken at line:col: an error with PROMTEXT_OPENMETRICS
 * (-1, the parser is done), a warning otherwise (0).
 */
__attribute__((format(printf, 5, 6))) static int
violation(struct promtext *p, struct mm_err *err, unsigned long line, unsigned long col,
	  const char *fmt, ...)
{
	char msg[MM_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->flags & PROMTEXT_OPENMETRICS) {
		mm_errf_at(&p->last_err, MM_E_PARSE, p->name, line, col, "%s", msg);
		if (err)
			*err = p->last_err;
		p->failed = 1;
		p->done = 1;
		return -1;
	}
	if (p->nwarn < PROMTEXT_MAX_WARNINGS) {
		if (!p->warn)
			p->warn = xcalloc(PROMTEXT_MAX_WARNINGS, sizeof(*p->warn));
		mm_errf_at(&p->warn[p->nwarn], MM_E_PARSE, p->name, line, col, "%s", msg);
	}
	p->nwarn++;
	return 0;
}

size_t
promtext_nwarnings(const struct promtext *p)
{
	return p->nwarn;
}

const struct mm_err *
promtext_warning(const struct promtext *p, size_t i)
{
	return i < p->nwarn && i < PROMTEXT_MAX_WARNINGS ? &p->warn[i] : NULL;
}

/* FNV-1a over the sample name and its labels but skip (a histogram series' identity). */
static uint64_t
series_key(const char *nm, size_t nlen, const struct prom_label *l, size_t nl, const char *skip)
{
	uint64_t h = 1469598103934665603ull;
	size_t i, k;

#define MIX(p_, n_)                                                                                \
	for (k = 0; k < (n_); k++)                                                                 \
		h = (h ^ (unsigned char)(p_)[k]) * 1099511628211ull;                               \
	h = (h ^ 0xff) * 1099511628211ull
	MIX(nm, nlen);
	for (i = 0; i < nl; i++) {
		if (prom_str_eq(l[i].name, skip))
			continue;
		MIX(l[i].name.p, l[i].name.len);
		MIX(l[i].value.p, l[i].value.len);
	}
#undef MIX
	return h;
}

/* The histogram series being read has ended: it must have had a +Inf bucket. */
static int
hist_finish(struct promtext *p, struct mm_err *err)
{
	struct promtext_hist *h = &p->hist;

	if (!h->active)
		return 0;
	h->active = 0;
	if (!h->inf_seen)
		return violation(p, err, h->line, 1, "histogram series '%.*s' has no +Inf bucket",
				 excerpt_len(h->name, h->name + h->name_len), h->name);
	return 0;
}

/*
 * The semantic rules for one sample whose value text starts at v.  lab is
 * the index of its le (bucket) or quantile (summary) label and d that
 * label's value, or -1.
 */
static int
check_sample(struct promtext *p, const struct line *ln, const char *nm, size_t nlen,
	     const char *suffix, size_t nlabels, int lab, double d, const char *v, double val,
	     struct mm_err *err)
{
	enum prom_type t = p->fam.type;
	int bucket = lab >= 0 && (t == PROM_HISTOGRAM || t == PROM_GAUGEHISTOGRAM);
	unsigned long vcol = (unsigned long)(v - ln->start) + 1;
	struct promtext_hist *h = &p->hist;
	const struct prom_label *l;
	const char *a, *b;
	int nm_len = (int)(nlen > 40 ? 40 : nlen), same;
	uint64_t key;

	if (!bucket) {
		if (h->active && hist_finish(p, err) < 0)
			return -1;
		if (suffix[0] == '_' && suffix[1] == 'c' && suffix[2] == 'r')
			return 0; /* _created */
		if (t == PROM_COUNTER && (isnan(val) || val < 0))
			return violation(p, err, p->line, vcol, "counter '%.*s' has a %s value",
					 nm_len, nm, isnan(val) ? "NaN" : "negative");
		if (t == PROM_SUMMARY && lab >= 0 && !(d >= 0 && d <= 1)) {
			l = &p->labels[lab];
			return violation(p, err, p->line,
					 (unsigned long)(l->name.p - ln->start) + 1,
					 "summary quantile %.*s of '%.*s' is outside [0, 1]",
					 excerpt_len(l->value.p, l->value.p + l->value.len),
					 l->value.p, nm_len, nm);
		}
		return 0;
	}
	/*
	 * Same series as the last bucket?  The fast way: the line's text but
	 * the le label is the same (Go and Python clients write every bucket
	 * of a series alike).  Otherwise its name and labels but le, hashed.
	 */
	l = &p->labels[lab];
	a = l->name.p;
	b = l->value.p >= ln->start && l->value.p < ln->end ? l->value.p + l->value.len + 1 : NULL;
	same = h->active && b && h->b && (size_t)(a - nm) == h->alen &&
	       (size_t)(v - b) == h->blen && memcmp(nm, h->a, h->alen) == 0 &&
	       memcmp(b, h->b, h->blen) == 0;
	if (!same) {
		key = series_key(nm, nlen, p->labels, nlabels, "le");
		same = h->active && h->key == key;
		if (!same) {
			if (hist_finish(p, err) < 0)
				return -1;
			memset(h, 0, sizeof(*h));
			h->active = 1;
			h->key = key;
			h->name = nm;
			h->name_len = nlen;
			h->le = -INFINITY;
			h->count = 0;
		}
		h->a = nm;
		h->alen = (size_t)(a - nm);
		h->b = b;
		h->blen = b ? (size_t)(v - b) : 0;
	} else if (!(d > h->le)) {
		if (violation(p, err, p->line, 1,
			      "histogram '%.*s': bucket le=\"%.*s\" after le=%g (out of order)",
			      nm_len, nm, excerpt_len(l->value.p, l->value.p + l->value.len),
			      l->value.p, h->le) < 0)
			return -1;
	} else if (val < h->count) {
		if (violation(
			p, err, p->line, vcol,
			"histogram '%.*s': cumulative count %g at le=\"%.*s\" is below %g at le=%g",
			nm_len, nm, val, excerpt_len(l->value.p, l->value.p + l->value.len),
			l->value.p, h->count, h->le) < 0)
			return -1;
	}
	/* A warning does not stop the reading: the series goes on from here. */
	h->line = p->line;
	if (isinf(d) && d > 0)
		h->inf_seen = 1;
	if (d > h->le)
		h->le = d;
	if (isnan(val) || val < 0)
		return violation(p, err, p->line, vcol, "histogram '%.*s': bucket count is %s",
				 nm_len, nm, isnan(val) ? "NaN" : "negative");
	h->count = val;
	return 0;
}

/* Move to the family the sample name belongs to, starting a new one if needed. */
static int
assign_family(struct promtext *p, const struct line *ln, const char *nm, size_t nlen,
	      const char **suffix, struct mm_err *err)
{
	struct promtext_famkey *fk;

	if (p->fam_active &&
	    type_allows(p->fam.type, p->fam.name.p, p->fam.name.len, nm, nlen, suffix))
		goto have;
	if (p->fam_active && p->fam.name.len == nlen && memcmp(p->fam.name.p, nm, nlen) == 0)
		return fail(p, err, ln, nm, "sample '%.*s' does not fit %s family '%.*s'",
			    excerpt_len(nm, nm + nlen), nm, prom_type_name(p->fam.type),
			    excerpt_len(nm, nm + nlen), nm);
	if (!(fk = famset_get(p, nm, nlen)))
		return fail_limit(p, err, ln, nm, "more than %zu metric families",
				  PROMTEXT_MAX_FAMILIES);
	memset(&p->fam, 0, sizeof(p->fam));
	p->cur_key = (size_t)(fk - p->seen.slots);
	p->fam.name.p = nm;
	p->fam.name.len = nlen;
	p->fam.type = PROM_UNTYPED;
	/* A typed family seen before under this exact name keeps its type if it fits. */
	if (fk->type != PROM_UNTYPED &&
	    type_allows((enum prom_type)fk->type, nm, nlen, nm, nlen, suffix))
		p->fam.type = (enum prom_type)fk->type;
	*suffix = "";
	p->fam_active = 1;
	p->fam_has_samples = 0;
	p->fam_has_help_line = (fk->flags & FK_HELP) != 0;
	p->fam_has_type_line = (fk->flags & FK_TYPE) != 0;
have:
	if (!p->fam_has_samples) {
		p->fam_has_samples = 1;
		p->fam.index = p->nfamilies_with_samples++;
		if ((fk = cur_key(p)))
			fk->flags |= FK_SAMPLES;
	}
	return 0;
}

static int
sample_line(struct promtext *p, const struct line *ln, const char *c, struct prom_sample *s,
	    struct mm_err *err)
{
	const char *e = ln->end, *nm = c, *nme, *v, *ve, *suffix = "";
	size_t nlabels = 0;
	int lab = -1;	/* index of the le or quantile label */
	double d = NAN; /* its value */

	nme = scan_name(c, e);
	if (nme == nm)
		return fail(p, err, ln, c, "invalid metric name");
	c = nme;
	if (c < e && !IS(*c, C_BLANK) && *c != '{')
		return fail(p, err, ln, c, "invalid character '%c' in metric name", *c);
	c = skip_blanks(c, e);
	if (c < e && *c == '{') {
		if (!(c = parse_labels(p, ln, c + 1, &nlabels, err)))
			return -1;
		c = skip_blanks(c, e);
	}
	if (c >= e)
		return fail(p, err, ln, c, "missing value for '%.*s'", excerpt_len(nm, nme), nm);
	v = c;
	while (c < e && !IS(*c, C_TOKEND))
		c++;
	ve = c;
	if (prom_parse_float(v, (size_t)(ve - v), &s->value) < 0)
		return fail(p, err, ln, v, "invalid value '%.*s'", excerpt_len(v, ve), v);
	s->has_timestamp = 0;
	s->timestamp_ms = 0;
	c = skip_blanks(c, e);
	if (c < e && *c != '#') {
		const char *t = c;

		while (c < e && !IS(*c, C_TOKEND))
			c++;
		if (p->flags & PROMTEXT_OPENMETRICS) {
			double ts;

			if (prom_parse_float(t, (size_t)(c - t), &ts) < 0 || !isfinite(ts) ||
			    fabs(ts) > 9.2e15)
				return fail(p, err, ln, t, "invalid timestamp '%.*s'",
					    excerpt_len(t, c), t);
			s->timestamp_ms = (int64_t)llround(ts * 1000.0);
		} else if (parse_int64(t, (size_t)(c - t), &s->timestamp_ms) < 0) {
			return fail(p, err, ln, t, "invalid timestamp '%.*s'", excerpt_len(t, c),
				    t);
		}
		s->has_timestamp = 1;
		c = skip_blanks(c, e);
	}
	if (c < e) {
		/* Only an exemplar may follow: "# {labels} value [ts]", skipped. */
		const char *x = skip_blanks(c + 1, e);

		if (*c != '#' || x == c + 1 || x >= e || *x != '{')
			return fail(p, err, ln, c, "unexpected text after the value");
	}
	if (p->nsamples >= p->max_series)
		return fail_limit(p, err, ln, nm, "more than %zu samples", p->max_series);
	if (assign_family(p, ln, nm, (size_t)(nme - nm), &suffix, err) < 0)
		return -1;
	/* Histogram buckets need a numeric le; summary quantiles a numeric quantile. */
	if (p->fam.type == PROM_HISTOGRAM || p->fam.type == PROM_GAUGEHISTOGRAM ||
	    p->fam.type == PROM_SUMMARY) {
		const char *need = NULL;
		size_t i;

		if (strcmp(suffix, "_bucket") == 0)
			need = "le";
		else if (p->fam.type == PROM_SUMMARY && suffix[0] == '\0')
			need = "quantile";
		if (need) {
			for (i = 0; i < nlabels; i++)
				if (prom_str_eq(p->labels[i].name, need))
					break;
			if (i == nlabels)
				return fail(p, err, ln, nm, "%s sample '%.*s' without a '%s' label",
					    prom_type_name(p->fam.type), excerpt_len(nm, nme), nm,
					    need);
			lab = (int)i;
			if (prom_parse_float(p->labels[i].value.p, p->labels[i].value.len, &d) < 0)
				return fail(
				    p, err, ln, p->labels[i].name.p,
				    "label '%s' is not a number: '%.*s'", need,
				    excerpt_len(p->labels[i].value.p,
						p->labels[i].value.p + p->labels[i].value.len),
				    p->labels[i].value.p);
		}
	}
	if (check_sample(p, ln, nm, (size_t)(nme - nm), suffix, nlabels, lab, d, v, s->value, err) <
	    0)
		return -1;
	/*
	 * A creation timestamp is not a value of the family: summed with the
	 * counter or read as a bucket it would be wrong, so it is checked and
	 * then skipped (the caller never sees it).
	 */
	if (suffix[0] == '_' && suffix[1] == 'c' && suffix[2] == 'r')
		return 2; /* "_created": no other suffix starts so */
	s->family = &p->fam;
	s->name.p = nm;
	s->name.len = (size_t)(nme - nm);
	s->labels = p->labels;
	s->nlabels = nlabels;
	s->line = p->line;
	p->nsamples++;
	return 1;
}

int
promtext_next(struct promtext *p, struct prom_sample *s, struct mm_err *err)
{
	if (p->failed) {
		if (err)
			*err = p->last_err;
		return -1;
	}
	while (!p->done) {
		struct line ln;
		int r;
		const char *nl, *c;

		if (p->pos >= p->end) {
			p->done = 1;
			break;
		}
		ln.start = p->pos;
		nl = memchr(p->pos, '\n', (size_t)(p->end - p->pos));
		ln.end = nl ? nl : p->end;
		p->pos = nl ? nl + 1 : p->end;
		p->line++;
		if (ln.end > ln.start && ln.end[-1] == '\r')
			ln.end--;
		if ((size_t)(ln.end - ln.start) > PROMTEXT_MAX_LINE)
			return fail_limit(p, err, &ln, ln.start + PROMTEXT_MAX_LINE,
					  "line longer than %zu bytes", PROMTEXT_MAX_LINE);
		c = skip_blanks(ln.start, ln.end);
		if (c == ln.end)
			continue;
		if (p->eof_seen)
			return fail(p, err, &ln, c, "content after '# EOF'");
		if (*c == '#')
			r = comment_line(p, &ln, c, err);
		else
			r = sample_line(p, &ln, c, s, err);
		if (r < 0)
			return -1;
		/*
		 * A body cut short ends inside a line: "b 23" cut to "b 2" must not
		 * read as b = 2.  Every line ends with a newline, as Prometheus
		 * requires; only "# EOF" may end the input without one.
		 */
		if (!nl && !p->eof_seen)
			return fail(p, err, &ln, ln.end,
				    "the last line has no newline: the input is truncated");
		if (r == 1)
			return 1;
		/* a comment, or a _created sample (skipped) */
	}
	if (!p->failed && hist_finish(p, err) < 0)
		return -1;
	if ((p->flags & PROMTEXT_OPENMETRICS) && !p->eof_seen && !p->failed) {
		struct line ln = {p->end, p->end};

		/* the end is the start of the line after the last (line 1 when empty) */
		if (p->line == 0 || (p->end > p->data && p->end[-1] == '\n'))
			p->line++;
		return fail(
		    p, err, &ln, p->end,
		    "no '# EOF': an OpenMetrics exposition that does not end with it is truncated");
	}
	return 0;
}

int
promtext_parse(const char *data, size_t len, const char *name, unsigned flags, promtext_cb cb,
	       void *ctx, struct mm_err *err)
{
	struct promtext p;
	struct prom_sample s;
	int r, ret = 0;

	promtext_init(&p, data, len, name, flags);
	while ((r = promtext_next(&p, &s, err)) == 1) {
		if (cb && cb(&s, ctx) != 0) {
			ret = 1;
			break;
		}
	}
	if (r < 0)
		ret = -1;
	promtext_release(&p);
	return ret;
}
