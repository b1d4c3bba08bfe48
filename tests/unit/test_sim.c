/*
 * test_sim.c - the properties of the simulated market maker: the same seed
 * gives the same exposition whatever the step size; the exposition carries
 * the metric contract (names, types, bucket bounds) and parses; without
 * faults every DESIGN.md §5 gate passes with margin, and each fault pushes
 * its gate past the threshold; the admin operations (scale to 0, breaker,
 * freeze) do what the rollback expects; fault specs parse and print back.
 * Gates are judged as the soak judges them: by scraping the exposition
 * every simulated second through lib/promtext.
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
#include "sim.h"

#define NB 14 /* tick latency buckets incl. +Inf */

static const double lat_le[NB] = {0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.125,
				  0.15,	 0.2,  0.25,  0.5,  1,	   2.5, INFINITY};

struct snap {
	double hit, miss_rate, maker, edge, ema1h, ema24h, ws_max, breaker, guards, replicas,
	    frozen;
	double ticks, fills, pnl, cache_req;
	double lat[NB]; /* cumulative tick_total buckets */
};

static double
labnum(const struct prom_sample *s, const char *name)
{
	const struct prom_str *v = prom_sample_label(s, name);
	double d = NAN;

	if (v)
		prom_parse_float(v->p, v->len, &d);
	return d;
}

static void
take(const struct sim *s, struct snap *sn)
{
	struct buf b = BUF_INIT(1 << 20);
	struct promtext p;
	struct prom_sample x;
	struct mm_err err;
	int r;

	memset(sn, 0, sizeof(*sn));
	assert_int_equal(sim_render(s, &b), 0);
	promtext_init(&p, b.data, b.len, "sim", 0);
	while ((r = promtext_next(&p, &x, &err)) == 1) {
		if (prom_str_eq(x.name, "mm_hit_ratio"))
			sn->hit = x.value;
		else if (prom_str_eq(x.name, "mm_deadline_miss_rate"))
			sn->miss_rate = x.value;
		else if (prom_str_eq(x.name, "mm_maker_share_ratio"))
			sn->maker = x.value;
		else if (prom_str_eq(x.name, "mm_edge_bps"))
			sn->edge = x.value;
		else if (prom_str_eq(x.name, "mm_edge_bps_ema1h"))
			sn->ema1h = x.value;
		else if (prom_str_eq(x.name, "mm_edge_bps_ema24h"))
			sn->ema24h = x.value;
		else if (prom_str_eq(x.name, "mm_ws_lag_max_seconds"))
			sn->ws_max = x.value;
		else if (prom_str_eq(x.name, "mm_circuit_breaker_open"))
			sn->breaker = x.value;
		else if (prom_str_eq(x.name, "mm_guard_trips_total"))
			sn->guards += x.value;
		else if (prom_str_eq(x.name, "mm_strategy_replicas"))
			sn->replicas = x.value;
		else if (prom_str_eq(x.name, "mm_orders_frozen"))
			sn->frozen = x.value;
		else if (prom_str_eq(x.name, "mm_ticks_total"))
			sn->ticks = x.value;
		else if (prom_str_eq(x.name, "mm_fills_total"))
			sn->fills += x.value;
		else if (prom_str_eq(x.name, "mm_md_cache_requests_total"))
			sn->cache_req += x.value;
		else if (prom_str_eq(x.name, "mm_pnl_usd"))
			sn->pnl = x.value;
		else if (prom_str_eq(x.name, "mm_tick_latency_seconds_bucket")) {
			const struct prom_str *st = prom_sample_label(&x, "stage");
			double le = labnum(&x, "le");
			int i;

			if (!prom_str_eq(*st, "tick_total"))
				continue;
			for (i = 0; i < NB; i++)
				if (le == lat_le[i])
					sn->lat[i] = x.value;
		}
	}
	assert_int_equal(r, 0);
	promtext_release(&p);
	buf_release(&b);
}

