/*
 * sim.h - the simulated market maker: a deterministic model of the bot that
 * exports the metric contract of DESIGN.md §4 (table in docs/metrics.md).
 *
 * The model ticks every SIM_TICK_SECONDS of simulated time.  Each tick draws
 * a heavy-tailed latency (fetch_md inside tick_total), market-data cache
 * requests (hit ratio near 0.9), a deadline check (rare misses), fills
 * (maker share near 0.9) each with a noisy positive edge in bps that feeds
 * the EMA gauges and the PnL, and a WS lag.  All randomness comes from one
 * generator seeded by sim_config.seed and is drawn per tick, so the state at
 * simulated time t depends only on the seed, the faults and the admin
 * operations applied: sim_advance(s, 1) called 3600 times gives exactly the
 * same exposition as sim_advance(s, 3600).
 *
 * Nothing here sleeps or reads a clock: `mmops sim` maps wall time to
 * simulated time (--speed) and the soak runner's --mock drives it directly.
 * A struct sim is not thread-safe; callers serialise access.
 */
#ifndef MM_SIM_H
#define MM_SIM_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

#define SIM_TICK_SECONDS     0.2 /* the bot's tick period (5 Hz) */
#define SIM_DEADLINE_SECONDS 0.2 /* a tick must finish before the next one */
#define SIM_MAX_FAULTS	     64	 /* faults active or scheduled at once */
#define SIM_MAX_REPLICAS     64
#define SIM_GUARD_NAME_MAX   32
#define SIM_FAULT_SPEC_MAX   96 /* longest spec sim_fault_format() writes */

/*
 * Faults.  Each pushes "its" gate of DESIGN.md §5 past the threshold while
 * active (the default factor is chosen so it does, with margin):
 *   latency:xK   tick latency (both stages) x K       default x4   latency_p95 > 150 ms
 *   cache:xK     cache miss probability x K           default x5   hit_ratio < 0.70
 *   deadline:xK  late exchange acks x K               default x20  deadline_miss_rate > 0.02
 *   edge:xK      mean edge decays to K x itself       default x0   edge EMA 1h < 2.0 bps
 *   wslag:xK     websocket lag x K                    default x10  ws_lag max > 200 ms
 *   guard[:NAME] NAME trips, then every 10 min        inventory    guard trips > 0
 *   breaker      the circuit breaker is open                       breaker open
 *   taker:xK     taker fill probability x K           default x4   maker_share < 0.85
 */
enum sim_fault_kind {
	SIM_FAULT_LATENCY,
	SIM_FAULT_CACHE,
	SIM_FAULT_DEADLINE,
	SIM_FAULT_EDGE,
	SIM_FAULT_WSLAG,
	SIM_FAULT_GUARD,
	SIM_FAULT_BREAKER,
	SIM_FAULT_TAKER,
	SIM_FAULT_NKINDS
};

struct sim_fault {
	enum sim_fault_kind kind;
	double factor;			/* the K of xK (unused by guard, breaker) */
	char guard[SIM_GUARD_NAME_MAX]; /* SIM_FAULT_GUARD: the guard that trips */
	double start;			/* simulated seconds since the sim started */
	double duration;		/* seconds; INFINITY = until cleared */
};

/*
 * Parse a fault spec: KIND[:PARAM][@START][+DURATION], e.g. "latency:x4@30h+2h",
 * "breaker@1h+10m", "guard:drawdown@2h", "cache:x8+15m".  START and DURATION
 * are durations (clock_parse_duration); START is relative to the sim's start
 * and defaults to now (the now argument, in simulated seconds), DURATION
 * defaults to forever.  -1 and err (MM_E_USAGE) with the reason.
 */
int sim_fault_parse(const char *spec, double now, struct sim_fault *f, struct mm_err *err);

/* The spec back ("latency:x4@30h+2h"); returns buf. */
const char *sim_fault_format(const struct sim_fault *f, char *buf, size_t n);

/* "latency", "cache", ... */
const char *sim_fault_kind_name(enum sim_fault_kind k);

/* The guards the model has; each exports mm_guard_trips_total{guard=...}. */
extern const char *const sim_guards[];
extern const size_t sim_nguards;

struct sim_config {
	uint64_t seed;
	double speed; /* informational (sim_state_json); the clock is the caller's */
	const struct sim_fault *faults; /* borrowed; copied by sim_new */
	size_t nfaults;
	unsigned replicas; /* initial mm_strategy_replicas; 0 means 1 */
};

struct sim;

/* A new model at simulated time 0.  NULL and err when a fault is invalid or too many. */
struct sim *sim_new(const struct sim_config *cfg, struct mm_err *err);
void sim_free(struct sim *s);

/* Move the simulated clock forward by dt seconds (dt <= 0: no-op), running every tick due. */
void sim_advance(struct sim *s, double dt);
/* Move the clock to t seconds since start (no-op when t is not later than now). */
void sim_advance_to(struct sim *s, double t);
/* Simulated seconds since start. */
double sim_time(const struct sim *s);

/*
 * Append the exposition (text format 0.0.4, no timestamps) at the current
 * simulated time to out.  -1 when out's cap is too small (out then holds a
 * prefix).  A few dozen series; renders in microseconds.
 */
int sim_render(const struct sim *s, struct buf *out);

/*
 * Admin operations (the rollback actions), effective from the current time.
 * sim_scale: 0..SIM_MAX_REPLICAS (else -1, MM_E_USAGE); 0 stops trading.
 */
int sim_scale(struct sim *s, long replicas, struct mm_err *err);
void sim_set_breaker(struct sim *s, int open);
void sim_set_frozen(struct sim *s, int frozen);
int sim_add_fault(struct sim *s, const struct sim_fault *f, struct mm_err *err);
void sim_clear_faults(struct sim *s);

/*
 * The state as a new JSON object: time, seed, speed, replicas, breaker_open
 * (effective), breaker_admin, frozen, faults (specs, with "active"), and the
 * counters and gauges as exported.
 */
json_t *sim_state_json(const struct sim *s);

/* The model's running totals, for tests and the edge report. */
struct sim_totals {
	uint64_t ticks, deadline_misses;
	uint64_t cache_hits, cache_misses;
	uint64_t fills_maker, fills_taker;
	uint64_t guard_trips;
	double edge_bps_sum; /* sum of per-fill edge in bps */
	double pnl_usd;
	double edge_bps, edge_ema1h, edge_ema24h;
	double hit_ratio, maker_share, deadline_miss_rate;
	double ws_lag_max;
	double last_tick_latency; /* tick_total of the last tick, seconds */
	int breaker_open, frozen;
	unsigned replicas;
};
void sim_totals(const struct sim *s, struct sim_totals *t);

/*
 * Optional per-tick observer (the edge report uses it): called after each
 * tick with its tick_total latency in seconds and the fills it made.
 */
typedef void (*sim_tick_fn)(double t, double latency, unsigned fills_maker, unsigned fills_taker,
			    double edge_bps_sum, void *ctx);
void sim_set_tick_observer(struct sim *s, sim_tick_fn fn, void *ctx);

#endif
