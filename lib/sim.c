/*
 * sim.c - the market-maker model behind `mmops sim` and the soak runner's
 * --mock: a per-tick simulation driven by one seeded generator
 * (xoshiro256**), rendering the DESIGN.md §4 metric contract.
 *
 * Each tick of SIM_TICK_SECONDS: four market-data cache lookups (miss
 * probability near 0.1, drifting slowly), fetch_md latency (log-normal, plus
 * a fetch per miss), compute latency (log-normal) and a rare Pareto spike,
 * which together make tick_total; a deadline check (tick_total past the
 * deadline, or a late exchange ack); one WS lag observation; Poisson fills
 * (0.3 per tick) that are maker with probability 0.92, each with an edge in
 * bps drawn around a slowly drifting mean, feeding the raw edge gauge, its
 * 1h/24h EMAs and the PnL.  Faults multiply the relevant parameters while
 * active.  The ratio gauges are exponentially weighted so they move
 * smoothly, and start at their long-run values as if the bot had been
 * running.  Rendering writes into one pre-sized buffer with hand-rolled
 * number formatting: it runs once per simulated second in a compressed
 * 72-hour soak, 259,200 times.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "jsontree.h"
#include "promhist.h"
#include "sim.h"
#include "xalloc.h"

/* Model parameters (baseline, no fault). */
#define CACHE_LOOKUPS	  4	/* cache requests per tick */
#define BASE_MISS	  0.10	/* cache miss probability */
#define MISS_DRIFT_SD	  0.015 /* stationary sd of the miss-probability drift */
#define FETCH_MEDIAN	  0.008 /* fetch_md with all hits, seconds */
#define FETCH_SIGMA	  0.45
#define MISS_FETCH_MEDIAN 0.012 /* added per cache miss */
#define MISS_FETCH_SIGMA  0.5
#define COMPUTE_MEDIAN	  0.030
#define COMPUTE_SIGMA	  0.35
#define SPIKE_PROB	  0.004 /* GC pause / scheduler stall */
#define SPIKE_XM	  0.020 /* Pareto scale, seconds */
#define SPIKE_ALPHA	  2.2
#define ACK_LATE_PROB	  0.002 /* exchange ack past the deadline */
#define WS_MEDIAN	  0.012
#define WS_SIGMA	  0.4
#define FILL_RATE	  0.3 /* fills per tick (1.5/s) */
#define TAKER_PROB	  0.08
#define EDGE_MEAN	  5.0 /* maker edge mean, bps */
#define EDGE_SD		  5.0
#define TAKER_EDGE_OFFSET 8.0 /* a taker fill crosses the spread */
#define TAKER_EDGE_SD	  4.0
#define EDGE_DRIFT_SD	  0.6	 /* stationary sd of the edge-mean drift, bps */
#define DRIFT_TAU	  7200.0 /* drifts revert over two hours */
#define NOTIONAL_MIN	  200.0	 /* USD per fill: uniform [min, min + span] */
#define NOTIONAL_SPAN	  600.0
#define GUARD_EVERY	  600.0 /* a guard fault trips again every 10 min */
#define EDGE_DECAY_TAU	  600.0 /* an edge fault bites over ~10 min */

/* Smoothing of the exported ratio gauges (time constants, seconds or fills). */
#define HIT_TAU	       60.0
#define MISSRATE_TAU   300.0
#define MAKER_FILLS    600.0
#define EDGE_RAW_FILLS 60.0
#define WS_WINDOW      15 /* mm_ws_lag_max_seconds: max over the last 15 s */

#define TICKS_PER_SEC 5	    /* 1 / SIM_TICK_SECONDS */
#define RENDER_MAX    16384 /* the exposition is ~6 KB */

static const double lat_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.125,
				    0.15,  0.2,	 0.25,	0.5,  1.0,   2.5};
#define NLAT (sizeof(lat_bounds) / sizeof(lat_bounds[0]))
static const double ws_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0};
#define NWS (sizeof(ws_bounds) / sizeof(ws_bounds[0]))
_Static_assert(sizeof(lat_bounds) / sizeof(lat_bounds[0]) <= PROMHIST_MAX_BOUNDS &&
		   sizeof(ws_bounds) / sizeof(ws_bounds[0]) <= PROMHIST_MAX_BOUNDS,
	       "the histograms' bounds fit a struct promhist");

#define NGUARDS 4
const char *const sim_guards[NGUARDS] = {"inventory", "drawdown", "stale_md", "kill_switch"};
const size_t sim_nguards = sizeof(sim_guards) / sizeof(sim_guards[0]);

static const struct {
	const char *name;
	double dflt; /* default factor; < 0: the kind takes no factor */
} fault_kinds[SIM_FAULT_NKINDS] = {
    [SIM_FAULT_LATENCY] = {"latency", 4},    [SIM_FAULT_CACHE] = {"cache", 5},
    [SIM_FAULT_DEADLINE] = {"deadline", 20}, [SIM_FAULT_EDGE] = {"edge", 0},
    [SIM_FAULT_WSLAG] = {"wslag", 10},	     [SIM_FAULT_GUARD] = {"guard", -1},
    [SIM_FAULT_BREAKER] = {"breaker", -1},   [SIM_FAULT_TAKER] = {"taker", 4},
};

