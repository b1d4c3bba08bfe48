/*
 * soakreport.h - the soak's reports: soak_metrics.json, gates_summary.json,
 * SOAK_RESULTS.md (GitHub-flavoured, fit for $GITHUB_STEP_SUMMARY), one
 * self-contained HTML page with an SVG chart per gate and series, and JUnit
 * XML with one testcase per gate.
 *
 * The soak engine fills a struct soak_report (everything borrowed from the
 * engine, valid while it lives); the writers here only render it.  Every
 * writer is deterministic (no clock read here: generated_at comes in the
 * model) and writes atomically through atomicfile.  docs/soak.md documents the JSON
 * shapes; readiness reads gates_summary.json.
 */
#ifndef MM_REPORT_H
#define MM_REPORT_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "gates.h"

#define CHART_BUCKETS 600 /* time buckets of a chart (its resolution) */

/* A downsampled time series: per time bucket min, max, mean, breach flag. */
struct chart_bucket {
	double min, max, sum;
	unsigned n;
	unsigned char breach; /* a windowed value in this bucket breached */
};

struct chart {
	double t0, span;	/* the run's planned time axis */
	size_t nb;		/* CHART_BUCKETS */
	struct chart_bucket *b; /* owned (chart_release) */
};

void chart_init(struct chart *c, double t0, double span);
void chart_release(struct chart *c);
/* Add a value at time t (NaN ignored). */
void chart_add(struct chart *c, double t, double v, int breach);

/*
 * A series' windowed value at every evaluation after warm-up, for
 * `mmops soak --record-series` (what `mmops canary --baseline-soak` reads).
 * Bounded: after SOAKREPORT_RECORD_MAX points the rest is dropped and
 * truncated set.
 */
#define SOAKREPORT_RECORD_MAX 1000000
struct soakreport_recording {
	size_t n, cap;
	double *t, *v;
	int truncated;
};
void soakreport_recording_add(struct soakreport_recording *r, double t, double v);
void soakreport_recording_release(struct soakreport_recording *r);

/* The aggregates of one series over the soak after warm-up (scaled; NAN = none). */
struct series_aggs {
	double p50, p90, p95, p99, p999;
	double mean, min, max, last, increase, ema1h, ema24h;
	double count;	       /* histograms: observations after warm-up */
	unsigned long samples; /* scrapes that had the series */
	unsigned long resets;  /* counter resets seen */
};

struct soakreport_series {
	const char *name; /* record name, or the gate's name */
	const struct series_sel *sel;
	const char *chart_label; /* "p95 over 5m", "value" */
	struct series_aggs aggs;
	const struct chart *chart;
	const char *error;			/* NULL, or why the series was unusable */
	const struct soakreport_recording *rec; /* NULL unless --record-series */
};

struct soakreport_gate {
	struct gate_result res;
	const struct chart *chart;		/* the windowed value over time */
	const struct soakreport_recording *rec; /* NULL unless --record-series */
};

struct soakreport_run {
	const char *source; /* "mock", "scrape", "prometheus", "prometheus-range" */
	const char *target; /* URL, or "simulator seed 42" */
	const char *gates_file;
	double generated_at; /* clock_now() of the writing, CI_FAKE_UTC-aware */
	double start, end;   /* soak time axis: first and last evaluation */
	double planned;	     /* planned duration, seconds */
	double elapsed;	     /* soak seconds covered */
	double interval;     /* seconds between samples (the step for ranges) */
	double warmup;
	unsigned long samples, missing; /* successful and failed scrapes/queries */
	int complete;			/* ran for the whole planned duration */
	int interrupted;		/* SIGINT/SIGTERM */
	int aborted;			/* --abort-on-fail */
	const char *abort_reason;	/* "" when not aborted */
	int unreachable;		/* not one successful scrape */
	const char *last_error;		/* the last scrape error, "" when none */
	unsigned resumes;		/* times the run was resumed from a checkpoint */
	unsigned long long seed;	/* mock only */
	const char *const *faults;	/* mock only */
	size_t nfaults;
};

struct soak_report {
	struct soakreport_run run;
	size_t ngates;
	struct soakreport_gate *gates;
	size_t nseries;
	struct soakreport_series *series;
};

/* Overall verdict: "pass", "fail" (a hard gate not passed), "incomplete", "error". */
const char *soakreport_verdict(const struct soak_report *r);
/* Counts of hard/soft gates by verdict: counts[hard][verdict]. */
void soakreport_counts(const struct soak_report *r, unsigned counts[2][4]);

/* The JSON documents (new references). */
json_t *soakreport_metrics_json(const struct soak_report *r);
json_t *soakreport_gates_json(const struct soak_report *r);

/* Render into b. -1 only when b's cap is hit. */
int soakreport_markdown(const struct soak_report *r, struct buf *b);
int soakreport_html(const struct soak_report *r, struct buf *b);
int soakreport_junit(const struct soak_report *r, struct buf *b);

/* Write each report atomically (atomicfile); -1 and err (MM_E_IO). */
int soakreport_write_metrics(const struct soak_report *r, const char *path, struct mm_err *err);
int soakreport_write_gates(const struct soak_report *r, const char *path, struct mm_err *err);
int soakreport_write_markdown(const struct soak_report *r, const char *path, struct mm_err *err);
int soakreport_write_html(const struct soak_report *r, const char *path, struct mm_err *err);
int soakreport_write_junit(const struct soak_report *r, const char *path, struct mm_err *err);

#endif
