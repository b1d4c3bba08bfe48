/*
 * cmd_golden.c - `mmops golden`: compare a JSON report with its golden
 * baseline (SEED.md "Golden Regression", tools/tests/golden_compare.py).
 * Options, output and exit codes live here; the comparison is lib/golden.c.
 * Exit 0: no drift, or drift without --fail-on-drift (still printed), or a
 * baseline rewritten by --update; 1: drift with --fail-on-drift; 2: usage or
 * unreadable/malformed input; 3: a report or baseline could not be written.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "cmds.h"
#include "err.h"
#include "atomicfile.h"
#include "golden.h"
#include "jsonpull.h"
#include "opt.h"

static const char *baseline_path, *actual_path, *format = "text", *out_json;
static double tolerance = GOLDEN_DEFAULT_TOLERANCE, rel_tolerance;
static struct strlist ignores;
static int fail_on_drift, update;
static long max_drifts = GOLDEN_DEFAULT_MAX_DRIFTS;

static const struct opt golden_opts[] = {
    {"baseline", 0, OPT_STRING, &baseline_path, "FILE", "the golden JSON file (required)", 0, 0},
    {"actual", 0, OPT_STRING, &actual_path, "FILE",
     "the JSON file to check, '-' for stdin (required)", 0, 0},
    {"tolerance", 0, OPT_DOUBLE, &tolerance, "ABS",
     "numbers within this absolute difference are equal (default 1e-9)", 0, 0},
    {"rel-tolerance", 0, OPT_DOUBLE, &rel_tolerance, "REL",
     "...or within REL x max(|a|,|b|) (default 0: off)", 0, 0},
    {"ignore", 0, OPT_LIST, &ignores, "POINTER",
     "skip this JSON Pointer; '*' matches any key or index (repeatable)", 0, 0},
    {"fail-on-drift", 0, OPT_BOOL, &fail_on_drift, NULL,
     "exit 1 when there is any drift (default: report, exit 0)", 0, 0},
    {"format", 0, OPT_STRING, &format, "FMT", "report on stdout: text (default) or json", 0, 0},
    {"out-json", 0, OPT_STRING, &out_json, "FILE",
     "also write the JSON report to FILE (atomically)", 0, 0},
    {"max-drifts", 0, OPT_LONG, &max_drifts, "N",
     "list at most N drifts; all are counted (default 1000)", 0, 100000000},
    {"update", 0, OPT_BOOL, &update, NULL,
     "rewrite the baseline from the actual file when they drift (or it is missing)", 0, 0},
    {NULL, 0, 0, NULL, NULL, NULL, 0, 0},
};

static const struct cmd_help golden_help = {
    "golden",
    "--baseline FILE --actual FILE [options]",
    "Compare a JSON report with its golden baseline.  Numbers compare by value within\n"
    "the tolerance (1 == 1.0), integers beyond 64 bits exactly; strings, booleans and\n"
    "null exactly.  Each drift is listed with its RFC 6901 JSON Pointer, its kind\n"
    "(value, type, missing, extra, length) and both values.  Malformed JSON, NaN or\n"
    "Infinity and duplicate keys are errors (exit 2, file:line:col).\n"
    "Exit codes: 0 no drift (or drift without --fail-on-drift), 1 drift with\n"
    "--fail-on-drift, 2 usage or bad input, 3 cannot write a file.",
    golden_opts,
    "  mmops golden --baseline tests/golden/EDGE_REPORT_case1.json \\\n"
    "    --actual artifacts/golden/EDGE_REPORT_latest.json --fail-on-drift\n"
    "  mmops golden --baseline B.json --actual A.json --tolerance 1e-6 \\\n"
    "    --ignore /generated_at --ignore '/records/*/ts' --format json\n"
    "  mmops golden --baseline tests/golden/out.json --actual out.json --update\n",
};

static void
reset_options(void)
{
	baseline_path = actual_path = out_json = NULL;
	format = "text";
	tolerance = GOLDEN_DEFAULT_TOLERANCE;
	rel_tolerance = 0;
	fail_on_drift = update = 0;
	max_drifts = GOLDEN_DEFAULT_MAX_DRIFTS;
	strlist_release(&ignores);
}

