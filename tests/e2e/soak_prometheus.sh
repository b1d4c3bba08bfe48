#!/usr/bin/env bash
# tests/e2e/soak_prometheus.sh - `mmops soak` against a real Prometheus
# (Debian's `prometheus`, on 127.0.0.1 with a throw-away data dir and a 1 s
# scrape interval) scraping `mmops sim --speed 60` with a latency fault:
#  1. --scrape, live --prometheus and --prometheus --from/--to judge the same
#     soak: the same verdict for every gate, and P95 within bucket resolution;
#  2. mmops's histogram_quantile equals Prometheus's own answer, at five
#     quantiles, over the same bucket increases (two instants of the TSDB);
#  3. a query Prometheus refuses makes the gate "error", not "no data";
#  4. the range step is chosen under the 11,000-point limit.
# env: MMOPS (binary), ROOT (repo).  Last line: "N passed, N failed".
source "$(dirname "$0")/lib/common.bash"
need prometheus
py() { python3 -c "$@"; }

# The bot: 60 simulated seconds per second; latency x4 from 15 to 30 simulated
# minutes (15..30 s of wall time).
start_sim sim --speed 60 --fault latency:x4@15m+15m || { echo "sim did not start"; cat "$T/sim.log"; }
sport=$PORT

pport=$(free_port)
cat >"$T/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: mm
    static_configs:
      - targets: ['127.0.0.1:$sport']
EOF
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/data" \
	--web.listen-address="127.0.0.1:$pport" --log.level=warn >"$T/prom.log" 2>&1 &
PIDS+=($!)
P=http://127.0.0.1:$pport
wait_for 20 curl -sf "$P/-/ready"
check "prometheus is ready" curl -sf "$P/-/ready" -o /dev/null
# Let Prometheus have a first sample before the soaks start.
sleep 2

# 1. Three soaks of the same 45 s: scrape, and live Prometheus queries.
common=(--hours 0.0125 --interval 1s --warmup 0 -q)
"$MMOPS" soak --scrape "http://127.0.0.1:$sport/metrics" "${common[@]}" --state "$T/s1" \
	--gate-summary "$T/scrape_g.json" --export-json "$T/scrape_m.json" >/dev/null 2>"$T/scrape.err" &
p1=$!
PIDS+=("$p1")
"$MMOPS" soak --prometheus "$P" "${common[@]}" --state "$T/s2" \
	--gate-summary "$T/live_g.json" --export-json "$T/live_m.json" >/dev/null 2>"$T/live.err" &
p2=$!
PIDS+=("$p2")
wait "$p1"
rc1=$?
wait "$p2"
rc2=$?
check "--scrape judged the latency fault: exit 1 (got $rc1)" test "$rc1" = 1
check "live --prometheus judged it too: exit 1 (got $rc2)" test "$rc2" = 1
sleep 2	# the last scrape into the TSDB
from=$(json "$T/scrape_m.json" run start)
to=$(json "$T/scrape_m.json" run end)
"$MMOPS" soak --prometheus "$P" --from "$from" --to "$to" --interval 1s --warmup 0 -q \
	--gate-summary "$T/range_g.json" --export-json "$T/range_m.json" >/dev/null 2>"$T/range.err"
rc3=$?
check "--prometheus --from/--to judged it too: exit 1 (got $rc3)" test "$rc3" = 1

verdicts() { py 'import json,sys; print(" ".join(g["name"]+"="+g["verdict"] for g in json.load(open(sys.argv[1]))["gates"]))' "$1"; }
echo "  scrape: $(verdicts "$T/scrape_g.json")"
echo "  live:   $(verdicts "$T/live_g.json")"
echo "  range:  $(verdicts "$T/range_g.json")"
check "same verdict for every gate: --scrape vs --prometheus range" \
	test "$(verdicts "$T/scrape_g.json")" = "$(verdicts "$T/range_g.json")"
check "same verdict for every gate: --scrape vs live --prometheus" \
	test "$(verdicts "$T/scrape_g.json")" = "$(verdicts "$T/live_g.json")"

# P95 within bucket resolution: both in one bucket, or apart by at most the
# width of the bucket holding the scrape's value.
curl -s "http://127.0.0.1:$sport/metrics" >"$T/expo.txt"
p95() { json "$1" series tick_latency_ms aggregates p95; }
a=$(p95 "$T/scrape_m.json")
for f in live range; do
	b=$(p95 "$T/${f}_m.json")
	py '
