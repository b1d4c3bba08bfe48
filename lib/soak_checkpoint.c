/*
 * soak_checkpoint.c - the soak's whole state as a JSON checkpoint, written
 * atomically every --checkpoint-every and read back by --resume, so that a
 * run killed at any moment resumes to exactly the result it would have had.
 * One table per struct drives both directions (see ck_save / ck_load).
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "atomicfile.h"
#include "jsontree.h"
#include "log.h"
#include "soak_internal.h"
#include "xalloc.h"

/* JSON has no NaN/Inf: those become the strings Prometheus uses. */
static json_t *
jnum(double v)
{
	if (isnan(v))
		return json_string("NaN");
	if (isinf(v))
		return json_string(v > 0 ? "+Inf" : "-Inf");
	return json_real(v);
}

static double
jget(const json_t *j)
{
	if (json_is_number(j))
		return json_number_value(j);
	if (json_is_string(j)) {
		const char *s = json_string_value(j);

		if (strcmp(s, "+Inf") == 0)
			return INFINITY;
		if (strcmp(s, "-Inf") == 0)
			return -INFINITY;
	}
	return NAN;
}

static double
jkey(const json_t *o, const char *k)
{
	return jget(json_object_get(o, k));
}

/* A count from a checkpoint: non-negative and bounded, whatever the file says. */
static unsigned long
jcount(const json_t *o, const char *k)
{
	double v = jsontree_num(o, k, 0);

	if (!(v >= 0))
		return 0;
	return v > 1e15 ? (unsigned long)1e15 : (unsigned long)v;
}

/*
 * One table per checkpointed struct drives both its save and its load (as
 * redis's config table drives CONFIG SET, GET and REWRITE), so the two
 * cannot drift: a field is a row, its JSON key is the member's name, and
 * its kind follows from the member's C type (_Generic: a type the table
 * does not know fails to compile).  Composite members (histograms, means,
 * EMAs, arrays) have their own save/load pairs next to each other.
 */
enum ck_kind { CK_NUM, CK_BOOL, CK_ULONG, CK_UINT };

struct ck_field {
	const char *key;
	enum ck_kind kind;
	size_t off;
};

#define CK(type, member)                                                                           \
	{                                                                                          \
#member,                                                                           \
		    _Generic(((type *)0)->member, double                                           \
			     : CK_NUM, int                                                         \
			     : CK_BOOL, unsigned long                                              \
			     : CK_ULONG, unsigned                                                  \
			     : CK_UINT),                                                           \
		    offsetof(type, member)                                                         \
	}
#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))

static void
ck_save(json_t *j, const void *base, const struct ck_field *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *p = (const char *)base + f[i].off;
		json_t *v = NULL;

		switch (f[i].kind) {
		case CK_NUM:
			v = jnum(*(const double *)(const void *)p);
			break;
		case CK_BOOL:
			v = json_boolean(*(const int *)(const void *)p);
			break;
		case CK_ULONG:
			v = json_integer((json_int_t) * (const unsigned long *)(const void *)p);
			break;
		case CK_UINT:
			v = json_integer((json_int_t) * (const unsigned *)(const void *)p);
			break;
		}
		json_object_set_new(j, f[i].key, v);
	}
}

static void
ck_load(const json_t *j, void *base, const struct ck_field *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char *p = (char *)base + f[i].off;

		switch (f[i].kind) {
		case CK_NUM:
			*(double *)(void *)p = jkey(j, f[i].key);
			break;
		case CK_BOOL:
			*(int *)(void *)p = jsontree_bool(j, f[i].key, 0);
			break;
		case CK_ULONG:
			*(unsigned long *)(void *)p = jcount(j, f[i].key);
			break;
		case CK_UINT:
			*(unsigned *)(void *)p = (unsigned)jcount(j, f[i].key);
			break;
		}
	}
}

static json_t *
jarr(const double *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, jnum(v[i]));
	return a;
}

/* Read n doubles of array a into v; -1 when the length differs. */
static int
jarr_get(const json_t *a, double *v, size_t n)
{
	size_t i;

	if (!json_is_array(a) || json_array_size(a) != n)
		return -1;
	for (i = 0; i < n; i++)
		v[i] = jget(json_array_get(a, i));
	return 0;
}

static json_t *
hist_json(const struct stats_hist *h)
{
	return json_pack("{s:o,s:o,s:o,s:b,s:I}", "le", jarr(h->le, h->n), "inc",
			 jarr(h->inc, h->n), "prev", jarr(h->prev, h->n), "have_prev", h->have_prev,
			 "resets", (json_int_t)h->resets);
}

