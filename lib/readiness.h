/*
 * readiness.h - release readiness: score the evidence a release leaves
 * behind (soak gates, golden drift, test results, alert rules, rollback
 * policy) into readiness.json, and validate such a file.
 *
 * A score is a list of sections, each with a maximum (the maxima add up to
 * 100).  A section earns its maximum when its evidence proves its criterion
 * and 0 otherwise; every section says which files it read, what it found and
 * why it got its points.  The verdict is GO iff the score is 100, else HOLD.
 * Evidence that is missing, unreadable or malformed costs its section its
 * points and is explained; it is never an error of the scorer itself.
 *
 * readiness.json (keys sorted when dumped with jsontree_dumps):
 *
 *   {
 *     "runtime": {"utc": "1970-01-01T00:00:00Z", "version": "0.1.0"},
 *     "score": 85,
 *     "sections": {
 *       "<name>": {"check": "<check>", "max": 20, "points": 0,
 *                  "status": "pass" | "fail" | "missing" | "invalid",
 *                  "reason": "one line", "evidence": {...}},
 *       ...
 *     },
 *     "tool": "mmops", "version": "0.1.0",
 *     "verdict": "GO" | "HOLD"
 *   }
 */
#ifndef MM_READINESS_H
#define MM_READINESS_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"

#define READINESS_TOTAL	       100 /* the section maxima add up to this */
#define READINESS_MAX_SECTIONS 16
#define READINESS_MAX_NAME     64		  /* section names: [a-z0-9_], at most this long */
#define READINESS_MAX_EVIDENCE 64		  /* evidence files of one section */
#define READINESS_MAX_REQUIRED 256		  /* required alerts of one section */
#define READINESS_MAX_FILE     ((size_t)64 << 20) /* 64 MiB: the most any evidence file may be */
#define READINESS_MAX_PROBLEMS 1000		  /* validate stops listing after this many */

/* What a section checks; each kind reads one kind of evidence file. */
enum readiness_check {
	RCHECK_SOAK_GATES,	/* gates summary JSON of `mmops soak --gate-summary` */
	RCHECK_GOLDEN,		/* `mmops golden --format json` report */
	RCHECK_JUNIT,		/* JUnit XML test results, one or more files */
	RCHECK_ALERT_RULES,	/* Prometheus rule file with the required alerts */
	RCHECK_ROLLBACK_POLICY, /* rollback policy YAML of `mmops watch` */
	RCHECK_CANARY,		/* canary.json of `mmops canary --out-json`: verdict pass */
	RCHECK_COUNT
};

/* "soak_gates", "golden", "junit", "alert_rules", "rollback_policy"; NULL if out of range. */
const char *readiness_check_name(enum readiness_check c);
/* The check named s; -1 when there is none. */
int readiness_check_parse(const char *s);

struct readiness_section_conf {
	char *name;
	enum readiness_check check;
	long max;	 /* 1..100 */
	char **evidence; /* file paths, relative to the working directory */
	size_t nevidence;
	/*
	 * Alert names.  RCHECK_ALERT_RULES ("require_alerts"): each must be an
	 * alerting rule with expr, for and labels.severity.
	 * RCHECK_ROLLBACK_POLICY ("require_hard_alerts"): the policy must roll
	 * back on each (classify an alert carrying just that alertname as hard).
	 */
	char **require_alerts;
	size_t nrequire;
};

/* A scoring configuration; owns all its strings. */
struct readiness_conf {
	struct readiness_section_conf *sections;
	size_t n;
};

/*
 * The built-in configuration as YAML text, byte for byte the same as
 * deploy/readiness.yaml (a unit test holds them together).
 */
/* The section statuses a readiness.json holds, in the scorer's order. */
#define READINESS_NSTATUS 4
extern const char *const readiness_status_names[READINESS_NSTATUS];
extern const char readiness_default_yaml[];

