/*
 * soak_internal.h - what the parts of the soak engine share and nobody
 * else may use: the engine's structs (a tracker per series, a probe per gate
 * or recorded series, the run) and the few functions soak.c lends to
 * soak_checkpoint.c.  Include it only from lib/soak*.c; soak.h is the API.
 */
#ifndef MM_SOAK_INTERNAL_H
#define MM_SOAK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "gates.h"
#include "soakreport.h"
#include "sim.h"
#include "soak.h"
#include "stats.h"

#define HASH_SLOTS    256 /* match table; power of two */
#define SOAK_NSOURCES 4	  /* enum soak_source */

/* "mock", "scrape", "prometheus", "prometheus-range" (soak.c) */
extern const char *const soak_source_names[SOAK_NSOURCES];

enum role { ROLE_VALUE, ROLE_BUCKET, ROLE_TYPECHECK };
enum ring_kind { RK_NONE, RK_HIST, RK_MEAN, RK_INC, RK_RAW };

struct tracker {
	const struct series_sel *sel;
	/* this sample */
	int seen, bad;
	double sum;
	unsigned cnt;
	size_t ncur, hint;
	struct hbucket cur[STATS_MAX_BUCKETS];
	char bad_msg[1024];
	double value; /* this sample's scalar value (unscaled) */
	/* since the start (windows, EMAs) */
	struct stats_hist hall;
	unsigned layout_gen;
	struct stats_twmean twall;
	struct stats_counter call;
	struct stats_ema e1h, e24h;
	/* after warm-up (the aggregates) */
	struct stats_hist hw;
	struct stats_twmean tww;
	int post; /* a sample after warm-up was seen */
	double inc_base;
	double min, max, last;
	unsigned long nw;
	double prev_t, prev_v;
	int have_prev;
	int need_raw;
	double *raw;
	size_t nraw, rawcap;
	unsigned long samples;
	int error;
	char errmsg[1024];
};

/* Snapshots (t, v[k]) oldest first, in a circular buffer that grows. */
struct ring {
	size_t k, cap, head, n;
	double *d;
};

struct probe {
	struct tracker *tr;
	const struct gate_def *gate; /* NULL for a recorded series */
	const char *name;
	enum gate_agg agg;
	double window;
	enum ring_kind rk;
	unsigned layout_gen;
	struct ring ring;
	struct chart chart;
	struct gate_eval ev;
	double windowed; /* last windowed value, scaled */
	char label[64];
	struct soakreport_recording rec; /* --record-series */
};

struct match {
	const char *key; /* owned */
	size_t len;
	uint32_t hash;
	struct tracker *tr;
	enum role role;
	int next; /* next entry with the same slot, -1 at the end */
};

struct soak {
	struct soak_opts o;
	char *url_own, *state_own;
	char **faults_own;
	struct gate_config *cfg;
	double warmup, warmup_end;
	double t0, t0_real;
	double last_t;
	unsigned long next_i;
	unsigned long samples, missing;
	unsigned long failing; /* consecutive missing samples */
	char last_error[1024];
	int aborted, interrupted, complete;
	char abort_reason[400];
	unsigned resumes;
	double last_ckpt_t;
	size_t ntr, npr;
	struct tracker *tr;
	struct probe *pr;
	struct match *m;
	size_t nm;
	int slot[HASH_SLOTS];
	struct sim *sim;
	struct buf render;
	double *scratch;
	size_t scratch_cap;
	char breaching[1024];
	/* report storage */
	struct soakreport_gate *rg;
	struct soakreport_series *rs;
	char target[512];
};

/* soak.c: the run's set-up, lent to soak_checkpoint.c for --resume. */
int soak_check_opts(const struct soak_opts *o, struct mm_err *err);
struct soak *soak_alloc(const struct soak_opts *o, const struct gate_config *cfg,
			struct mm_err *err);
void soak_build(struct soak *s);
int soak_make_sim(struct soak *s, struct mm_err *err);
/* The snapshot ring of a probe. */
void soak_ring_init(struct ring *r, size_t k);
void soak_ring_release(struct ring *r);
double *soak_ring_at(const struct ring *r, size_t i);
void soak_ring_push(struct ring *r, double t, const double *v, size_t k);

#endif