struct active_fault {
	struct sim_fault f;
	double next_trip; /* guard faults */
};

struct sim {
	uint64_t rng[4];
	double spare; /* cached second normal of the polar method */
	int have_spare;
	uint64_t seed;
	double speed;

	uint64_t tick; /* ticks processed (time = tick * SIM_TICK_SECONDS) */
	double now;    /* simulated seconds since start */

	unsigned replicas;
	int breaker_admin, frozen;
	struct active_fault faults[SIM_MAX_FAULTS];
	size_t nfaults;

	/* slow drifts */
	double miss_drift, edge_drift, edge_mult;

	/* counters */
	uint64_t ticks, misses_deadline, cache_hit, cache_miss, fills_maker, fills_taker;
	uint64_t guard_trips[NGUARDS];
	struct promhist lat_total, lat_fetch, ws;

	/* gauges */
	double hit_ratio, miss_rate, maker_share, edge_raw, ema1h, ema24h, pnl, edge_sum;
	double ws_slot_max[WS_WINDOW];
	uint64_t ws_slot_sec[WS_WINDOW];
	double last_latency;
	int breaker_eff;

	/* per-tick constants */
	double a_hit, a_missrate, a_ema1h, a_ema24h, a_drift, drift_noise, a_decay;

	sim_tick_fn observer;
	void *observer_ctx;

	/* exposition line prefixes built once */
	char lat_prefix[2][NLAT + 1][96];
	char ws_prefix[NWS + 1][64];
};

/* xoshiro256** by Blackman and Vigna; seeded through splitmix64. */
static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
rng_next(struct sim *s)
{
	uint64_t *r = s->rng, res = rotl(r[1] * 5, 7) * 9, t = r[1] << 17;

	r[2] ^= r[0];
	r[3] ^= r[1];
	r[1] ^= r[2];
	r[0] ^= r[3];
	r[2] ^= t;
	r[3] = rotl(r[3], 45);
	return res;
}

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double
unif(struct sim *s)
{
	return (double)(rng_next(s) >> 11) * 0x1.0p-53;
}

/* Standard normal, Marsaglia's polar method. */
static double
normal(struct sim *s)
{
	double u, v, q, f;

	if (s->have_spare) {
		s->have_spare = 0;
		return s->spare;
	}
	do {
		u = 2 * unif(s) - 1;
		v = 2 * unif(s) - 1;
		q = u * u + v * v;
	} while (q >= 1 || q == 0);
	f = sqrt(-2 * log(q) / q);
	s->spare = v * f;
	s->have_spare = 1;
	return u * f;
}

static double
lognormal(struct sim *s, double median, double sigma)
{
	return median * exp(sigma * normal(s));
}

/* Poisson by inversion; lambda is small (<= a few). */
static unsigned
poisson(struct sim *s, double lambda)
{
	double l = exp(-lambda), p = 1;
	unsigned k = 0;

	do {
		k++;
		p *= unif(s);
	} while (p > l && k < 64);
	return k - 1;
}

const char *
sim_fault_kind_name(enum sim_fault_kind k)
{
	return (unsigned)k < SIM_FAULT_NKINDS ? fault_kinds[k].name : "?";
}

static int
guard_index(const char *name)
{
	size_t i;

	for (i = 0; i < sim_nguards; i++)
		if (strcmp(sim_guards[i], name) == 0)
			return (int)i;
	return -1;
}