/* Prometheus histogram_quantile over the bucket increases between a and b. */
static double
hq(double q, const struct snap *a, const struct snap *b)
{
	double total = b->lat[NB - 1] - a->lat[NB - 1], rank = q * total, prev = 0, lo = 0;
	int i;

	for (i = 0; i < NB; i++) {
		double c = b->lat[i] - a->lat[i];

		if (c >= rank) {
			if (i == NB - 1)
				return lat_le[NB - 2];
			return lo + (lat_le[i] - lo) * (c > prev ? (rank - prev) / (c - prev) : 0);
		}
		prev = c;
		lo = lat_le[i];
	}
	return NAN;
}

/* What a soak computes from 1 s scrapes over [from, to). */
struct gates {
	double p95, miss_rate, hit, maker, ema1h_min, edge_ema_end, ws_max, breaker_max, guard_inc;
};

static void
judge(struct sim *s, double seconds, struct gates *g)
{
	struct snap first, cur;
	double n = 0;
	long i;

	memset(g, 0, sizeof(*g));
	g->ema1h_min = INFINITY;
	take(s, &first);
	cur = first;
	for (i = 0; i < (long)seconds; i++) {
		sim_advance(s, 1);
		take(s, &cur);
		g->miss_rate += cur.miss_rate;
		g->hit += cur.hit;
		g->maker += cur.maker;
		n++;
		if (cur.ema1h < g->ema1h_min)
			g->ema1h_min = cur.ema1h;
		if (cur.ws_max > g->ws_max)
			g->ws_max = cur.ws_max;
		if (cur.breaker > g->breaker_max)
			g->breaker_max = cur.breaker;
	}
	g->miss_rate /= n;
	g->hit /= n;
	g->maker /= n;
	g->p95 = hq(0.95, &first, &cur);
	g->edge_ema_end = cur.ema1h;
	g->guard_inc = cur.guards - first.guards;
}

static struct sim *
new_sim(uint64_t seed, const char *fault)
{
	struct sim_config cfg = {0};
	struct sim_fault f;
	struct mm_err err;
	struct sim *s;

	cfg.seed = seed;
	if (fault) {
		assert_int_equal(sim_fault_parse(fault, 0, &f, &err), 0);
		cfg.faults = &f;
		cfg.nfaults = 1;
	}
	s = sim_new(&cfg, &err);
	assert_non_null(s);
	return s;
}

static char *
render(const struct sim *s)
{
	struct buf b = BUF_INIT(1 << 20);

	assert_int_equal(sim_render(s, &b), 0);
	return buf_detach(&b, NULL);
}

static void
test_same_seed_same_exposition_any_step(void **state)
{
	struct sim *a = new_sim(7, NULL), *b = new_sim(7, NULL), *c = new_sim(8, NULL);
	char *ra, *rb, *rc;
	int i;

	for (i = 0; i < 3600; i++)
		sim_advance(a, 1);
	sim_advance(b, 1800.5);
	sim_advance_to(b, 3600);
	sim_advance(c, 3600);
	ra = render(a);
	rb = render(b);
	rc = render(c);
	assert_string_equal(ra, rb);
	assert_string_not_equal(ra, rc);
	assert_true(sim_time(a) == 3600);
	free(ra);
	free(rb);
	free(rc);
	sim_free(a);
	sim_free(b);
	sim_free(c);
	(void)state;
}

