/*
 * cmd_readiness.c - `mmops readiness score` builds readiness.json from the
 * evidence a release leaves behind; `mmops readiness validate` checks such a
 * file and turns its verdict into the exit code CI gates on.  The scoring and
 * the checks live in lib/readiness.c; this file is options, printing and exit
 * codes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cmds.h"
#include "err.h"
#include "jsontree.h"
#include "opt.h"
#include "readiness.h"
#include "xalloc.h"

/* ---- score ------------------------------------------------------------- */

static struct {
	const char *out_json, *gates, *golden, *alerts, *policy, *config, *canary;
	struct strlist junit;
	int fail_on_hold;
} so;

static const struct opt score_opts[] = {
    {"out-json", 'o', OPT_STRING, &so.out_json, "FILE",
     "write readiness.json here (required; - is stdout)", 0, 0},
    {"gates-summary", 0, OPT_STRING, &so.gates, "FILE",
     "gates summary of `mmops soak --gate-summary`", 0, 0},
    {"golden-report", 0, OPT_STRING, &so.golden, "FILE", "report of `mmops golden --format json`",
     0, 0},
    {"junit", 0, OPT_LIST, &so.junit, "FILE", "JUnit XML test results (repeatable)", 0, 0},
    {"alert-rules", 0, OPT_STRING, &so.alerts, "FILE", "Prometheus rule file with the soak alerts",
     0, 0},
    {"canary", 0, OPT_STRING, &so.canary, "FILE",
     "canary.json of `mmops canary --out-json` (for a config with a canary section)", 0, 0},
    {"policy", 0, OPT_STRING, &so.policy, "FILE", "rollback policy of `mmops watch`", 0, 0},
    {"config", 'c', OPT_STRING, &so.config, "FILE", "sections, maxima, evidence (YAML)", 0, 0},
    {"fail-on-hold", 0, OPT_BOOL, &so.fail_on_hold, NULL, "exit 1 when the verdict is HOLD", 0, 0},
    {NULL, 0, 0, NULL, NULL, NULL, 0, 0},
};

static const struct cmd_help score_help = {
    "readiness score",
    "--out-json FILE [--gates-summary FILE] [--golden-report FILE] [--junit FILE]... [options]",
    "Score release readiness from its evidence and write readiness.json.  Each section\n"
    "(soak gates, golden regression, tests, alert rules, rollback policy by default)\n"
    "earns its maximum when its evidence proves its criterion, else 0 with the reason;\n"
    "a missing or unreadable evidence file costs its section, never the run.  The\n"
    "maxima add up to 100 and the verdict is GO iff the score is 100, else HOLD.\n"
    "A summary is printed on stdout.  CI_FAKE_UTC (then SOURCE_DATE_EPOCH) fixes\n"
    "runtime.utc, so the report is byte-for-byte reproducible.\n\n"
    "Without --config the sections are those of deploy/readiness.yaml (built in),\n"
    "reading artifacts/reports/gates_summary.json, artifacts/reports/golden.json,\n"
    "artifacts/reports/junit.xml, deploy/prometheus/alerts_soak.yml and\n"
    "deploy/policies/rollback.yaml; each evidence flag replaces the file(s) of its\n"
    "section.\n"
    "exit: 0 report written (1 on HOLD with --fail-on-hold), 2 bad usage or config,\n"
    "3 the report cannot be written.",
    score_opts,
    "  CI_FAKE_UTC=\"1970-01-01T00:00:00Z\" mmops readiness score \\\n"
    "      --out-json artifacts/reports/readiness.json\n"
    "  mmops readiness score --out-json r.json --gates-summary gates_summary.json \\\n"
    "      --golden-report golden.json --junit unit.xml --junit e2e.xml --fail-on-hold\n",
};

/* "  name   points/max  status  reason", numbers as "?" when they are not numbers. */
static void
section_line(FILE *fp, const char *name, const json_t *points, const json_t *max,
	     const char *status, const char *reason)
{
	char pts[32] = "?", mx[32] = "?";

	if (json_is_number(points))
		snprintf(pts, sizeof(pts), "%g", json_number_value(points));
	if (json_is_number(max))
		snprintf(mx, sizeof(mx), "%g", json_number_value(max));
	if (*reason)
		fprintf(fp, "  %-18.64s %3s/%-3s %-8.16s %s\n", name, pts, mx, status, reason);
	else
		fprintf(fp, "  %-18.64s %3s/%-3s %.16s\n", name, pts, mx, status);
}

/* Print the human summary: verdict, then each section in configuration order. */
static void
print_summary(FILE *fp, const struct readiness_conf *conf, const json_t *doc)
{
	const json_t *sections = json_object_get(doc, "sections");
	size_t i;

	fprintf(fp, "readiness: %s, score %lld/%d\n", jsontree_str(doc, "verdict", "?"),
		(long long)json_integer_value(json_object_get(doc, "score")), READINESS_TOTAL);
	for (i = 0; i < conf->n; i++) {
		const json_t *s = json_object_get(sections, conf->sections[i].name);

		section_line(fp, conf->sections[i].name, json_object_get(s, "points"),
			     json_object_get(s, "max"), jsontree_str(s, "status", "?"),
			     jsontree_str(s, "reason", ""));
	}
}

