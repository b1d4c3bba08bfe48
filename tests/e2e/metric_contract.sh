#!/usr/bin/env bash
# metric_contract.sh - DESIGN.md §4: every metric that the alert rules, the
# Grafana dashboard, the gates file and docs/metrics.md name is exported by
# `mmops sim` (the stand-in for the bot), so none of them can silently
# refer to a series that does not exist.
source "$(dirname "$0")/lib/common.bash"
# Only failures are printed: the check names read as failures.
CHECK_QUIET=1

if ! start_sim sim --duration 60s --speed 60; then
	verdict "mmops sim did not start" 1
	cat "$T/sim.log"
	finish "metric contract"
fi
port=$PORT
curl -sf "http://127.0.0.1:$port/metrics" > "$T/metrics"
verdict "GET /metrics" $?
# Names exported: the families of the TYPE lines and every sample name.
{ sed -n 's/^# TYPE \([a-zA-Z_:][a-zA-Z0-9_:]*\) .*/\1/p' "$T/metrics"
  grep -v '^#' "$T/metrics" | sed -n 's/^\([a-zA-Z_:][a-zA-Z0-9_:]*\).*/\1/p'; } | sort -u > "$T/exported"

for src in deploy/prometheus/alerts_soak.yml deploy/grafana/dashboards/mm_operability.json \
	   deploy/gates/soak.yaml docs/metrics.md; do
	names=$(grep -o 'mm_[a-z0-9_]*' "$ROOT/$src" | sort -u)
	n=0
	for m in $names; do
		# mm_operability is the dashboard's own uid, not a metric.
		[ "$m" = mm_operability ] && continue
		n=$((n + 1))
		grep -qx "$m" "$T/exported"
		verdict "$src names $m, which mmops sim does not export" $?
	done
	echo "$src: $n metric names checked"
done
finish "metric contract"