static void
test_exposition_carries_the_contract(void **state)
{
	static const struct {
		const char *family;
		enum prom_type type;
	} want[] = {
	    {"mm_tick_latency_seconds", PROM_HISTOGRAM},
	    {"mm_md_cache_requests_total", PROM_COUNTER},
	    {"mm_hit_ratio", PROM_GAUGE},
	    {"mm_fills_total", PROM_COUNTER},
	    {"mm_maker_share_ratio", PROM_GAUGE},
	    {"mm_ticks_total", PROM_COUNTER},
	    {"mm_deadline_misses_total", PROM_COUNTER},
	    {"mm_deadline_miss_rate", PROM_GAUGE},
	    {"mm_edge_bps", PROM_GAUGE},
	    {"mm_edge_bps_ema1h", PROM_GAUGE},
	    {"mm_edge_bps_ema24h", PROM_GAUGE},
	    {"mm_pnl_usd", PROM_GAUGE},
	    {"mm_ws_lag_seconds", PROM_HISTOGRAM},
	    {"mm_ws_lag_max_seconds", PROM_GAUGE},
	    {"mm_circuit_breaker_open", PROM_GAUGE},
	    {"mm_guard_trips_total", PROM_COUNTER},
	    {"mm_strategy_replicas", PROM_GAUGE},
	    {"mm_orders_frozen", PROM_GAUGE},
	};
	size_t found[sizeof(want) / sizeof(want[0])] = {0};
	struct sim *s = new_sim(1, NULL);
	char *text;
	struct promtext p;
	struct prom_sample x;
	struct mm_err err;
	int r, le015 = 0, le02ws = 0, stages = 0, liq = 0, res = 0, guards = 0;
	size_t i;

	sim_advance(s, 60);
	text = render(s);
	promtext_init(&p, text, strlen(text), "sim", 0);
	while ((r = promtext_next(&p, &x, &err)) == 1) {
		const struct prom_str *v;

		for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
			if (prom_str_eq(x.family->name, want[i].family)) {
				assert_int_equal(x.family->type, want[i].type);
				assert_true(x.family->help.len > 0);
				found[i]++;
			}
		if (prom_str_eq(x.name, "mm_tick_latency_seconds_bucket") &&
		    (v = prom_sample_label(&x, "le")) && prom_str_eq(*v, "0.15"))
			le015++;
		if (prom_str_eq(x.name, "mm_ws_lag_seconds_bucket") &&
		    (v = prom_sample_label(&x, "le")) && prom_str_eq(*v, "0.2"))
			le02ws++;
		if (prom_str_eq(x.name, "mm_tick_latency_seconds_count") &&
		    (v = prom_sample_label(&x, "stage")) &&
		    (prom_str_eq(*v, "tick_total") || prom_str_eq(*v, "fetch_md")))
			stages++;
		if (prom_str_eq(x.name, "mm_fills_total") &&
		    (v = prom_sample_label(&x, "liquidity")) &&
		    (prom_str_eq(*v, "maker") || prom_str_eq(*v, "taker")))
			liq++;
		if (prom_str_eq(x.name, "mm_md_cache_requests_total") &&
		    (v = prom_sample_label(&x, "result")) &&
		    (prom_str_eq(*v, "hit") || prom_str_eq(*v, "miss")))
			res++;
		if (prom_str_eq(x.name, "mm_guard_trips_total") && prom_sample_label(&x, "guard"))
			guards++;
		assert_false(x.has_timestamp);
		assert_true(isfinite(x.value));
	}
	assert_int_equal(r, 0);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!found[i])
			fail_msg("missing family %s", want[i].family);
	assert_int_equal(le015, 2); /* both stages */
	assert_int_equal(le02ws, 1);
	assert_int_equal(stages, 2);
	assert_int_equal(liq, 2);
	assert_int_equal(res, 2);
	assert_int_equal(guards, (int)sim_nguards);
	promtext_release(&p);
	free(text);
	sim_free(s);
	(void)state;
}

static void
test_no_fault_passes_every_gate_with_margin(void **state)
{
	struct sim *s = new_sim(1, NULL);
	struct gates g;

	judge(s, 6 * 3600, &g);
	/* thresholds: 0.150, 0.02, >= 2.0, >= 0.70, 0, 0, >= 0.85, <= 0.200 */
	assert_true(g.p95 < 0.150 * 0.7);
	assert_true(g.miss_rate < 0.02 / 4);
	assert_true(g.ema1h_min > 2.0 * 1.5);
	assert_true(g.hit > 0.70 + 0.15);
	assert_true(g.breaker_max == 0);
	assert_true(g.guard_inc == 0);
	assert_true(g.maker > 0.85 + 0.03);
	assert_true(g.ws_max < 0.200 / 2);
	sim_free(s);
	(void)state;
}

