/*
 * alerts.h - the production alert rules rendered from the gates file
 * (DESIGN.md §5): deploy/gates/soak.yaml is the one place a threshold or a
 * `for:` is written, and deploy/prometheus/alerts_soak.yml is its rendering.
 *
 * Each gate becomes one Prometheus alerting rule:
 *
 *   alert        the gate's alert.name
 *   expr         the gate's alert.expr with the negated comparison
 *                ("... * 1000 > 150", gates_alert_expr())
 *   for          the gate's alert.for
 *   labels       severity (critical for hard gates, warning for soft ones)
 *                and gate (hard or soft), which the Alertmanager routing and
 *                the rollback policy key on
 *   annotations  summary (the gate's alert.summary), description (what the
 *                gate measures, the value, the threshold and the for:) and
 *                runbook_url (runbook base + "soak-test-failures.md#" + the
 *                alert name in lower case, a section of
 *                docs/runbooks/soak-test-failures.md)
 *
 * A time scale K (for `mmops sim --speed K`) divides every `for:` and every
 * duration of the expression (range windows "[5m]", subquery ranges and
 * steps "[1h:1m]", "offset 5m") by K, so a compressed run tests the
 * production rules, only faster.  Scaled durations are rounded to the
 * millisecond; one that rounds to 0 is an error.
 *
 * The output is deterministic: the same gates and options give the same
 * bytes, which is what `mmops alerts check` relies on.
 */
#ifndef MM_ALERTS_H
#define MM_ALERTS_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "gates.h"

/* Where runbook_url points unless told otherwise (a directory URL, with '/'). */
#define ALERTS_RUNBOOK_BASE   "https://github.com/mmops/mmops/blob/main/docs/runbooks/"
#define ALERTS_RUNBOOK_PAGE   "soak-test-failures.md"
#define ALERTS_GROUP	      "mm-soak-gates"
#define ALERTS_MAX_SCALE      1e6		/* as `mmops sim --speed` */
#define ALERTS_MAX_OUTPUT     ((size_t)1 << 20) /* a rendering's cap */
#define ALERTS_MAX_DIFF	      ((size_t)1 << 20) /* a diff's cap */
#define ALERTS_DIFF_MAX_LINES 20000		/* longer files get a first-difference report */

struct alerts_opts {
	double time_scale;	  /* 1 (production) .. ALERTS_MAX_SCALE */
	const char *runbook_base; /* NULL: ALERTS_RUNBOOK_BASE */
	const char *source;	  /* the gates file's name for the header comment */
};

void alerts_opts_init(struct alerts_opts *o);

/*
 * Append the rule file for cfg's gates to out.  -1 and err: MM_E_USAGE for a
 * time scale out of range, MM_E_CONFIG when a gate's expression cannot be
 * scaled (a duration that rounds to 0, a malformed one) or a string would not
 * survive as YAML, MM_E_LIMIT when out refused the text.
 */
int alerts_render(const struct gate_config *cfg, const struct alerts_opts *o, struct buf *out,
		  struct mm_err *err);

/*
 * Append expr to out with every duration (range, subquery range and step,
 * offset) divided by k; string literals are copied untouched.  -1 and err
 * (MM_E_CONFIG, with the byte offset in the message) for a malformed or
 * too-short duration or an unterminated string or bracket.
 */
int alerts_scale_expr(const char *expr, double k, struct buf *out, struct mm_err *err);

/*
 * Seconds as a Prometheus duration: "10m", "1m25s714ms", "500ms".  Rounded
 * to the millisecond; returns buf, or NULL when that rounds to 0 or the
 * value is not finite.
 */
const char *alerts_format_duration(double seconds, char *buf, size_t n);

/*
 * A line diff of two texts in unified format ("--- A", "+++ B", "@@ -l,n +l,n @@",
 * three lines of context), appended to out.  Returns the number of lines
 * removed plus added (0: identical).  Texts longer than ALERTS_DIFF_MAX_LINES
 * get the first differing line instead of a full diff.
 */
size_t alerts_diff(const char *a, size_t alen, const char *aname, const char *b, size_t blen,
		   const char *bname, struct buf *out);

#endif
