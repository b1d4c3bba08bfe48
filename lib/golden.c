/*
 * golden.c - golden compare: walk the baseline and the actual document side
 * by side with two jsonpull scanners and record every drift (see golden.h
 * for the rules).  The walk is recursive over containers, in lockstep while
 * the two documents have the same shape; an object whose keys diverge is
 * finished by key: the actual document's remaining members are collected
 * (key and value span, found by a lazy skip) into a hash table, then the
 * baseline's members are read in order and each is compared with its
 * namesake by seeking the actual document's scanner to it, so every value is
 * still validated once.  The current path is a stack of segments; a drift's
 * pointer text is only built when a drift is kept.  Ignore patterns are
 * tracked as a bit mask per depth of the patterns still matching the path,
 * so a document with no ignore pointers pays nothing for them.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "golden.h"
#include "jsonpull.h"
#include "xalloc.h"

#ifndef MMOPS_VERSION
#define MMOPS_VERSION "unknown"
#endif

static const char *const kind_names[GOLDEN_NKINDS] = {
    [GOLDEN_VALUE] = "value", [GOLDEN_TYPE] = "type",	  [GOLDEN_MISSING] = "missing",
    [GOLDEN_EXTRA] = "extra", [GOLDEN_LENGTH] = "length",
};

/* The JSON type of each scanner type: true and false are both booleans. */
static const unsigned char json_type[] = {
    [JSONPULL_ERROR] = 0,  [JSONPULL_NULL] = 1,	  [JSONPULL_FALSE] = 2, [JSONPULL_TRUE] = 2,
    [JSONPULL_NUMBER] = 3, [JSONPULL_STRING] = 4, [JSONPULL_ARRAY] = 5, [JSONPULL_OBJECT] = 6,
};

const char *
golden_kind_name(enum golden_kind k)
{
	return (unsigned)k < GOLDEN_NKINDS ? kind_names[k] : "?";
}

void
golden_opts_init(struct golden_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->tolerance = GOLDEN_DEFAULT_TOLERANCE;
	o->max_drifts = GOLDEN_DEFAULT_MAX_DRIFTS;
}

/* ---- ignore patterns ---- */

struct pseg {
	char *s; /* unescaped */
	size_t len;
	int wild;	 /* exactly "*" */
	long long index; /* the array index it names, or -1 */
};

struct pattern {
	struct pseg *segs;
	size_t n;
};

static void
patterns_free(struct pattern *p, size_t n)
{
	size_t i, j;

	for (i = 0; p && i < n; i++) {
		for (j = 0; j < p[i].n; j++)
			free(p[i].segs[j].s);
		free(p[i].segs);
	}
	free(p);
}

/* Split an RFC 6901 pointer into unescaped segments. */
static int
pattern_parse(const char *ptr, struct pattern *pat, struct mm_err *err)
{
	const char *p = ptr;

	pat->segs = NULL;
	pat->n = 0;
	if (*p && *p != '/')
		return mm_errf(err, MM_E_USAGE,
			       "--ignore: a JSON Pointer starts with '/' (or is empty): '%s'", ptr);
	while (*p == '/') {
		const char *q = ++p;
		struct pseg *sg;
		size_t i, n;

		while (*q && *q != '/')
			q++;
		pat->segs = xreallocarray(pat->segs, pat->n + 1, sizeof(*pat->segs));
		sg = &pat->segs[pat->n++];
		sg->s = xmalloc((size_t)(q - p) + 1);
		for (n = 0, i = 0; p + i < q; i++) {
			if (p[i] == '~') {
				if (p + i + 1 < q && (p[i + 1] == '0' || p[i + 1] == '1')) {
					sg->s[n++] = p[i + 1] == '0' ? '~' : '/';
					i++;
					continue;
				}
				sg->len = n;
				return mm_errf(err, MM_E_USAGE,
					       "--ignore: '~' must be followed by 0 or 1 in '%s'",
					       ptr);
			}
			sg->s[n++] = p[i];
		}
		sg->s[n] = '\0';
		sg->len = n;
		sg->wild = q - p == 1 && *p == '*';
		sg->index = -1;
		if (n > 0 && n <= 18 && (n == 1 || sg->s[0] != '0')) {
			long long v = 0;

			for (i = 0; i < n && sg->s[i] >= '0' && sg->s[i] <= '9'; i++)
				v = v * 10 + (sg->s[i] - '0');
			if (i == n)
				sg->index = v;
		}
		p = q;
	}
	return 0;
}