int
sim_fault_parse(const char *spec, double now, struct sim_fault *f, struct mm_err *err)
{
	char kind[32], param[64], start[64], dur[64];
	const char *p = spec, *q;
	size_t n, i;

	memset(f, 0, sizeof(*f));
	kind[0] = param[0] = start[0] = dur[0] = '\0';
	n = strcspn(p, ":@+");
	if (n == 0 || n >= sizeof(kind))
		return mm_errf(err, MM_E_USAGE,
			       "bad fault '%s': expected KIND[:PARAM][@START][+DURATION]", spec);
	memcpy(kind, p, n);
	kind[n] = '\0';
	p += n;
	if (*p == ':') {
		p++;
		n = strcspn(p, "@+");
		if (n == 0 || n >= sizeof(param))
			return mm_errf(err, MM_E_USAGE, "bad fault '%s': empty or long parameter",
				       spec);
		memcpy(param, p, n);
		param[n] = '\0';
		p += n;
	}
	if (*p == '@') {
		p++;
		n = strcspn(p, "+");
		if (n == 0 || n >= sizeof(start))
			return mm_errf(err, MM_E_USAGE, "bad fault '%s': empty or long start",
				       spec);
		memcpy(start, p, n);
		start[n] = '\0';
		p += n;
	}
	if (*p == '+') {
		p++;
		n = strlen(p);
		if (n == 0 || n >= sizeof(dur))
			return mm_errf(err, MM_E_USAGE, "bad fault '%s': empty or long duration",
				       spec);
		memcpy(dur, p, n + 1);
		p += n;
	}
	if (*p)
		return mm_errf(err, MM_E_USAGE, "bad fault '%s': unexpected '%s'", spec, p);

	for (i = 0; i < SIM_FAULT_NKINDS; i++)
		if (strcmp(kind, fault_kinds[i].name) == 0)
			break;
	if (i == SIM_FAULT_NKINDS)
		return mm_errf(err, MM_E_USAGE,
			       "unknown fault kind '%s' (latency, cache, deadline, edge, wslag, "
			       "guard, breaker, taker)",
			       kind);
	f->kind = (enum sim_fault_kind)i;
	f->factor = fault_kinds[i].dflt;
	if (f->kind == SIM_FAULT_GUARD) {
		snprintf(f->guard, sizeof(f->guard), "%s", param[0] ? param : sim_guards[0]);
		if (guard_index(f->guard) < 0)
			return mm_errf(err, MM_E_USAGE,
				       "unknown guard '%s' in fault '%s' (inventory, drawdown, "
				       "stale_md, kill_switch)",
				       f->guard, spec);
		f->factor = 0;
	} else if (f->kind == SIM_FAULT_BREAKER) {
		if (param[0])
			return mm_errf(err, MM_E_USAGE, "fault 'breaker' takes no parameter: '%s'",
				       spec);
		f->factor = 0;
	} else if (param[0]) {
		char *end;
		double v;

		q = param[0] == 'x' || param[0] == 'X' ? param + 1 : param;
		v = strtod(q, &end);
		if (end == q || *end || !isfinite(v) || v < 0 || v > 1e6)
			return mm_errf(err, MM_E_USAGE,
				       "bad factor '%s' in fault '%s' (want xK, K from 0 to 1e6)",
				       param, spec);
		f->factor = v;
	}
	f->start = now;
	if (start[0] && strcmp(start, "now") != 0) {
		struct mm_err e2;

		if (clock_parse_duration(start, &f->start, &e2) < 0)
			return mm_errf(err, MM_E_USAGE, "bad start '%s' in fault '%s': %s", start,
				       spec, e2.msg);
	}
	f->duration = INFINITY;
	if (dur[0]) {
		struct mm_err e2;

		if (clock_parse_duration(dur, &f->duration, &e2) < 0)
			return mm_errf(err, MM_E_USAGE, "bad duration '%s' in fault '%s': %s", dur,
				       spec, e2.msg);
		if (f->duration <= 0)
			return mm_errf(err, MM_E_USAGE, "fault '%s' has a zero duration", spec);
	}
	return 0;
}

const char *
sim_fault_format(const struct sim_fault *f, char *buf, size_t n)
{
	char param[48] = "", st[32], du[40] = "";

	if (f->kind == SIM_FAULT_GUARD)
		snprintf(param, sizeof(param), ":%s", f->guard);
	else if (fault_kinds[f->kind].dflt >= 0)
		snprintf(param, sizeof(param), ":x%g", f->factor);
	clock_format_duration(f->start, st, sizeof(st));
	if (isfinite(f->duration)) {
		du[0] = '+';
		clock_format_duration(f->duration, du + 1, sizeof(du) - 1);
	}
	snprintf(buf, n, "%s%s@%s%s", sim_fault_kind_name(f->kind), param, st, du);
	return buf;
}

static int
fault_active(const struct sim_fault *f, double t)
{
	return t >= f->start && t - f->start < f->duration;
}

int
sim_add_fault(struct sim *s, const struct sim_fault *f, struct mm_err *err)
{
	struct active_fault *a;

	if ((unsigned)f->kind >= SIM_FAULT_NKINDS)
		return mm_errf(err, MM_E_USAGE, "unknown fault kind");
	if (f->kind == SIM_FAULT_GUARD && guard_index(f->guard) < 0)
		return mm_errf(err, MM_E_USAGE, "unknown guard '%s'", f->guard);
	if (s->nfaults >= SIM_MAX_FAULTS) {
		size_t i, j = 0;

		/* Make room by forgetting faults that are over. */
		for (i = 0; i < s->nfaults; i++)
			if (s->faults[i].f.start + s->faults[i].f.duration > s->now)
				s->faults[j++] = s->faults[i];
		s->nfaults = j;
		if (s->nfaults >= SIM_MAX_FAULTS)
			return mm_errf(err, MM_E_LIMIT, "more than %d faults", SIM_MAX_FAULTS);
	}
	a = &s->faults[s->nfaults++];
	a->f = *f;
	a->next_trip = f->start;
	return 0;
}

void
sim_clear_faults(struct sim *s)
{
	s->nfaults = 0;
}

