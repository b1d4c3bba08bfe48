/*
 * cmd_scrape.c - `mmops scrape URL|FILE [--json]`: fetch an exposition over
 * HTTP (lib/http: timeouts, size cap, TLS verification on) or read it from a
 * file or stdin, run it through lib/promtext - the parser every soak and
 * the watcher use - and print what mmops sees: a table for a person, or
 * JSON lines (a "family" record before each family's samples, then one
 * "sample" record per sample) with --json.
 * Exit 0 parsed, 2 usage / unreadable file / parse error (file:line:col) /
 * a cap hit, 3 unreachable URL or an HTTP status that is not 2xx.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "cmds.h"
#include "http.h"
#include "filemap.h"
#include "jsontree.h"
#include "opt.h"
#include "promtext.h"
#include "xalloc.h"

#define SCRAPE_DEFAULT_MAX ((size_t)64 << 20)
#define SCRAPE_ACCEPT	   "text/plain;version=0.0.4;q=0.9,*/*;q=0.1"
#define SCRAPE_ACCEPT_OM   "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"

static int as_json, openmetrics, families_only;
static double timeout = 10;
static long max_bytes = (long)SCRAPE_DEFAULT_MAX;

/* clang-format off */
static const struct opt scrape_opts[] = {
	{ "json", 0, OPT_BOOL, &as_json, NULL, "JSON lines: a family record, then its samples", 0, 0 },
	{ "families", 0, OPT_BOOL, &families_only, NULL, "one line per family with samples: name, type, samples, help", 0, 0 },
	{ "timeout", 0, OPT_DURATION, &timeout, "D", "whole-request timeout for a URL (default 10s)", 0, 0 },
	{ "max-bytes", 0, OPT_LONG, &max_bytes, "N", "refuse an exposition larger than N bytes (default 64 MiB)", 1, 1L << 34 },
	{ "openmetrics", 0, OPT_BOOL, &openmetrics, NULL, "ask for (or read a file as) OpenMetrics text: # EOF required, float-second timestamps, semantic rules enforced", 0, 0 },
	{ NULL, 0, 0, NULL, NULL, NULL, 0, 0 },
};

static const struct cmd_help scrape_help = {
	"scrape",
	"URL|FILE [--json | --families] [--timeout D] [--max-bytes N] [--openmetrics]",
	"Fetch (http:// or https://) or read (a file, '-' for stdin) a Prometheus text\n"
	"exposition, parse it with the parser mmops uses everywhere, and print its\n"
	"families and samples.  Format 0.0.4 and OpenMetrics text (# EOF, _created and\n"
	"exemplars skipped).  As strict as Prometheus where a value is at stake: a last\n"
	"line without its newline is a truncated body, hexadecimal and out-of-range\n"
	"values are errors.  OpenMetrics' semantic rules (counters not negative or NaN,\n"
	"histograms with a +Inf bucket and rising counts, quantiles in [0, 1]) are\n"
	"warnings with file:line:col on 0.0.4 input and errors with --openmetrics or an\n"
	"OpenMetrics Content-Type, which also needs the final # EOF and switches\n"
	"timestamps to seconds (docs/scrape.md lists every rule).\n"
	"Exit codes: 0 parsed, 2 usage, unreadable file or parse error (file:line:col),\n"
	"3 unreachable URL or non-2xx status.",
	scrape_opts,
	"  mmops scrape http://127.0.0.1:9100/metrics\n"
	"  mmops scrape --json metrics.txt | jq -c 'select(.kind==\"sample\")'\n"
	"  curl -s localhost:9100/metrics | mmops scrape -\n",
};
/* clang-format on */

static void
reset_options(void)
{
	as_json = openmetrics = families_only = 0;
	timeout = 10;
	max_bytes = (long)SCRAPE_DEFAULT_MAX;
}

