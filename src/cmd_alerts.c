/*
 * cmd_alerts.c - `mmops alerts render` writes the Prometheus alert rules from
 * the gates file (DESIGN.md §5: deploy/gates/soak.yaml is the one place a
 * threshold lives); `mmops alerts check` fails with a diff when the committed
 * rule file is not that rendering.  The rendering is lib/alerts.c; this file
 * is options, output and exit codes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "alerts.h"
#include "buf.h"
#include "cmds.h"
#include "err.h"
#include "atomicfile.h"
#include "gates.h"
#include "opt.h"

#define DEFAULT_GATES "deploy/gates/soak.yaml"
#define DEFAULT_RULES "deploy/prometheus/alerts_soak.yml"

static struct {
	const char *gates, *output, *rules, *runbook_base;
	double scale;
} o;

static void
reset(void)
{
	o.gates = DEFAULT_GATES;
	o.output = NULL;
	o.rules = DEFAULT_RULES;
	o.runbook_base = NULL;
	o.scale = 1;
}

static const struct opt render_opts[] = {
    {"gates", 'g', OPT_STRING, &o.gates, "FILE", "the gates file (default " DEFAULT_GATES ")", 0,
     0},
    {"output", 'o', OPT_STRING, &o.output, "FILE",
     "write the rules here, atomically (default: stdout)", 0, 0},
    {"scale-time", 0, OPT_DOUBLE, &o.scale, "K",
     "divide every for: and range window by K, for `mmops sim --speed K` (default 1)", 0, 0},
    {"runbook-base", 0, OPT_STRING, &o.runbook_base, "URL",
     "where docs/runbooks/ is published (default " ALERTS_RUNBOOK_BASE ")", 0, 0},
    {NULL, 0, 0, NULL, NULL, NULL, 0, 0},
};

static const struct cmd_help render_help = {
    "alerts render",
    "[--gates FILE] [--output FILE] [--scale-time K] [--runbook-base URL]",
    "Render the Prometheus alerting rules of the soak gates: one rule per gate, with\n"
    "the gate's expression and negated comparison, its for:, labels severity\n"
    "(critical for hard gates, warning for soft) and gate (hard|soft), and the\n"
    "annotations summary, description (with the value) and runbook_url (the alert's\n"
    "section of docs/runbooks/soak-test-failures.md).  --scale-time K renders the\n"
    "same rules for a simulator running K times faster: every for: and every\n"
    "duration in the expression divided by K.\n"
    "Exit codes: 0 written, 2 usage or a bad gates file (file:line:col), 3 cannot\n"
    "write the output.",
    render_opts,
    "  mmops alerts render --output deploy/prometheus/alerts_soak.yml\n"
    "  mmops alerts render --scale-time 60 --output /tmp/alerts_fast.yml\n"
    "  mmops alerts render --gates my-gates.yaml | promtool check rules /dev/stdin\n",
};

static const struct opt check_opts[] = {
    {"gates", 'g', OPT_STRING, &o.gates, "FILE", "the gates file (default " DEFAULT_GATES ")", 0,
     0},
    {"rules", 'r', OPT_STRING, &o.rules, "FILE",
     "the committed rule file (default " DEFAULT_RULES ")", 0, 0},
    {"runbook-base", 0, OPT_STRING, &o.runbook_base, "URL",
     "as given to render (default " ALERTS_RUNBOOK_BASE ")", 0, 0},
    {NULL, 0, 0, NULL, NULL, NULL, 0, 0},
};

static const struct cmd_help check_help = {
    "alerts check",
    "[--gates FILE] [--rules FILE] [--runbook-base URL]",
    "Check that the committed rule file is exactly the rendering of the gates file,\n"
    "so a threshold can never differ between the soak and the production alerts.\n"
    "When they differ, a unified diff (committed -> rendered) is printed on stdout.\n"
    "Exit codes: 0 identical, 1 different, 2 usage, a bad gates file or an\n"
    "unreadable rule file.",
    check_opts,
    "  mmops alerts check\n"
    "  mmops alerts check --gates deploy/gates/soak.yaml --rules "
    "deploy/prometheus/alerts_soak.yml\n",
};

/* Load the gates and render them into out; an exit code (0 ok). */
static int
render(struct buf *out, double scale)
{
	struct alerts_opts ao;
	struct gate_config *cfg;
	struct mm_err err;
	const char *base;
	int ret = 0;

	mm_err_init(&err);
	if (!(cfg = gates_load_file(o.gates, &err)))
		return cmd_fail("alerts", &err);
	alerts_opts_init(&ao);
	ao.time_scale = scale;
	ao.runbook_base = o.runbook_base;
	/* The header names the file, not the path: the rendering must not
	 * depend on where it was run from. */
	base = strrchr(o.gates, '/');
	ao.source = base ? base + 1 : o.gates;
	if (alerts_render(cfg, &ao, out, &err) < 0) {
		ret = cmd_fail("alerts", &err);
		if (ret != 2)
			ret = 3;
	}
	gates_free(cfg);
	return ret;
}