static void
build_prefixes(struct sim *s)
{
	static const char *stage[2] = {"tick_total", "fetch_md"};
	size_t k, i;

	for (k = 0; k < 2; k++) {
		for (i = 0; i < NLAT; i++)
			snprintf(s->lat_prefix[k][i], sizeof(s->lat_prefix[k][i]),
				 "mm_tick_latency_seconds_bucket{stage=\"%s\",le=\"%g\"} ",
				 stage[k], lat_bounds[i]);
		snprintf(s->lat_prefix[k][NLAT], sizeof(s->lat_prefix[k][NLAT]),
			 "mm_tick_latency_seconds_bucket{stage=\"%s\",le=\"+Inf\"} ", stage[k]);
	}
	for (i = 0; i < NWS; i++)
		snprintf(s->ws_prefix[i], sizeof(s->ws_prefix[i]),
			 "mm_ws_lag_seconds_bucket{le=\"%g\"} ", ws_bounds[i]);
	snprintf(s->ws_prefix[NWS], sizeof(s->ws_prefix[NWS]),
		 "mm_ws_lag_seconds_bucket{le=\"+Inf\"} ");
}

struct sim *
sim_new(const struct sim_config *cfg, struct mm_err *err)
{
	struct sim *s = xcalloc(1, sizeof(*s));
	uint64_t x = cfg->seed;
	size_t i;

	for (i = 0; i < 4; i++)
		s->rng[i] = splitmix64(&x);
	s->seed = cfg->seed;
	s->speed = cfg->speed;
	s->replicas = cfg->replicas ? cfg->replicas : 1;
	if (s->replicas > SIM_MAX_REPLICAS) {
		mm_errf(err, MM_E_USAGE, "replicas %u is more than %d", s->replicas,
			SIM_MAX_REPLICAS);
		free(s);
		return NULL;
	}
	for (i = 0; i < cfg->nfaults; i++) {
		if (sim_add_fault(s, &cfg->faults[i], err) < 0) {
			free(s);
			return NULL;
		}
	}
	s->a_hit = 1 - exp(-SIM_TICK_SECONDS / HIT_TAU);
	s->a_missrate = 1 - exp(-SIM_TICK_SECONDS / MISSRATE_TAU);
	s->a_ema1h = 1 - exp(-SIM_TICK_SECONDS / 3600.0);
	s->a_ema24h = 1 - exp(-SIM_TICK_SECONDS / 86400.0);
	/* The drifts are Ornstein-Uhlenbeck, stepped once per simulated second. */
	s->a_drift = 1 - exp(-1.0 / DRIFT_TAU);
	s->drift_noise = sqrt(1 - exp(-2.0 / DRIFT_TAU));
	s->a_decay = 1 - exp(-SIM_TICK_SECONDS / EDGE_DECAY_TAU);
	s->edge_mult = 1;
	/* Warm start: the gauges begin at their long-run values. */
	s->hit_ratio = 1 - BASE_MISS;
	s->miss_rate = ACK_LATE_PROB + 0.001;
	s->maker_share = 1 - TAKER_PROB;
	s->edge_raw = EDGE_MEAN - TAKER_PROB * (TAKER_EDGE_OFFSET);
	s->ema1h = s->ema24h = s->edge_raw;
	s->last_latency = COMPUTE_MEDIAN + FETCH_MEDIAN;
	for (i = 0; i < WS_WINDOW; i++)
		s->ws_slot_sec[i] = UINT64_MAX;
	build_prefixes(s);
	return s;
}

void
sim_free(struct sim *s)
{
	free(s);
}

double
sim_time(const struct sim *s)
{
	return s->now;
}

void
sim_set_tick_observer(struct sim *s, sim_tick_fn fn, void *ctx)
{
	s->observer = fn;
	s->observer_ctx = ctx;
}

/* The fault multipliers in force at time t. */
struct effects {
	double latency, cache, deadline, edge, wslag, taker;
	int breaker;
};

static void
effects_at(struct sim *s, double t, struct effects *e)
{
	size_t i;

	e->latency = e->cache = e->deadline = e->edge = e->wslag = e->taker = 1;
	e->breaker = 0;
	for (i = 0; i < s->nfaults; i++) {
		struct active_fault *a = &s->faults[i];

		if (!fault_active(&a->f, t))
			continue;
		switch (a->f.kind) {
		case SIM_FAULT_LATENCY:
			e->latency *= a->f.factor;
			break;
		case SIM_FAULT_CACHE:
			e->cache *= a->f.factor;
			break;
		case SIM_FAULT_DEADLINE:
			e->deadline *= a->f.factor;
			break;
		case SIM_FAULT_EDGE:
			e->edge *= a->f.factor;
			break;
		case SIM_FAULT_WSLAG:
			e->wslag *= a->f.factor;
			break;
		case SIM_FAULT_TAKER:
			e->taker *= a->f.factor;
			break;
		case SIM_FAULT_BREAKER:
			e->breaker = 1;
			break;
		case SIM_FAULT_GUARD:
			break;
		case SIM_FAULT_NKINDS:
			break;
		}
	}
}