int
golden_opts_check(const struct golden_opts *o, struct mm_err *err)
{
	size_t i;

	if (!(o->tolerance >= 0) || !isfinite(o->tolerance))
		return mm_errf(err, MM_E_USAGE, "--tolerance must be a finite number >= 0");
	if (!(o->rel_tolerance >= 0) || !isfinite(o->rel_tolerance))
		return mm_errf(err, MM_E_USAGE, "--rel-tolerance must be a finite number >= 0");
	if (o->nignore > GOLDEN_MAX_IGNORE)
		return mm_errf(err, MM_E_USAGE, "at most %d --ignore pointers", GOLDEN_MAX_IGNORE);
	for (i = 0; i < o->nignore; i++) {
		struct pattern pat;
		int r = pattern_parse(o->ignore[i], &pat, err);
		size_t j;

		for (j = 0; j < pat.n; j++)
			free(pat.segs[j].s);
		free(pat.segs);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* ---- documents ---- */

void
golden_doc_init(struct golden_doc *d, const char *name, const char *data, size_t len)
{
	d->name = name;
	d->data = data ? data : "";
	d->len = data ? len : 0;
	filemap_init(&d->file);
}

int
golden_doc_load(struct golden_doc *d, const char *path, struct mm_err *err)
{
	golden_doc_init(d, strcmp(path, "-") ? path : "<stdin>", NULL, 0);
	if (filemap_load(&d->file, path, GOLDEN_MAX_FILE, err) < 0)
		return -1;
	d->data = d->file.data;
	d->len = d->file.len;
	return 0;
}

void
golden_doc_release(struct golden_doc *d)
{
	if (!d)
		return;
	filemap_release(&d->file);
	d->data = "";
	d->len = 0;
}

void
golden_result_release(struct golden_result *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->ndrifts; i++)
		free(r->drifts[i].pointer);
	free(r->drifts);
	memset(r, 0, sizeof(*r));
}

/* ---- numbers ---- */

/* A number's decimal value: (-1)^neg * 0.D * 10^exp10, D the significant digits. */
struct dec {
	const char *s;
	size_t istart, intlen;	/* integer digits */
	size_t fstart, fraclen; /* fraction digits */
	size_t first, ndig;	/* significant digits in the int+fraction sequence */
	long long exp10;
	int neg, zero, integer;
};

#define DEC_EXP_SAT 1000000000000000LL /* exponents saturate here: 1e15 */

static char
dec_digit(const struct dec *d, size_t k)
{
	return k < d->intlen ? d->s[d->istart + k] : d->s[d->fstart + (k - d->intlen)];
}

static void
dec_parse(struct dec *d, const char *s, size_t n)
{
	size_t i = 0, k, total, last;
	long long e = 0;
	int eneg = 0;

	memset(d, 0, sizeof(*d));
	d->s = s;
	d->integer = 1;
	if (i < n && s[i] == '-') {
		d->neg = 1;
		i++;
	}
	d->istart = i;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	d->intlen = i - d->istart;
	d->fstart = i;
	if (i < n && s[i] == '.') {
		d->integer = 0;
		d->fstart = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		d->fraclen = i - d->fstart;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		d->integer = 0;
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			if (e < DEC_EXP_SAT)
				e = e * 10 + (s[i] - '0');
	}
	total = d->intlen + d->fraclen;
	for (k = 0; k < total && dec_digit(d, k) == '0'; k++)
		;
	if (k == total) {
		d->zero = 1;
		return;
	}
	d->first = k;
	for (last = total - 1; dec_digit(d, last) == '0'; last--)
		;
	d->ndig = last - k + 1;
	d->exp10 = (eneg ? -e : e) + (long long)d->intlen - (long long)k;
}

static int
dec_equal(const struct dec *a, const struct dec *b)
{
	size_t k;

	if (a->zero || b->zero)
		return a->zero && b->zero; /* -0 == 0 */
	if (a->neg != b->neg || a->exp10 != b->exp10 || a->ndig != b->ndig)
		return 0;
	for (k = 0; k < a->ndig; k++)
		if (dec_digit(a, a->first + k) != dec_digit(b, b->first + k))
			return 0;
	return 1;
}

/* Copy a number's text into tmp (or a fresh allocation) to NUL-terminate it. */
static char *
num_cstr(const char *s, size_t n, char *tmp, size_t tmpsz)
{
	char *c = n < tmpsz ? tmp : xmalloc(n + 1);

	memcpy(c, s, n);
	c[n] = '\0';
	return c;
}

/* An integer as written that fits in int64: 1 and *v, else 0. */
static int
dec_int64(const struct dec *d, size_t n, long long *v)
{
	char tmp[32], *end;

	if (!d->integer || n > 20)
		return 0;
	memcpy(tmp, d->s, n);
	tmp[n] = '\0';
	errno = 0;
	*v = strtoll(tmp, &end, 10);
	return errno == 0 && *end == '\0';
}

static int
within(double diff, double x, double y, double tol, double rel)
{
	return diff <= tol || diff <= rel * fmax(fabs(x), fabs(y));
}

int
golden_numbers_equal(const char *a, size_t alen, const char *b, size_t blen, double tolerance,
		     double rel_tolerance)
{
	struct dec da, db;
	long long ia, ib;
	char ta[64], tb[64], *ca, *cb;
	double x, y;
	int eq;

	if (alen == blen && memcmp(a, b, alen) == 0)
		return 1;
	dec_parse(&da, a, alen);
	dec_parse(&db, b, blen);
	if (dec_equal(&da, &db))
		return 1;
	if (da.integer && db.integer) {
		if (!dec_int64(&da, alen, &ia) || !dec_int64(&db, blen, &ib))
			return 0; /* beyond 64 bits: exact only */
		/* The exact difference when it cannot overflow; else it is huge anyway. */
		if ((ia < 0) == (ib < 0))
			x = fabs((double)(ia - ib));
		else
			x = fabs((double)ia - (double)ib);
		return within(x, (double)ia, (double)ib, tolerance, rel_tolerance);
	}
	if ((da.integer && !dec_int64(&da, alen, &ia)) ||
	    (db.integer && !dec_int64(&db, blen, &ib)))
		return 0;
	ca = num_cstr(a, alen, ta, sizeof(ta));
	cb = num_cstr(b, blen, tb, sizeof(tb));
	x = strtod(ca, NULL);
	y = strtod(cb, NULL);
	if (ca != ta)
		free(ca);
	if (cb != tb)
		free(cb);
	if (!isfinite(x) || !isfinite(y))
		return 0; /* beyond a double: exact only */
	eq = within(fabs(x - y), x, y, tolerance, rel_tolerance);
	return eq;
}

/* ---- the walk ---- */

struct seg {
	const char *key; /* NULL: an array index */
	size_t len;
	size_t index;
};

struct run {
	struct jsonpull a, b;
	const struct golden_doc *da, *db;
	const struct golden_opts *o;
	struct golden_result *r;
	struct pattern *pats;
	size_t npats;
	struct seg *path; /* path[0..depth): the segments below the root */
	size_t depth;
	char *sa, *sb; /* unescaped strings */
	size_t asa, asb;
	size_t adrifts;
	struct kframe *kframes; /* one per nested by-key comparison */
	size_t nkeyed;
};

static int cmp_value(struct run *g, uint64_t mask);

/* memcmp() == 0 for the short spans the walk compares by the million. */
static inline int
same_bytes(const char *a, const char *b, size_t n)
{
	uint64_t x, y;

	for (; n >= 8; n -= 8, a += 8, b += 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x != y)
			return 0;
	}
	while (n--)
		if (*a++ != *b++)
			return 0;
	return 1;
}

