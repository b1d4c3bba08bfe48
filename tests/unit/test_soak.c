/*
 * test_soak.c - the soak engine: aggregates from fed expositions (warm-up,
 * bucket increases, resets, missing scrapes, type errors), every simulator
 * fault failing its gate and no fault failing none, --abort-on-fail, and a
 * resume from an older checkpoint giving exactly the uninterrupted result.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "gates.h"
#include "jsontree.h"
#include "soakreport.h"
#include "soak.h"

static const char synth_gates[] =
    "version: 1\n"
    "warmup: 60s\n"
    "metrics:\n"
    "  lat_seconds: histogram\n"
    "  ratio: gauge\n"
    "  trips_total: counter\n"
    "  absent: gauge\n"
    "  wrongtype_seconds: histogram\n"
    "record:\n"
    "  - name: ratio_series\n"
    "    metric: ratio\n"
    "gates:\n"
    "  - {name: p95, kind: hard, metric: lat_seconds, labels: {stage: a}, aggregate: p95, op: "
    "'<=',\n"
    "     threshold: 0.5, alert: {name: A1, expr: x, for: 0s}}\n"
    "  - {name: mean, kind: hard, metric: ratio, aggregate: mean, op: '>=', threshold: 0.5,\n"
    "     alert: {name: A2, expr: x, for: 10m}}\n"
    "  - {name: trips, kind: hard, metric: trips_total, aggregate: increase, op: '==', threshold: "
    "0,\n"
    "     alert: {name: A3, expr: x, for: 5m}}\n"
    "  - {name: ratio_min, kind: soft, metric: ratio, aggregate: min, op: '>=', threshold: 0.6,\n"
    "     alert: {name: A4, expr: x, for: 5m}}\n"
    "  - {name: gone, kind: soft, metric: absent, aggregate: max, op: '<=', threshold: 1,\n"
    "     alert: {name: A5, expr: x, for: 5m}}\n"
    "  - {name: wrong, kind: soft, metric: wrongtype_seconds, aggregate: p50, op: '<=',\n"
    "     threshold: 1, alert: {name: A6, expr: x, for: 5m}}\n";

static void
fake_utc(void)
{
	setenv("CI_FAKE_UTC", "2025-10-11T00:00:00Z", 1);
}

/* One exposition: histogram counts for le 0.1 0.5 1 +Inf, the gauge, the counter. */
static void
expo(struct buf *b, const double c[4], double ratio, double trips)
{
	static const char *const le[] = {"0.1", "0.5", "1", "+Inf"};
	int i;

	buf_reset(b);
	buf_adds(b, "# TYPE lat_seconds histogram\n");
	for (i = 0; i < 4; i++) {
		buf_addf(b, "lat_seconds_bucket{stage=\"a\",le=\"%s\"} %.17g\n", le[i], c[i]);
		/* Another stage that the selector must leave out. */
		buf_addf(b, "lat_seconds_bucket{stage=\"b\",le=\"%s\"} %.17g\n", le[i],
			 1000 * c[i]);
	}
	buf_addf(b, "lat_seconds_sum{stage=\"a\"} 1\nlat_seconds_count{stage=\"a\"} %.17g\n", c[3]);
	buf_addf(b, "# TYPE ratio gauge\nratio %.17g\n", ratio);
	buf_addf(b, "# TYPE trips_total counter\ntrips_total %.17g\n", trips);
	buf_adds(b, "# TYPE wrongtype_seconds gauge\nwrongtype_seconds 3\n");
}

static const struct gate_result *
find_gate(const struct soak_report *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->ngates; i++)
		if (strcmp(r->gates[i].res.def->name, name) == 0)
			return &r->gates[i].res;
	fail_msg("no gate %s", name);
	return NULL;
}