static void
test_latency_fault_breaches_p95(void **state)
{
	struct sim *s = new_sim(2, "latency");
	struct gates g;

	judge(s, 1800, &g);
	assert_true(g.p95 > 0.150);
	sim_free(s);
	(void)state;
}

static void
test_cache_fault_breaches_hit_ratio(void **state)
{
	struct sim *s = new_sim(3, "cache");
	struct gates g;

	sim_advance(s, 300); /* the ~60 s smoothing settles */
	judge(s, 1800, &g);
	assert_true(g.hit < 0.70);
	sim_free(s);
	(void)state;
}

static void
test_deadline_fault_breaches_miss_rate(void **state)
{
	struct sim *s = new_sim(4, "deadline");
	struct gates g;

	sim_advance(s, 1800); /* the ~5 min smoothing settles */
	judge(s, 3600, &g);
	assert_true(g.miss_rate > 0.02);
	assert_true(g.p95 < 0.150); /* latency itself is not the cause */
	sim_free(s);
	(void)state;
}

static void
test_edge_fault_breaches_edge_ema(void **state)
{
	struct sim *s = new_sim(5, "edge@30m+2h");
	struct gates g;

	judge(s, 1800, &g);
	assert_true(g.ema1h_min > 2.0); /* before the fault */
	judge(s, 7200, &g);
	assert_true(g.ema1h_min < 2.0);
	sim_free(s);
	(void)state;
}

static void
test_wslag_fault_breaches_ws_lag(void **state)
{
	struct sim *s = new_sim(6, "wslag@10m+10m");
	struct gates g;

	judge(s, 600, &g);
	assert_true(g.ws_max < 0.200);
	judge(s, 600, &g);
	assert_true(g.ws_max > 0.200);
	sim_free(s);
	(void)state;
}

static void
test_guard_fault_trips_every_ten_minutes(void **state)
{
	struct sim *s = new_sim(7, "guard:drawdown@10m+25m");
	struct sim_totals t;
	struct gates g;
	json_t *st;

	judge(s, 599, &g);
	assert_true(g.guard_inc == 0);
	judge(s, 3600, &g);
	assert_true(g.guard_inc == 3); /* at 10m, 20m, 30m */
	sim_totals(s, &t);
	assert_int_equal(t.guard_trips, 3);
	st = sim_state_json(s);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(st, "guard_trips"), "drawdown")), 3);
	json_decref(st);
	sim_free(s);
	(void)state;
}

static void
test_breaker_fault_opens_breaker_and_stops_fills(void **state)
{
	struct sim *s = new_sim(8, "breaker@5m+10m");
	struct snap a, b;
	struct gates g;

	judge(s, 299, &g);
	assert_true(g.breaker_max == 0);
	sim_advance(s, 1); /* 5m: the fault starts */
	take(s, &a);
	assert_true(a.breaker == 1);
	sim_advance(s, 300);
	take(s, &b);
	assert_true(b.fills == a.fills);
	assert_true(b.ticks > a.ticks); /* the bot is alive, just not trading */
	sim_advance(s, 600);
	take(s, &a);
	assert_true(a.breaker == 0);
	assert_true(a.fills > b.fills);
	sim_free(s);
	(void)state;
}

static void
test_taker_fault_breaches_maker_share(void **state)
{
	struct sim *s = new_sim(9, "taker");
	struct gates g;

	sim_advance(s, 1800); /* the ~600-fill smoothing settles */
	judge(s, 1800, &g);
	assert_true(g.maker < 0.85);
	sim_free(s);
	(void)state;
}