static int
hist_load(struct stats_hist *h, const json_t *j)
{
	const json_t *le = json_object_get(j, "le");
	size_t n = json_array_size(le);

	stats_hist_release(h);
	if (n > STATS_MAX_BUCKETS)
		return -1;
	h->n = n;
	h->le = xcalloc(n + 1, sizeof(double));
	h->inc = xcalloc(n + 1, sizeof(double));
	h->prev = xcalloc(n + 1, sizeof(double));
	if (jarr_get(le, h->le, n) < 0 || jarr_get(json_object_get(j, "inc"), h->inc, n) < 0 ||
	    jarr_get(json_object_get(j, "prev"), h->prev, n) < 0)
		return -1;
	h->have_prev = jsontree_bool(j, "have_prev", 0);
	h->resets = jcount(j, "resets");
	return 0;
}

static json_t *
tw_json(const struct stats_twmean *m)
{
	return json_pack("{s:o,s:o,s:b,s:o,s:o,s:o,s:I}", "last_t", jnum(m->last_t), "last_v",
			 jnum(m->last_v), "have", m->have, "area", jnum(m->area), "known",
			 jnum(m->known), "plain_sum", jnum(m->plain_sum), "n", (json_int_t)m->n);
}

static void
tw_load(struct stats_twmean *m, const json_t *j)
{
	m->last_t = jkey(j, "last_t");
	m->last_v = jkey(j, "last_v");
	m->have = jsontree_bool(j, "have", 0);
	m->area = jkey(j, "area");
	m->known = jkey(j, "known");
	m->plain_sum = jkey(j, "plain_sum");
	m->n = jcount(j, "n");
}

static json_t *
ema_json(const struct stats_ema *e)
{
	return json_pack("{s:o,s:o,s:b,s:o,s:o}", "last_t", jnum(e->last_t), "last_v",
			 jnum(e->last_v), "have", e->have, "s", jnum(e->s), "w", jnum(e->w));
}

static void
ema_load(struct stats_ema *e, const json_t *j)
{
	e->last_t = jkey(j, "last_t");
	e->last_v = jkey(j, "last_v");
	e->have = jsontree_bool(j, "have", 0);
	e->s = jkey(j, "s");
	e->w = jkey(j, "w");
}

/* The scalar members of a tracker, of its counter and of a gate's evaluation. */
static const struct ck_field tracker_fields[] = {
    CK(struct tracker, layout_gen), CK(struct tracker, post),	   CK(struct tracker, inc_base),
    CK(struct tracker, min),	    CK(struct tracker, max),	   CK(struct tracker, last),
    CK(struct tracker, value),	    CK(struct tracker, nw),	   CK(struct tracker, prev_t),
    CK(struct tracker, prev_v),	    CK(struct tracker, have_prev), CK(struct tracker, samples),
    CK(struct tracker, error),
};
static const struct ck_field counter_fields[] = {
    CK(struct stats_counter, last),
    CK(struct stats_counter, have),
    CK(struct stats_counter, increase),
    CK(struct stats_counter, resets),
};
static const struct ck_field eval_fields[] = {
    CK(struct gate_eval, evals),	 CK(struct gate_eval, nan_evals),
    CK(struct gate_eval, breach_evals),	 CK(struct gate_eval, last_t),
    CK(struct gate_eval, last_value),	 CK(struct gate_eval, in_streak),
    CK(struct gate_eval, streak_start),	 CK(struct gate_eval, last_breach_t),
    CK(struct gate_eval, first_breach),	 CK(struct gate_eval, longest),
    CK(struct gate_eval, longest_start), CK(struct gate_eval, breach_seconds),
    CK(struct gate_eval, sustained),	 CK(struct gate_eval, first_sustained),
};

static json_t *
tracker_json(const struct tracker *tr)
{
	json_t *j = json_object(), *c = json_object();

	ck_save(j, tr, tracker_fields, NFIELDS(tracker_fields));
	ck_save(c, &tr->call, counter_fields, NFIELDS(counter_fields));
	json_object_set_new(j, "counter", c);
	json_object_set_new(j, "hall", hist_json(&tr->hall));
	json_object_set_new(j, "hw", hist_json(&tr->hw));
	json_object_set_new(j, "twall", tw_json(&tr->twall));
	json_object_set_new(j, "tww", tw_json(&tr->tww));
	json_object_set_new(j, "e1h", ema_json(&tr->e1h));
	json_object_set_new(j, "e24h", ema_json(&tr->e24h));
	json_object_set_new(j, "raw", jarr(tr->raw, tr->nraw));
	json_object_set_new(j, "errmsg", json_string(tr->errmsg));
	return j;
}