/* Append segment text to a pointer: "/" and the key with ~0 and ~1. */
static void
pointer_add(struct buf *p, const struct seg *sg)
{
	size_t i, run = 0;

	(void)buf_addc(p, '/');
	if (!sg->key) {
		(void)buf_addf(p, "%zu", sg->index);
		return;
	}
	for (i = 0; i < sg->len; i++) {
		char c = sg->key[i];

		if (c != '~' && c != '/')
			continue;
		(void)buf_add(p, sg->key + run, i - run);
		(void)buf_adds(p, c == '~' ? "~0" : "~1");
		run = i + 1;
	}
	(void)buf_add(p, sg->key + run, sg->len - run);
}

/* Count a drift at the current path; keep it (and return it) while there is room. */
static struct golden_drift *
add_drift(struct run *g, enum golden_kind k, const struct jsonpull_tok *ta,
	  const struct jsonpull_tok *tb)
{
	struct golden_result *r = g->r;
	struct golden_drift *d;
	struct buf p = BUF_INIT(GOLDEN_MAX_REPORT);
	size_t i;

	r->drift_count++;
	r->kind_count[k]++;
	if (r->ndrifts >= g->o->max_drifts)
		return NULL;
	if (r->ndrifts == g->adrifts) {
		g->adrifts = g->adrifts ? g->adrifts * 2 : 16;
		r->drifts = xreallocarray(r->drifts, g->adrifts, sizeof(*r->drifts));
	}
	d = &r->drifts[r->ndrifts++];
	memset(d, 0, sizeof(*d));
	d->kind = k;
	for (i = 0; i < g->depth; i++)
		pointer_add(&p, &g->path[i]);
	if (buf_addc(&p, '\0') < 0 || !p.data) {
		d->pointer = xstrdup("");
	} else {
		d->pointer_len = p.len - 1;
		d->pointer = buf_detach(&p, NULL);
	}
	if (ta) {
		d->base_off = ta->off;
		d->base_len = ta->len;
	}
	if (tb) {
		d->act_off = tb->off;
		d->act_len = tb->len;
	}
	return d;
}

/*
 * The ignore patterns of mask still matching once the path has grown by
 * path[d]; *ignored when one of them ends there.
 */
static uint64_t
child_mask(const struct run *g, uint64_t mask, size_t d, int *ignored)
{
	const struct seg *sg = &g->path[d];
	uint64_t out = 0;

	*ignored = 0;
	while (mask) {
		unsigned i = (unsigned)__builtin_ctzll(mask);
		const struct pseg *ps = &g->pats[i].segs[d];
		int hit;

		mask &= mask - 1;
		if (ps->wild)
			hit = 1;
		else if (sg->key)
			hit = ps->len == sg->len && memcmp(ps->s, sg->key, sg->len) == 0;
		else
			hit = ps->index >= 0 && (size_t)ps->index == sg->index;
		if (!hit)
			continue;
		if (g->pats[i].n == d + 1)
			*ignored = 1;
		else
			out |= (uint64_t)1 << i;
	}
	return out;
}

