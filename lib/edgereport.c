/*
 * edgereport.c - the edge report: run lib/sim hour by hour, watching every
 * tick through the tick observer, and summarise edge, fills, maker share,
 * PnL and latency percentiles per hour and overall.  Rounding every real to
 * six decimals keeps the JSON stable and readable.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jsontree.h"
#include "edgereport.h"
#include "xalloc.h"

#define OVERALL_RES  0.00001 /* overall latency histogram bin: 0.01 ms */
#define OVERALL_BINS 1000000 /* up to 10 s; beyond lands in the last bin */

struct acc {
	double *lat; /* this hour's tick latencies */
	size_t nlat, cap;
	uint64_t fills_maker, fills_taker;
	double edge_sum;
	uint32_t *overall; /* OVERALL_BINS counts */
	uint64_t noverall;
};

static void
on_tick(double t, double latency, unsigned fm, unsigned ft, double edge_sum, void *ctx)
{
	struct acc *a = ctx;
	size_t bin;

	(void)t;
	if (a->nlat == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 20000;
		a->lat = xreallocarray(a->lat, a->cap, sizeof(*a->lat));
	}
	a->lat[a->nlat++] = latency;
	a->fills_maker += fm;
	a->fills_taker += ft;
	a->edge_sum += edge_sum;
	bin = latency / OVERALL_RES >= OVERALL_BINS - 1 ? OVERALL_BINS - 1
							: (size_t)(latency / OVERALL_RES);
	a->overall[bin]++;
	a->noverall++;
}

static double
r6(double v)
{
	return round(v * 1e6) / 1e6;
}