static void
run_tick(struct sim *s)
{
	double t = (double)s->tick * SIM_TICK_SECONDS; /* this tick's start */
	double pmiss, fetch, compute, total, lag, hits_frac, edge_sum = 0;
	unsigned k, hits = 0, nmaker = 0, ntaker = 0, nf;
	uint64_t sec = s->tick / TICKS_PER_SEC, k5 = s->tick % TICKS_PER_SEC;
	struct effects e;
	size_t i, slot;
	int miss;

	s->tick++;
	effects_at(s, t, &e);
	s->breaker_eff = s->breaker_admin || e.breaker;
	/* The edge fault decays the mean edge towards its factor over ~10 min. */
	s->edge_mult += s->a_decay * (e.edge - s->edge_mult);
	if (s->replicas == 0)
		return; /* scaled to zero: nothing trades, nothing moves */

	if (k5 == 0) {
		s->miss_drift +=
		    -s->a_drift * s->miss_drift + MISS_DRIFT_SD * s->drift_noise * normal(s);
		s->edge_drift +=
		    -s->a_drift * s->edge_drift + EDGE_DRIFT_SD * s->drift_noise * normal(s);
	}

	/* Market data: cache lookups, then fetch latency per hit and miss. */
	pmiss = (BASE_MISS + s->miss_drift) * e.cache;
	pmiss = pmiss < 0.01 ? 0.01 : pmiss > 1 ? 1 : pmiss;
	fetch = lognormal(s, FETCH_MEDIAN, FETCH_SIGMA);
	for (k = 0; k < CACHE_LOOKUPS; k++) {
		if (unif(s) >= pmiss) {
			hits++;
		} else {
			fetch += lognormal(s, MISS_FETCH_MEDIAN, MISS_FETCH_SIGMA);
		}
	}
	s->cache_hit += hits;
	s->cache_miss += CACHE_LOOKUPS - hits;
	hits_frac = (double)hits / CACHE_LOOKUPS;
	s->hit_ratio += s->a_hit * (hits_frac - s->hit_ratio);
	fetch *= e.latency;

	compute = lognormal(s, COMPUTE_MEDIAN, COMPUTE_SIGMA);
	if (unif(s) < SPIKE_PROB)
		compute += SPIKE_XM * pow(1 - unif(s), -1 / SPIKE_ALPHA);
	compute *= e.latency;
	total = fetch + compute;
	s->last_latency = total;
	promhist_observe(&s->lat_total, lat_bounds, NLAT, total);
	promhist_observe(&s->lat_fetch, lat_bounds, NLAT, fetch);

	/* The deadline: too slow, or the exchange ack came back late. */
	miss = total > SIM_DEADLINE_SECONDS || unif(s) < ACK_LATE_PROB * e.deadline;
	s->ticks++;
	s->misses_deadline += (uint64_t)miss;
	s->miss_rate += s->a_missrate * ((double)miss - s->miss_rate);

	/* WS lag: one observation, and the max over the last WS_WINDOW seconds. */
	lag = lognormal(s, WS_MEDIAN, WS_SIGMA) * e.wslag;
	promhist_observe(&s->ws, ws_bounds, NWS, lag);
	slot = (size_t)(sec % WS_WINDOW);
	if (s->ws_slot_sec[slot] != sec) {
		s->ws_slot_sec[slot] = sec;
		s->ws_slot_max[slot] = 0;
	}
	if (lag > s->ws_slot_max[slot])
		s->ws_slot_max[slot] = lag;

	/* Fills, unless the breaker is open or orders are frozen. */
	if (!s->breaker_eff && !s->frozen) {
		double ptaker = TAKER_PROB * e.taker;
		double mu = (EDGE_MEAN + s->edge_drift) * s->edge_mult;

		ptaker = ptaker > 1 ? 1 : ptaker;
		nf = poisson(s, FILL_RATE);
		for (k = 0; k < nf; k++) {
			int taker = unif(s) < ptaker;
			double edge = taker ? mu - TAKER_EDGE_OFFSET + TAKER_EDGE_SD * normal(s)
					    : mu + EDGE_SD * normal(s);
			double notional = NOTIONAL_MIN + NOTIONAL_SPAN * unif(s);

			if (taker)
				ntaker++;
			else
				nmaker++;
			s->maker_share +=
			    (1.0 / MAKER_FILLS) * ((taker ? 0.0 : 1.0) - s->maker_share);
			s->edge_raw += (1.0 / EDGE_RAW_FILLS) * (edge - s->edge_raw);
			s->pnl += edge * 1e-4 * notional;
			edge_sum += edge;
		}
		s->fills_maker += nmaker;
		s->fills_taker += ntaker;
		s->edge_sum += edge_sum;
	}
	s->ema1h += s->a_ema1h * (s->edge_raw - s->ema1h);
	s->ema24h += s->a_ema24h * (s->edge_raw - s->ema24h);

	/* Guard faults trip at their start and every GUARD_EVERY seconds. */
	for (i = 0; i < s->nfaults; i++) {
		struct active_fault *a = &s->faults[i];

		if (a->f.kind != SIM_FAULT_GUARD || !fault_active(&a->f, t))
			continue;
		if (a->next_trip < a->f.start)
			a->next_trip = a->f.start;
		while (a->next_trip <= t && a->next_trip - a->f.start < a->f.duration) {
			s->guard_trips[guard_index(a->f.guard)]++;
			a->next_trip += GUARD_EVERY;
		}
	}
	if (s->observer)
		s->observer(t, total, nmaker, ntaker, edge_sum, s->observer_ctx);
}