/* Compare the two values in front of the scanners at path[0..depth), unless ignored. */
static int
cmp_child(struct run *g, uint64_t mask)
{
	int ignored = 0;

	if (mask)
		mask = child_mask(g, mask, g->depth - 1, &ignored);
	if (ignored) {
		if (jsonpull_skip(&g->a, NULL) < 0 || jsonpull_skip(&g->b, NULL) < 0)
			return -1;
		return 0;
	}
	return cmp_value(g, mask);
}

/* Whether the current path (path[0..depth)) is ignored under the parent's mask. */
static int
path_ignored(const struct run *g, uint64_t mask)
{
	int ignored = 0;

	if (mask)
		(void)child_mask(g, mask, g->depth - 1, &ignored);
	return ignored;
}

static void
grow_scratch(char **p, size_t *alloc, size_t n)
{
	if (*alloc < n) {
		*alloc = n < 256 ? 256 : n;
		free(*p);
		*p = xmalloc(*alloc);
	}
}

static int
scalar_equal(struct run *g, const struct jsonpull_tok *x, const struct jsonpull_tok *y)
{
	const char *pa = g->da->data + x->off, *pb = g->db->data + y->off;
	size_t na, nb;

	if (x->type != y->type)
		return 0;
	if (x->len == y->len && same_bytes(pa, pb, x->len))
		return 1;
	switch (x->type) {
	case JSONPULL_NUMBER:
		return golden_numbers_equal(pa, x->len, pb, y->len, g->o->tolerance,
					    g->o->rel_tolerance);
	case JSONPULL_STRING:
		if (!x->escaped && !y->escaped)
			return 0;
		grow_scratch(&g->sa, &g->asa, x->len);
		grow_scratch(&g->sb, &g->asb, y->len);
		na = jsonpull_unescape(pa + 1, x->len - 2, g->sa);
		nb = jsonpull_unescape(pb + 1, y->len - 2, g->sb);
		return na == nb && memcmp(g->sa, g->sb, na) == 0;
	default:
		return 0;
	}
}

static int
cmp_array(struct run *g, uint64_t mask)
{
	struct seg *sg;
	struct golden_drift *ld;
	struct jsonpull_tok t;
	size_t i = 0, na, nb;
	int ra, rb, ret = -1;

	if (jsonpull_begin(&g->a) < 0 || jsonpull_begin(&g->b) < 0)
		return -1;
	sg = &g->path[g->depth++];
	sg->key = NULL;
	sg->len = 0;
	for (;;) {
		ra = jsonpull_arr_next(&g->a);
		rb = jsonpull_arr_next(&g->b);
		if (ra < 0 || rb < 0)
			goto out;
		if (!ra || !rb)
			break;
		sg->index = i++;
		if (cmp_child(g, mask) < 0)
			goto out;
	}
	if (ra != rb) {
		/* One length drift at the array, then each element past the shorter one. */
		g->depth--;
		ld = add_drift(g, GOLDEN_LENGTH, NULL, NULL);
		g->depth++;
		for (na = i; ra == 1; na++) {
			sg->index = na;
			if (jsonpull_skip(&g->a, &t) < 0)
				goto out;
			if (!path_ignored(g, mask))
				add_drift(g, GOLDEN_MISSING, &t, NULL);
			if ((ra = jsonpull_arr_next(&g->a)) < 0)
				goto out;
		}
		for (nb = i; rb == 1; nb++) {
			sg->index = nb;
			if (jsonpull_skip(&g->b, &t) < 0)
				goto out;
			if (!path_ignored(g, mask))
				add_drift(g, GOLDEN_EXTRA, NULL, &t);
			if ((rb = jsonpull_arr_next(&g->b)) < 0)
				goto out;
		}
		if (ld) {
			ld->base_count = na;
			ld->act_count = nb;
		}
	}
	ret = 0;
out:
	g->depth--;
	return ret;
}

/* A member of the actual document's object, collected for the by-key comparison. */
struct member {
	size_t koff, klen; /* key bytes in the frame's key buffer */
	uint32_t hash;
	int matched;
	struct jsonpull_tok val; /* found by jsonpull_skip_lazy(): validated when read */
};

/*
 * The buffers of one by-key comparison, reused by the next one at the same
 * nesting of by-key comparisons (never moved while their frame is active, as
 * the path points into keys).
 */
struct kframe {
	struct member *m;
	size_t n, alloc;
	char *keys;
	size_t klen, kalloc;
	uint32_t *tab;
	size_t tabsz;
};

