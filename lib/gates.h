/*
 * gates.h - the soak's gates: the configuration file (deploy/gates/soak.yaml,
 * DESIGN.md §5, one source of truth for the soak and the production alerts)
 * and the judging of one gate from the values the soak engine computes.
 *
 * A gate names an exported metric (with optional label matchers and a scale,
 * e.g. 1000 for seconds -> ms), an aggregate over the soak, a comparison and
 * a threshold; hard or soft; a no-data rule; a window for the "windowed"
 * value and the production alert (name, PromQL value expression, `for:`).
 * The verdict is:
 *
 *   fail     the aggregate over the soak (after warm-up) breaches, or the
 *            windowed value breached continuously for at least the alert's
 *            `for:` (the production alert would have fired)
 *   no_data  the metric never appeared after warm-up (unless the gate's
 *            no_data rule turns that into pass or fail)
 *   error    the data was there but unusable (a query error, a histogram
 *            without +Inf, a sample of the wrong type)
 *   pass     otherwise
 *
 * Loading checks everything before a soak starts: an unknown key, metric
 * (not declared in `metrics:`), aggregate, operator, type or no-data rule is
 * an error at its file:line:col.
 */
#ifndef MM_GATES_H
#define MM_GATES_H

#include <stddef.h>

#include "err.h"

#define GATES_MAX	  64  /* gates in one file */
#define GATES_MAX_RECORD  64  /* record: series in one file */
#define GATES_MAX_METRICS 256 /* declared metrics */
#define GATES_MAX_LABELS  16  /* label matchers of one selector */
#define GATES_NAME_MAX	  128 /* gate, metric, label and alert names */

/* Built-in defaults, also the values the file may override. */
#define GATES_DEFAULT_WINDOW 300.0 /* 5m */
#define GATES_DEFAULT_WARMUP 0.0

enum metric_type { MTYPE_GAUGE, MTYPE_COUNTER, MTYPE_HISTOGRAM };

enum gate_agg {
	AGG_P50,
	AGG_P90,
	AGG_P95,
	AGG_P99,
	AGG_P999,
	AGG_MEAN,
	AGG_MIN,
	AGG_MAX,
	AGG_LAST,
	AGG_INCREASE,
	AGG_EMA1H,
	AGG_EMA24H,
	AGG_COUNT_ /* number of aggregates */
};

enum gate_op { OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE };

enum gate_nodata { NODATA_NO_DATA, NODATA_FAIL, NODATA_PASS };

enum gate_verdict { VERDICT_PASS, VERDICT_FAIL, VERDICT_NO_DATA, VERDICT_ERROR };

struct label_match {
	char *name;
	char *value; /* equality only */
};

/* A series: metric name + equality label matchers + scale. */
struct series_sel {
	char *metric;
	enum metric_type type;
	size_t nlabels;
	struct label_match labels[GATES_MAX_LABELS];
	double scale; /* multiply values by this (1 by default) */
	char *unit;   /* "ms", "" when none */
};

struct gate_alert {
	char *name;    /* "SoakLatencyP95High" */
	char *expr;    /* PromQL for the value, without the comparison */
	double for_s;  /* the alert's for: (also the soak's sustained-breach rule) */
	char *summary; /* optional, "" when absent */
};

struct gate_def {
	char *name;
	char *description; /* "" when absent */
	int hard;	   /* 1 hard, 0 soft */
	struct series_sel sel;
	enum gate_agg agg;
	enum gate_op op;
	double threshold;
	double window; /* seconds, for windowed quantile / mean / increase */
	enum gate_nodata no_data;
	struct gate_alert alert;
	unsigned long line, col; /* where the gate starts in its file */
};

struct record_def {
	char *name; /* the report's name for it: "tick_latency_ms" */
	struct series_sel sel;
};

struct metric_decl {
	char *name;
	enum metric_type type;
};

struct gate_config {
	char *file; /* "deploy/gates/soak.yaml" or "<built-in>" */
	char *text; /* the file's bytes, as loaded (for checkpoints) */
	size_t text_len;
	double warmup;	  /* seconds judged as warm-up, from the file */
	double staleness; /* hold limit for samples (stats.h) */
	size_t nmetrics;
	struct metric_decl *metrics;
	size_t nrecord;
	struct record_def *record;
	size_t ngates;
	struct gate_def *gates;
};

