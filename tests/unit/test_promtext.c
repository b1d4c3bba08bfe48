/*
 * test_promtext.c - every construct of the text exposition format that
 * lib/promtext accepts, and every error it reports (with its line:col),
 * through the public header.  Accepted inputs are compared as a canonical
 * dump of what the parser hands out: "family/type name{labels} value @ts".
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "promtext.h"
#include "xalloc.h"

/* Canonical dump of everything parsed from text; NULL on error (err filled). */
static char *
dump(const char *text, unsigned flags, struct mm_err *err)
{
	struct buf b = BUF_INIT(1 << 24);
	struct promtext p;
	struct prom_sample s;
	int r;

	promtext_init(&p, text, strlen(text), "t", flags);
	while ((r = promtext_next(&p, &s, err)) == 1) {
		size_t i;

		buf_addf(&b, "%.*s/%s", (int)s.family->name.len, s.family->name.p,
			 prom_type_name(s.family->type));
		if (s.family->help.len)
			buf_addf(&b, "[%.*s]", (int)s.family->help.len, s.family->help.p);
		if (s.family->unit.len)
			buf_addf(&b, "<%.*s>", (int)s.family->unit.len, s.family->unit.p);
		buf_addf(&b, " %.*s", (int)s.name.len, s.name.p);
		if (s.nlabels) {
			buf_addc(&b, '{');
			for (i = 0; i < s.nlabels; i++)
				buf_addf(&b, "%s%.*s=%.*s", i ? "," : "", (int)s.labels[i].name.len,
					 s.labels[i].name.p, (int)s.labels[i].value.len,
					 s.labels[i].value.p);
			buf_addc(&b, '}');
		}
		buf_addf(&b, " %.17g", s.value);
		if (s.has_timestamp)
			buf_addf(&b, " @%lld", (long long)s.timestamp_ms);
		buf_addf(&b, " #%zu L%lu\n", s.family->index, s.line);
	}
	promtext_release(&p);
	if (r < 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

static void
check_ok(const char *text, unsigned flags, const char *want)
{
	struct mm_err err;
	char *got;

	mm_err_init(&err);
	got = dump(text, flags, &err);
	if (!got)
		fail_msg("unexpected error %lu:%lu: %s\ninput:\n%s", err.line, err.col, err.msg,
			 text);
	if (strcmp(got, want) != 0)
		fail_msg("input:\n%s\ngot:\n%s\nwant:\n%s", text, got, want);
	free(got);
}

static void
check_err(const char *text, unsigned flags, enum mm_errcode code, unsigned long line,
	  unsigned long col, const char *msg_part)
{
	struct mm_err err;
	char *got;

	mm_err_init(&err);
	got = dump(text, flags, &err);
	if (got)
		fail_msg("expected an error for:\n%s\ngot:\n%s", text, got);
	if (err.code != code || err.line != line || err.col != col || !strstr(err.msg, msg_part))
		fail_msg("input:\n%s\ngot %d %lu:%lu '%s'\nwant %d %lu:%lu '...%s...'", text,
			 (int)err.code, err.line, err.col, err.msg, (int)code, line, col, msg_part);
	assert_string_equal(err.file, "t");
}

/* --- issue 10: as strict as Prometheus where a value is at stake --------- */

static void
test_unterminated_last_line_is_truncation(void **state)
{
	/* "b 23" cut to "b 2" (HTTP/1.0 without Content-Length) must not read as b = 2. */
	check_err("a 1\nb 2", 0, MM_E_PARSE, 2, 4, "the last line has no newline");
	check_err("# HELP a x", 0, MM_E_PARSE, 1, 11, "no newline");
	check_err("a 1\n# EOF\nb", 0, MM_E_PARSE, 3, 1, "content after '# EOF'");
	/* "# EOF" may end the input without one, as OpenMetrics' grammar allows. */
	check_ok("a 1\n# EOF", PROMTEXT_OPENMETRICS, "a/untyped a 1 #0 L1\n");
	check_ok("a 1\r\n", 0, "a/untyped a 1 #0 L1\n");
	check_ok("", 0, "");
	(void)state;
}

static void
test_openmetrics_needs_eof(void **state)
{
	check_err("# TYPE a counter\na_total 1\n", PROMTEXT_OPENMETRICS, MM_E_PARSE, 3, 1,
		  "no '# EOF'");
	check_ok("# TYPE a counter\na_total 1\n", 0, "a/counter a_total 1 #0 L2\n");
	/* found by fuzz_promtext: an empty body still has a position, 1:1 */
	check_err("", PROMTEXT_OPENMETRICS, MM_E_PARSE, 1, 1, "no '# EOF'");
	check_err("\n\n", PROMTEXT_OPENMETRICS, MM_E_PARSE, 3, 1, "no '# EOF'");
	(void)state;
}

static void
test_hex_and_out_of_range_values_are_refused(void **state)
{
	check_err("a 0x10\n", 0, MM_E_PARSE, 1, 3, "invalid value '0x10'");
	check_err("a 0x1p3\n", 0, MM_E_PARSE, 1, 3, "invalid value");
	check_err("a 1e400\n", 0, MM_E_PARSE, 1, 3, "invalid value '1e400'");
	check_err("a -1e400\n", 0, MM_E_PARSE, 1, 3, "invalid value");
	check_err("# TYPE h histogram\nh_bucket{le=\"0x1\"} 1\n", 0, MM_E_PARSE, 2, 10,
		  "label 'le' is not a number: '0x1'");
	(void)state;
}

static void
test_created_samples_are_skipped(void **state)
{
	/* Creation timestamps never reach a caller that might sum or bucket them. */
	check_ok("# TYPE c counter\nc_total 5\nc_created 1.7e9\n"
		 "# TYPE s summary\ns_sum 1\ns_count 2\ns_created 1.7e9\n"
		 "# TYPE u untyped\nu_created 3\n",
		 0,
		 "c/counter c_total 5 #0 L2\ns/summary s_sum 1 #1 L5\ns/summary s_count 2 #1 L6\n"
		 "u_created/untyped u_created 3 #2 L9\n");
	(void)state;
}

/* 0.0.4: the input parses; its first warning is at line:col and says msg_part. */
static void
check_warn(const char *text, size_t nwarn, unsigned long line, unsigned long col,
	   const char *msg_part)
{
	struct promtext p;
	struct prom_sample smp;
	struct mm_err err;
	const struct mm_err *w;
	int r;

	promtext_init(&p, text, strlen(text), "t", 0);
	while ((r = promtext_next(&p, &smp, &err)) == 1)
		;
	if (r < 0)
		fail_msg("input:\n%s\nunexpected error %s", text, err.msg);
	if (promtext_nwarnings(&p) != nwarn)
		fail_msg("input:\n%s\n%zu warnings, want %zu", text, promtext_nwarnings(&p), nwarn);
	if (nwarn) {
		w = promtext_warning(&p, 0);
		assert_non_null(w);
		if (w->line != line || w->col != col || !strstr(w->msg, msg_part))
			fail_msg("input:\n%s\ngot %lu:%lu '%s'\nwant %lu:%lu '...%s...'", text,
				 w->line, w->col, w->msg, line, col, msg_part);
	}
	assert_null(promtext_warning(&p, nwarn));
	promtext_release(&p);
}

/* Each rule: a warning with line:col in 0.0.4, an error with --openmetrics. */
static void
test_openmetrics_semantics(void **state)
{
	static const struct {
		const char *text;
		unsigned long line, col;
		const char *msg;
	} t[] = {
	    {"# TYPE c counter\nc_total -1\n", 2, 9, "counter 'c_total' has a negative value"},
	    {"# TYPE c counter\nc_total NaN\n", 2, 9, "has a NaN value"},
	    {"# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n", 2, 1,
	     "histogram series 'h_bucket' has no +Inf bucket"},
	    {"# TYPE h histogram\nh_bucket{le=\"1\"} 1\n", 2, 1, "no +Inf bucket"},
	    {"# TYPE h histogram\nh_bucket{a=\"x\",le=\"1\"} 1\nh_bucket{a=\"y\",le=\"+Inf\"} 1\n",
	     2, 1, "no +Inf bucket"},
	    {"# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} "
	     "1\nh_bucket{le=\"+Inf\"} 1\n",
	     3, 1, "bucket le=\"1\" after le=2 (out of order)"},
	    {"# TYPE h histogram\nh_bucket{le=\"1\"} 5\nh_bucket{le=\"+Inf\"} 3\n", 3, 21,
	     "cumulative count 3 at le=\"+Inf\" is below 5 at le=1"},
	    {"# TYPE h histogram\nh_bucket{le=\"1\"} -1\nh_bucket{le=\"+Inf\"} 3\n", 2, 18,
	     "bucket count is negative"},
	    {"# TYPE s summary\ns{quantile=\"1.5\"} 1\ns_sum 1\ns_count 1\n", 2, 3,
	     "summary quantile 1.5 of 's' is outside [0, 1]"},
	    {"# TYPE s summary\ns{quantile=\"-0.1\"} 1\n", 2, 3, "outside [0, 1]"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct buf om = BUF_INIT(4096);

		check_warn(t[i].text, 1, t[i].line, t[i].col, t[i].msg);
		buf_addf(&om, "%s# EOF\n", t[i].text);
		check_err(om.data, PROMTEXT_OPENMETRICS, MM_E_PARSE, t[i].line, t[i].col, t[i].msg);
		buf_release(&om);
	}
	/* What is right stays quiet: two series, each with +Inf, and a zero counter. */
	check_warn(
	    "# TYPE h histogram\nh_bucket{a=\"x\",le=\"1\"} 1\nh_bucket{a=\"x\",le=\"+Inf\"} 2\n"
	    "h_bucket{a=\"y\",le=\"0.5\"} 0\nh_bucket{a=\"y\",le=\"+Inf\"} 0\nh_sum{a=\"x\"} 3\n"
	    "# TYPE c counter\nc_total 0\n# TYPE s summary\ns{quantile=\"0\"} 1\ns{quantile=\"1\"} "
	    "1\n"
	    "# TYPE g gauge\ng -5\n",
	    0, 0, 0, NULL);
	/* More warnings than are kept: all counted, the first ones kept. */
	{
		struct buf many = BUF_INIT(1 << 16);
		int k;

		buf_adds(&many, "# TYPE c counter\n");
		for (k = 0; k < 40; k++)
			buf_addf(&many, "c_total{k=\"%d\"} -1\n", k);
		check_warn(many.data, 40, 2, 16, "negative value");
		buf_release(&many);
	}
	(void)state;
}

/* --- accepted constructs ------------------------------------------------- */

static void
test_gauge_with_help_and_type(void **state)
{
	check_ok("# HELP up Whether the target is up.\n# TYPE up gauge\nup 1\n", 0,
		 "up/gauge[Whether the target is up.] up 1 #0 L3\n");
	(void)state;
}

static void
test_labels_spacing_and_trailing_comma(void **state)
{
	check_ok("m{a=\"1\",b=\"two\"} 3\n"
		 "m{ a = \"1\" , b=\"x\", } 4\n"
		 "m{} 5\n"
		 "m {c=\"\"}\t6\n",
		 0,
		 "m/untyped m{a=1,b=two} 3 #0 L1\n"
		 "m/untyped m{a=1,b=x} 4 #0 L2\n"
		 "m/untyped m 5 #0 L3\n"
		 "m/untyped m{c=} 6 #0 L4\n");
	(void)state;
}

static void
test_label_value_escapes_are_decoded(void **state)
{
	check_ok(
	    "m{path=\"C:\\\\dir\",q=\"say \\\"hi\\\"\",nl=\"a\\nb\",u=\"caf\xc3\xa9 "
	    "\xe2\x82\xac\"} 1\n",
	    0,
	    "m/untyped m{path=C:\\dir,q=say \"hi\",nl=a\nb,u=caf\xc3\xa9 \xe2\x82\xac} 1 #0 L1\n");
	(void)state;
}

static void
test_help_escapes_are_decoded(void **state)
{
	check_ok("# HELP m A \\\\ backslash,\\na newline and a \\\"quote\\\".\nm 1\n", 0,
		 "m/untyped[A \\ backslash,\na newline and a \"quote\".] m 1 #0 L2\n");
	check_ok("# HELP m\n# TYPE m counter\nm 1\n", 0, "m/counter m 1 #0 L3\n");
	(void)state;
}

static void
test_special_and_exponent_values(void **state)
{
	check_ok("a NaN\nb +Inf\nc -Inf\nd Inf\ne nan\nf -inf\ng 1e3\nh 1.5E-3\ni .5\nj 5.\n"
		 "k -0\nl +7\nm 1e308\nn 123456789012345678901234567890\no 1e-400\np 4.9e-324\n",
		 0,
		 "a/untyped a nan #0 L1\nb/untyped b inf #1 L2\nc/untyped c -inf #2 L3\n"
		 "d/untyped d inf #3 L4\ne/untyped e nan #4 L5\nf/untyped f -inf #5 L6\n"
		 "g/untyped g 1000 #6 L7\nh/untyped h 0.0015 #7 L8\ni/untyped i 0.5 #8 L9\n"
		 "j/untyped j 5 #9 L10\nk/untyped k -0 #10 L11\nl/untyped l 7 #11 L12\n"
		 "m/untyped m 1e+308 #12 L13\nn/untyped n 1.2345678901234568e+29 #13 L14\n"
		 "o/untyped o 0 #14 L15\np/untyped p 4.9406564584124654e-324 #15 L16\n");
	(void)state;
}

static void
test_timestamps_are_milliseconds(void **state)
{
	check_ok("m 1 1700000000000\nm{a=\"b\"} 2 -5\nm 3 +12\n", 0,
		 "m/untyped m 1 @1700000000000 #0 L1\nm/untyped m{a=b} 2 @-5 #0 L2\n"
		 "m/untyped m 3 @12 #0 L3\n");
	(void)state;
}

static void
test_histogram_family(void **state)
{
	check_ok("# HELP lat Latency.\n# TYPE lat histogram\n"
		 "lat_bucket{le=\"0.1\"} 1\nlat_bucket{le=\"+Inf\"} 2\nlat_sum 0.3\nlat_count 2\n"
		 "lat_created 1.7e9\n",
		 0,
		 "lat/histogram[Latency.] lat_bucket{le=0.1} 1 #0 L3\n"
		 "lat/histogram[Latency.] lat_bucket{le=+Inf} 2 #0 L4\n"
		 "lat/histogram[Latency.] lat_sum 0.29999999999999999 #0 L5\n"
		 "lat/histogram[Latency.] lat_count 2 #0 L6\n");
	(void)state;
}

static void
test_summary_family(void **state)
{
	check_ok(
	    "# TYPE rpc summary\nrpc{quantile=\"0.5\"} 0.01\nrpc{quantile=\"0.99\"} NaN\n"
	    "rpc_sum 4\nrpc_count 100\n",
	    0,
	    "rpc/summary rpc{quantile=0.5} 0.01 #0 L2\nrpc/summary rpc{quantile=0.99} nan #0 L3\n"
	    "rpc/summary rpc_sum 4 #0 L4\nrpc/summary rpc_count 100 #0 L5\n");
	(void)state;
}

static void
test_counter_both_namings(void **state)
{
	/* 0.0.4 Go style names the family with _total; OpenMetrics without. */
	check_ok("# TYPE a_total counter\na_total 1\n# TYPE b counter\nb_total 2\nb_created 3\n", 0,
		 "a_total/counter a_total 1 #0 L2\nb/counter b_total 2 #1 L4\n");
	(void)state;
}

static void
test_untyped_and_implicit_families(void **state)
{
	check_ok("# TYPE u untyped\nu 1\nv 2\nv{x=\"y\"} 3\n# TYPE w unknown\nw 4\n", 0,
		 "u/untyped u 1 #0 L2\nv/untyped v 2 #1 L3\nv/untyped v{x=y} 3 #1 L4\n"
		 "w/untyped w 4 #2 L6\n");
	/* a sample that does not fit the current family starts an implicit one */
	check_ok("# TYPE g gauge\ng 1\ng_total 2\n", 0,
		 "g/gauge g 1 #0 L2\ng_total/untyped g_total 2 #1 L3\n");
	(void)state;
}

static void
test_openmetrics_eof_unit_created_exemplar(void **state)
{
	check_ok("# TYPE req counter\n# UNIT req requests\n# HELP req Requests.\n"
		 "req_total{code=\"200\"} 10 1700000000.5 # {trace_id=\"abc\"} 1 1700000000.1\n"
		 "req_created{code=\"200\"} 1700000000\n"
		 "# EOF\n",
		 PROMTEXT_OPENMETRICS,
		 "req/counter[Requests.]<requests> req_total{code=200} 10 @1700000000500 #0 L4\n");
	/* exemplar without a timestamp, in 0.0.4 mode too */
	check_ok("x_total 1 # {a=\"b\"} 0.5\n# EOF\n\n  \n", 0,
		 "x_total/untyped x_total 1 #0 L1\n");
	(void)state;
}

static void
test_other_openmetrics_types(void **state)
{
	check_ok("# TYPE gh gaugehistogram\ngh_bucket{le=\"1\"} 2\ngh_bucket{le=\"+Inf\"} 2\n"
		 "gh_gsum 3\ngh_gcount 2\n"
		 "# TYPE build info\nbuild_info{version=\"1\"} 1\n"
		 "# TYPE st stateset\nst{st=\"a\"} 1\n# EOF\n",
		 PROMTEXT_OPENMETRICS,
		 "gh/gaugehistogram gh_bucket{le=1} 2 #0 L2\ngh/gaugehistogram gh_bucket{le=+Inf} "
		 "2 #0 L3\n"
		 "gh/gaugehistogram gh_gsum 3 #0 L4\n"
		 "gh/gaugehistogram gh_gcount 2 #0 L5\nbuild/info build_info{version=1} 1 #1 L7\n"
		 "st/stateset st{st=a} 1 #2 L9\n");
	(void)state;
}

static void
test_comments_blanks_crlf_and_no_final_newline(void **state)
{
	check_ok("# just a comment\n\n   \n\t# TYPE a gauge\r\n  a 1\r\n#HELP b B\nb 2\n", 0,
		 "a/gauge a 1 #0 L5\nb/untyped[B] b 2 #1 L7\n");
	/* Trailing blanks without a newline are no line at all. */
	check_ok("a 1\n  \t", 0, "a/untyped a 1 #0 L1\n");
	check_ok("", 0, "");
	check_ok("\n\n# nothing\n", 0, "");
	(void)state;
}

static void
test_empty_family_is_skipped(void **state)
{
	check_ok("# HELP a A\n# TYPE a counter\n# HELP b B\nb 1\n", 0, "b/untyped[B] b 1 #0 L4\n");
	(void)state;
}

static void
test_help_after_samples_without_earlier_help(void **state)
{
	check_ok("c 1\n# HELP c late help\nc 2\n", 0,
		 "c/untyped c 1 #0 L1\nc/untyped[late help] c 2 #0 L3\n");
	(void)state;
}

static int
stop_after_two(const struct prom_sample *s, void *ctx)
{
	int *n = ctx;

	(void)s;
	return ++*n >= 2;
}

static void
test_callback_form_and_early_stop(void **state)
{
	const char *t = "a 1\nb 2\nc 3\n";
	struct mm_err err;
	int n = 0;

	assert_int_equal(promtext_parse(t, strlen(t), "t", 0, stop_after_two, &n, &err), 1);
	assert_int_equal(n, 2);
	assert_int_equal(promtext_parse(t, strlen(t), "t", 0, NULL, NULL, &err), 0);
	assert_int_equal(promtext_parse("a b\n", 4, "t", 0, NULL, NULL, &err), -1);
	assert_int_equal(err.code, MM_E_PARSE);
	(void)state;
}

static void
test_label_lookup_and_counts(void **state)
{
	const char *t = "m{a=\"x\",bb=\"y\\\"z\"} 1\n# EOF\n";
	struct promtext p;
	struct prom_sample s;
	struct mm_err err;
	const struct prom_str *v;

	promtext_init(&p, t, strlen(t), "t", 0);
	assert_int_equal(promtext_next(&p, &s, &err), 1);
	v = prom_sample_label(&s, "bb");
	assert_non_null(v);
	assert_true(prom_str_eq(*v, "y\"z"));
	assert_null(prom_sample_label(&s, "b"));
	assert_int_equal(promtext_next(&p, &s, &err), 0);
	assert_int_equal(promtext_next(&p, &s, &err), 0);
	assert_int_equal(promtext_nsamples(&p), 1);
	assert_true(promtext_saw_eof(&p));
	promtext_release(&p);
	promtext_release(NULL);
	assert_string_equal(prom_type_name(PROM_SUMMARY), "summary");
	assert_string_equal(prom_type_name((enum prom_type)99), "untyped");
	(void)state;
}

static void
test_not_nul_terminated_input_is_bounded(void **state)
{
	/* The buffer continues past len with text that must not be read. */
	const char full[] = "m{a=\"b\"} 12\n34 GARBAGE";
	struct promtext p;
	struct prom_sample s;
	struct mm_err err;

	promtext_init(&p, full, 12, "t", 0); /* "m{a=\"b\"} 12\n" */
	assert_int_equal(promtext_next(&p, &s, &err), 1);
	assert_true(s.value == 12);
	assert_false(s.has_timestamp);
	assert_int_equal(promtext_next(&p, &s, &err), 0);
	promtext_release(&p);
	promtext_init(&p, full, 6, "t", 0); /* "m{a=\"b" */
	assert_int_equal(promtext_next(&p, &s, &err), -1);
	promtext_release(&p);
	(void)state;
}

static void
test_many_families_grow_the_name_set(void **state)
{
	struct buf b = BUF_INIT(1 << 24);
	struct promtext p;
	struct prom_sample s;
	struct mm_err err;
	size_t n = 0;
	int i, r;

	for (i = 0; i < 5000; i++)
		buf_addf(&b, "# HELP f%d help\n# TYPE f%d gauge\nf%d %d\n", i, i, i, i);
	buf_adds(&b, "# TYPE f17 gauge\n");
	promtext_init(&p, b.data, b.len, "t", 0);
	while ((r = promtext_next(&p, &s, &err)) == 1) {
		assert_int_equal(s.family->index, n);
		assert_int_equal(s.family->type, PROM_GAUGE);
		n++;
	}
	assert_int_equal(r, -1);
	assert_int_equal(n, 5000);
	assert_non_null(strstr(err.msg, "second TYPE line for 'f17'"));
	assert_int_equal(err.line, 15001);
	promtext_release(&p);
	buf_release(&b);
	(void)state;
}

static uint64_t
xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void
test_float_parser_matches_strtod(void **state)
{
	uint64_t x = 88172645463325252ull;
	char tmp[64];
	int i;

	for (i = 0; i < 200000; i++) {
		uint64_t r = xorshift(&x);
		double want, got;
		int n = 0, dig, k, point;

		/* random digits, maybe a point among them, maybe an exponent */
		dig = 1 + (int)(r % 22);
		point = (r >> 8) & 1 ? (int)((r >> 16) % (uint64_t)(dig + 1)) : -1;
		if ((r >> 9) & 1)
			tmp[n++] = '-';
		for (k = 0; k < dig; k++) {
			if (k == point)
				tmp[n++] = '.';
			tmp[n++] = (char)('0' + xorshift(&x) % 10);
		}
		if (point == dig)
			tmp[n++] = '.';
		if ((r >> 10) & 1)
			n += snprintf(tmp + n, sizeof(tmp) - (size_t)n, "e%d",
				      (int)(xorshift(&x) % 700) - 350);
		tmp[n] = '\0';
		want = strtod(tmp, NULL);
		if (isinf(want)) {
			/* Too large for a double: refused, as Go's ParseFloat does. */
			assert_int_equal(prom_parse_float(tmp, (size_t)n, &got), -1);
			continue;
		}
		assert_int_equal(prom_parse_float(tmp, (size_t)n, &got), 0);
		if (memcmp(&want, &got, sizeof(got)) != 0)
			fail_msg("'%s': got %.17g want %.17g", tmp, got, want);
	}
	(void)state;
}

static void
test_float_parser_rejects(void **state)
{
	static const char *bad[] = {"",	   "+",	    "-",  ".",	  "e5",	  "1e",
				    "1e+", "1.2.3", "1x", "--1",  "+nan", "infinit",
				    "0x",  "1 ",    " 1", "nan1", "1_000"};
	size_t i;
	double v;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (prom_parse_float(bad[i], strlen(bad[i]), &v) == 0)
			fail_msg("accepted '%s'", bad[i]);
	(void)state;
}

/* --- errors, each with its position ---------------------------------------- */

static void
test_error_metric_names(void **state)
{
	check_err("1abc 1\n", 0, MM_E_PARSE, 1, 1, "invalid metric name");
	check_err("ok 1\nfoo-bar 1\n", 0, MM_E_PARSE, 2, 4, "invalid character '-' in metric name");
	check_err("{a=\"b\"} 1\n", 0, MM_E_PARSE, 1, 1, "invalid metric name");
	(void)state;
}

static void
test_error_missing_or_bad_value(void **state)
{
	check_err("foo\n", 0, MM_E_PARSE, 1, 4, "missing value");
	check_err("foo{a=\"b\"}\n", 0, MM_E_PARSE, 1, 11, "missing value");
	check_err("foo abc\n", 0, MM_E_PARSE, 1, 5, "invalid value 'abc'");
	check_err("foo 1,5\n", 0, MM_E_PARSE, 1, 5, "invalid value");
	(void)state;
}

static void
test_error_label_syntax(void **state)
{
	check_err("foo{\n", 0, MM_E_PARSE, 1, 5, "unterminated label set");
	check_err("foo{1a=\"b\"} 1\n", 0, MM_E_PARSE, 1, 5, "invalid label name");
	check_err("foo{a:b=\"c\"} 1\n", 0, MM_E_PARSE, 1, 6, "invalid character ':' in label name");
	check_err("foo{a \"b\"} 1\n", 0, MM_E_PARSE, 1, 7, "expected '=' after label name 'a'");
	check_err("foo{a=b} 1\n", 0, MM_E_PARSE, 1, 7, "expected '\"'");
	check_err("foo{a=\"b} 1\n", 0, MM_E_PARSE, 1, 7, "unterminated label value");
	check_err("foo{a=\"b\\\"} 1\n", 0, MM_E_PARSE, 1, 7, "unterminated label value");
	check_err("foo{a=\"b\" c=\"d\"} 1\n", 0, MM_E_PARSE, 1, 11, "expected ',' or '}'");
	check_err("foo{a=\"b\",a=\"c\"} 1\n", 0, MM_E_PARSE, 1, 11, "duplicate label name 'a'");
	check_err("foo{a=\"b\"", 0, MM_E_PARSE, 1, 10, "unterminated label set");
	(void)state;
}

static void
test_error_bad_escapes(void **state)
{
	check_err("foo{a=\"x\\ty\"} 1\n", 0, MM_E_PARSE, 1, 9, "invalid escape sequence '\\t'");
	check_err("# HELP foo bad \\q escape\n", 0, MM_E_PARSE, 1, 16,
		  "invalid escape sequence '\\q' in HELP");
	check_err("# HELP foo trailing \\", 0, MM_E_PARSE, 1, 21, "invalid escape sequence");
	(void)state;
}

static void
test_error_invalid_utf8(void **state)
{
	check_err("foo{a=\"\xff\"} 1\n", 0, MM_E_PARSE, 1, 8, "not valid UTF-8");
	check_err("foo{a=\"\xc0\xaf\"} 1\n", 0, MM_E_PARSE, 1, 8, "not valid UTF-8"); /* overlong */
	check_err("foo{a=\"\xed\xa0\x80\"} 1\n", 0, MM_E_PARSE, 1, 8,
		  "not valid UTF-8"); /* surrogate */
	check_err("foo{a=\"\xe2\x82\"} 1\n", 0, MM_E_PARSE, 1, 8,
		  "not valid UTF-8"); /* truncated */
	check_err("# HELP foo \xfe\n", 0, MM_E_PARSE, 1, 12, "HELP text is not valid UTF-8");
	(void)state;
}

static void
test_error_timestamps(void **state)
{
	check_err("foo 1 1.5\n", 0, MM_E_PARSE, 1, 7, "invalid timestamp '1.5'");
	check_err("foo 1 99999999999999999999\n", 0, MM_E_PARSE, 1, 7, "invalid timestamp");
	check_err("foo 1 abc\n", PROMTEXT_OPENMETRICS, MM_E_PARSE, 1, 7, "invalid timestamp");
	check_err("foo 1 NaN\n", PROMTEXT_OPENMETRICS, MM_E_PARSE, 1, 7, "invalid timestamp");
	check_err("foo 1 2 3\n", 0, MM_E_PARSE, 1, 9, "unexpected text after the value");
	check_err("foo 1 # x\n", 0, MM_E_PARSE, 1, 7, "unexpected text after the value");
	check_err("foo 1 #{a=\"b\"} 1\n", 0, MM_E_PARSE, 1, 7, "unexpected text after the value");
	(void)state;
}

static void
test_error_help_type_lines(void **state)
{
	check_err("# TYPE foo gauge\n# TYPE foo counter\n", 0, MM_E_PARSE, 2, 8,
		  "second TYPE line for 'foo'");
	check_err("# HELP foo a\n# HELP foo b\n", 0, MM_E_PARSE, 2, 8,
		  "second HELP line for 'foo'");
	check_err("# HELP foo a\nbar 1\n# HELP foo b\n", 0, MM_E_PARSE, 3, 8, "second HELP line");
	check_err("foo 1\n# TYPE foo gauge\n", 0, MM_E_PARSE, 2, 8,
		  "TYPE line for 'foo' after its samples");
	check_err("foo 1\nbar 1\n# TYPE foo gauge\n", 0, MM_E_PARSE, 3, 8, "after its samples");
	check_err("# TYPE foo gaug\n", 0, MM_E_PARSE, 1, 12, "unknown metric type 'gaug'");
	check_err("# TYPE foo Gauge\n", 0, MM_E_PARSE, 1, 12, "unknown metric type");
	check_err("# TYPE foo\n", 0, MM_E_PARSE, 1, 11, "missing type");
	check_err("# TYPE foo gauge extra\n", 0, MM_E_PARSE, 1, 18,
		  "unexpected text after the type");
	check_err("# HELP\n", 0, MM_E_PARSE, 1, 7, "expected a metric name after 'HELP'");
	check_err("# TYPE 9foo gauge\n", 0, MM_E_PARSE, 1, 8, "invalid metric name in TYPE line");
	check_err("# HELP foo-x y\n", 0, MM_E_PARSE, 1, 11, "invalid character '-'");
	check_err("# UNIT foo sec-onds\n", 0, MM_E_PARSE, 1, 15, "invalid unit");
	(void)state;
}

static void
test_error_family_shape(void **state)
{
	check_err("# TYPE h histogram\nh 1\n", 0, MM_E_PARSE, 2, 1,
		  "sample 'h' does not fit histogram family 'h'");
	check_err("# TYPE h histogram\nh_bucket 1\n", 0, MM_E_PARSE, 2, 1,
		  "histogram sample 'h_bucket' without a 'le' label");
	check_err("# TYPE h histogram\nh_bucket{le=\"x\"} 1\n", 0, MM_E_PARSE, 2, 10,
		  "label 'le' is not a number: 'x'");
	check_err("# TYPE s summary\ns 1\n", 0, MM_E_PARSE, 2, 1,
		  "summary sample 's' without a 'quantile' label");
	check_err("# TYPE s summary\ns{quantile=\"\"} 1\n", 0, MM_E_PARSE, 2, 3,
		  "label 'quantile' is not a number");
	(void)state;
}

static void
test_error_after_eof(void **state)
{
	check_err("a 1\n# EOF\nb 2\n", 0, MM_E_PARSE, 3, 1, "content after '# EOF'");
	check_err("a 1\n# EOF\n# comment\n", 0, MM_E_PARSE, 3, 1, "content after '# EOF'");
	check_err("# EOF junk\n", 0, MM_E_PARSE, 1, 7, "unexpected text after '# EOF'");
	(void)state;
}

static void
test_error_limits(void **state)
{
	struct buf b = BUF_INIT(1 << 24);
	struct promtext p;
	struct prom_sample s;
	struct mm_err err;
	size_t i, col;
	int r;

	/* a line one byte over the cap */
	buf_adds(&b, "ok 1\nm{a=\"");
	while (b.len < 5 + PROMTEXT_MAX_LINE - 3)
		buf_addc(&b, 'x');
	buf_adds(&b, "\"} 1\n");
	assert_int_equal(b.len - 5 - 1, PROMTEXT_MAX_LINE + 1);
	check_err(b.data, 0, MM_E_LIMIT, 2, PROMTEXT_MAX_LINE + 1, "line longer than");
	/* exactly at the cap is fine */
	buf_reset(&b);
	buf_adds(&b, "m{a=\"");
	while (b.len < PROMTEXT_MAX_LINE - 4)
		buf_addc(&b, 'x');
	buf_adds(&b, "\"} 1");
	assert_int_equal(b.len, PROMTEXT_MAX_LINE);
	buf_addc(&b, '\n');
	assert_int_equal(promtext_parse(b.data, b.len, "t", 0, NULL, NULL, &err), 0);

	/* labels: PROMTEXT_MAX_LABELS is fine, one more is not */
	buf_reset(&b);
	buf_adds(&b, "m{");
	for (i = 0; i < PROMTEXT_MAX_LABELS; i++)
		buf_addf(&b, "l%zu=\"v\",", i);
	buf_adds(&b, "} 1\n");
	assert_int_equal(promtext_parse(b.data, b.len, "t", 0, NULL, NULL, &err), 0);
	buf_reset(&b);
	buf_adds(&b, "m{");
	for (i = 0; i < PROMTEXT_MAX_LABELS; i++)
		buf_addf(&b, "l%zu=\"v\",", i);
	col = b.len + 1; /* where the label one past the cap starts */
	buf_adds(&b, "extra=\"v\"} 1\n");
	check_err(b.data, 0, MM_E_LIMIT, 1, col, "more than 64 labels");

	/* series: a lowered cap */
	promtext_init(&p, "a 1\nb 2\nc 3\n", 12, "t", 0);
	p.max_series = 2;
	assert_int_equal(promtext_next(&p, &s, &err), 1);
	assert_int_equal(promtext_next(&p, &s, &err), 1);
	r = promtext_next(&p, &s, &err);
	assert_int_equal(r, -1);
	assert_int_equal(err.code, MM_E_LIMIT);
	assert_int_equal(err.line, 3);
	assert_non_null(strstr(err.msg, "more than 2 samples"));
	/* and it stays failed */
	mm_err_init(&err);
	assert_int_equal(promtext_next(&p, &s, &err), -1);
	assert_int_equal(err.code, MM_E_LIMIT);
	promtext_release(&p);
	buf_release(&b);
	(void)state;
}

static void
test_error_too_many_families(void **state)
{
	struct buf b = BUF_INIT((size_t)1 << 26);
	struct mm_err err;
	size_t i;

	for (i = 0; i <= PROMTEXT_MAX_FAMILIES; i++)
		buf_addf(&b, "f%zu 1\n", i);
	check_err(b.data, 0, MM_E_LIMIT, PROMTEXT_MAX_FAMILIES + 1, 1,
		  "more than 262144 metric families");
	/* through HELP lines too */
	buf_reset(&b);
	for (i = 0; i <= PROMTEXT_MAX_FAMILIES; i++)
		buf_addf(&b, "# HELP f%zu x\n", i);
	check_err(b.data, 0, MM_E_LIMIT, PROMTEXT_MAX_FAMILIES + 1, 8, "metric families");
	assert_int_equal(promtext_parse("", 0, "t", 0, NULL, NULL, &err), 0);
	buf_release(&b);
	(void)state;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gauge_with_help_and_type),
	    cmocka_unit_test(test_labels_spacing_and_trailing_comma),
	    cmocka_unit_test(test_label_value_escapes_are_decoded),
	    cmocka_unit_test(test_help_escapes_are_decoded),
	    cmocka_unit_test(test_special_and_exponent_values),
	    cmocka_unit_test(test_timestamps_are_milliseconds),
	    cmocka_unit_test(test_histogram_family),
	    cmocka_unit_test(test_summary_family),
	    cmocka_unit_test(test_counter_both_namings),
	    cmocka_unit_test(test_untyped_and_implicit_families),
	    cmocka_unit_test(test_openmetrics_eof_unit_created_exemplar),
	    cmocka_unit_test(test_unterminated_last_line_is_truncation),
	    cmocka_unit_test(test_openmetrics_needs_eof),
	    cmocka_unit_test(test_hex_and_out_of_range_values_are_refused),
	    cmocka_unit_test(test_created_samples_are_skipped),
	    cmocka_unit_test(test_openmetrics_semantics),
	    cmocka_unit_test(test_other_openmetrics_types),
	    cmocka_unit_test(test_comments_blanks_crlf_and_no_final_newline),
	    cmocka_unit_test(test_empty_family_is_skipped),
	    cmocka_unit_test(test_help_after_samples_without_earlier_help),
	    cmocka_unit_test(test_callback_form_and_early_stop),
	    cmocka_unit_test(test_label_lookup_and_counts),
	    cmocka_unit_test(test_not_nul_terminated_input_is_bounded),
	    cmocka_unit_test(test_many_families_grow_the_name_set),
	    cmocka_unit_test(test_float_parser_matches_strtod),
	    cmocka_unit_test(test_float_parser_rejects),
	    cmocka_unit_test(test_error_metric_names),
	    cmocka_unit_test(test_error_missing_or_bad_value),
	    cmocka_unit_test(test_error_label_syntax),
	    cmocka_unit_test(test_error_bad_escapes),
	    cmocka_unit_test(test_error_invalid_utf8),
	    cmocka_unit_test(test_error_timestamps),
	    cmocka_unit_test(test_error_help_type_lines),
	    cmocka_unit_test(test_error_family_shape),
	    cmocka_unit_test(test_error_after_eof),
	    cmocka_unit_test(test_error_limits),
	    cmocka_unit_test(test_error_too_many_families),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