static void
test_feed_aggregates_after_warmup(void **st)
{
	struct mm_err err;
	struct gate_config *cfg;
	struct soak_opts o = {0};
	struct soak *s;
	struct soak_report r;
	struct buf b = BUF_INIT(1 << 20);
	const double t0 = 1760140800; /* 2025-10-11T00:00:00Z */
	const double h[5][4] = {
	    {0, 0, 0, 0}, {10, 10, 10, 10}, {20, 20, 20, 20}, {20, 30, 40, 40}, {20, 30, 40, 40},
	};
	const double ratio[5] = {0.2, 0.2, 0.8, 0.6, 0.6};
	const double trips[5] = {0, 1, 1, 3, 1}; /* the last one is a reset */
	int i;

	(void)st;
	fake_utc();
	mm_err_init(&err);
	cfg = gates_loadb(synth_gates, strlen(synth_gates), "synth.yaml", &err);
	assert_non_null(cfg);
	o.source = SOAK_SRC_SCRAPE;
	o.url = "http://127.0.0.1:1/metrics";
	o.duration = 3600;
	o.interval = 30;
	o.warmup = -1;
	s = soak_new(&o, cfg, &err);
	assert_non_null(s);
	for (i = 0; i < 5; i++) {
		expo(&b, h[i], ratio[i], trips[i]);
		assert_int_equal(soak_feed_text(s, t0 + 30 * i, b.data, b.len, "t", &err), 0);
	}
	soak_feed_missing(s, t0 + 150, "connection refused");
	/* A malformed exposition is a missing scrape, not a crash. */
	assert_int_equal(soak_feed_text(s, t0 + 180, "ratio{ 1\n", 9, "t", &err), -1);
	soak_report(s, t0, &r);
	assert_int_equal(r.run.samples, 5);
	assert_int_equal(r.run.missing, 2);

	/* Increases after warm-up (from the 30 s sample on): 10, 20, 30, 30; p95 rank 28.5. */
	assert_true(fabs(find_gate(&r, "p95")->value - (0.5 + 0.5 * 0.85)) < 1e-12);
	assert_int_equal(find_gate(&r, "p95")->verdict, VERDICT_FAIL);
	/* Held values from 30 s: 0.2 x 30 s, 0.8 x 30 s, 0.6 x 30 s. */
	assert_true(fabs(find_gate(&r, "mean")->value - 48.0 / 90) < 1e-12);
	assert_int_equal(find_gate(&r, "mean")->verdict, VERDICT_PASS);
	/* 1 -> 1 -> 3 -> reset to 1: 0 + 2 + 1. */
	assert_true(find_gate(&r, "trips")->value == 3);
	assert_int_equal(find_gate(&r, "trips")->verdict, VERDICT_FAIL);
	/* min over samples after warm-up (0.2 before it does not count). */
	assert_true(find_gate(&r, "ratio_min")->value == 0.6);
	assert_int_equal(find_gate(&r, "gone")->verdict, VERDICT_NO_DATA);
	assert_int_equal(find_gate(&r, "wrong")->verdict, VERDICT_ERROR);
	assert_non_null(strstr(find_gate(&r, "wrong")->reason, "gauge"));
	assert_string_equal(soakreport_verdict(&r), "fail");
	assert_int_equal(soak_exit_code(&r), 1);
	/* The recorded series has every gauge aggregate. */
	assert_int_equal(r.nseries, 1);
	assert_true(r.series[0].aggs.max == 0.8 && r.series[0].aggs.last == 0.6);
	soak_free(s);
	gates_free(cfg);
	buf_release(&b);
}

/*
 * Issue 10: buckets that are no histogram (no +Inf, decreasing counts, NaN)
 * and a counter that goes negative make their gate an error with the
 * reason; PromQL would force the buckets monotonic and answer a quantile.
 */
static void
test_broken_series_make_their_gate_an_error(void **st)
{
	static const struct {
		const char *hist, *trips, *gate, *why;
	} t[] = {
	    {"lat_seconds_bucket{stage=\"a\",le=\"0.1\"} "
	     "1\nlat_seconds_bucket{stage=\"a\",le=\"1\"} 2\n",
	     "0", "p95", "no +Inf bucket"},
	    {"lat_seconds_bucket{stage=\"a\",le=\"0.1\"} "
	     "5\nlat_seconds_bucket{stage=\"a\",le=\"1\"} 3\n"
	     "lat_seconds_bucket{stage=\"a\",le=\"+Inf\"} 5\n",
	     "0", "p95", "decrease"},
	    {"lat_seconds_bucket{stage=\"a\",le=\"0.1\"} "
	     "NaN\nlat_seconds_bucket{stage=\"a\",le=\"+Inf\"} 5\n",
	     "0", "p95", "NaN or negative"},
	    {"lat_seconds_bucket{stage=\"a\",le=\"+Inf\"} 5\n", "-3", "trips", "negative value"},
	    {"lat_seconds_bucket{stage=\"a\",le=\"+Inf\"} 5\n", "NaN", "trips", "NaN value"},
	};
	size_t k;

	(void)st;
	fake_utc();
	for (k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		struct mm_err err;
		struct gate_config *cfg;
		struct soak_opts o = {0};
		struct soak *s;
		struct soak_report r;
		struct buf b = BUF_INIT(1 << 16);
		const double t0 = 1760140800;
		const struct gate_result *g;
		int i;

		mm_err_init(&err);
		cfg = gates_loadb(synth_gates, strlen(synth_gates), "synth.yaml", &err);
		assert_non_null(cfg);
		o.source = SOAK_SRC_SCRAPE;
		o.url = "http://127.0.0.1:1/metrics";
		o.duration = 600;
		o.interval = 30;
		o.warmup = 0;
		s = soak_new(&o, cfg, &err);
		assert_non_null(s);
		for (i = 0; i < 4; i++) {
			buf_reset(&b);
			buf_addf(&b,
				 "# TYPE lat_seconds histogram\n%s# TYPE ratio gauge\nratio 1\n"
				 "# TYPE trips_total counter\ntrips_total %s\n",
				 t[k].hist, t[k].trips);
			assert_int_equal(soak_feed_text(s, t0 + 30 * i, b.data, b.len, "t", &err),
					 0);
		}
		soak_report(s, t0, &r);
		g = find_gate(&r, t[k].gate);
		if (g->verdict != VERDICT_ERROR || !strstr(g->reason, t[k].why))
			fail_msg("case %zu: gate %s is %s: %s (want error: %s)", k, t[k].gate,
				 gates_verdict_name(g->verdict), g->reason, t[k].why);
		soak_free(s);
		gates_free(cfg);
		buf_release(&b);
	}
}