static json_t *
real6(double v)
{
	return jsontree_real(r6(v));
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Linear interpolation between closest ranks (sorted v, n > 0). */
static double
quantile_sorted(const double *v, size_t n, double q)
{
	double pos = q * (double)(n - 1);
	size_t lo = (size_t)floor(pos);
	double frac = pos - (double)lo;

	if (lo + 1 >= n)
		return v[n - 1];
	return v[lo] + (v[lo + 1] - v[lo]) * frac;
}

/* The same from the binned histogram, interpolating within the bin. */
static double
quantile_binned(const uint32_t *bins, uint64_t n, double q)
{
	double rank = q * (double)(n - 1), seen = 0;
	size_t i;

	for (i = 0; i < OVERALL_BINS; i++) {
		if (bins[i] && seen + bins[i] > rank)
			return ((double)i + (rank - seen + 0.5) / bins[i]) * OVERALL_RES;
		seen += bins[i];
	}
	return (double)OVERALL_BINS * OVERALL_RES;
}

static json_t *
percentiles_ms(double p50, double p95, double p99)
{
	return json_pack("{s:o,s:o,s:o}", "p50", real6(p50 * 1e3), "p95", real6(p95 * 1e3), "p99",
			 real6(p99 * 1e3));
}

json_t *
edgereport_edge(const struct sim_config *cfg, double hours, struct mm_err *err)
{
	struct acc a;
	struct sim *s;
	struct sim_totals tot, prev;
	json_t *rep = NULL, *hourly, *faults, *sum;
	long h, nh;
	size_t i;
	uint64_t fills;

	if (!(hours > 0) || hours > EDGEREPORT_MAX_HOURS || hours != floor(hours))
		return mm_errf(err, MM_E_USAGE,
			       "--hours must be a whole number from 1 to %.0f, not %g",
			       EDGEREPORT_MAX_HOURS, hours),
		       NULL;
	if (!(s = sim_new(cfg, err)))
		return NULL;
	memset(&a, 0, sizeof(a));
	a.overall = xcalloc(OVERALL_BINS, sizeof(*a.overall));
	sim_set_tick_observer(s, on_tick, &a);
	hourly = json_array();
	nh = (long)hours;
	sim_totals(s, &prev);
	for (h = 0; h < nh; h++) {
		json_t *row;

		a.nlat = 0;
		a.fills_maker = a.fills_taker = 0;
		a.edge_sum = 0;
		sim_advance_to(s, (double)(h + 1) * 3600.0);
		sim_totals(s, &tot);
		qsort(a.lat, a.nlat, sizeof(*a.lat), cmp_double);
		fills = a.fills_maker + a.fills_taker;
		row = json_object();
		json_object_set_new(row, "hour", json_integer(h));
		json_object_set_new(row, "ticks",
				    json_integer((json_int_t)(tot.ticks - prev.ticks)));
		json_object_set_new(
		    row, "deadline_misses",
		    json_integer((json_int_t)(tot.deadline_misses - prev.deadline_misses)));
		json_object_set_new(row, "fills", json_integer((json_int_t)fills));
		json_object_set_new(row, "fills_maker", json_integer((json_int_t)a.fills_maker));
		json_object_set_new(row, "fills_taker", json_integer((json_int_t)a.fills_taker));
		json_object_set_new(row, "maker_share",
				    fills ? real6((double)a.fills_maker / (double)fills)
					  : json_null());
		json_object_set_new(row, "edge_bps_mean",
				    fills ? real6(a.edge_sum / (double)fills) : json_null());
		json_object_set_new(row, "edge_bps_ema1h", real6(tot.edge_ema1h));
		json_object_set_new(row, "pnl_usd", real6(tot.pnl_usd - prev.pnl_usd));
		json_object_set_new(row, "latency_ms",
				    a.nlat ? percentiles_ms(quantile_sorted(a.lat, a.nlat, 0.50),
							    quantile_sorted(a.lat, a.nlat, 0.95),
							    quantile_sorted(a.lat, a.nlat, 0.99))
					   : json_null());
		json_array_append_new(hourly, row);
		prev = tot;
	}
	sim_totals(s, &tot);
	fills = tot.fills_maker + tot.fills_taker;
	sum = json_object();
	json_object_set_new(sum, "ticks", json_integer((json_int_t)tot.ticks));
	json_object_set_new(sum, "deadline_misses", json_integer((json_int_t)tot.deadline_misses));
	json_object_set_new(sum, "deadline_miss_rate",
			    tot.ticks ? real6((double)tot.deadline_misses / (double)tot.ticks)
				      : json_null());
	json_object_set_new(sum, "fills", json_integer((json_int_t)fills));
	json_object_set_new(sum, "fills_maker", json_integer((json_int_t)tot.fills_maker));
	json_object_set_new(sum, "fills_taker", json_integer((json_int_t)tot.fills_taker));
	json_object_set_new(sum, "maker_share",
			    fills ? real6((double)tot.fills_maker / (double)fills) : json_null());
	json_object_set_new(sum, "edge_bps_mean",
			    fills ? real6(tot.edge_bps_sum / (double)fills) : json_null());
	json_object_set_new(sum, "edge_bps_ema1h", real6(tot.edge_ema1h));
	json_object_set_new(sum, "edge_bps_ema24h", real6(tot.edge_ema24h));
	json_object_set_new(sum, "pnl_usd", real6(tot.pnl_usd));
	json_object_set_new(
	    sum, "hit_ratio",
	    tot.cache_hits + tot.cache_misses
		? real6((double)tot.cache_hits / (double)(tot.cache_hits + tot.cache_misses))
		: json_null());
	json_object_set_new(sum, "latency_ms",
			    a.noverall
				? percentiles_ms(quantile_binned(a.overall, a.noverall, 0.50),
						 quantile_binned(a.overall, a.noverall, 0.95),
						 quantile_binned(a.overall, a.noverall, 0.99))
				: json_null());
	faults = json_array();
	for (i = 0; i < cfg->nfaults; i++) {
		char spec[SIM_FAULT_SPEC_MAX];

		json_array_append_new(
		    faults, json_string(sim_fault_format(&cfg->faults[i], spec, sizeof(spec))));
	}
	rep = jsontree_tool_meta();
	json_object_set_new(rep, "report", json_string("edge"));
	json_object_set_new(rep, "seed", json_integer((json_int_t)cfg->seed));
	json_object_set_new(rep, "hours", json_integer(nh));
	json_object_set_new(rep, "tick_seconds", jsontree_real(SIM_TICK_SECONDS));
	json_object_set_new(rep, "faults", faults);
	json_object_set_new(rep, "summary", sum);
	json_object_set_new(rep, "hourly", hourly);
	free(a.lat);
	free(a.overall);
	sim_free(s);
	return rep;
}