void
sim_advance_to(struct sim *s, double t)
{
	/*
	 * Tick k starts at k * SIM_TICK_SECONDS; every tick that starts before
	 * t runs, so [0, 3600) holds 18,000 ticks and a fault window [a, b)
	 * covers exactly the ticks starting inside it.  The epsilon absorbs
	 * float drift in t.
	 */
	uint64_t target;

	if (!(t > s->now))
		return;
	target = (uint64_t)ceil(t / SIM_TICK_SECONDS - 1e-9);
	while (s->tick < target)
		run_tick(s);
	s->now = t;
}

void
sim_advance(struct sim *s, double dt)
{
	if (dt > 0)
		sim_advance_to(s, s->now + dt);
}

int
sim_scale(struct sim *s, long replicas, struct mm_err *err)
{
	if (replicas < 0 || replicas > SIM_MAX_REPLICAS)
		return mm_errf(err, MM_E_USAGE, "replicas must be 0..%d, not %ld", SIM_MAX_REPLICAS,
			       replicas);
	s->replicas = (unsigned)replicas;
	return 0;
}

void
sim_set_breaker(struct sim *s, int open)
{
	struct effects e;

	s->breaker_admin = open != 0;
	effects_at(s, s->now, &e);
	s->breaker_eff = s->breaker_admin || e.breaker;
}

void
sim_set_frozen(struct sim *s, int frozen)
{
	s->frozen = frozen != 0;
}

static double
ws_lag_max(const struct sim *s)
{
	uint64_t sec = s->tick ? (s->tick - 1) / TICKS_PER_SEC : 0; /* of the last tick */
	double m = 0;
	size_t i;

	for (i = 0; i < WS_WINDOW; i++)
		if (s->ws_slot_sec[i] != UINT64_MAX && s->ws_slot_sec[i] + WS_WINDOW > sec &&
		    s->ws_slot_max[i] > m)
			m = s->ws_slot_max[i];
	return m;
}

static int
breaker_open_now(const struct sim *s)
{
	size_t i;

	if (s->breaker_admin)
		return 1;
	for (i = 0; i < s->nfaults; i++)
		if (s->faults[i].f.kind == SIM_FAULT_BREAKER &&
		    fault_active(&s->faults[i].f, s->now))
			return 1;
	return 0;
}

void
sim_totals(const struct sim *s, struct sim_totals *t)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	t->ticks = s->ticks;
	t->deadline_misses = s->misses_deadline;
	t->cache_hits = s->cache_hit;
	t->cache_misses = s->cache_miss;
	t->fills_maker = s->fills_maker;
	t->fills_taker = s->fills_taker;
	for (i = 0; i < sim_nguards; i++)
		t->guard_trips += s->guard_trips[i];
	t->edge_bps_sum = s->edge_sum;
	t->pnl_usd = s->pnl;
	t->edge_bps = s->edge_raw;
	t->edge_ema1h = s->ema1h;
	t->edge_ema24h = s->ema24h;
	t->hit_ratio = s->hit_ratio;
	t->maker_share = s->maker_share;
	t->deadline_miss_rate = s->miss_rate;
	t->ws_lag_max = ws_lag_max(s);
	t->last_tick_latency = s->last_latency;
	t->breaker_open = breaker_open_now(s);
	t->frozen = s->frozen;
	t->replicas = s->replicas;
}

/* --- rendering ---------------------------------------------------------- */

/*
 * The exposition is written straight into the buffer's spare room (the hot
 * path of every scrape), through a cursor that checks each write against the
 * room reserved: past it, nothing more is written and sim_render() fails.
 */
struct rcur {
	char *o, *end;
	int over; /* a write did not fit */
};

static int
room(struct rcur *w, size_t n)
{
	if (w->over || n > (size_t)(w->end - w->o)) {
		w->over = 1;
		return 0;
	}
	return 1;
}

static void
put(struct rcur *w, const char *s)
{
	size_t n = strlen(s);

	if (!room(w, n))
		return;
	memcpy(w->o, s, n);
	w->o += n;
}

static void
putc_(struct rcur *w, char c)
{
	if (room(w, 1))
		*w->o++ = c;
}

static void
put_u64(struct rcur *w, uint64_t v)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (!room(w, (size_t)n))
		return;
	while (n)
		*w->o++ = tmp[--n];
}