static int
tracker_load(struct tracker *tr, const json_t *j)
{
	const json_t *c = json_object_get(j, "counter"), *raw = json_object_get(j, "raw");

	if (!json_is_object(j) || hist_load(&tr->hall, json_object_get(j, "hall")) < 0 ||
	    hist_load(&tr->hw, json_object_get(j, "hw")) < 0)
		return -1;
	ck_load(j, tr, tracker_fields, NFIELDS(tracker_fields));
	ck_load(c, &tr->call, counter_fields, NFIELDS(counter_fields));
	tw_load(&tr->twall, json_object_get(j, "twall"));
	tw_load(&tr->tww, json_object_get(j, "tww"));
	ema_load(&tr->e1h, json_object_get(j, "e1h"));
	ema_load(&tr->e24h, json_object_get(j, "e24h"));
	tr->nraw = tr->rawcap = json_array_size(raw);
	tr->raw = xcalloc(tr->rawcap + 1, sizeof(double));
	if (jarr_get(raw, tr->raw, tr->nraw) < 0)
		return -1;
	snprintf(tr->errmsg, sizeof(tr->errmsg), "%s", jsontree_str(j, "errmsg", ""));
	return 0;
}

static json_t *
probe_json(const struct probe *p)
{
	json_t *j = json_object(), *ring = json_array(), *chart = json_array(), *e = json_object();
	const struct gate_eval *ev = &p->ev;
	size_t i;

	for (i = 0; i < p->ring.n; i++)
		json_array_append_new(ring, jarr(soak_ring_at(&p->ring, i), p->ring.k + 1));
	for (i = 0; i < p->chart.nb; i++) {
		const struct chart_bucket *b = &p->chart.b[i];

		if (b->n)
			json_array_append_new(chart,
					      json_pack("[I,o,o,o,I,b]", (json_int_t)i,
							jnum(b->min), jnum(b->max), jnum(b->sum),
							(json_int_t)b->n, b->breach));
	}
	json_object_set_new(j, "ring_k", json_integer((json_int_t)p->ring.k));
	json_object_set_new(j, "ring", ring);
	json_object_set_new(j, "layout_gen", json_integer(p->layout_gen));
	json_object_set_new(j, "chart", chart);
	json_object_set_new(j, "windowed", jnum(p->windowed));
	ck_save(e, ev, eval_fields, NFIELDS(eval_fields));
	json_object_set_new(j, "eval", e);
	return j;
}

static int
probe_load(struct probe *p, const json_t *j)
{
	const json_t *ring = json_object_get(j, "ring"), *chart = json_object_get(j, "chart");
	const json_t *e = json_object_get(j, "eval");
	struct gate_eval *ev = &p->ev;
	size_t i, k = jcount(j, "ring_k");
	double v[STATS_MAX_BUCKETS + 1];

	if (!json_is_array(ring) || !json_is_array(chart) || !json_is_object(e) ||
	    k > STATS_MAX_BUCKETS)
		return -1;
	soak_ring_release(&p->ring);
	soak_ring_init(&p->ring, k);
	for (i = 0; i < json_array_size(ring); i++) {
		if (jarr_get(json_array_get(ring, i), v, k + 1) < 0)
			return -1;
		soak_ring_push(&p->ring, v[0], v + 1, k);
	}
	p->layout_gen = (unsigned)jcount(j, "layout_gen");
	for (i = 0; i < json_array_size(chart); i++) {
		const json_t *b = json_array_get(chart, i);
		double bd = jget(json_array_get(b, 0));
		size_t bi;

		if (!json_is_array(b) || json_array_size(b) != 6 || !(bd >= 0) ||
		    bd >= (double)p->chart.nb)
			return -1;
		bi = (size_t)bd;
		p->chart.b[bi].min = jget(json_array_get(b, 1));
		p->chart.b[bi].max = jget(json_array_get(b, 2));
		p->chart.b[bi].sum = jget(json_array_get(b, 3));
		bd = jget(json_array_get(b, 4));
		p->chart.b[bi].n = bd >= 0 && bd < 4e9 ? (unsigned)bd : 0;
		p->chart.b[bi].breach = json_is_true(json_array_get(b, 5));
	}
	p->windowed = jkey(j, "windowed");
	ck_load(e, ev, eval_fields, NFIELDS(eval_fields));
	return 0;
}