static void
test_windowed_fault_ends_and_recovers(void **state)
{
	struct sim *s = new_sim(10, "latency:x4@20m+20m");
	struct gates g;

	judge(s, 1200, &g);
	assert_true(g.p95 < 0.150);
	judge(s, 1200, &g);
	assert_true(g.p95 > 0.150);
	judge(s, 1200, &g);
	assert_true(g.p95 < 0.150);
	sim_free(s);
	(void)state;
}

static void
test_scale_to_zero_stops_counters(void **state)
{
	struct sim *s = new_sim(11, NULL);
	struct mm_err err;
	struct snap a, b;

	sim_advance(s, 120);
	assert_int_equal(sim_scale(s, 0, &err), 0);
	take(s, &a);
	assert_true(a.replicas == 0);
	sim_advance(s, 600);
	take(s, &b);
	assert_true(b.ticks == a.ticks);
	assert_true(b.fills == a.fills);
	assert_true(b.cache_req == a.cache_req);
	assert_true(b.lat[NB - 1] == a.lat[NB - 1]);
	assert_true(b.pnl == a.pnl);
	assert_int_equal(sim_scale(s, 2, &err), 0);
	sim_advance(s, 60);
	take(s, &a);
	assert_true(a.ticks > b.ticks);
	assert_true(a.replicas == 2);
	assert_int_equal(sim_scale(s, -1, &err), -1);
	assert_int_equal(sim_scale(s, SIM_MAX_REPLICAS + 1, &err), -1);
	assert_int_equal(err.code, MM_E_USAGE);
	sim_free(s);
	(void)state;
}

static void
test_admin_breaker_and_freeze(void **state)
{
	struct sim *s = new_sim(12, NULL);
	struct snap a, b;

	sim_advance(s, 60);
	sim_set_breaker(s, 1);
	take(s, &a);
	assert_true(a.breaker == 1);
	sim_advance(s, 120);
	take(s, &b);
	assert_true(b.fills == a.fills);
	sim_set_breaker(s, 0);
	sim_set_frozen(s, 1);
	take(s, &a);
	assert_true(a.breaker == 0);
	assert_true(a.frozen == 1);
	sim_advance(s, 120);
	take(s, &b);
	assert_true(b.fills == a.fills);
	assert_true(b.ticks > a.ticks);
	sim_set_frozen(s, 0);
	sim_advance(s, 120);
	take(s, &a);
	assert_true(a.fills > b.fills);
	assert_true(a.frozen == 0);
	sim_free(s);
	(void)state;
}

static void
test_admin_fault_and_clear(void **state)
{
	struct sim *s = new_sim(13, NULL);
	struct sim_fault f;
	struct mm_err err;
	struct gates g;
	json_t *st, *fl;
	int i;

	sim_advance(s, 600);
	assert_int_equal(sim_fault_parse("latency:x5+1h", sim_time(s), &f, &err), 0);
	assert_true(f.start == 600);
	assert_int_equal(sim_add_fault(s, &f, &err), 0);
	st = sim_state_json(s);
	fl = json_object_get(st, "faults");
	assert_int_equal(json_array_size(fl), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(fl, 0), "spec")),
			    "latency:x5@10m+1h");
	assert_true(json_is_true(json_object_get(json_array_get(fl, 0), "active")));
	json_decref(st);
	judge(s, 600, &g);
	assert_true(g.p95 > 0.150);
	sim_clear_faults(s);
	judge(s, 600, &g);
	assert_true(g.p95 < 0.150);
	/* the cap on faults */
	f.start = 1e9;
	for (i = 0; i < SIM_MAX_FAULTS; i++)
		assert_int_equal(sim_add_fault(s, &f, &err), 0);
	assert_int_equal(sim_add_fault(s, &f, &err), -1);
	assert_int_equal(err.code, MM_E_LIMIT);
	sim_free(s);
	(void)state;
}