static struct soak_report rep;

/* Run a mock soak of hours with faults; returns the engine (caller frees). */
static struct soak *
mock_run(double hours, const char *const *faults, size_t nfaults, int abort_on_fail)
{
	struct mm_err err;
	struct gate_config *cfg;
	struct soak_opts o = {0};
	struct soak *s;

	fake_utc();
	mm_err_init(&err);
	cfg = gates_load_default(&err);
	assert_non_null(cfg);
	o.source = SOAK_SRC_MOCK;
	o.duration = hours * 3600;
	o.interval = 15;
	o.warmup = -1;
	o.seed = 7;
	o.faults = faults;
	o.nfaults = nfaults;
	o.abort_on_fail = abort_on_fail;
	s = soak_new(&o, cfg, &err);
	if (!s)
		fail_msg("soak_new: %s", err.msg);
	gates_free(cfg);
	assert_int_equal(soak_run(s, &err), 0);
	soak_report(s, 0, &rep);
	return s;
}

static void
test_mock_without_faults_passes_every_gate(void **st)
{
	struct soak *s = mock_run(8, NULL, 0, 0);
	size_t i;

	(void)st;
	assert_int_equal(rep.ngates, 8);
	for (i = 0; i < rep.ngates; i++) {
		if (rep.gates[i].res.verdict != VERDICT_PASS)
			fail_msg("%s: %s", rep.gates[i].res.def->name, rep.gates[i].res.reason);
		/* Not merely passing: no windowed breach at all. */
		assert_true(isnan(rep.gates[i].res.first_breach));
	}
	assert_true(rep.run.complete);
	assert_int_equal(rep.run.samples, 8 * 240 + 1);
	assert_int_equal(soak_exit_code(&rep), 0);
	soak_free(s);
}

static void
test_each_fault_fails_its_gate(void **st)
{
	static const struct {
		const char *fault, *gate;
		int hard;
	} cases[] = {
	    {"latency@2h+2h", "latency_p95", 1},
	    {"deadline@2h+2h", "deadline_miss_rate", 1},
	    {"edge@2h+2h", "edge_bps", 1},
	    {"cache@2h+2h", "hit_ratio", 1},
	    {"breaker@2h+20m", "circuit_breaker", 1},
	    {"guard@2h", "guard_trips", 1},
	    {"taker@2h+2h", "maker_share", 0},
	    {"wslag@2h+2h", "ws_lag", 0},
	};
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *f[1] = {cases[i].fault};
		struct soak *s = mock_run(6, f, 1, 0);
		const struct gate_result *g = find_gate(&rep, cases[i].gate);

		if (g->verdict != VERDICT_FAIL)
			fail_msg("fault %s: gate %s is %s (%s)", cases[i].fault, cases[i].gate,
				 gates_verdict_name(g->verdict), g->reason);
		/* The breach starts with the fault (2 h), not before. */
		assert_true(g->first_breach - rep.run.start >= 2 * 3600);
		assert_true(g->first_breach - rep.run.start < 3 * 3600);
		assert_int_equal(soak_exit_code(&rep), cases[i].hard ? 1 : 0);
		soak_free(s);
	}
}

static void
test_abort_on_fail_stops_at_the_first_sustained_hard_breach(void **st)
{
	const char *f[1] = {"cache:x5@2h+2h"};
	struct soak *s = mock_run(8, f, 1, 1);
	const char *why;

	(void)st;
	assert_true(soak_aborted(s, &why));
	assert_non_null(strstr(why, "hard gate hit_ratio: windowed value breached for 15m"));
	assert_false(rep.run.complete);
	/* Stopped 15m (the alert's for:) after the breach began, long before 8 h. */
	assert_true(rep.run.elapsed > 2 * 3600 && rep.run.elapsed < 2.5 * 3600);
	assert_int_equal(soak_exit_code(&rep), 1);
	soak_free(s);
}

/* --- resume --- */

struct copier {
	const char *from, *to;
	unsigned long at;
	int copied;
};

