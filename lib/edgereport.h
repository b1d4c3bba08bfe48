/*
 * edgereport.h - the deterministic edge report of `mmops sim --report`: the
 * simulated market maker run for H hours from a seed (and faults), summed
 * up per hour and overall.  Same seed, faults, hours and mmops version give
 * the same bytes (tests/golden/EDGE_REPORT_case1.json is checked with
 * `mmops golden`).
 *
 * The object (keys sorted when dumped):
 *   tool, version              jsontree_tool_meta()
 *   report: "edge"
 *   seed, hours, tick_seconds, faults: ["latency:x4@30h+2h", ...]
 *   summary: { ticks, deadline_misses, deadline_miss_rate, fills, fills_maker,
 *              fills_taker, maker_share, edge_bps_mean, edge_bps_ema1h,
 *              edge_bps_ema24h, pnl_usd, hit_ratio,
 *              latency_ms: { p50, p95, p99 } }
 *   hourly: [ { hour, ticks, deadline_misses, fills, fills_maker, fills_taker,
 *               maker_share, edge_bps_mean, edge_bps_ema1h, pnl_usd,
 *               latency_ms: { p50, p95, p99 } }, ... ]
 * Latencies are tick_total in milliseconds: per hour exact percentiles of the
 * hour's ticks (linear interpolation between closest ranks), overall from a
 * 0.01 ms-resolution histogram.  Reals are rounded to 6 decimals; an hour
 * without fills has edge_bps_mean and maker_share null.
 */
#ifndef MM_SIMREPORT_H
#define MM_SIMREPORT_H

#include <jansson.h>

#include "err.h"
#include "sim.h"

#define EDGEREPORT_MAX_HOURS (24.0 * 366) /* a year of simulated time */

/* Run and summarise; a new object, or NULL and err (MM_E_USAGE for bad hours or faults). */
json_t *edgereport_edge(const struct sim_config *cfg, double hours, struct mm_err *err);

#endif