static json_t *
state_json(const struct soak *s)
{
	json_t *j = jsontree_tool_meta(), *o = json_object(), *faults = json_array();
	json_t *trs = json_array(), *prs = json_array();
	char seed[32];
	size_t i;

	for (i = 0; i < s->o.nfaults; i++)
		json_array_append_new(faults, json_string(s->o.faults[i]));
	snprintf(seed, sizeof(seed), "%llu", (unsigned long long)s->o.seed);
	json_object_set_new(o, "source", json_string(soak_source_names[s->o.source]));
	json_object_set_new(o, "duration", jnum(s->o.duration));
	json_object_set_new(o, "interval", jnum(s->o.interval));
	json_object_set_new(o, "warmup", jnum(s->o.warmup));
	json_object_set_new(o, "abort_on_fail", json_boolean(s->o.abort_on_fail));
	json_object_set_new(o, "seed", json_string(seed));
	json_object_set_new(o, "faults", faults);
	json_object_set_new(o, "url", s->o.url ? json_string(s->o.url) : json_null());
	json_object_set_new(o, "timeout", jnum(s->o.timeout));
	json_object_set_new(o, "from", jnum(s->o.from));
	json_object_set_new(o, "to", jnum(s->o.to));
	json_object_set_new(o, "checkpoint_every", jnum(s->o.checkpoint_every));
	for (i = 0; i < s->ntr; i++)
		json_array_append_new(trs, tracker_json(&s->tr[i]));
	for (i = 0; i < s->npr; i++)
		json_array_append_new(prs, probe_json(&s->pr[i]));
	json_object_set_new(j, "state_version", json_integer(SOAK_STATE_VERSION));
	json_object_set_new(j, "opts", o);
	json_object_set_new(j, "gates_file", json_string(s->cfg->file));
	json_object_set_new(j, "gates_text", json_stringn(s->cfg->text, s->cfg->text_len));
	json_object_set_new(j, "t0", jnum(s->t0));
	json_object_set_new(j, "t0_real", jnum(s->t0_real));
	json_object_set_new(j, "last_t", jnum(s->last_t));
	json_object_set_new(j, "next_i", json_integer((json_int_t)s->next_i));
	json_object_set_new(j, "samples", json_integer((json_int_t)s->samples));
	json_object_set_new(j, "missing", json_integer((json_int_t)s->missing));
	json_object_set_new(j, "last_error", json_string(s->last_error));
	json_object_set_new(j, "aborted", json_boolean(s->aborted));
	json_object_set_new(j, "abort_reason", json_string(s->abort_reason));
	json_object_set_new(j, "complete", json_boolean(s->complete));
	json_object_set_new(j, "resumes", json_integer(s->resumes));
	json_object_set_new(j, "trackers", trs);
	json_object_set_new(j, "probes", prs);
	return j;
}

int
soak_checkpoint(struct soak *s, struct mm_err *err)
{
	json_t *j;
	char *text;
	int ret;

	if (!s->o.state_path)
		return 0;
	j = state_json(s);
	/* Doubles round-trip exactly (jsontree), so a resume is exact. */
	text = jsontree_dumps_compact(j);
	json_decref(j);
	ret = atomicfile_write_atomic(s->o.state_path, text, strlen(text), err);
	free(text);
	s->last_ckpt_t = isnan(s->last_t) ? s->t0 : s->last_t;
	return ret;
}

static int
source_from_name(const char *n)
{
	size_t i;

	for (i = 0; i < SOAK_NSOURCES; i++)
		if (strcmp(soak_source_names[i], n) == 0)
			return (int)i;
	return -1;
}