/*
 * The built-in gates: byte for byte the text of deploy/gates/soak.yaml (a
 * unit test compares them).  Static storage.
 */
extern const char gates_default_yaml[];

/* Load a gates file / buffer (name is used in error positions).  Caller frees. */
struct gate_config *gates_load_file(const char *path, struct mm_err *err);
struct gate_config *gates_loadb(const char *data, size_t len, const char *name, struct mm_err *err);
/* The built-in default (never fails unless the embedded text is broken). */
struct gate_config *gates_load_default(struct mm_err *err);
void gates_free(struct gate_config *cfg);

/* Names, for reports and messages (static strings). */
const char *gates_agg_name(enum gate_agg a);
const char *gates_op_name(enum gate_op op);    /* "<=" */
const char *gates_op_negated(enum gate_op op); /* "<=" -> ">" */
const char *gates_type_name(enum metric_type t);
const char *gates_verdict_name(enum gate_verdict v); /* "pass", "fail", "no_data", "error" */
const char *gates_nodata_name(enum gate_nodata r);
/* Quantile of a pXX aggregate, or -1 for the others. */
double gates_agg_quantile(enum gate_agg a);

/* Whether value satisfies "value op threshold" (NaN never does). */
int gates_compare(enum gate_op op, double value, double threshold);

/*
 * The production alert's full PromQL: the value expression and the negated
 * comparison ("... * 1000 > 150").  Written into buf (size n); returns buf.
 */
const char *gates_alert_expr(const struct gate_def *g, char *buf, size_t n);

/* "mm_tick_latency_seconds{stage=\"tick_total\"}" into buf; returns buf. */
const char *gates_selector_str(const struct series_sel *s, char *buf, size_t n);

/*
 * The running judgement of one gate over the windowed values the engine
 * computes at each evaluation (each scrape after warm-up).
 */
struct gate_eval {
	const struct gate_def *def;
	double staleness;
	unsigned long evals;	 /* evaluations with a value */
	unsigned long nan_evals; /* evaluations without one */
	unsigned long breach_evals;
	double last_t; /* last evaluation time, NAN before the first */
	double last_value;
	int in_streak;
	double streak_start;
	double last_breach_t;
	double first_breach;	/* NAN when never breached */
	double longest;		/* longest streak, seconds */
	double longest_start;	/* its start, NAN when none */
	double breach_seconds;	/* total time in breach */
	int sustained;		/* a streak reached for: */
	double first_sustained; /* when it did, NAN when never */
};

void gate_eval_init(struct gate_eval *ev, const struct gate_def *def, double staleness);
/*
 * One evaluation at time t with the windowed value v (NaN: no value at this
 * step, which ends a streak).  Returns 1 when this step made a breach
 * sustained for the first time (for --abort-on-fail), else 0.
 */
int gate_eval_step(struct gate_eval *ev, double t, double v);
/* Close an open streak at the end of the run (time t). */
void gate_eval_finish(struct gate_eval *ev, double t);

/* What the engine knows about a gate's data at the end. */
enum gate_data { GDATA_OK, GDATA_NONE, GDATA_ERROR };

struct gate_result {
	const struct gate_def *def;
	enum gate_verdict verdict;
	double value;		/* the aggregate over the soak, scaled; NAN when none */
	int aggregate_breached; /* the value itself breaches */
	char reason[256];	/* one line saying why */
	/* copied from the gate_eval */
	double first_breach, first_sustained, longest, longest_start, breach_seconds;
	unsigned long evals, breach_evals;
	double last_windowed;
};

/*
 * Judge a gate: value is the scaled aggregate over the soak (NAN when it
 * could not be computed), data what the engine saw, errmsg the error when
 * data is GDATA_ERROR.  Fills out.
 */
void gate_judge(const struct gate_def *def, const struct gate_eval *ev, double value,
		enum gate_data data, const char *errmsg, struct gate_result *out);

#endif
