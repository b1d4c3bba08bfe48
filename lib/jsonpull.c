/*
 * jsonpull.c - the strict pull scanner behind golden compare (see
 * jsonpull.h).  It never builds a tree: values are validated where they lie
 * and handed back as spans.  The hot loops are strings (eight bytes at a
 * time while they hold nothing but printable ASCII) and whitespace (eight
 * spaces at a time, for pretty-printed reports); everything else is a plain
 * byte-at-a-time state machine.  Per open container the scanner keeps one
 * level: whether a member was read yet and, for objects, the keys seen so
 * far for the duplicate check - a linear scan for small objects, a hash
 * table once an object passes JSONPULL_LINEAR_KEYS keys.  Levels are reused
 * from object to object, so a steady scan allocates nothing.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonpull.h"
#include "xalloc.h"

#define JSONPULL_LINEAR_KEYS 16	  /* up to this many keys: no hash table */
#define JSONPULL_KEEP_TABLE  1024 /* bigger tables are freed when their object ends */
#define CHUNK_MIN	     4096

/* Decoded keys that had escapes live in chunks that never move. */
struct chunk {
	struct chunk *next;
	size_t used, cap;
	char data[];
};

struct keyent {
	const char *s;
	uint32_t len;
	uint32_t hash;
};

struct jsonpull_level {
	unsigned char kind;   /* '{' or '[' */
	unsigned char first;  /* no member read yet */
	unsigned char hashed; /* keys are in tab */
	uint64_t bloom;	      /* small objects: one bit per key, to skip most scans */
	struct keyent *keys;
	size_t nkeys, akeys;
	uint32_t *tab; /* index + 1 into keys, 0 = empty */
	size_t tabsz;  /* power of two */
	struct chunk *arena;
};

static const uint64_t ONES = 0x0101010101010101ULL;
static const uint64_t HIGHS = 0x8080808080808080ULL;

