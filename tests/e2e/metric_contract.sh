#!/usr/bin/env bash
# metric_contract.sh - DESIGN.md §4: every metric that the alert rules, the
# Grafana dashboard, the gates file and docs/metrics.md name is exported by
# `mmops sim` (the stand-in for the bot), so none of them can silently
# refer to a series that does not exist.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
MMOPS=${MMOPS:-$ROOT/build/mmops}
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
pass=0
fail=0
check() { # name, condition-result
	if [ "$2" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi
}

"$MMOPS" sim --listen 127.0.0.1:0 --port-file "$tmp/port" --duration 60s --speed 60 2>"$tmp/sim.log" &
pid=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(cat "$tmp/port" 2>/dev/null)
if [ -z "$port" ]; then
	echo "FAIL: mmops sim did not start"; cat "$tmp/sim.log"
	echo "0 passed, 1 failed"; exit 1
fi
curl -sf "http://127.0.0.1:$port/metrics" > "$tmp/metrics"
check "GET /metrics" $?
# Names exported: the families of the TYPE lines and every sample name.
{ sed -n 's/^# TYPE \([a-zA-Z_:][a-zA-Z0-9_:]*\) .*/\1/p' "$tmp/metrics"
  grep -v '^#' "$tmp/metrics" | sed -n 's/^\([a-zA-Z_:][a-zA-Z0-9_:]*\).*/\1/p'; } | sort -u > "$tmp/exported"

for src in deploy/prometheus/alerts_soak.yml deploy/grafana/dashboards/mm_operability.json \
	   deploy/gates/soak.yaml docs/metrics.md; do
	names=$(grep -o 'mm_[a-z0-9_]*' "$ROOT/$src" | sort -u)
	n=0
	for m in $names; do
		# mm_operability is the dashboard's own uid, not a metric.
		[ "$m" = mm_operability ] && continue
		n=$((n + 1))
		grep -qx "$m" "$tmp/exported"
		check "$src names $m, which mmops sim does not export" $?
	done
	echo "$src: $n metric names checked"
done
echo "metric contract: $pass passed, $fail failed"
[ $fail = 0 ]