/*
 * The command-line evidence overrides, one per check.  Evidence that no
 * section would read is a usage error rather than silently ignored.
 */
static int
apply_overrides(struct readiness_conf *conf)
{
	const struct {
		enum readiness_check check;
		const char *flag;
		const char *path;
	} one[] = {
	    {RCHECK_SOAK_GATES, "gates-summary", so.gates},
	    {RCHECK_GOLDEN, "golden-report", so.golden},
	    {RCHECK_ALERT_RULES, "alert-rules", so.alerts},
	    {RCHECK_ROLLBACK_POLICY, "policy", so.policy},
	    {RCHECK_CANARY, "canary", so.canary},
	};
	size_t i;

	for (i = 0; i < sizeof(one) / sizeof(one[0]); i++)
		if (one[i].path &&
		    readiness_conf_set_evidence(conf, one[i].check, &one[i].path, 1) == 0)
			return opt_usage_error(&score_help,
					       "--%s: the configuration has no %s section",
					       one[i].flag, readiness_check_name(one[i].check));
	if (so.junit.n &&
	    readiness_conf_set_evidence(conf, RCHECK_JUNIT, so.junit.v, so.junit.n) == 0)
		return opt_usage_error(&score_help,
				       "--junit: the configuration has no junit section");
	return 0;
}

static int
cmd_score(int argc, char **argv)
{
	struct readiness_conf conf = {NULL, 0};
	const char **pos = xcalloc((size_t)argc + 1, sizeof(*pos));
	struct mm_err err;
	json_t *doc = NULL;
	double now;
	int npos, r, ret = 2;

	memset(&so, 0, sizeof(so));
	mm_err_init(&err);
	if ((r = opt_parse(&score_help, argc, argv, pos, &npos)) != 0) {
		ret = r == 1 ? 0 : 2;
		goto out;
	}
	if (npos > 0) {
		ret = opt_usage_error(&score_help, "unexpected argument '%s'", pos[0]);
		goto out;
	}
	if (!so.out_json) {
		ret = opt_usage_error(&score_help, "--out-json FILE is required");
		goto out;
	}
	if (clock_now(&now, &err) < 0) {
		ret = cmd_fail("readiness score", &err);
		goto out;
	}
	if ((so.config ? readiness_conf_load(&conf, so.config, &err)
		       : readiness_conf_default(&conf, &err)) < 0) {
		ret = cmd_fail("readiness score", &err);
		goto out;
	}
	if (apply_overrides(&conf) != 0)
		goto out;
	doc = readiness_score(&conf, now);
	if (strcmp(so.out_json, "-") == 0) {
		char *s = jsontree_dumps(doc);

		fputs(s, stdout);
		free(s);
		/* stdout carries the JSON: the summary goes to stderr. */
		print_summary(stderr, &conf, doc);
	} else {
		if (jsontree_write_file(so.out_json, doc, &err) < 0) {
			ret = cmd_fail("readiness score", &err);
			goto out;
		}
		print_summary(stdout, &conf, doc);
		printf("wrote %s\n", so.out_json);
	}
	ret = so.fail_on_hold && strcmp(jsontree_str(doc, "verdict", ""), "GO") != 0 ? 1 : 0;
out:
	json_decref(doc);
	readiness_conf_release(&conf);
	strlist_release(&so.junit);
	free(pos);
	return ret;
}

/* ---- validate ---------------------------------------------------------- */

static struct {
	const char *format;
} vo;

static const struct opt validate_opts[] = {
    {"format", 'f', OPT_STRING, &vo.format, "text|json", "output format (default text)", 0, 0},
    {NULL, 0, 0, NULL, NULL, NULL, 0, 0},
};