struct soak *
soak_resume(const char *path, const struct soak_opts *rt, struct mm_err *err)
{
	json_t *j, *o, *fl, *trs, *prs;
	struct soak_opts so;
	struct gate_config *cfg = NULL;
	struct soak *s = NULL;
	const char **faults = NULL;
	const char *gtext;
	char *end;
	int src;
	size_t i;

	if (!(j = jsontree_load_file(path, err)))
		return NULL;
	o = json_object_get(j, "opts");
	if (jsontree_num(j, "state_version", 0) != SOAK_STATE_VERSION || !json_is_object(o) ||
	    (src = source_from_name(jsontree_str(o, "source", ""))) < 0) {
		mm_errf(err, MM_E_PARSE, "'%s' is not a soak checkpoint of this version", path);
		goto fail;
	}
	memset(&so, 0, sizeof(so));
	so.source = (enum soak_source)src;
	so.duration = jkey(o, "duration");
	so.interval = jkey(o, "interval");
	so.warmup = jkey(o, "warmup");
	so.abort_on_fail = jsontree_bool(o, "abort_on_fail", 0);
	so.seed = strtoull(jsontree_str(o, "seed", "0"), &end, 10);
	fl = json_object_get(o, "faults");
	faults = xcalloc(json_array_size(fl) + 1, sizeof(*faults));
	for (i = 0; i < json_array_size(fl); i++)
		faults[i] = json_string_value(json_array_get(fl, i));
	so.faults = faults;
	so.nfaults = json_array_size(fl);
	so.url = jsontree_str(o, "url", NULL);
	so.timeout = jkey(o, "timeout");
	so.from = jkey(o, "from");
	so.to = jkey(o, "to");
	so.checkpoint_every = jkey(o, "checkpoint_every");
	so.state_path = rt->state_path ? rt->state_path : path;
	so.stop = rt->stop;
	so.progress = rt->progress;
	so.progress_ctx = rt->progress_ctx;
	if (soak_check_opts(&so, err) < 0)
		goto fail;
	gtext = jsontree_str(j, "gates_text", NULL);
	if (!gtext) {
		mm_errf(err, MM_E_PARSE, "'%s': the checkpoint has no gates", path);
		goto fail;
	}
	if (!(cfg = gates_loadb(gtext, json_string_length(json_object_get(j, "gates_text")),
				jsontree_str(j, "gates_file", "<checkpoint>"), err)))
		goto fail;
	if (!(s = soak_alloc(&so, cfg, err)))
		goto fail;
	s->t0 = jkey(j, "t0");
	s->t0_real = jkey(j, "t0_real");
	s->warmup_end = s->t0 + s->warmup;
	soak_build(s);
	trs = json_object_get(j, "trackers");
	prs = json_object_get(j, "probes");
	if (json_array_size(trs) != s->ntr || json_array_size(prs) != s->npr) {
		mm_errf(err, MM_E_PARSE, "'%s': the checkpoint does not match its gates", path);
		goto fail;
	}
	for (i = 0; i < s->ntr; i++)
		if (tracker_load(&s->tr[i], json_array_get(trs, i)) < 0) {
			mm_errf(err, MM_E_PARSE, "'%s': series %zu of the checkpoint is damaged",
				path, i);
			goto fail;
		}
	for (i = 0; i < s->npr; i++)
		if (probe_load(&s->pr[i], json_array_get(prs, i)) < 0) {
			mm_errf(err, MM_E_PARSE, "'%s': gate %zu of the checkpoint is damaged",
				path, i);
			goto fail;
		}
	s->last_t = jkey(j, "last_t");
	s->next_i = jcount(j, "next_i");
	s->samples = jcount(j, "samples");
	s->missing = jcount(j, "missing");
	snprintf(s->last_error, sizeof(s->last_error), "%s", jsontree_str(j, "last_error", ""));
	s->aborted = jsontree_bool(j, "aborted", 0);
	snprintf(s->abort_reason, sizeof(s->abort_reason), "%s",
		 jsontree_str(j, "abort_reason", ""));
	s->complete = jsontree_bool(j, "complete", 0);
	s->resumes = (unsigned)jcount(j, "resumes") + 1;
	s->last_ckpt_t = isnan(s->last_t) ? s->t0 : s->last_t;
	if (so.source == SOAK_SRC_MOCK) {
		if (soak_make_sim(s, err) < 0)
			goto fail;
		/* The model depends only on seed, faults and time: replay it to the checkpoint. */
		if (!isnan(s->last_t))
			sim_advance_to(s->sim, s->last_t - s->t0);
		snprintf(s->target, sizeof(s->target), "simulator (seed %llu)",
			 (unsigned long long)so.seed);
	} else {
		snprintf(s->target, sizeof(s->target), "%s", so.url ? so.url : "");
	}
	free(faults);
	gates_free(cfg);
	json_decref(j);
	return s;
fail:
	soak_free(s);
	free(faults);
	gates_free(cfg);
	json_decref(j);
	return NULL;
}