static void
test_fault_specs_parse_and_print_back(void **state)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
	    {"latency:x4@30h+2h", "latency:x4@30h+2h"},
	    {"latency", "latency:x4@0s"},
	    {"cache:8@10m+15m", "cache:x8@10m+15m"},
	    {"deadline+5m", "deadline:x20@0s+5m"},
	    {"edge:x0.25@1h", "edge:x0.25@1h"},
	    {"wslag:X3", "wslag:x3@0s"},
	    {"guard", "guard:inventory@0s"},
	    {"guard:kill_switch@2h+1m", "guard:kill_switch@2h+1m"},
	    {"breaker@1h30m+10m", "breaker@1h30m+10m"},
	    {"taker:x2@now+1h", "taker:x2@0s+1h"},
	};
	static const char *bad[] = {"",
				    "nope",
				    "latency:",
				    "latency:xx",
				    "latency:-1",
				    "latency:x4@",
				    "latency@1q",
				    "latency+",
				    "latency+0s",
				    "breaker:x2",
				    "guard:nosuch",
				    "latency:x4@1h+2h+3h",
				    "latency:1e9",
				    ":x4"};
	struct sim_fault f;
	struct mm_err err;
	char buf[SIM_FAULT_SPEC_MAX];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		mm_err_init(&err);
		if (sim_fault_parse(ok[i].in, 0, &f, &err) < 0)
			fail_msg("'%s': %s", ok[i].in, err.msg);
		assert_string_equal(sim_fault_format(&f, buf, sizeof(buf)), ok[i].out);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mm_err_init(&err);
		if (sim_fault_parse(bad[i], 0, &f, &err) == 0)
			fail_msg("accepted '%s'", bad[i]);
		assert_int_equal(err.code, MM_E_USAGE);
	}
	assert_string_equal(sim_fault_kind_name(SIM_FAULT_WSLAG), "wslag");
	(void)state;
}

static void
test_state_json_and_render_cap(void **state)
{
	struct sim *s = new_sim(14, NULL);
	struct buf small = BUF_INIT(100);
	json_t *st;

	sim_advance(s, 10);
	st = sim_state_json(s);
	assert_int_equal(json_integer_value(json_object_get(st, "ticks")), 50);
	assert_int_equal(json_integer_value(json_object_get(st, "replicas")), 1);
	assert_true(json_is_false(json_object_get(st, "breaker_open")));
	assert_true(json_real_value(json_object_get(st, "time_seconds")) == 10.0);
	json_decref(st);
	assert_int_equal(sim_render(s, &small), -1);
	sim_free(s);
	(void)state;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_seed_same_exposition_any_step),
	    cmocka_unit_test(test_exposition_carries_the_contract),
	    cmocka_unit_test(test_no_fault_passes_every_gate_with_margin),
	    cmocka_unit_test(test_latency_fault_breaches_p95),
	    cmocka_unit_test(test_cache_fault_breaches_hit_ratio),
	    cmocka_unit_test(test_deadline_fault_breaches_miss_rate),
	    cmocka_unit_test(test_edge_fault_breaches_edge_ema),
	    cmocka_unit_test(test_wslag_fault_breaches_ws_lag),
	    cmocka_unit_test(test_guard_fault_trips_every_ten_minutes),
	    cmocka_unit_test(test_breaker_fault_opens_breaker_and_stops_fills),
	    cmocka_unit_test(test_taker_fault_breaches_maker_share),
	    cmocka_unit_test(test_windowed_fault_ends_and_recovers),
	    cmocka_unit_test(test_scale_to_zero_stops_counters),
	    cmocka_unit_test(test_admin_breaker_and_freeze),
	    cmocka_unit_test(test_admin_fault_and_clear),
	    cmocka_unit_test(test_fault_specs_parse_and_print_back),
	    cmocka_unit_test(test_state_json_and_render_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