static const struct cmd_help validate_help = {
    "readiness validate",
    "[--format text|json] FILE",
    "Validate a readiness.json ('-' reads stdin): structure (required keys and types),\n"
    "ranges (score 0..100, each section's points 0..its max, maxima adding up to 100,\n"
    "points adding up to the score), verdict logic (GO iff the score is 100), section\n"
    "status agreeing with its points, and runtime metadata (utc in RFC 3339 UTC,\n"
    "version).  Every problem is listed, each with the JSON Pointer of its value:\n"
    "with --format text the summary goes to stdout and the problems to stderr,\n"
    "with --format json one object {file, valid, go, verdict, score, problems}\n"
    "goes to stdout.\n"
    "exit: 0 valid and GO, 1 HOLD or invalid, 2 unreadable or not JSON (file:line:col).",
    validate_opts,
    "  mmops readiness validate artifacts/reports/readiness.json\n"
    "  mmops readiness validate --format json readiness.json | jq .problems\n",
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Points/max of each section, sorted by name, when they are readable at all. */
static void
print_sections(const json_t *doc)
{
	const json_t *sections = json_object_get(doc, "sections"), *s;
	const char **keys;
	const char *key;
	size_t i, n = 0;

	if (!json_is_object(sections))
		return;
	keys = xcalloc(json_object_size(sections) + 1, sizeof(*keys));
	json_object_foreach((json_t *)sections, key, s) keys[n++] = key;
	qsort(keys, n, sizeof(*keys), cmp_str);
	for (i = 0; i < n; i++) {
		s = json_object_get(sections, keys[i]);
		section_line(stdout, keys[i], json_object_get(s, "points"),
			     json_object_get(s, "max"), jsontree_str(s, "status", "?"),
			     jsontree_str(s, "reason", ""));
	}
	free(keys);
}

static int
cmd_validate(int argc, char **argv)
{
	struct readiness_problems probs = {NULL, 0, 0, 0};
	const char **pos = xcalloc((size_t)argc + 1, sizeof(*pos));
	const char *file, *verdict;
	struct mm_err err;
	json_t *doc = NULL;
	int npos, r, ret = 2, json_out = 0;
	size_t i;

	memset(&vo, 0, sizeof(vo));
	mm_err_init(&err);
	if ((r = opt_parse(&validate_help, argc, argv, pos, &npos)) != 0) {
		ret = r == 1 ? 0 : 2;
		goto out;
	}
	if (vo.format && strcmp(vo.format, "json") == 0) {
		json_out = 1;
	} else if (vo.format && strcmp(vo.format, "text") != 0) {
		ret = opt_usage_error(&validate_help, "--format: '%s' is neither text nor json",
				      vo.format);
		goto out;
	}
	if (npos == 0) {
		ret = opt_usage_error(&validate_help, "expected the readiness.json FILE");
		goto out;
	}
	if (npos > 1) {
		ret = opt_usage_error(&validate_help, "expected one FILE, got %d arguments", npos);
		goto out;
	}
	file = pos[0];
	if (!(doc = jsontree_load_file(file, &err))) {
		ret = cmd_fail("readiness validate", &err);
		goto out;
	}
	readiness_validate(doc, &probs);
	verdict = jsontree_str(doc, "verdict", NULL);
	ret = probs.n == 0 && verdict && strcmp(verdict, "GO") == 0 ? 0 : 1;
	if (json_out) {
		json_t *o = json_object(), *list = json_array(), *name = json_string(file);
		char *s;

		for (i = 0; i < probs.n; i++)
			json_array_append_new(list,
					      json_pack("{s:s, s:s}", "where", probs.v[i].where,
							"what", probs.v[i].what));
		json_object_set_new(o, "file", name ? name : json_string("?"));
		json_object_set_new(o, "valid", json_boolean(probs.n == 0));
		json_object_set_new(o, "go", json_boolean(ret == 0));
		json_object_set_new(o, "problems", list);
		if (probs.truncated)
			json_object_set_new(o, "problems_truncated", json_true());
		json_object_set(o, "verdict",
				json_is_object(doc) && json_object_get(doc, "verdict")
				    ? json_object_get(doc, "verdict")
				    : json_null());
		json_object_set(o, "score",
				json_is_object(doc) && json_object_get(doc, "score")
				    ? json_object_get(doc, "score")
				    : json_null());
		s = jsontree_dumps(o);
		fputs(s, stdout);
		free(s);
		json_decref(o);
		goto out;
	}
	if (json_is_object(doc)) {
		const json_t *score = json_object_get(doc, "score");
		char sc[32] = "?";

		if (json_is_number(score))
			snprintf(sc, sizeof(sc), "%g", json_number_value(score));
		printf("%s: verdict %s, score %s/%d\n", file, verdict ? verdict : "?", sc,
		       READINESS_TOTAL);
		print_sections(doc);
	}
	for (i = 0; i < probs.n; i++)
		fprintf(stderr, "mmops readiness validate: %s: %s%s%s\n", file, probs.v[i].where,
			*probs.v[i].where ? ": " : "", probs.v[i].what);
	if (probs.truncated)
		fprintf(stderr,
			"mmops readiness validate: %s: more than %d problems; the rest are "
			"not listed\n",
			file, READINESS_MAX_PROBLEMS);
	if (probs.n)
		printf("%s: INVALID, %zu problem%s%s\n", file, probs.n, probs.n == 1 ? "" : "s",
		       probs.truncated ? " (list cut)" : "");
	else
		printf("%s: valid, %s\n", file, ret == 0 ? "GO" : "HOLD");
out:
	json_decref(doc);
	readiness_problems_release(&probs);
	free(pos);
	return ret;
}

/* ---- dispatch ---------------------------------------------------------- */

static const struct cmd_sub subs[] = {
    {"score", cmd_score, "score the evidence into readiness.json (GO iff 100)"},
    {"validate", cmd_validate, "check a readiness.json; exit 0 GO, 1 HOLD or invalid"},
};

int
cmd_readiness(int argc, char **argv)
{
	return cmd_dispatch(
	    "readiness",
	    "usage: mmops readiness <score|validate> [options]\n\n"
	    "Release readiness: score the evidence of a release (soak gates, golden\n"
	    "regression, tests, alert rules, rollback policy) and validate the result.\n",
	    subs, sizeof(subs) / sizeof(subs[0]), argc, argv);
}