static void
copy_file(const char *from, const char *to)
{
	struct buf b = BUF_INIT((size_t)256 << 20);
	struct mm_err err;
	FILE *fp;

	assert_int_equal(buf_read_file(&b, from, &err), 0);
	fp = fopen(to, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(b.data, 1, b.len, fp), b.len);
	fclose(fp);
	buf_release(&b);
}

/* Like kill -9 at sample `at`: keep the checkpoint as it was then. */
static void
copy_at(const struct soak_progress *p, void *ctx)
{
	struct copier *c = ctx;

	if (!c->copied && p->samples == c->at) {
		copy_file(c->from, c->to);
		c->copied = 1;
	}
}

static char *
dump_results(struct soak_report *r)
{
	json_t *m = soakreport_metrics_json(r), *g = soakreport_gates_json(r);
	json_t *both = json_pack("{s:O,s:O}", "series", json_object_get(m, "series"), "gates",
				 json_object_get(g, "gates"));
	char *text = jsontree_dumps(both);

	json_decref(m);
	json_decref(g);
	json_decref(both);
	return text;
}

static void
test_resume_from_an_older_checkpoint_gives_the_same_result(void **st)
{
	const char *faults[1] = {"latency:x4@3h+1h"};
	char dir[] = "/tmp/test_soak.XXXXXX", state[128], old[128], state2[128];
	struct gate_config *cfg;
	struct soak_opts o = {0};
	struct soak *s;
	struct copier cp;
	struct mm_err err;
	char *a, *b;

	(void)st;
	assert_non_null(mkdtemp(dir));
	snprintf(state, sizeof(state), "%s/state.json", dir);
	snprintf(old, sizeof(old), "%s/old.json", dir);
	snprintf(state2, sizeof(state2), "%s/state2.json", dir);

	s = mock_run(6, faults, 1, 0);
	a = dump_results(&rep);
	soak_free(s);

	fake_utc();
	cfg = gates_load_default(&err);
	o.source = SOAK_SRC_MOCK;
	o.duration = 6 * 3600;
	o.interval = 15;
	o.warmup = -1;
	o.seed = 7;
	o.faults = faults;
	o.nfaults = 1;
	o.state_path = state;
	o.checkpoint_every = 1800;
	cp.from = state;
	cp.to = old;
	cp.at = 1000; /* 4h10m in: the last checkpoint was at 4h */
	cp.copied = 0;
	o.progress = copy_at;
	o.progress_ctx = &cp;
	s = soak_new(&o, cfg, &err);
	assert_non_null(s);
	assert_int_equal(soak_run(s, &err), 0);
	assert_true(cp.copied);
	soak_free(s);

	memset(&o, 0, sizeof(o));
	o.state_path = state2;
	s = soak_resume(old, &o, &err);
	if (!s)
		fail_msg("resume: %s", err.msg);
	assert_int_equal(soak_run(s, &err), 0);
	soak_report(s, 0, &rep);
	assert_int_equal(rep.run.resumes, 1);
	assert_true(rep.run.complete);
	assert_int_equal(rep.run.samples, 6 * 240 + 1);
	b = dump_results(&rep);
	if (strcmp(a, b) != 0) {
		FILE *fa = fopen("/tmp/test_soak_a.json", "w"),
		     *fb = fopen("/tmp/test_soak_b.json", "w");

		if (fa && fb) {
			fputs(a, fa);
			fputs(b, fb);
		}
		if (fa)
			fclose(fa);
		if (fb)
			fclose(fb);
		fail_msg(
		    "the resumed run differs: diff /tmp/test_soak_a.json /tmp/test_soak_b.json");
	}
	soak_free(s);
	gates_free(cfg);
	free(a);
	free(b);
	unlink(state);
	unlink(old);
	unlink(state2);
	rmdir(dir);
}

static void
test_resume_refuses_a_damaged_checkpoint(void **st)
{
	char path[] = "/tmp/test_soak_bad.XXXXXX";
	struct soak_opts o = {0};
	struct mm_err err;
	int fd = mkstemp(path);

	(void)st;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"state_version\": 1}", 20), 20);
	close(fd);
	mm_err_init(&err);
	assert_null(soak_resume(path, &o, &err));
	assert_non_null(strstr(err.msg, "not a soak checkpoint"));
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_feed_aggregates_after_warmup),
	    cmocka_unit_test(test_broken_series_make_their_gate_an_error),
	    cmocka_unit_test(test_mock_without_faults_passes_every_gate),
	    cmocka_unit_test(test_each_fault_fails_its_gate),
	    cmocka_unit_test(test_abort_on_fail_stops_at_the_first_sustained_hard_breach),
	    cmocka_unit_test(test_resume_from_an_older_checkpoint_gives_the_same_result),
	    cmocka_unit_test(test_resume_refuses_a_damaged_checkpoint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