static int
cmd_render(int argc, char **argv)
{
	struct buf out = BUF_INIT(ALERTS_MAX_OUTPUT);
	struct mm_err err;
	int ret, npos;
	const char *pos[64];

	reset();
	if (argc > 64)
		return opt_usage_error(&render_help, "too many arguments");
	if ((ret = opt_parse(&render_help, argc, argv, pos, &npos)) != 0)
		return ret == 1 ? 0 : 2;
	if (npos)
		return opt_usage_error(&render_help, "unexpected argument '%s'", pos[0]);
	if (!(o.scale >= 1 && o.scale <= ALERTS_MAX_SCALE))
		return opt_usage_error(&render_help, "--scale-time must be between 1 and %g",
				       ALERTS_MAX_SCALE);
	if ((ret = render(&out, o.scale)) != 0)
		goto out;
	mm_err_init(&err);
	if (o.output && strcmp(o.output, "-") != 0) {
		if (atomicfile_write_atomic(o.output, out.data, out.len, &err) < 0) {
			cmd_fail("alerts", &err);
			ret = 3;
		}
	} else if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
		fprintf(stderr, "mmops alerts: cannot write the rules: %s\n", strerror(errno));
		ret = 3;
	}
out:
	buf_release(&out);
	return ret;
}

static int
cmd_check(int argc, char **argv)
{
	struct buf want = BUF_INIT(ALERTS_MAX_OUTPUT), have = BUF_INIT(ALERTS_MAX_OUTPUT);
	struct buf diff = BUF_INIT(ALERTS_MAX_DIFF);
	struct mm_err err;
	char rendered[512];
	int ret, npos;
	const char *pos[64];
	size_t n;

	reset();
	if (argc > 64)
		return opt_usage_error(&check_help, "too many arguments");
	if ((ret = opt_parse(&check_help, argc, argv, pos, &npos)) != 0)
		return ret == 1 ? 0 : 2;
	if (npos)
		return opt_usage_error(&check_help, "unexpected argument '%s'", pos[0]);
	if ((ret = render(&want, 1)) != 0)
		goto out;
	mm_err_init(&err);
	if (buf_read_file(&have, o.rules, &err) < 0) {
		cmd_fail("alerts", &err);
		ret = 2;
		goto out;
	}
	snprintf(rendered, sizeof(rendered), "mmops alerts render --gates %s", o.gates);
	n = alerts_diff(have.data ? have.data : "", have.len, o.rules, want.data, want.len,
			rendered, &diff);
	if (n == 0) {
		printf("%s: up to date with %s\n", o.rules, o.gates);
		ret = 0;
		goto out;
	}
	fwrite(diff.data, 1, diff.len, stdout);
	if (buf_failed(&diff))
		printf("... (diff cut at %zu bytes)\n", diff.cap);
	fflush(stdout);
	fprintf(stderr,
		"mmops alerts: %s differs from the rendering of %s (%zu line%s); "
		"fix it with: mmops alerts render --gates %s --output %s\n",
		o.rules, o.gates, n, n == 1 ? "" : "s", o.gates, o.rules);
	ret = 1;
out:
	buf_release(&want);
	buf_release(&have);
	buf_release(&diff);
	return ret;
}

static const struct cmd_sub subs[] = {
    {"render", cmd_render, "write the alert rules from the gates file"},
    {"check", cmd_check, "exit 1 with a diff when the committed rules differ"},
};

int
cmd_alerts(int argc, char **argv)
{
	return cmd_dispatch(
	    "alerts",
	    "usage: mmops alerts <render|check> [options]\n\n"
	    "The Prometheus alert rules of the soak gates, rendered from the gates file\n"
	    "(" DEFAULT_GATES ") into " DEFAULT_RULES ".\n",
	    subs, sizeof(subs) / sizeof(subs[0]), argc, argv);
}