/* A float with up to 6 decimals, trailing zeros trimmed ("0.9", "12", "-3.25"). */
static void
put_f(struct rcur *w, double v)
{
	char tmp[40], *o = tmp;
	uint64_t ip, fp;
	double a;
	int i;

	if (!isfinite(v)) {
		put(w, isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (fabs(v) >= 1e12) {
		snprintf(tmp, sizeof(tmp), "%.17g", v);
		put(w, tmp);
		return;
	}
	a = fabs(v);
	fp = (uint64_t)llround(a * 1e6);
	if (fp == 0) {
		put(w, "0");
		return;
	}
	if (v < 0)
		*o++ = '-';
	ip = fp / 1000000;
	fp %= 1000000;
	o += snprintf(o, 24, "%llu", (unsigned long long)ip);
	if (fp) {
		char d[6];

		*o++ = '.';
		for (i = 5; i >= 0; i--) {
			d[i] = (char)('0' + fp % 10);
			fp /= 10;
		}
		for (i = 5; i > 0 && d[i] == '0'; i--)
			;
		memcpy(o, d, (size_t)i + 1);
		o += i + 1;
	}
	*o = '\0';
	put(w, tmp);
}

#define META(name, help, type) "# HELP " name " " help "\n# TYPE " name " " type "\n"

static void
put_hist_lat(struct rcur *w, const struct sim *s, const struct promhist *h, int k,
	     const char *stage)
{
	uint64_t c = 0;
	size_t i;

	for (i = 0; i <= NLAT; i++) {
		c += h->n[i];
		put(w, s->lat_prefix[k][i]);
		put_u64(w, c);
		putc_(w, '\n');
	}
	put(w, "mm_tick_latency_seconds_sum{stage=\"");
	put(w, stage);
	put(w, "\"} ");
	put_f(w, h->sum);
	put(w, "\nmm_tick_latency_seconds_count{stage=\"");
	put(w, stage);
	put(w, "\"} ");
	put_u64(w, h->count);
	putc_(w, '\n');
}

static void
put_line_f(struct rcur *w, const char *name_sp, double v)
{
	put(w, name_sp);
	put_f(w, v);
	putc_(w, '\n');
}

static void
put_line_u(struct rcur *w, const char *name_sp, uint64_t v)
{
	put(w, name_sp);
	put_u64(w, v);
	putc_(w, '\n');
}

int
sim_render(const struct sim *s, struct buf *out)
{
	struct rcur cur, *w = &cur;
	uint64_t c = 0;
	size_t i;

	if (buf_grow(out, RENDER_MAX) < 0)
		return -1;
	w->o = out->data + out->len;
	w->end = w->o + RENDER_MAX;
	w->over = 0;

	put(w, META("mm_tick_latency_seconds",
		    "Tick latency by stage; fetch_md is part of tick_total.", "histogram"));
	put_hist_lat(w, s, &s->lat_total, 0, "tick_total");
	put_hist_lat(w, s, &s->lat_fetch, 1, "fetch_md");

	put(w,
	    META("mm_md_cache_requests_total", "Market-data cache requests by result.", "counter"));
	put_line_u(w, "mm_md_cache_requests_total{result=\"hit\"} ", s->cache_hit);
	put_line_u(w, "mm_md_cache_requests_total{result=\"miss\"} ", s->cache_miss);
	put(w, META("mm_hit_ratio", "Market-data cache hit ratio (smoothed over about 60s).",
		    "gauge"));
	put_line_f(w, "mm_hit_ratio ", s->hit_ratio);

	put(w, META("mm_fills_total", "Fills by liquidity side.", "counter"));
	put_line_u(w, "mm_fills_total{liquidity=\"maker\"} ", s->fills_maker);
	put_line_u(w, "mm_fills_total{liquidity=\"taker\"} ", s->fills_taker);
	put(w, META("mm_maker_share_ratio", "Share of maker fills (smoothed over about 600 fills).",
		    "gauge"));
	put_line_f(w, "mm_maker_share_ratio ", s->maker_share);

	put(w, META("mm_ticks_total", "Strategy ticks run.", "counter"));
	put_line_u(w, "mm_ticks_total ", s->ticks);
	put(w, META("mm_deadline_misses_total", "Ticks that missed their deadline.", "counter"));
	put_line_u(w, "mm_deadline_misses_total ", s->misses_deadline);
	put(w, META("mm_deadline_miss_rate",
		    "Share of ticks missing their deadline (smoothed over about 5m).", "gauge"));
	put_line_f(w, "mm_deadline_miss_rate ", s->miss_rate);

	put(w, META("mm_edge_bps",
		    "Realised edge per fill in basis points (smoothed over about 60 fills).",
		    "gauge"));
	put_line_f(w, "mm_edge_bps ", s->edge_raw);
	put(w,
	    META("mm_edge_bps_ema1h", "Exponential moving average of mm_edge_bps, 1h.", "gauge"));
	put_line_f(w, "mm_edge_bps_ema1h ", s->ema1h);
	put(w,
	    META("mm_edge_bps_ema24h", "Exponential moving average of mm_edge_bps, 24h.", "gauge"));
	put_line_f(w, "mm_edge_bps_ema24h ", s->ema24h);
	put(w, META("mm_pnl_usd", "Cumulative profit and loss in US dollars.", "gauge"));
	put_line_f(w, "mm_pnl_usd ", s->pnl);

	put(w, META("mm_ws_lag_seconds", "Websocket market-data message lag.", "histogram"));
	for (i = 0; i <= NWS; i++) {
		c += s->ws.n[i];
		put_line_u(w, s->ws_prefix[i], c);
	}
	put_line_f(w, "mm_ws_lag_seconds_sum ", s->ws.sum);
	put_line_u(w, "mm_ws_lag_seconds_count ", s->ws.count);
	put(w, META("mm_ws_lag_max_seconds", "Largest websocket lag over the last 15s.", "gauge"));
	put_line_f(w, "mm_ws_lag_max_seconds ", ws_lag_max(s));

	put(w,
	    META("mm_circuit_breaker_open", "Circuit breaker state: 1 open, 0 closed.", "gauge"));
	put_line_u(w, "mm_circuit_breaker_open ", (uint64_t)breaker_open_now(s));
	put(w, META("mm_guard_trips_total", "Risk guard trips by guard.", "counter"));
	for (i = 0; i < sim_nguards; i++) {
		put(w, "mm_guard_trips_total{guard=\"");
		put(w, sim_guards[i]);
		put_line_u(w, "\"} ", s->guard_trips[i]);
	}
	put(w,
	    META("mm_strategy_replicas", "Strategy replicas running (0 stops trading).", "gauge"));
	put_line_u(w, "mm_strategy_replicas ", s->replicas);
	put(w, META("mm_orders_frozen", "Order placement frozen: 1 frozen, 0 normal.", "gauge"));
	put_line_u(w, "mm_orders_frozen ", (uint64_t)s->frozen);

	if (w->over) {
		/* Not one byte past the room; the buffer keeps its old contents. */
		out->data[out->len] = '\0';
		out->failed = 1;
		return -1;
	}
	out->len += (size_t)(w->o - (out->data + out->len));
	out->data[out->len] = '\0';
	return 0;
}

json_t *
sim_state_json(const struct sim *s)
{
	json_t *j = json_object(), *faults = json_array(), *guards = json_object();
	struct sim_totals t;
	size_t i;

	sim_totals(s, &t);
	for (i = 0; i < s->nfaults; i++) {
		char spec[SIM_FAULT_SPEC_MAX];
		const struct sim_fault *f = &s->faults[i].f;

		json_array_append_new(faults, json_pack("{s:s,s:s,s:b}", "spec",
							sim_fault_format(f, spec, sizeof(spec)),
							"kind", sim_fault_kind_name(f->kind),
							"active", fault_active(f, s->now)));
	}
	for (i = 0; i < sim_nguards; i++)
		json_object_set_new(guards, sim_guards[i],
				    json_integer((json_int_t)s->guard_trips[i]));
	json_object_set_new(j, "time_seconds", jsontree_real(s->now));
	json_object_set_new(j, "seed", json_integer((json_int_t)s->seed));
	json_object_set_new(j, "speed", jsontree_real(s->speed));
	json_object_set_new(j, "replicas", json_integer(s->replicas));
	json_object_set_new(j, "breaker_open", json_boolean(t.breaker_open));
	json_object_set_new(j, "breaker_admin", json_boolean(s->breaker_admin));
	json_object_set_new(j, "frozen", json_boolean(s->frozen));
	json_object_set_new(j, "faults", faults);
	json_object_set_new(j, "ticks", json_integer((json_int_t)t.ticks));
	json_object_set_new(j, "deadline_misses", json_integer((json_int_t)t.deadline_misses));
	json_object_set_new(j, "fills_maker", json_integer((json_int_t)t.fills_maker));
	json_object_set_new(j, "fills_taker", json_integer((json_int_t)t.fills_taker));
	json_object_set_new(j, "guard_trips", guards);
	json_object_set_new(j, "hit_ratio", jsontree_real(t.hit_ratio));
	json_object_set_new(j, "maker_share", jsontree_real(t.maker_share));
	json_object_set_new(j, "deadline_miss_rate", jsontree_real(t.deadline_miss_rate));
	json_object_set_new(j, "edge_bps", jsontree_real(t.edge_bps));
	json_object_set_new(j, "edge_bps_ema1h", jsontree_real(t.edge_ema1h));
	json_object_set_new(j, "edge_bps_ema24h", jsontree_real(t.edge_ema24h));
	json_object_set_new(j, "pnl_usd", jsontree_real(t.pnl_usd));
	json_object_set_new(j, "ws_lag_max_seconds", jsontree_real(t.ws_lag_max));
	return j;
}