/*
 * Load a configuration from a YAML file / buffer (name is used in error
 * positions), the shape of deploy/readiness.yaml:
 *
 *   sections:
 *     - name: tests               # [a-z0-9_], unique: the key in readiness.json
 *       check: junit              # one of readiness_check_name()
 *       max: 20                   # 1..100; all maxima add up to 100
 *       evidence: [a.xml, b.xml]  # a path or a list (one path except for junit)
 *       require_alerts: [...]     # alert_rules only
 *       require_hard_alerts: [...]  # rollback_policy only
 *  Checks every key, the section names (unique, [a-z0-9_]),
 * the checks, the limits above and that the maxima add up to 100.
 * -1 and err (MM_E_CONFIG or MM_E_PARSE with file:line:col, MM_E_IO) on
 * failure, leaving conf empty.  conf must be released with
 * readiness_conf_release() either way.
 */
int readiness_conf_load(struct readiness_conf *conf, const char *path, struct mm_err *err);
int readiness_conf_loadb(struct readiness_conf *conf, const char *data, size_t len,
			 const char *name, struct mm_err *err);
/*
 * The built-in configuration (readiness_default_yaml).  It is tested to load,
 * so a failure here (reported as for readiness_conf_loadb) is a build bug.
 */
int readiness_conf_default(struct readiness_conf *conf, struct mm_err *err);
void readiness_conf_release(struct readiness_conf *conf);

/*
 * Replace the evidence of every section whose check is c with the n paths
 * (copied).  Used for the command-line overrides (--junit F...).  Returns
 * the number of sections changed.
 */
size_t readiness_conf_set_evidence(struct readiness_conf *conf, enum readiness_check c,
				   const char *const *paths, size_t n);

/*
 * Score one section: a new object {check, max, points, status, reason,
 * evidence}.  Reads the section's evidence files; never fails.
 */
json_t *readiness_score_section(const struct readiness_section_conf *s);

/*
 * Score every section of conf into a new readiness.json object with
 * runtime.utc = now (seconds since the epoch, see clock_now()).
 */
json_t *readiness_score(const struct readiness_conf *conf, double now);

/*
 * The scorers of each check, on evidence already in memory (name is the path
 * to report).  Each returns a new section object as above for a section of
 * maximum max.  Exposed for the unit tests and the fuzzers.
 */
json_t *readiness_eval_soak_gates(const char *data, size_t len, const char *name, long max);
json_t *readiness_eval_golden(const char *data, size_t len, const char *name, long max);
json_t *readiness_eval_alert_rules(const char *data, size_t len, const char *name, long max,
				   const char *const *required, size_t nrequired);
json_t *readiness_eval_rollback_policy(const char *data, size_t len, const char *name, long max,
				       const char *const *hard, size_t nhard);
/* canary.json: passes on verdict "pass"; marginal and fail do not (evidence: score, breaches). */
json_t *readiness_eval_canary(const char *data, size_t len, const char *name, long max);

/* One problem found by readiness_validate(). */
struct readiness_problem {
	char *where; /* JSON Pointer of the offending value ("" for the whole document) */
	char *what;  /* what is wrong, lowercase, no full stop */
};

struct readiness_problems {
	struct readiness_problem *v;
	size_t n;
	size_t alloc;
	int truncated; /* more than READINESS_MAX_PROBLEMS were found */
};

void readiness_problems_release(struct readiness_problems *p);

/*
 * Check a parsed readiness.json and append every problem to *out (which
 * must be zeroed or released first): required keys and types, ranges
 * (score 0..100, every section's points 0..its max, maxima adding up to
 * 100, points adding up to the score), verdict logic (GO iff score == 100),
 * section status agreeing with its points, and runtime metadata (utc in
 * RFC 3339 UTC, version non-empty).  Returns the number of problems.
 */
size_t readiness_validate(const json_t *doc, struct readiness_problems *out);

#endif