static inline uint64_t
load64(const unsigned char *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

static inline uint64_t
has_zero(uint64_t v)
{
	return (v - ONES) & ~v & HIGHS;
}

/* Nonzero when one of the 8 bytes needs a closer look inside a string:
 * '"', '\\', a control character or a byte >= 0x80. */
static inline uint64_t
str_special(uint64_t w)
{
	return ((w - ONES * 0x20) & ~w & HIGHS) | has_zero(w ^ (ONES * '"')) |
	       has_zero(w ^ (ONES * '\\')) | (w & HIGHS);
}

static const unsigned char ws_tab[256] = {
    [' '] = 1,
    ['\t'] = 1,
    ['\n'] = 1,
    ['\r'] = 1,
};

static inline const unsigned char *
skip_ws(const unsigned char *p, const unsigned char *end)
{
	while (p < end && ws_tab[*p]) {
		/* Indentation: jump over a run of spaces a word at a time. */
		if (*p == ' ' && end - p >= 8) {
			uint64_t x = load64(p) ^ (ONES * ' ');

			if (x) {
				p += __builtin_ctzll(x) >> 3;
				continue;
			}
			p += 8;
			continue;
		}
		p++;
	}
	return p;
}

void
jsonpull_position(const char *buf, size_t len, size_t off, unsigned long *line, unsigned long *col)
{
	const unsigned char *p = (const unsigned char *)buf;
	unsigned long l = 1, c = 1;
	size_t i;

	if (off > len)
		off = len;
	for (i = 0; i < off; i++) {
		if (p[i] == '\n') {
			l++;
			c = 1;
		} else if ((p[i] & 0xC0) != 0x80) {
			c++;
		}
	}
	*line = l;
	*col = c;
}

static int fail_at(struct jsonpull *s, const unsigned char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail_at(struct jsonpull *s, const unsigned char *at, const char *fmt, ...)
{
	unsigned long line, col;
	char msg[MM_ERR_MSG_MAX];
	va_list ap;

	if (!s->err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	jsonpull_position((const char *)s->buf, (size_t)(s->end - s->buf), (size_t)(at - s->buf),
			  &line, &col);
	return mm_errf_at(s->err, MM_E_PARSE, s->name, line, col, "%s", msg);
}

/* Describe the byte at p for an error message ("'x'", "byte 0x01", "end of input"). */
static const char *
describe(const struct jsonpull *s, const unsigned char *p, char *tmp, size_t n)
{
	if (p >= s->end)
		return "end of input";
	if (*p >= 0x21 && *p < 0x7f)
		snprintf(tmp, n, "'%c'", *p);
	else
		snprintf(tmp, n, "byte 0x%02x", *p);
	return tmp;
}

void
jsonpull_init(struct jsonpull *s, const char *buf, size_t len, const char *name, struct mm_err *err)
{
	memset(s, 0, sizeof(*s));
	s->buf = (const unsigned char *)(buf ? buf : "");
	s->p = s->buf;
	s->end = s->buf + (buf ? len : 0);
	s->name = name;
	s->err = err;
}

static void
chunks_free(struct chunk *c)
{
	while (c) {
		struct chunk *n = c->next;

		free(c);
		c = n;
	}
}

void
jsonpull_release(struct jsonpull *s)
{
	unsigned i;

	if (!s)
		return;
	for (i = 0; i < s->nlevels; i++) {
		free(s->levels[i].keys);
		free(s->levels[i].tab);
		chunks_free(s->levels[i].arena);
	}
	free(s->levels);
	s->levels = NULL;
	s->nlevels = 0;
}

size_t
jsonpull_tell(const struct jsonpull *s)
{
	return (size_t)(s->p - s->buf);
}

void
jsonpull_seek(struct jsonpull *s, size_t off)
{
	s->p = s->buf + off;
}

/* ---- strings ---- */

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Four hex digits at p (p + 4 <= end checked by the caller); -1 if not hex. */
static long
hex4(const unsigned char *p)
{
	long v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		int h = hexval(p[i]);

		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/* Length of the valid UTF-8 sequence at p (lead byte >= 0x80), or 0. */
static size_t
utf8_seq(const unsigned char *p, const unsigned char *end)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xBF;
	size_t n, i;

	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4;
	else
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F; /* no UTF-16 surrogates */
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F; /* nothing past U+10FFFF */
	if ((size_t)(end - p) < n)
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	return n;
}

/*
 * Scan the string whose opening quote is at p.  On success returns the
 * position after the closing quote and sets *escaped; NULL after filling the
 * error.
 */
static const unsigned char *
scan_string(struct jsonpull *s, const unsigned char *p, int *escaped)
{
	const unsigned char *end = s->end;
	const unsigned char *open = p;
	int esc = 0;

	p++;
	for (;;) {
		/* The lowest flagged byte of a word is exact (borrows only run upward). */
		while (end - p >= 8) {
			uint64_t m = str_special(load64(p));

			if (m) {
				p += __builtin_ctzll(m) >> 3;
				break;
			}
			p += 8;
		}
		if (p >= end)
			return fail_at(s, open, "unterminated string"), NULL;
		unsigned char c = *p;

		if (c == '"') {
			*escaped = esc;
			return p + 1;
		}
		if (c == '\\') {
			esc = 1;
			if (end - p < 2)
				return fail_at(s, open, "unterminated string"), NULL;
			switch (p[1]) {
			case '"':
			case '\\':
			case '/':
			case 'b':
			case 'f':
			case 'n':
			case 'r':
			case 't':
				p += 2;
				continue;
			case 'u':
				break;
			default: {
				char tmp[16];

				return fail_at(s, p, "invalid escape '\\%s' in string",
					       p[1] >= 0x21 && p[1] < 0x7f
						   ? (snprintf(tmp, sizeof(tmp), "%c", p[1]), tmp)
						   : "?"),
				       NULL;
			}
			}
			long u = end - p >= 6 ? hex4(p + 2) : -1;

			if (u < 0)
				return fail_at(s, p, "invalid \\u escape (needs four hex digits)"),
				       NULL;
			if (u >= 0xDC00 && u <= 0xDFFF)
				return fail_at(s, p, "lone low surrogate '\\u%04lx' in string", u),
				       NULL;
			if (u >= 0xD800 && u <= 0xDBFF) {
				long lo = -1;

				if (end - p >= 12 && p[6] == '\\' && p[7] == 'u')
					lo = hex4(p + 8);
				if (lo < 0xDC00 || lo > 0xDFFF)
					return fail_at(s, p,
						       "lone high surrogate '\\u%04lx' in string",
						       u),
					       NULL;
				p += 12;
			} else {
				p += 6;
			}
			continue;
		}
		if (c < 0x20)
			return fail_at(s, p, "control character 0x%02x in string (escape it)", c),
			       NULL;
		if (c < 0x80) {
			p++;
			continue;
		}
		size_t n = utf8_seq(p, end);

		if (!n)
			return fail_at(s, p, "invalid UTF-8 byte 0x%02x in string", c), NULL;
		p += n;
	}
}

static size_t
put_utf8(char *out, unsigned long cp)
{
	unsigned char *o = (unsigned char *)out;

	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xC0 | (cp >> 6));
		o[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xE0 | (cp >> 12));
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (unsigned char)(0xF0 | (cp >> 18));
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

size_t
jsonpull_unescape(const char *raw, size_t rawlen, char *out)
{
	const unsigned char *p = (const unsigned char *)raw, *end = p + rawlen;
	size_t n = 0;

	while (p < end) {
		const unsigned char *bs = memchr(p, '\\', (size_t)(end - p));
		size_t run = bs ? (size_t)(bs - p) : (size_t)(end - p);

		memcpy(out + n, p, run);
		n += run;
		p += run;
		if (p >= end || end - p < 2)
			break;
		switch (p[1]) {
		case 'b':
			out[n++] = '\b';
			break;
		case 'f':
			out[n++] = '\f';
			break;
		case 'n':
			out[n++] = '\n';
			break;
		case 'r':
			out[n++] = '\r';
			break;
		case 't':
			out[n++] = '\t';
			break;
		case 'u': {
			unsigned long cp = end - p >= 6 ? (unsigned long)hex4(p + 2) : 0xFFFD;

			if (cp >= 0xD800 && cp <= 0xDBFF && end - p >= 12) {
				unsigned long lo = (unsigned long)hex4(p + 8);

				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				p += 6;
			}
			n += put_utf8(out + n, cp);
			p += 6;
			continue;
		}
		default:
			out[n++] = (char)p[1];
			break;
		}
		p += 2;
	}
	return n;
}

/* ---- numbers and literals ---- */

static inline int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static const unsigned char *
scan_number(struct jsonpull *s, const unsigned char *p, int *integer)
{
	const unsigned char *end = s->end, *start = p;
	char tmp[16];

	*integer = 1;
	if (p < end && *p == '-')
		p++;
	if (p >= end || !is_digit(*p)) {
		if (end - p >= 8 && memcmp(p, "Infinity", 8) == 0)
			return fail_at(s, start,
				       "'-Infinity' is not valid JSON (numbers must be finite)"),
			       NULL;
		return fail_at(s, p, "expected a digit after '-', got %s",
			       describe(s, p, tmp, sizeof(tmp))),
		       NULL;
	}
	if (*p == '0') {
		p++;
		if (p < end && is_digit(*p))
			return fail_at(s, start, "leading zero in number"), NULL;
	} else {
		while (p < end && is_digit(*p))
			p++;
	}
	if (p < end && *p == '.') {
		*integer = 0;
		p++;
		if (p >= end || !is_digit(*p))
			return fail_at(s, p, "expected a digit after '.', got %s",
				       describe(s, p, tmp, sizeof(tmp))),
			       NULL;
		while (p < end && is_digit(*p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		*integer = 0;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || !is_digit(*p))
			return fail_at(s, p, "expected a digit in the exponent, got %s",
				       describe(s, p, tmp, sizeof(tmp))),
			       NULL;
		while (p < end && is_digit(*p))
			p++;
	}
	return p;
}

/* The words people write where JSON has none: named in the error. */
static const char *const non_json_words[] = {"NaN",	  "Infinity", "nan",  "inf",
					     "undefined", "None",     "True", "False"};

static int
bad_value(struct jsonpull *s, const unsigned char *p)
{
	char tmp[16];
	size_t i;

	if (p >= s->end)
		return fail_at(s, p, "unexpected end of input (expected a value)");
	for (i = 0; i < sizeof(non_json_words) / sizeof(non_json_words[0]); i++) {
		size_t n = strlen(non_json_words[i]);

		if ((size_t)(s->end - p) >= n && memcmp(p, non_json_words[i], n) == 0) {
			if (i < 4)
				return fail_at(s, p,
					       "'%s' is not valid JSON (numbers must be finite)",
					       non_json_words[i]);
			return fail_at(s, p, "'%s' is not valid JSON", non_json_words[i]);
		}
	}
	if (p + 3 <= s->end && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
		return fail_at(s, p, "byte order mark is not allowed in JSON");
	return fail_at(s, p, "expected a value, got %s", describe(s, p, tmp, sizeof(tmp)));
}

static const enum jsonpull_type first_type[256] = {
    ['{'] = JSONPULL_OBJECT, ['['] = JSONPULL_ARRAY,  ['"'] = JSONPULL_STRING,
    ['-'] = JSONPULL_NUMBER, ['0'] = JSONPULL_NUMBER, ['1'] = JSONPULL_NUMBER,
    ['2'] = JSONPULL_NUMBER, ['3'] = JSONPULL_NUMBER, ['4'] = JSONPULL_NUMBER,
    ['5'] = JSONPULL_NUMBER, ['6'] = JSONPULL_NUMBER, ['7'] = JSONPULL_NUMBER,
    ['8'] = JSONPULL_NUMBER, ['9'] = JSONPULL_NUMBER, ['t'] = JSONPULL_TRUE,
    ['f'] = JSONPULL_FALSE,  ['n'] = JSONPULL_NULL,
};

enum jsonpull_type
jsonpull_peek(struct jsonpull *s)
{
	const unsigned char *p = skip_ws(s->p, s->end);
	enum jsonpull_type t;

	s->p = p;
	if (p >= s->end || (t = first_type[*p]) == JSONPULL_ERROR) {
		bad_value(s, p);
		return JSONPULL_ERROR;
	}
	return t;
}

int
jsonpull_scalar(struct jsonpull *s, struct jsonpull_tok *tok)
{
	const unsigned char *p = skip_ws(s->p, s->end), *q;
	enum jsonpull_type t = p < s->end ? first_type[*p] : JSONPULL_ERROR;

	tok->type = t;
	tok->off = (size_t)(p - s->buf);
	tok->escaped = 0;
	tok->integer = 0;
	switch (t) {
	case JSONPULL_STRING:
		q = scan_string(s, p, &tok->escaped);
		break;
	case JSONPULL_NUMBER:
		q = scan_number(s, p, &tok->integer);
		break;
	case JSONPULL_TRUE:
		q = s->end - p >= 4 && memcmp(p, "true", 4) == 0 ? p + 4 : NULL;
		goto literal;
	case JSONPULL_FALSE:
		q = s->end - p >= 5 && memcmp(p, "false", 5) == 0 ? p + 5 : NULL;
		goto literal;
	case JSONPULL_NULL:
		q = s->end - p >= 4 && memcmp(p, "null", 4) == 0 ? p + 4 : NULL;
	literal:
		if (!q)
			bad_value(s, p);
		break;
	case JSONPULL_ARRAY:
	case JSONPULL_OBJECT:
		return fail_at(s, p, "expected a scalar, got %s",
			       t == JSONPULL_ARRAY ? "an array" : "an object");
	default:
		return bad_value(s, p);
	}
	if (!q)
		return -1;
	tok->len = (size_t)(q - p);
	s->p = q;
	return 0;
}

/* ---- containers ---- */

int
jsonpull_begin(struct jsonpull *s)
{
	const unsigned char *p = skip_ws(s->p, s->end);
	struct jsonpull_level *lv;

	if (p >= s->end || (*p != '{' && *p != '['))
		return bad_value(s, p);
	if (s->depth >= JSONPULL_MAX_DEPTH)
		return fail_at(s, p, "nesting deeper than %d arrays and objects",
			       JSONPULL_MAX_DEPTH);
	if (s->depth == s->nlevels) {
		unsigned n = s->nlevels ? s->nlevels * 2 : 16;

		if (n > JSONPULL_MAX_DEPTH)
			n = JSONPULL_MAX_DEPTH;
		s->levels = xreallocarray(s->levels, n, sizeof(*s->levels));
		memset(s->levels + s->nlevels, 0, (n - s->nlevels) * sizeof(*s->levels));
		s->nlevels = n;
	}
	lv = &s->levels[s->depth++];
	lv->kind = *p;
	lv->first = 1;
	if (*p == '{') {
		lv->nkeys = 0;
		lv->bloom = 0;
		if (lv->hashed) {
			if (lv->tabsz > JSONPULL_KEEP_TABLE) {
				free(lv->tab);
				lv->tab = NULL;
				lv->tabsz = 0;
			} else {
				memset(lv->tab, 0, lv->tabsz * sizeof(*lv->tab));
			}
			lv->hashed = 0;
		}
		if (lv->arena) {
			chunks_free(lv->arena->next);
			lv->arena->next = NULL;
			lv->arena->used = 0;
		}
	}
	s->p = p + 1;
	return 0;
}

static uint32_t
key_hash(const char *k, size_t n)
{
	uint64_t h = 0x9E3779B97F4A7C15ULL ^ n;
	const unsigned char *p = (const unsigned char *)k;

	while (n >= 8) {
		h = (h ^ load64(p)) * 0xFF51AFD7ED558CCDULL;
		h ^= h >> 32;
		p += 8;
		n -= 8;
	}
	if (n) {
		uint64_t w = 0;

		memcpy(&w, p, n);
		h = (h ^ w) * 0xC4CEB9FE1A85EC53ULL;
		h ^= h >> 29;
	}
	return (uint32_t)(h ^ (h >> 32));
}

/* Index + 1 of the key equal to (k, n, h) in the table, or 0. */
static size_t
tab_find(const struct jsonpull_level *lv, const char *k, size_t n, uint32_t h, size_t *slot)
{
	size_t mask = lv->tabsz - 1, j = h & mask;

	while (lv->tab[j]) {
		const struct keyent *o = &lv->keys[lv->tab[j] - 1];

		if (o->hash == h && o->len == n && memcmp(o->s, k, n) == 0)
			return lv->tab[j];
		j = (j + 1) & mask;
	}
	*slot = j;
	return 0;
}

/* Size the table for want keys and put every key of the level in it. */
static void
tab_rebuild(struct jsonpull_level *lv, size_t want)
{
	size_t i, sz = 64, slot;

	while (sz < want * 2)
		sz *= 2;
	if (sz != lv->tabsz) {
		free(lv->tab);
		lv->tab = xcalloc(sz, sizeof(*lv->tab));
		lv->tabsz = sz;
	} else {
		memset(lv->tab, 0, sz * sizeof(*lv->tab));
	}
	for (i = 0; i < lv->nkeys; i++) {
		const struct keyent *k = &lv->keys[i];

		if (!tab_find(lv, k->s, k->len, k->hash, &slot))
			lv->tab[slot] = (uint32_t)(i + 1);
	}
}

static void
key_append(struct jsonpull_level *lv, const char *k, size_t n, uint32_t h)
{
	if (lv->nkeys == lv->akeys) {
		lv->akeys = lv->akeys ? lv->akeys * 2 : 16;
		lv->keys = xreallocarray(lv->keys, lv->akeys, sizeof(*lv->keys));
	}
	lv->keys[lv->nkeys].s = k;
	lv->keys[lv->nkeys].len = (uint32_t)n;
	lv->keys[lv->nkeys].hash = h;
	lv->nkeys++;
}

/* Remember key k of the open object; 1 if it was already there. */
static int
key_add(struct jsonpull_level *lv, const char *k, size_t n)
{
	size_t i, slot;
	uint32_t h;

	if (!lv->hashed) {
		uint64_t bit = (uint64_t)1
			       << ((n ? (unsigned char)k[0] * 7u + (unsigned char)k[n - 1] * 13u + n
				      : 0) &
				   63);

		if (lv->bloom & bit) {
			for (i = 0; i < lv->nkeys; i++)
				if (lv->keys[i].len == n && memcmp(lv->keys[i].s, k, n) == 0)
					return 1;
		}
		lv->bloom |= bit;
		if (lv->nkeys < JSONPULL_LINEAR_KEYS) {
			key_append(lv, k, n, 0);
			return 0;
		}
		/* A big object: from now on, a hash table. */
		for (i = 0; i < lv->nkeys; i++)
			lv->keys[i].hash = key_hash(lv->keys[i].s, lv->keys[i].len);
		key_append(lv, k, n, key_hash(k, n));
		tab_rebuild(lv, lv->nkeys);
		lv->hashed = 1;
		return 0;
	}
	h = key_hash(k, n);
	if (tab_find(lv, k, n, h, &slot))
		return 1;
	key_append(lv, k, n, h);
	if (lv->nkeys * 2 > lv->tabsz)
		tab_rebuild(lv, lv->nkeys);
	else
		lv->tab[slot] = (uint32_t)lv->nkeys;
	return 0;
}

/* Room for n bytes of decoded key that stays put until the level is reused. */
static char *
arena_alloc(struct jsonpull_level *lv, size_t n)
{
	struct chunk *c = lv->arena;

	if (!c || c->cap - c->used < n) {
		size_t cap = n > CHUNK_MIN ? n : CHUNK_MIN;
		struct chunk *nc = xmalloc(sizeof(*nc) + cap);

		nc->used = 0;
		nc->cap = cap;
		if (!c) {
			nc->next = NULL;
			lv->arena = nc;
		} else {
			/* keep the first chunk first: it is the one kept on reuse */
			nc->next = c->next;
			c->next = nc;
		}
		c = nc;
	}
	c->used += n;
	return c->data + c->used - n;
}

static int
expect_after(struct jsonpull *s, const unsigned char *p, const char *what)
{
	char tmp[16];

	return fail_at(s, p, "expected %s, got %s", what, describe(s, p, tmp, sizeof(tmp)));
}

int
jsonpull_obj_next(struct jsonpull *s, struct jsonpull_key *key)
{
	struct jsonpull_level *lv = &s->levels[s->depth - 1];
	const unsigned char *p = skip_ws(s->p, s->end), *q;
	int escaped;

	if (p < s->end && *p == '}') {
		s->depth--;
		s->p = p + 1;
		return 0;
	}
	if (lv->first) {
		lv->first = 0;
	} else {
		if (p >= s->end || *p != ',')
			return expect_after(s, p, "',' or '}' after an object member");
		p = skip_ws(p + 1, s->end);
	}
	if (p >= s->end || *p != '"') {
		if (p < s->end && *p == '}')
			return fail_at(s, p, "trailing comma before '}'");
		return expect_after(s, p, "a string key");
	}
	q = scan_string(s, p, &escaped);
	if (!q)
		return -1;
	if (!escaped) {
		key->s = (const char *)p + 1;
		key->len = (size_t)(q - p - 2);
	} else {
		char *d = arena_alloc(lv, (size_t)(q - p - 2));

		key->s = d;
		key->len = jsonpull_unescape((const char *)p + 1, (size_t)(q - p - 2), d);
	}
	if (key_add(lv, key->s, key->len)) {
		char shown[64];
		size_t n = key->len < 40 ? key->len : 40;
		size_t i;

		for (i = 0; i < n; i++)
			shown[i] = (key->s[i] >= 0x20 && key->s[i] != 0x7f) ? key->s[i] : '?';
		shown[n] = '\0';
		return fail_at(s, p, "duplicate key '%s%s'", shown, key->len > n ? "..." : "");
	}
	q = skip_ws(q, s->end);
	if (q >= s->end || *q != ':')
		return expect_after(s, q, "':' after an object key");
	s->p = q + 1;
	return 1;
}

int
jsonpull_arr_next(struct jsonpull *s)
{
	struct jsonpull_level *lv = &s->levels[s->depth - 1];
	const unsigned char *p = skip_ws(s->p, s->end);

	if (p < s->end && *p == ']') {
		s->depth--;
		s->p = p + 1;
		return 0;
	}
	if (lv->first) {
		lv->first = 0;
		s->p = p;
		return 1;
	}
	if (p >= s->end || *p != ',')
		return expect_after(s, p, "',' or ']' after an array element");
	p = skip_ws(p + 1, s->end);
	if (p < s->end && *p == ']')
		return fail_at(s, p, "trailing comma before ']'");
	s->p = p;
	return 1;
}

int
jsonpull_skip(struct jsonpull *s, struct jsonpull_tok *tok)
{
	enum jsonpull_type t = jsonpull_peek(s);
	struct jsonpull_tok tmp;
	struct jsonpull_key key;
	unsigned base;
	size_t off;
	int r;

	if (!tok)
		tok = &tmp;
	if (t == JSONPULL_ERROR)
		return -1;
	if (t != JSONPULL_ARRAY && t != JSONPULL_OBJECT)
		return jsonpull_scalar(s, tok);
	/* Containers iteratively: no recursion on hostile nesting. */
	off = jsonpull_tell(s);
	base = s->depth;
	if (jsonpull_begin(s) < 0)
		return -1;
	while (s->depth > base) {
		if (s->levels[s->depth - 1].kind == '{')
			r = jsonpull_obj_next(s, &key);
		else
			r = jsonpull_arr_next(s);
		if (r < 0)
			return -1;
		if (r == 0)
			continue;
		t = jsonpull_peek(s);
		if (t == JSONPULL_ERROR)
			return -1;
		if (t == JSONPULL_ARRAY || t == JSONPULL_OBJECT)
			r = jsonpull_begin(s);
		else
			r = jsonpull_scalar(s, &tmp);
		if (r < 0)
			return -1;
	}
	tok->type = s->buf[off] == '{' ? JSONPULL_OBJECT : JSONPULL_ARRAY;
	tok->off = off;
	tok->len = jsonpull_tell(s) - off;
	tok->escaped = 0;
	tok->integer = 0;
	return 0;
}

/* Past the string whose opening quote is at p, or NULL when it never ends. */
static const unsigned char *
lazy_string(const unsigned char *p, const unsigned char *end)
{
	p++;
	for (;;) {
		while (end - p >= 8) {
			uint64_t w = load64(p);
			uint64_t m = has_zero(w ^ (ONES * '"')) | has_zero(w ^ (ONES * '\\'));

			if (m) {
				p += __builtin_ctzll(m) >> 3;
				break;
			}
			p += 8;
		}
		if (p >= end)
			return NULL;
		if (*p == '"')
			return p + 1;
		if (*p == '\\' && end - p < 2)
			return NULL;
		p += *p == '\\' ? 2 : 1;
	}
}

/*
 * Past the array or object opening at p, counting brackets outside strings,
 * or NULL when it never closes.  '[' and '{' are 0x5B and 0x7B, ']' and '}'
 * 0x5D and 0x7D: with bit 0x20 set, one compare finds either of a pair.
 */
static const unsigned char *
lazy_container(const unsigned char *p, const unsigned char *end)
{
	size_t depth = 0;

	for (;;) {
		while (end - p >= 8) {
			uint64_t w = load64(p), v = w | (ONES * 0x20);
			uint64_t m = has_zero(v ^ (ONES * 0x7B)) | has_zero(v ^ (ONES * 0x7D)) |
				     has_zero(w ^ (ONES * '"'));

			if (m) {
				p += __builtin_ctzll(m) >> 3;
				break;
			}
			p += 8;
		}
		if (p >= end)
			return NULL;
		switch (*p) {
		case '"':
			if (!(p = lazy_string(p, end)))
				return NULL;
			continue;
		case '[':
		case '{':
			depth++;
			break;
		case ']':
		case '}':
			if (--depth == 0)
				return p + 1;
			break;
		default:
			break;
		}
		p++;
	}
}

int
jsonpull_skip_lazy(struct jsonpull *s, struct jsonpull_tok *tok)
{
	enum jsonpull_type t = jsonpull_peek(s);
	const unsigned char *p = s->p, *end = s->end, *q;

	if (t == JSONPULL_ERROR)
		return -1;
	if (t != JSONPULL_STRING && t != JSONPULL_ARRAY && t != JSONPULL_OBJECT)
		return jsonpull_scalar(s, tok);
	q = t == JSONPULL_STRING ? lazy_string(p, end) : lazy_container(p, end);
	if (!q)
		return fail_at(s, end, "unexpected end of input (unterminated %s)",
			       t == JSONPULL_STRING  ? "string"
			       : t == JSONPULL_ARRAY ? "array"
						     : "object");
	tok->type = t;
	tok->off = (size_t)(p - s->buf);
	tok->len = (size_t)(q - p);
	tok->escaped = 0;
	tok->integer = 0;
	s->p = q;
	return 0;
}

int
jsonpull_finish(struct jsonpull *s)
{
	const unsigned char *p = skip_ws(s->p, s->end);

	s->p = p;
	if (p < s->end)
		return fail_at(s, p, "trailing data after the JSON document");
	return 0;
}

int
jsonpull_validate(const char *buf, size_t len, const char *name, struct mm_err *err)
{
	struct jsonpull s;
	int r;

	jsonpull_init(&s, buf, len, name, err);
	r = jsonpull_skip(&s, NULL);
	if (r == 0)
		r = jsonpull_finish(&s);
	jsonpull_release(&s);
	return r;
}

/* ---- output helpers ---- */

int
jsonpull_compact(const char *buf, size_t len, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)buf, *end = p + len;

	while (p < end) {
		const unsigned char *q = p;

		if (ws_tab[*p]) {
			p++;
			continue;
		}
		if (*p == '"') {
			q++;
			while (q < end && *q != '"')
				q += *q == '\\' ? 2 : 1;
			q++;
			if (q > end)
				q = end;
		} else {
			while (q < end && !ws_tab[*q] && *q != '"')
				q++;
		}
		if (buf_add(out, p, (size_t)(q - p)) < 0)
			return -1;
		p = q;
	}
	return 0;
}

int
jsonpull_escape(const char *str, size_t len, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)str, *end = p + len;
	static const char hex[] = "0123456789ABCDEF"; /* as jansson writes \u001F */

	while (p < end) {
		const unsigned char *q = p;
		char e[8];

		while (q < end && *q >= 0x20 && *q < 0x80 && *q != '"' && *q != '\\')
			q++;
		if (q > p && buf_add(out, p, (size_t)(q - p)) < 0)
			return -1;
		p = q;
		if (p >= end)
			break;
		if (*p >= 0x80) {
			size_t n = utf8_seq(p, end);

			if (n) {
				if (buf_add(out, p, n) < 0)
					return -1;
				p += n;
			} else {
				if (buf_adds(out, "\\ufffd") < 0)
					return -1;
				p++;
			}
			continue;
		}
		switch (*p) {
		case '"':
			memcpy(e, "\\\"", 3);
			break;
		case '\\':
			memcpy(e, "\\\\", 3);
			break;
		case '\n':
			memcpy(e, "\\n", 3);
			break;
		case '\r':
			memcpy(e, "\\r", 3);
			break;
		case '\t':
			memcpy(e, "\\t", 3);
			break;
		case '\b':
			memcpy(e, "\\b", 3);
			break;
		case '\f':
			memcpy(e, "\\f", 3);
			break;
		default:
			e[0] = '\\';
			e[1] = 'u';
			e[2] = '0';
			e[3] = '0';
			e[4] = hex[*p >> 4];
			e[5] = hex[*p & 15];
			e[6] = '\0';
			break;
		}
		if (buf_adds(out, e) < 0)
			return -1;
		p++;
	}
	return 0;
}

int
jsonpull_quote(const char *str, size_t len, struct buf *out)
{
	if (buf_addc(out, '"') < 0 || jsonpull_escape(str, len, out) < 0)
		return -1;
	return buf_addc(out, '"');
}
