/*
 * canary_report.h - the canary's reports: canary.json (verdict, score,
 * groups, and per metric the classification with every statistic behind
 * it), a Markdown summary fit for $GITHUB_STEP_SUMMARY, one self-contained
 * HTML page with per metric the two ECDFs overlaid and the Hodges-Lehmann
 * shift with its interval drawn, and JUnit XML (a testcase per metric,
 * through lib/junit).
 *
 * The writers only render a struct canary_report (everything borrowed);
 * they read no clock (generated_at is in the model) and write atomically.
 * The JSON shape is documented in docs/canary.md.
 */
#ifndef MM_CANARY_REPORT_H
#define MM_CANARY_REPORT_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"
#include "canary.h"
#include "err.h"

#define CANARY_REPORT_MAX  ((size_t)64 << 20)
#define CANARY_PLOT_POINTS 200 /* ECDF steps drawn per side */

struct canary_report {
	const struct canary_config *cfg;
	const char *source;   /* "mock", "prometheus", "soak", "samples" */
	const char *baseline; /* what the baseline is: "sim seed 1", a selector, a file */
	const char *candidate;
	double generated_at; /* clock_now(), CI_FAKE_UTC-aware */
	double from, to;     /* the compared window (NAN when unknown) */
	size_t n;
	const struct canary_result *results;
	const struct canary_score *score;
};

json_t *canary_report_json(const struct canary_report *r);
int canary_report_markdown(const struct canary_report *r, struct buf *b);
int canary_report_html(const struct canary_report *r, struct buf *b);
int canary_report_junit(const struct canary_report *r, struct buf *b);

/* Atomic writes; -1 and err (MM_E_IO, MM_E_LIMIT). */
int canary_write_json(const struct canary_report *r, const char *path, struct mm_err *err);
int canary_write_markdown(const struct canary_report *r, const char *path, struct mm_err *err);
int canary_write_html(const struct canary_report *r, const char *path, struct mm_err *err);
int canary_write_junit(const struct canary_report *r, const char *path, struct mm_err *err);

#endif