import re, sys
a, b = float(sys.argv[1]), float(sys.argv[2])
les = sorted({float(m) * 1000 for m in re.findall(r"mm_tick_latency_seconds_bucket\{[^}]*le=\"([0-9.e+-]+)\"", open(sys.argv[3]).read())})
lo = max([0.0] + [x for x in les if x < a]); hi = min([x for x in les if x >= a] + [float("inf")])
ok = abs(a - b) <= hi - lo
print(f"  p95 scrape {a:.3f} ms, {sys.argv[4]} {b:.3f} ms, bucket ({lo:g}, {hi:g}] ms")
sys.exit(0 if ok else 1)' "$a" "$b" "$T/expo.txt" "$f"
	check "P95 --scrape vs --prometheus $f within bucket resolution" test $? = 0
done

# 2. histogram_quantile: mmops over the increases between two instants, from a
# two-point query_range, against Prometheus's histogram_quantile over the same
# difference (offset), at five quantiles.
t2=$(py 'import json,sys,datetime as d; print(int(d.datetime.fromisoformat(sys.argv[1].replace("Z","+00:00")).timestamp()) - 3)' "$to")
t1=$((t2 - 30))
"$MMOPS" soak --prometheus "$P" --from "$t1" --to "$t2" --interval 30s --warmup 0 -q \
	--export-json "$T/hq_m.json" >/dev/null 2>&1
check "the two-instant range has exactly 2 samples" \
	test "$(json "$T/hq_m.json" run samples)" = 2
sel='mm_tick_latency_seconds_bucket{stage="tick_total"}'
for q in 0.5 0.9 0.95 0.99 0.999; do
	expr="histogram_quantile($q, sum by (le) ($sel) - sum by (le) ($sel offset 30s))"
	theirs=$(curl -s --get "$P/api/v1/query" --data-urlencode "query=$expr" --data-urlencode "time=$t2" |
		py 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(float(r[0]["value"][1]) * 1000 if r else "none")')
	key=p$(echo "$q" | sed 's/^0\.//; s/^5$/50/; s/^9$/90/')
	ours=$(json "$T/hq_m.json" series tick_latency_ms aggregates "$key")
	py 'import sys
a, b = sys.argv[1], sys.argv[2]
print(f"  q={sys.argv[3]}: mmops {a} ms, prometheus {b} ms")
sys.exit(0 if b != "none" and abs(float(a) - float(b)) <= 1e-9 * max(1, abs(float(b))) else 1)' "$ours" "$theirs" "$q"
	check "histogram_quantile($q) equals Prometheus's" test $? = 0
done

# 3. A query Prometheus refuses (bad_data): "bool" is a valid metric name for
# the gates file but a PromQL keyword, so the selector does not parse.
cat >"$T/bad.yaml" <<'EOF'
version: 1
metrics:
  bool: gauge
  mm_hit_ratio: gauge
gates:
  - {name: refused, kind: hard, metric: bool, aggregate: max, op: "<=", threshold: 1,
     alert: {name: A, expr: x, for: 5m}}
  - {name: fine, kind: hard, metric: mm_hit_ratio, aggregate: mean, op: ">=", threshold: 0.7,
     alert: {name: B, expr: x, for: 5m}}
EOF
"$MMOPS" soak --prometheus "$P" --from "$t1" --to "$t2" --interval 5s --warmup 0 -q --gates "$T/bad.yaml" \
	--gate-summary "$T/bad_g.json" >/dev/null 2>"$T/bad.err"
rc=$?
echo "  $(verdicts "$T/bad_g.json")"
check "a refused query is exit 3 (got $rc)" test "$rc" = 3
check "the refused gate is 'error' with Prometheus's message" \
	py 'import json,sys; g=json.load(open(sys.argv[1]))["gates"][0]; sys.exit(0 if g["verdict"]=="error" and "bad_data" in g["reason"] else 1)' "$T/bad_g.json"
check "the other gate still passes" \
	py 'import json,sys; g=json.load(open(sys.argv[1]))["gates"][1]; sys.exit(0 if g["verdict"]=="pass" else 1)' "$T/bad_g.json"

# 4. 30 days at 1 s would be 2.6M points: the step grows to stay under 11,000.
now=$(date +%s)
"$MMOPS" soak --prometheus "$P" --from $((now - 30 * 86400)) --to "$now" --interval 1s --warmup 0 -q \
	--export-json "$T/long_m.json" >/dev/null 2>&1
step=$(json "$T/long_m.json" run interval_seconds)
check "30-day range: step $step s keeps it under 11,000 points" \
	py 'import sys; s=float(sys.argv[1]); sys.exit(0 if s == int(s) and 30*86400/s + 1 <= 11000 and 30*86400/(s-1) + 1 > 11000 else 1)' "$step"
check "prometheus logged no errors" bash -c "! grep -qi 'level=error' '$T/prom.log'"

finish
