/*
 * soak.h - the soak engine: takes samples from a source at a fixed interval
 * for a planned duration, keeps per-series aggregates and per-gate windowed
 * judgements, checkpoints its whole state, and fills the report model.
 *
 * Sources:
 *   SOAK_SRC_MOCK        the in-process simulator (lib/sim) on a simulated
 *                        clock: each sample is sim_render() at t, parsed by
 *                        lib/promtext exactly as a scrape would be
 *   SOAK_SRC_SCRAPE      GET a /metrics URL every interval, in real time
 *   SOAK_SRC_PROM_LIVE   instant queries to a Prometheus every interval
 *   SOAK_SRC_PROM_RANGE  query_range over [from, to] of a soak that ran
 *
 * Memory does not grow with the duration: every series keeps running
 * aggregates (stats.h), a ring of snapshots as long as its gate's window and
 * a CHART_BUCKETS-point chart.  (A p* aggregate on a gauge keeps its raw
 * samples: quantiles of raw samples need them all.)
 *
 * A failed or timed-out scrape is recorded as missing and never fatal; the
 * engine stops early only on *stop (a signal) or, with abort_on_fail, on the
 * first sustained (or irreversible) hard breach.
 */
#ifndef MM_SOAK_H
#define MM_SOAK_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "gates.h"
#include "soakreport.h"

#define SOAK_MAX_FAULTS		64
#define SOAK_MAX_SAMPLES_WINDOW 1000000 /* ring entries per window */
#define SOAK_STATE_VERSION	1
#define SOAK_MAX_STATE		((size_t)256 << 20)
#define SOAK_SCRAPE_MAX_BODY	((size_t)64 << 20)

enum soak_source {
	SOAK_SRC_MOCK,
	SOAK_SRC_SCRAPE,
	SOAK_SRC_PROM_LIVE,
	SOAK_SRC_PROM_RANGE,
};

struct soak_progress {
	double elapsed, planned; /* soak seconds */
	unsigned long samples, missing;
	size_t breaching;	     /* gates whose windowed value breaches now */
	const char *breaching_names; /* "latency_p95,hit_ratio" (borrowed, this call only) */
	int done;		     /* the last call of the run */
};

typedef void (*soak_progress_fn)(const struct soak_progress *p, void *ctx);

struct soak_opts {
	enum soak_source source;
	double duration; /* seconds of soak (hours * 3600) */
	double interval; /* seconds between samples; the minimum step for ranges */
	double warmup;	 /* seconds; < 0: the gates file's */
	int abort_on_fail;
	int record_series; /* keep every windowed value (soakreport.h, bounded); not checkpointed */
	/* mock */
	uint64_t seed;
	const char *const *faults; /* fault specs (sim.h) */
	size_t nfaults;
	/* scrape / prometheus */
	const char *url; /* /metrics URL, or the Prometheus base URL */
	double timeout;	 /* per request; 0 = min(interval, 10s) */
	double from, to; /* SOAK_SRC_PROM_RANGE */
	/* checkpoints */
	const char *state_path;	 /* NULL: none */
	double checkpoint_every; /* soak seconds between checkpoints (0: none) */
	/* runtime, never saved */
	volatile sig_atomic_t *stop; /* set by a signal handler: finish early */
	soak_progress_fn progress;
	void *progress_ctx;
};

struct soak;

/*
 * A new engine for cfg (copied: cfg may be freed afterwards) and o (copied,
 * including its strings).  Fails (MM_E_USAGE) on a bad fault spec or option.
 * The start of the time axis is clock_now() (CI_FAKE_UTC-aware) for mock and
 * live sources, o->from for ranges.
 */
struct soak *soak_new(const struct soak_opts *o, const struct gate_config *cfg, struct mm_err *err);

/*
 * An engine restored from a checkpoint written by a run with state_path:
 * the recorded options and gates, the aggregates, judgements and charts as
 * of the checkpoint.  Runtime fields (stop, progress) and state_path come
 * from rt; the other fields of rt are ignored.
 */
struct soak *soak_resume(const char *path, const struct soak_opts *rt, struct mm_err *err);

/* The options in effect (for a resumed run: the recorded ones). */
const struct soak_opts *soak_get_opts(const struct soak *s);
const struct gate_config *soak_get_config(const struct soak *s);

/*
 * Run until the planned end, *stop, or an abort.  -1 and err only for what
 * makes the run impossible (a checkpoint that cannot be written, the
 * simulator refusing a fault); source failures are recorded, not returned.
 */
int soak_run(struct soak *s, struct mm_err *err);

/* Write a checkpoint now (atomically).  -1 and err (MM_E_IO). */
int soak_checkpoint(struct soak *s, struct mm_err *err);

/*
 * Fill r from the engine (judging every gate); everything in r is borrowed
 * from s and valid until the next soak_* call that changes s or soak_free.
 * generated_at is the caller's (clock_now()).
 */
void soak_report(struct soak *s, double generated_at, struct soak_report *r);

/* The exit code of DESIGN.md §2 for the run as reported: 0, 1 or 3. */
int soak_exit_code(const struct soak_report *r);

void soak_free(struct soak *s);

/*
 * Lower level, for tests and custom sources: one sample at soak time t.
 * soak_feed_text() parses an exposition (lib/promtext) and records it;
 * soak_feed_missing() records a failed scrape.  t must increase.
 */
int soak_feed_text(struct soak *s, double t, const char *data, size_t len, const char *name,
		   struct mm_err *err);
void soak_feed_missing(struct soak *s, double t, const char *why);
/* Whether the run has been stopped by --abort-on-fail, and why. */
int soak_aborted(const struct soak *s, const char **why);

#endif