/* Shortest text that reads back as the same double. */
static const char *
fmt_value(double v, char *buf, size_t n)
{
	if (isnan(v))
		return "NaN";
	if (isinf(v))
		return v > 0 ? "+Inf" : "-Inf";
	if (v == (double)(long long)v && fabs(v) < 1e15) {
		snprintf(buf, n, "%lld", (long long)v);
		return buf;
	}
	snprintf(buf, n, "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, n, "%.17g", v);
	return buf;
}

static json_t *
json_value(double v)
{
	char tmp[40];

	if (!isfinite(v))
		return json_string(fmt_value(v, tmp, sizeof(tmp)));
	return json_real(v);
}

static json_t *
strj(struct prom_str s)
{
	return json_stringn(s.p, s.len);
}

/* Re-escape a label value for the table ("a\"b" as the exposition writes it). */
static void
put_escaped(struct buf *o, struct prom_str s)
{
	size_t i;

	for (i = 0; i < s.len; i++) {
		char c = s.p[i];

		if (c == '\\' || c == '"')
			buf_addc(o, '\\');
		if (c == '\n') {
			buf_adds(o, "\\n");
			continue;
		}
		buf_addc(o, c);
	}
}

struct printer {
	size_t last_family;
	int have_family;
	size_t nfamilies, nsamples;
	/* --families: the family being counted (copied: the parser's slices move on) */
	char *fam_name, *fam_help;
	enum prom_type fam_type;
	size_t fam_samples;
	struct buf line;
};

/* --families: print the family counted so far and forget it. */
static void
flush_family(struct printer *pr)
{
	if (!pr->fam_name)
		return;
	printf("%-40s %-10s %8zu  %s\n", pr->fam_name, prom_type_name(pr->fam_type),
	       pr->fam_samples, pr->fam_help);
	free(pr->fam_name);
	free(pr->fam_help);
	pr->fam_name = pr->fam_help = NULL;
}

static int
print_sample(const struct prom_sample *s, void *ctx)
{
	struct printer *pr = ctx;
	const struct prom_family *f = s->family;
	char tmp[40];
	size_t i;

	if (!pr->have_family || f->index != pr->last_family) {
		pr->have_family = 1;
		pr->last_family = f->index;
		pr->nfamilies++;
		if (families_only) {
			flush_family(pr);
			pr->fam_name = xstrndup(f->name.p, f->name.len);
			pr->fam_help = xstrndup(f->help.p ? f->help.p : "",
						f->help.len > 200 ? 200 : f->help.len);
			pr->fam_type = f->type;
			pr->fam_samples = 0;
		} else if (as_json) {
			json_t *j = json_pack("{s:s,s:o,s:s}", "kind", "family", "name",
					      strj(f->name), "type", prom_type_name(f->type));
			char *t;

			if (f->help.len)
				json_object_set_new(j, "help", strj(f->help));
			if (f->unit.len)
				json_object_set_new(j, "unit", strj(f->unit));
			t = jsontree_dumps_compact(j);
			printf("%s\n", t);
			free(t);
			json_decref(j);
		} else {
			printf("%s%.*s (%s)%s%.*s\n", pr->nfamilies > 1 ? "\n" : "",
			       (int)f->name.len, f->name.p, prom_type_name(f->type),
			       f->help.len ? ": " : "",
			       (int)(f->help.len > 200 ? 200 : f->help.len), f->help.p);
		}
	}
	if (families_only) {
		pr->fam_samples++;
		pr->nsamples++;
		return 0;
	}
	pr->nsamples++;
	if (as_json) {
		json_t *labels = json_object(), *j;
		char *t, key[256];

		for (i = 0; i < s->nlabels; i++) {
			size_t kl = s->labels[i].name.len < sizeof(key) - 1 ? s->labels[i].name.len
									    : sizeof(key) - 1;

			memcpy(key, s->labels[i].name.p, kl);
			key[kl] = '\0';
			json_object_set_new(labels, key, strj(s->labels[i].value));
		}
		j = json_pack("{s:s,s:o,s:o,s:s,s:o,s:o,s:I}", "kind", "sample", "family",
			      strj(f->name), "name", strj(s->name), "type", prom_type_name(f->type),
			      "labels", labels, "value", json_value(s->value), "line",
			      (json_int_t)s->line);
		if (s->has_timestamp)
			json_object_set_new(j, "timestamp_ms", json_integer(s->timestamp_ms));
		t = jsontree_dumps_compact(j);
		printf("%s\n", t);
		free(t);
		json_decref(j);
		return 0;
	}
	buf_reset(&pr->line);
	buf_adds(&pr->line, "  ");
	buf_add(&pr->line, s->name.p, s->name.len);
	if (s->nlabels) {
		buf_addc(&pr->line, '{');
		for (i = 0; i < s->nlabels; i++) {
			if (i)
				buf_addc(&pr->line, ',');
			buf_add(&pr->line, s->labels[i].name.p, s->labels[i].name.len);
			buf_adds(&pr->line, "=\"");
			put_escaped(&pr->line, s->labels[i].value);
			buf_addc(&pr->line, '"');
		}
		buf_addc(&pr->line, '}');
	}
	while (pr->line.len < 64)
		buf_addc(&pr->line, ' ');
	buf_addc(&pr->line, ' ');
	buf_adds(&pr->line, fmt_value(s->value, tmp, sizeof(tmp)));
	if (s->has_timestamp)
		buf_addf(&pr->line, " @%lld", (long long)s->timestamp_ms);
	buf_addc(&pr->line, '\n');
	fwrite(pr->line.data, 1, pr->line.len, stdout);
	return 0;
}

static int
is_openmetrics_type(const char *ct)
{
	return ct && strncasecmp(ct, "application/openmetrics-text", 28) == 0;
}

int
cmd_scrape(int argc, char **argv)
{
	const char **pos = xcalloc((size_t)argc + 1, sizeof(*pos));
	struct http_response resp = {0};
	struct filemap file;
	struct promtext pt;
	struct prom_sample smp;
	size_t w, nw;
	struct printer pr;
	struct mm_err err;
	const char *src, *data;
	size_t len;
	unsigned flags;
	int npos, r, ret = 2;

	reset_options();
	filemap_init(&file);
	memset(&pr, 0, sizeof(pr));
	buf_init(&pr.line, (size_t)1 << 20);
	http_response_init(&resp);
	r = opt_parse(&scrape_help, argc, argv, pos, &npos);
	if (r != 0) {
		ret = r == 1 ? 0 : 2;
		goto out;
	}
	if (as_json && families_only) {
		ret = opt_usage_error(&scrape_help, "--json and --families do not go together");
		goto out;
	}
	if (npos == 0) {
		ret = opt_usage_error(&scrape_help, "a URL or FILE is needed");
		goto out;
	}
	if (npos > 1) {
		ret = opt_usage_error(&scrape_help, "one URL or FILE, not %d", npos);
		goto out;
	}
	if (!(timeout > 0)) {
		ret = opt_usage_error(&scrape_help, "--timeout must be above 0");
		goto out;
	}
	src = pos[0];
	flags = openmetrics ? PROMTEXT_OPENMETRICS : 0;
	mm_err_init(&err);
	if (http_is_url(src)) {
		struct http_header hd[] = {
		    {"Accept", openmetrics ? SCRAPE_ACCEPT_OM : SCRAPE_ACCEPT}};
		struct http_request rq = {0};

		rq.url = src;
		rq.headers = hd;
		rq.nheaders = 1;
		rq.timeout = timeout;
		rq.max_body = (size_t)max_bytes;
		http_global_init();
		if (http_do(&rq, &resp, &err) < 0) {
			ret = cmd_fail("scrape", &err);
			goto out;
		}
		if (resp.status < 200 || resp.status > 299) {
			fprintf(stderr, "mmops scrape: GET %s: HTTP %ld\n", src, resp.status);
			ret = 3;
			goto out;
		}
		flags = is_openmetrics_type(resp.content_type) ? PROMTEXT_OPENMETRICS : 0;
		data = resp.body.data ? resp.body.data : "";
		len = resp.body.len;
	} else {
		if (filemap_load(&file, src, (size_t)max_bytes, &err) < 0) {
			ret = cmd_fail("scrape", &err);
			goto out;
		}
		data = file.data;
		len = file.len;
	}
	if (families_only)
		printf("%-40s %-10s %8s  %s\n", "FAMILY", "TYPE", "SAMPLES", "HELP");
	/* Positions name stdin as golden and readiness do: "<stdin>:2:11: ...". */
	promtext_init(&pt, data, len, strcmp(src, "-") == 0 ? "<stdin>" : src, flags);
	while ((r = promtext_next(&pt, &smp, &err)) == 1)
		print_sample(&smp, &pr);
	flush_family(&pr);
	fflush(stdout);
	/* 0.0.4 input that breaks OpenMetrics' semantic rules: said, not fatal. */
	nw = promtext_nwarnings(&pt);
	for (w = 0; w < nw && promtext_warning(&pt, w); w++) {
		char msg[MM_ERR_MSG_MAX + MM_ERR_FILE_MAX + 32];

		fprintf(stderr, "mmops scrape: warning: %s\n",
			mm_err_format(promtext_warning(&pt, w), msg, sizeof(msg)));
	}
	if (w < nw)
		fprintf(stderr, "mmops scrape: warning: %zu more like these\n", nw - w);
	promtext_release(&pt);
	if (r < 0) {
		ret = cmd_fail("scrape", &err);
		goto out;
	}
	if (families_only)
		printf("%zu families, %zu samples, %zu bytes\n", pr.nfamilies, pr.nsamples, len);
	else if (!as_json)
		printf("\n%zu families, %zu samples, %zu bytes\n", pr.nfamilies, pr.nsamples, len);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "mmops scrape: cannot write: %s\n", strerror(errno));
		ret = 3;
		goto out;
	}
	ret = 0;
out:
	http_response_release(&resp);
	filemap_release(&file);
	buf_release(&pr.line);
	free(pr.fam_name);
	free(pr.fam_help);
	free(pos);
	return ret;
}