static uint32_t
hash_bytes(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

/* The member of f whose key is (k, n), or NULL. */
static struct member *
kframe_find(struct kframe *f, const char *k, size_t n)
{
	uint32_t h = hash_bytes(k, n);
	size_t i = h & (f->tabsz - 1);

	for (; f->tab[i]; i = (i + 1) & (f->tabsz - 1)) {
		struct member *c = &f->m[f->tab[i] - 1];

		if (c->hash == h && c->klen == n && same_bytes(f->keys + c->koff, k, n))
			return c;
	}
	return NULL;
}

/*
 * Collect what is left of the actual document's open object (the member
 * whose key was just read when rb == 1, and all that follow), closing it.
 * Values are only skipped lazily here; each one is validated when it is
 * compared or reported.
 */
static int
collect(struct run *g, struct kframe *f, int rb, struct jsonpull_key *k)
{
	size_t i, sz;

	f->n = 0;
	f->klen = 0;
	if (!f->keys) {
		f->kalloc = 256;
		f->keys = xmalloc(f->kalloc);
	}
	while (rb == 1) {
		struct member *m;
		size_t voff;

		if (f->n == f->alloc) {
			f->alloc = f->alloc ? f->alloc * 2 : 16;
			f->m = xreallocarray(f->m, f->alloc, sizeof(*f->m));
		}
		if (f->kalloc - f->klen < k->len) {
			while (f->kalloc - f->klen < k->len)
				f->kalloc *= 2;
			f->keys = xrealloc(f->keys, f->kalloc);
		}
		m = &f->m[f->n++];
		m->koff = f->klen;
		m->klen = k->len;
		memcpy(f->keys + f->klen, k->s, k->len);
		f->klen += k->len;
		m->hash = hash_bytes(k->s, k->len);
		m->matched = 0;
		voff = jsonpull_tell(&g->b);
		if (jsonpull_skip_lazy(&g->b, &m->val) < 0) {
			/* say what is wrong, not just that the input ended */
			jsonpull_seek(&g->b, voff);
			(void)jsonpull_skip(&g->b, NULL);
			return -1;
		}
		rb = jsonpull_obj_next(&g->b, k);
	}
	if (rb < 0)
		return -1;
	for (sz = 16; sz < f->n * 2; sz *= 2)
		;
	if (sz > f->tabsz) {
		free(f->tab);
		f->tab = xmalloc(sz * sizeof(*f->tab));
		f->tabsz = sz;
	}
	memset(f->tab, 0, f->tabsz * sizeof(*f->tab));
	for (i = 0; i < f->n; i++) {
		size_t h = f->m[i].hash & (f->tabsz - 1);

		while (f->tab[h])
			h = (h + 1) & (f->tabsz - 1);
		f->tab[h] = (uint32_t)(i + 1);
	}
	return 0;
}

/*
 * Finish an object by key, from the first member where the two documents'
 * keys diverge (ra/ka and rb/kb are what jsonpull_obj_next() returned).  The
 * actual document's remaining members are collected; the baseline's are
 * then read in order, each compared with its namesake by seeking the actual
 * document's scanner to it.
 */
static int
cmp_keyed(struct run *g, uint64_t mask, int ra, struct jsonpull_key *ka, int rb,
	  struct jsonpull_key *kb)
{
	struct seg *sg = &g->path[g->depth - 1];
	struct jsonpull_tok t;
	struct kframe *f;
	size_t i, endb;
	int ignored;

	if (!g->kframes)
		g->kframes = xcalloc(JSONPULL_MAX_DEPTH + 1, sizeof(*g->kframes));
	f = &g->kframes[g->nkeyed++];
	if (collect(g, f, rb, kb) < 0)
		return -1;
	endb = jsonpull_tell(&g->b);
	for (; ra == 1; ra = jsonpull_obj_next(&g->a, ka)) {
		struct member *y = kframe_find(f, ka->s, ka->len);

		sg->key = ka->s;
		sg->len = ka->len;
		ignored = path_ignored(g, mask);
		if (y) {
			y->matched = 1;
			jsonpull_seek(&g->b, y->val.off);
			if (ignored) {
				if (jsonpull_skip(&g->a, NULL) < 0 ||
				    jsonpull_skip(&g->b, NULL) < 0)
					return -1;
			} else if (cmp_child(g, mask) < 0) {
				return -1;
			}
			continue;
		}
		if (jsonpull_skip(&g->a, &t) < 0)
			return -1;
		if (!ignored)
			add_drift(g, GOLDEN_MISSING, &t, NULL);
	}
	if (ra < 0)
		return -1;
	for (i = 0; i < f->n; i++) {
		if (f->m[i].matched)
			continue;
		sg->key = f->keys + f->m[i].koff;
		sg->len = f->m[i].klen;
		jsonpull_seek(&g->b, f->m[i].val.off);
		if (jsonpull_skip(&g->b, &t) < 0)
			return -1;
		if (!path_ignored(g, mask))
			add_drift(g, GOLDEN_EXTRA, NULL, &t);
	}
	jsonpull_seek(&g->b, endb);
	g->nkeyed--;
	return 0;
}

static int
cmp_object(struct run *g, uint64_t mask)
{
	struct jsonpull_key ka, kb;
	struct seg *sg;
	int ra, rb, ret = -1;

	if (jsonpull_begin(&g->a) < 0 || jsonpull_begin(&g->b) < 0)
		return -1;
	sg = &g->path[g->depth++];
	for (;;) {
		ra = jsonpull_obj_next(&g->a, &ka);
		rb = jsonpull_obj_next(&g->b, &kb);
		if (ra < 0 || rb < 0)
			goto out;
		if (!ra && !rb)
			break;
		if (ra && rb && ka.len == kb.len && same_bytes(ka.s, kb.s, ka.len)) {
			sg->key = ka.s;
			sg->len = ka.len;
			if (cmp_child(g, mask) < 0)
				goto out;
			continue;
		}
		if (cmp_keyed(g, mask, ra, &ka, rb, &kb) < 0)
			goto out;
		break;
	}
	ret = 0;
out:
	g->depth--;
	return ret;
}

static int
cmp_value(struct run *g, uint64_t mask)
{
	enum jsonpull_type ta = jsonpull_peek(&g->a), tb;
	struct jsonpull_tok xa, xb;

	if (ta == JSONPULL_ERROR || (tb = jsonpull_peek(&g->b)) == JSONPULL_ERROR)
		return -1;
	g->r->compared++;
	if (json_type[ta] != json_type[tb]) {
		if (jsonpull_skip(&g->a, &xa) < 0 || jsonpull_skip(&g->b, &xb) < 0)
			return -1;
		add_drift(g, GOLDEN_TYPE, &xa, &xb);
		return 0;
	}
	if (ta == JSONPULL_OBJECT)
		return cmp_object(g, mask);
	if (ta == JSONPULL_ARRAY)
		return cmp_array(g, mask);
	if (jsonpull_scalar(&g->a, &xa) < 0 || jsonpull_scalar(&g->b, &xb) < 0)
		return -1;
	if (!scalar_equal(g, &xa, &xb))
		add_drift(g, GOLDEN_VALUE, &xa, &xb);
	return 0;
}

int
golden_compare(const struct golden_doc *base, const struct golden_doc *act,
	       const struct golden_opts *o, struct golden_result *r, struct mm_err *err)
{
	struct run g;
	uint64_t mask = 0;
	size_t i;
	int whole = 0, ret = -1;

	memset(r, 0, sizeof(*r));
	memset(&g, 0, sizeof(g));
	if (golden_opts_check(o, err) < 0)
		return -1;
	g.da = base;
	g.db = act;
	g.o = o;
	g.r = r;
	g.pats = xcalloc(o->nignore ? o->nignore : 1, sizeof(*g.pats));
	for (i = 0; i < o->nignore; i++, g.npats++) {
		if (pattern_parse(o->ignore[i], &g.pats[i], err) < 0) {
			g.npats++;
			goto out;
		}
		if (g.pats[i].n == 0)
			whole = 1;
		else
			mask |= (uint64_t)1 << i;
	}
	g.path = xcalloc(JSONPULL_MAX_DEPTH + 1, sizeof(*g.path));
	jsonpull_init(&g.a, base->data, base->len, base->name, err);
	jsonpull_init(&g.b, act->data, act->len, act->name, err);
	if (whole) {
		if (jsonpull_skip(&g.a, NULL) < 0 || jsonpull_skip(&g.b, NULL) < 0)
			goto out;
	} else if (cmp_value(&g, mask) < 0) {
		goto out;
	}
	if (jsonpull_finish(&g.a) < 0 || jsonpull_finish(&g.b) < 0)
		goto out;
	ret = 0;
out:
	jsonpull_release(&g.a);
	jsonpull_release(&g.b);
	patterns_free(g.pats, g.npats);
	free(g.path);
	free(g.sa);
	free(g.sb);
	for (i = 0; g.kframes && i <= JSONPULL_MAX_DEPTH; i++) {
		free(g.kframes[i].m);
		free(g.kframes[i].keys);
		free(g.kframes[i].tab);
	}
	free(g.kframes);
	return ret;
}

/* ---- reports ---- */

/* Shortest text that reads back as the same double; always looks like a real. */
static int
add_double(struct buf *out, double v)
{
	char tmp[40], *e;
	int prec;

	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	/* As jansson writes reals: "1e-9", not "1e-09"; "1e20", not "1e+20"; "0.0", not "0". */
	e = strchr(tmp, 'e');
	if (e) {
		char *d = e + 1, *z;

		if (*d == '+')
			memmove(d, d + 1, strlen(d));
		else if (*d == '-')
			d++;
		for (z = d; *z == '0' && z[1]; z++)
			;
		memmove(d, z, strlen(z) + 1);
	} else if (!strpbrk(tmp, ".n")) {
		return buf_addf(out, "%s.0", tmp);
	}
	return buf_adds(out, tmp);
}

/* A value shown to a person: compact, cut after max bytes (at a character boundary). */
static int
add_short_value(struct buf *out, const char *s, size_t len, size_t max)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	char tmp[GOLDEN_TEXT_VALUE_MAX + 8];
	size_t n = 0;
	int instr = 0;

	if (max > GOLDEN_TEXT_VALUE_MAX)
		max = GOLDEN_TEXT_VALUE_MAX;
	for (; p < end && n < max; p++) {
		if (!instr && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
			continue;
		tmp[n++] = (char)*p;
		if (instr && *p == '\\' && p + 1 < end)
			tmp[n++] = (char)*++p;
		else if (*p == '"')
			instr = !instr;
	}
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
		p++;
	if (p < end) {
		/* do not cut a UTF-8 character in two */
		while (n > 0 && ((unsigned char)tmp[n - 1] & 0xC0) == 0x80)
			n--;
		if (n > 0 && ((unsigned char)tmp[n - 1] & 0x80))
			n--;
		if (buf_add(out, tmp, n) < 0 || buf_adds(out, "...") < 0)
			return -1;
		return 0;
	}
	return buf_add(out, tmp, n);
}

/* A pointer for a person: as is, or JSON-quoted when empty or holding odd bytes. */
static int
add_text_pointer(struct buf *out, const struct golden_drift *d)
{
	size_t i;

	for (i = 0; i < d->pointer_len; i++) {
		unsigned char c = (unsigned char)d->pointer[i];

		if (c < 0x20 || c == 0x7f || c == ' ')
			break;
	}
	if (d->pointer_len && i == d->pointer_len)
		return buf_add(out, d->pointer, d->pointer_len);
	return jsonpull_quote(d->pointer, d->pointer_len, out);
}

static int
add_counts_text(struct buf *out, const struct golden_result *r)
{
	size_t k;
	int first = 1;

	for (k = 0; k < GOLDEN_NKINDS; k++) {
		if (!r->kind_count[k])
			continue;
		if (buf_addf(out, "%s%zu %s", first ? "" : ", ", r->kind_count[k], kind_names[k]) <
		    0)
			return -1;
		first = 0;
	}
	return 0;
}

static const char *
doc_type(const struct golden_doc *d, size_t off)
{
	unsigned char c = (unsigned char)d->data[off];

	switch (c) {
	case '{':
		return "object";
	case '[':
		return "array";
	case '"':
		return "string";
	case 't':
	case 'f':
		return "boolean";
	case 'n':
		return "null";
	default:
		return "number";
	}
}

static int
add_text_side(struct buf *out, const char *label, const struct golden_doc *doc, size_t off,
	      size_t len, int with_type)
{
	if (buf_addf(out, "%s ", label) < 0)
		return -1;
	if (!len)
		return buf_adds(out, "(absent)");
	if (add_short_value(out, doc->data + off, len, GOLDEN_TEXT_VALUE_MAX) < 0)
		return -1;
	if (with_type)
		return buf_addf(out, " (%s)", doc_type(doc, off));
	return 0;
}

int
golden_render_text(const struct golden_doc *base, const struct golden_doc *act,
		   const struct golden_opts *o, const struct golden_result *r, struct buf *out)
{
	size_t i;

	if (!r->drift_count) {
		if (buf_addf(
			out,
			"golden: no drift: '%s' matches '%s' (%zu values compared, tolerance %g",
			act->name, base->name, r->compared, o->tolerance) < 0)
			return -1;
		if (o->rel_tolerance > 0 && buf_addf(out, ", relative %g", o->rel_tolerance) < 0)
			return -1;
		return buf_adds(out, ")\n");
	}
	if (buf_addf(out, "golden: %zu drift%s (", r->drift_count, r->drift_count == 1 ? "" : "s") <
		0 ||
	    add_counts_text(out, r) < 0 ||
	    buf_addf(out, ") in '%s' against '%s' (%zu values compared, tolerance %g", act->name,
		     base->name, r->compared, o->tolerance) < 0)
		return -1;
	if (o->rel_tolerance > 0 && buf_addf(out, ", relative %g", o->rel_tolerance) < 0)
		return -1;
	if (buf_adds(out, ")\n") < 0)
		return -1;
	for (i = 0; i < r->ndrifts; i++) {
		const struct golden_drift *d = &r->drifts[i];
		int typed = d->kind == GOLDEN_TYPE;

		if (buf_addf(out, "%-8s ", kind_names[d->kind]) < 0 ||
		    add_text_pointer(out, d) < 0 || buf_adds(out, ": ") < 0)
			return -1;
		if (d->kind == GOLDEN_LENGTH) {
			if (buf_addf(out, "baseline %zu element%s, actual %zu element%s\n",
				     d->base_count, d->base_count == 1 ? "" : "s", d->act_count,
				     d->act_count == 1 ? "" : "s") < 0)
				return -1;
			continue;
		}
		if (add_text_side(out, "baseline", base, d->base_off, d->base_len, typed) < 0 ||
		    buf_adds(out, ", ") < 0 ||
		    add_text_side(out, "actual", act, d->act_off, d->act_len, typed) < 0 ||
		    buf_addc(out, '\n') < 0)
			return -1;
	}
	if (r->ndrifts < r->drift_count &&
	    buf_addf(out, "... and %zu more drift%s not shown (raise --max-drifts)\n",
		     r->drift_count - r->ndrifts, r->drift_count - r->ndrifts == 1 ? "" : "s") < 0)
		return -1;
	return 0;
}

/* "  " * level */
static int
indent(struct buf *out, int level)
{
	while (level-- > 0)
		if (buf_adds(out, "  ") < 0)
			return -1;
	return 0;
}

/* A key at level with its ": " (the comma of the previous member is the caller's). */
static int
jkey(struct buf *out, int level, const char *key)
{
	if (indent(out, level) < 0 || jsonpull_quote(key, strlen(key), out) < 0)
		return -1;
	return buf_adds(out, ": ");
}

static int
jstr(struct buf *out, int level, const char *key, const char *val, int comma)
{
	if (jkey(out, level, key) < 0 || jsonpull_quote(val, strlen(val), out) < 0)
		return -1;
	return buf_adds(out, comma ? ",\n" : "\n");
}

static int
jsize(struct buf *out, int level, const char *key, size_t v, int comma)
{
	if (jkey(out, level, key) < 0)
		return -1;
	return buf_addf(out, "%zu%s", v, comma ? ",\n" : "\n");
}

static int
jdouble(struct buf *out, int level, const char *key, double v, int comma)
{
	if (jkey(out, level, key) < 0 || add_double(out, v) < 0)
		return -1;
	return buf_adds(out, comma ? ",\n" : "\n");
}

static int
jdrift(struct buf *out, const struct golden_doc *base, const struct golden_doc *act,
       const struct golden_drift *d)
{
	if (indent(out, 2) < 0 || buf_adds(out, "{\n") < 0)
		return -1;
	if (d->kind == GOLDEN_LENGTH) {
		if (jsize(out, 3, "actual", d->act_count, 1) < 0 ||
		    jsize(out, 3, "baseline", d->base_count, 1) < 0)
			return -1;
	} else {
		if (d->act_len) {
			if (jkey(out, 3, "actual") < 0 ||
			    jsonpull_compact(act->data + d->act_off, d->act_len, out) < 0 ||
			    buf_adds(out, ",\n") < 0)
				return -1;
		}
		if (d->base_len) {
			if (jkey(out, 3, "baseline") < 0 ||
			    jsonpull_compact(base->data + d->base_off, d->base_len, out) < 0 ||
			    buf_adds(out, ",\n") < 0)
				return -1;
		}
	}
	if (jstr(out, 3, "kind", kind_names[d->kind], 1) < 0 || jkey(out, 3, "pointer") < 0 ||
	    jsonpull_quote(d->pointer, d->pointer_len, out) < 0 || buf_addc(out, '\n') < 0)
		return -1;
	return indent(out, 2) < 0 ? -1 : 0;
}

int
golden_render_json(const struct golden_doc *base, const struct golden_doc *act,
		   const struct golden_opts *o, const struct golden_result *r, struct buf *out)
{
	size_t i, k;

	if (buf_adds(out, "{\n") < 0 || jstr(out, 1, "actual", act->name, 1) < 0 ||
	    jstr(out, 1, "baseline", base->name, 1) < 0 || jkey(out, 1, "counts") < 0 ||
	    buf_adds(out, "{\n") < 0)
		return -1;
	/* the kinds in sorted order */
	{
		static const enum golden_kind sorted[GOLDEN_NKINDS] = {
		    GOLDEN_EXTRA, GOLDEN_LENGTH, GOLDEN_MISSING, GOLDEN_TYPE, GOLDEN_VALUE,
		};

		for (k = 0; k < GOLDEN_NKINDS; k++)
			if (jsize(out, 2, kind_names[sorted[k]], r->kind_count[sorted[k]],
				  k + 1 < GOLDEN_NKINDS) < 0)
				return -1;
	}
	if (indent(out, 1) < 0 || buf_adds(out, "},\n") < 0 || jkey(out, 1, "drift") < 0 ||
	    buf_adds(out, r->drift_count ? "true,\n" : "false,\n") < 0 ||
	    jsize(out, 1, "drift_count", r->drift_count, 1) < 0 || jkey(out, 1, "drifts") < 0)
		return -1;
	if (!r->ndrifts) {
		if (buf_adds(out, "[],\n") < 0)
			return -1;
	} else {
		if (buf_adds(out, "[\n") < 0)
			return -1;
		for (i = 0; i < r->ndrifts; i++)
			if (jdrift(out, base, act, &r->drifts[i]) < 0 ||
			    buf_adds(out, i + 1 < r->ndrifts ? "},\n" : "}\n") < 0)
				return -1;
		if (indent(out, 1) < 0 || buf_adds(out, "],\n") < 0)
			return -1;
	}
	if (jkey(out, 1, "ignore") < 0)
		return -1;
	if (!o->nignore) {
		if (buf_adds(out, "[],\n") < 0)
			return -1;
	} else {
		if (buf_adds(out, "[\n") < 0)
			return -1;
		for (i = 0; i < o->nignore; i++)
			if (indent(out, 2) < 0 ||
			    jsonpull_quote(o->ignore[i], strlen(o->ignore[i]), out) < 0 ||
			    buf_adds(out, i + 1 < o->nignore ? ",\n" : "\n") < 0)
				return -1;
		if (indent(out, 1) < 0 || buf_adds(out, "],\n") < 0)
			return -1;
	}
	if (jdouble(out, 1, "rel_tolerance", o->rel_tolerance, 1) < 0 ||
	    jdouble(out, 1, "tolerance", o->tolerance, 1) < 0 ||
	    jstr(out, 1, "tool", "mmops", 1) < 0 || jkey(out, 1, "truncated") < 0 ||
	    buf_adds(out, r->ndrifts < r->drift_count ? "true,\n" : "false,\n") < 0 ||
	    jsize(out, 1, "values_compared", r->compared, 1) < 0 ||
	    jstr(out, 1, "version", MMOPS_VERSION, 0) < 0)
		return -1;
	return buf_adds(out, "}\n");
}