/* Write the whole of b to stdout; 0, or -1 after printing why. */
static int
put_stdout(const struct buf *b)
{
	if ((b->len && fwrite(b->data, 1, b->len, stdout) != b->len) || fflush(stdout) != 0) {
		fprintf(stderr, "mmops golden: cannot write the report: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* --update with no baseline yet: the actual file becomes the baseline. */
static int
create_baseline(const struct golden_doc *act)
{
	struct mm_err err;

	mm_err_init(&err);
	if (jsonpull_validate(act->data, act->len, act->name, &err) < 0)
		return cmd_fail("golden", &err);
	if (atomicfile_write_atomic(baseline_path, act->data, act->len, &err) < 0)
		return cmd_fail("golden", &err);
	fprintf(stderr, "mmops golden: created baseline '%s' from '%s'\n", baseline_path,
		act->name);
	return 0;
}

static int
run(void)
{
	struct golden_doc base, act;
	struct golden_result res = {0};
	struct golden_opts o;
	struct buf out = BUF_INIT(GOLDEN_MAX_REPORT);
	struct mm_err err;
	struct stat st;
	int ret = 2, json = strcmp(format, "json") == 0;

	golden_doc_init(&base, baseline_path, NULL, 0);
	golden_doc_init(&act, actual_path, NULL, 0);
	mm_err_init(&err);
	golden_opts_init(&o);
	o.tolerance = tolerance;
	o.rel_tolerance = rel_tolerance;
	o.ignore = ignores.v;
	o.nignore = ignores.n;
	o.max_drifts = (size_t)max_drifts;
	if (golden_opts_check(&o, &err) < 0) {
		ret = opt_usage_error(&golden_help, "%s", err.msg);
		goto out;
	}
	if (golden_doc_load(&act, actual_path, &err) < 0) {
		ret = cmd_fail("golden", &err);
		goto out;
	}
	if (update && stat(baseline_path, &st) < 0 && errno == ENOENT) {
		ret = create_baseline(&act);
		goto out;
	}
	if (golden_doc_load(&base, baseline_path, &err) < 0 ||
	    golden_compare(&base, &act, &o, &res, &err) < 0) {
		ret = cmd_fail("golden", &err);
		goto out;
	}
	if ((json ? golden_render_json(&base, &act, &o, &res, &out)
		  : golden_render_text(&base, &act, &o, &res, &out)) < 0) {
		fprintf(stderr, "mmops golden: the report is larger than %zu bytes\n", out.cap);
		ret = 3;
		goto out;
	}
	if (put_stdout(&out) < 0) {
		ret = 3;
		goto out;
	}
	if (out_json) {
		buf_reset(&out);
		if (golden_render_json(&base, &act, &o, &res, &out) < 0 ||
		    atomicfile_write_atomic(out_json, out.data, out.len, &err) < 0) {
			if (!err.msg[0])
				mm_errf(&err, MM_E_WRITE, "the report is too large for '%s'",
					out_json);
			ret = cmd_fail("golden", &err);
			goto out;
		}
	}
	if (update && res.drift_count) {
		if (atomicfile_write_atomic(baseline_path, act.data, act.len, &err) < 0) {
			ret = cmd_fail("golden", &err);
			goto out;
		}
		fprintf(stderr,
			"mmops golden: updated baseline '%s' from '%s' (%zu drift%s accepted)\n",
			baseline_path, act.name, res.drift_count, res.drift_count == 1 ? "" : "s");
		ret = 0;
		goto out;
	}
	ret = res.drift_count && fail_on_drift ? 1 : 0;
out:
	buf_release(&out);
	golden_result_release(&res);
	golden_doc_release(&base);
	golden_doc_release(&act);
	return ret;
}

int
cmd_golden(int argc, char **argv)
{
	const char **pos = NULL;
	int npos = 0, r;

	reset_options();
	pos = calloc((size_t)argc + 1, sizeof(*pos));
	if (!pos)
		return 3;
	r = opt_parse(&golden_help, argc, argv, pos, &npos);
	if (r == 1) {
		r = 0;
		goto out;
	}
	if (r != 0)
		goto out;
	r = 2;
	if (npos > 0)
		opt_usage_error(&golden_help, "unexpected argument '%s'", pos[0]);
	else if (!baseline_path || !actual_path)
		opt_usage_error(&golden_help, "--baseline and --actual are required");
	else if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0)
		opt_usage_error(&golden_help, "--format must be 'text' or 'json', not '%s'",
				format);
	else if (strcmp(baseline_path, "-") == 0 && (update || strcmp(actual_path, "-") == 0))
		opt_usage_error(&golden_help, "--baseline cannot be stdin ('-') %s",
				update ? "with --update" : "when --actual is");
	else
		r = run();
out:
	free(pos);
	strlist_release(&ignores);
	return r;
}
