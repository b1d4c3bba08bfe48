#!/usr/bin/env bash
# canary_prometheus.sh - `mmops canary --prometheus` against a real
# Prometheus (Debian's, 127.0.0.1, throw-away data dir, 1 s scrapes) that
# scrapes three `mmops sim --speed 60` instances told apart by a `release`
# label: a baseline, a clean candidate and a candidate with latency x1.3.
# Each side's queries carry its selector; the clean candidate passes, the
# slow one fails on latency; n per side equals the points Prometheus itself
# returns for the query; a window too long for 11,000 points raises the step.
source "$(dirname "$0")/lib/common.bash"
need prometheus
need jq
need curl
jqe() { jq -e "$@" >/dev/null; }

start_sim base --speed 60 --seed 1 || cat "$T/base.log"
pb=$PORT
start_sim clean --speed 60 --seed 2 || cat "$T/clean.log"
pc=$PORT
start_sim slow --speed 60 --seed 3 --fault latency:x1.3 || cat "$T/slow.log"
ps=$PORT
pport=$(free_port)
cat >"$T/prometheus.yml" <<YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: mm
    static_configs:
      - targets: ['127.0.0.1:$pb']
        labels: {release: base}
      - targets: ['127.0.0.1:$pc']
        labels: {release: clean}
      - targets: ['127.0.0.1:$ps']
        labels: {release: slow}
YML
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/data" \
	--web.listen-address="127.0.0.1:$pport" --log.level=warn >"$T/prom.log" 2>&1 &
PIDS+=($!)
P=http://127.0.0.1:$pport
wait_for 20 curl -sf "$P/-/ready"
check "prometheus is ready" curl -sf "$P/-/ready" -o /dev/null

# Seconds of wall time are minutes of the bots' time: judge 4 s intervals.
cat >"$T/canary.yaml" <<'YML'
version: 1
aggregate: 4s
confidence: 0.98
groups: {latency: 1, quality: 1, default: 1}
metrics:
  - {name: latency_p95, metric: mm_tick_latency_seconds, type: histogram, labels: {stage: tick_total},
     quantile: 0.95, scale: 1000, unit: ms, direction: increase, allowed: 0.10, critical: true,
     must_have_data: true, min_samples: 8, group: latency}
  - {name: hit_ratio, metric: mm_hit_ratio, type: gauge, direction: decrease, allowed: 0.05,
     min_samples: 8, group: quality}
  - {name: deadline_misses, metric: mm_deadline_misses_total, type: counter, direction: increase,
     allowed: 1.0, min_samples: 8, group: quality}
YML
start=$(date +%s)
# 100 s of scrapes of the slow candidate in the TSDB: about 24 judged
# intervals per side, enough power for the +30 % shift once the statistics
# allow for the series' autocorrelation, also on a loaded or sanitized run
have_scrapes() {
	curl -sf "$P/api/v1/query" --data-urlencode 'query=count_over_time(mm_hit_ratio{release="slow"}[3m])' |
		jq -e '.data.result[0].value[1] | tonumber >= 100' >/dev/null
}
wait_for 200 have_scrapes
check "Prometheus holds 100 s of scrapes" have_scrapes
from=$((start + 4))
to=$(($(date +%s) - 2))

canary() { # canary NAME CANDIDATE
	"$MMOPS" canary --config "$T/canary.yaml" --prometheus "$P" --from "$from" --to "$to" \
		--baseline 'release="base"' --candidate "release=\"$2\"" --out-json "$T/$1.json" \
		--junit "$T/$1.xml" >"$T/$1.out" 2>"$T/$1.err"
}
canary clean clean
rc=$?
check "clean candidate passes (rc $rc)" [ $rc = 0 ]
canary slow slow
rc=$?
check "slow candidate fails (rc $rc)" [ $rc = 1 ]
[ $rc = 1 ] || sed 's/^/  /' "$T/slow.out" "$T/slow.err"
check "slow candidate: latency_p95 high" jqe '.metrics[] | select(.name == "latency_p95") | .classification == "high"' "$T/slow.json"
check "slow candidate: the JUnit is well-formed" xmllint --noout "$T/slow.xml"
n=$(jq '.metrics[] | select(.name == "latency_p95") | .candidate.n' "$T/slow.json")
q='histogram_quantile(0.95, sum by (le) (rate(mm_tick_latency_seconds_bucket{stage="tick_total",release="slow"}[4s]))) * 1000'
pts=$(curl -sf "$P/api/v1/query_range" --data-urlencode "query=$q" --data-urlencode "start=$((from + 4))" \
	--data-urlencode "end=$to" --data-urlencode "step=4" | jq '[.data.result[0].values[] | select(.[1] != "NaN")] | length')
check "n per side ($n) = the points Prometheus returns for the side's query ($pts)" [ "$n" = "$pts" -a "$n" -ge 8 ]
check "the two sides were queried apart" jqe '.metrics[] | select(.name == "latency_p95") | .baseline.p50 < .candidate.p50' "$T/slow.json"

# A year at 4 s steps would be 7.9 million points: the step is raised.
"$MMOPS" canary --config "$T/canary.yaml" --prometheus "$P" --from $((to - 366 * 86400)) --to "$to" \
	--baseline 'release="base"' --candidate 'release="clean"' -q 2>"$T/year.err"
rc=$?
check "a year-long window: no query refused (rc $rc is a verdict)" [ $rc = 0 -o $rc = 1 ]
check "a year-long window: the step was raised" grep -q 'step raised to' "$T/year.err"
finish canary_prometheus
