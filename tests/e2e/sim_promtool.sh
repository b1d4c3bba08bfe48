#!/usr/bin/env bash
# tests/e2e/sim_promtool.sh - a live `mmops sim` on 127.0.0.1 (free port):
# promtool check metrics accepts its /metrics with no lint output (also with
# every fault active), the admin API does what the rollback needs (scale to 0
# stops the counters, breaker, freeze, faults, state), the bearer token, the
# 4xx answers, and `mmops scrape` reads the live endpoint (exit 3 on a 404).
# env: MMOPS (binary), ROOT (repo).  Last line: "N passed, N failed".
source "$(dirname "$0")/lib/common.bash"

metric() {	# metric PORT NAME: the value of an unlabelled sample
	curl -sf "http://127.0.0.1:$1/metrics" | awk -v n="$2" '$1 == n { print $2 }'
}

post() {	# post PORT PATH JSON [extra curl args]: prints "STATUS BODY"
	local port=$1 path=$2 body=$3
	shift 3
	curl -s -o "$T/body" -w '%{http_code}' -XPOST -H 'Content-Type: application/json' \
		-d "$body" "$@" "http://127.0.0.1:$port$path"
	printf ' %s' "$(cat "$T/body")"
}

promtool_clean() {	# promtool accepts the exposition and prints nothing (no lint)
	local out
	curl -sf "http://127.0.0.1:$1/metrics" >"$T/expo.txt" || return 1
	out=$(promtool check metrics <"$T/expo.txt" 2>&1) || { echo "$out"; return 1; }
	[ -z "$out" ] || { echo "promtool: $out"; return 1; }
}

# --- the exposition --------------------------------------------------------
check "sim starts on a free port" start_sim a --speed 50 --seed 3
A=$PORT
ticking() { [ "$(metric "$1" mm_ticks_total)" -gt 0 ] 2>/dev/null; }
wait_for 10 ticking "$A"
check "promtool check metrics: no errors, no lint" promtool_clean "$A"
check "every contract family is exported" bash -c "
	for m in mm_tick_latency_seconds mm_md_cache_requests_total mm_hit_ratio mm_fills_total \
		mm_maker_share_ratio mm_ticks_total mm_deadline_misses_total mm_deadline_miss_rate \
		mm_edge_bps mm_edge_bps_ema1h mm_edge_bps_ema24h mm_pnl_usd mm_ws_lag_seconds \
		mm_ws_lag_max_seconds mm_circuit_breaker_open mm_guard_trips_total \
		mm_strategy_replicas mm_orders_frozen; do
		grep -q \"^# TYPE \$m \" '$T/expo.txt' || { echo missing \$m; exit 1; }
	done"
check "bucket bounds include 0.15 and 0.2" bash -c "
	grep -q 'mm_tick_latency_seconds_bucket{stage=\"tick_total\",le=\"0.15\"}' '$T/expo.txt' &&
	grep -q 'mm_ws_lag_seconds_bucket{le=\"0.2\"}' '$T/expo.txt'"
check "content type is text 0.0.4" bash -c "
	curl -sI http://127.0.0.1:$A/metrics | grep -qi '^Content-Type: text/plain; version=0.0.4'"
check "mmops scrape reads the live endpoint" bash -c "
	'$MMOPS' scrape http://127.0.0.1:$A/metrics >'$T/scrape.txt' && grep -q '^mm_hit_ratio (gauge)' '$T/scrape.txt'"
check "mmops scrape --json on the live endpoint" bash -c "
	'$MMOPS' scrape --json http://127.0.0.1:$A/metrics >'$T/scrape.json' && grep -q '\"name\":\"mm_ticks_total\"' '$T/scrape.json'"
check "mmops scrape of a 404 is exit 3" bash -c "
	'$MMOPS' scrape http://127.0.0.1:$A/nope 2>/dev/null; [ \$? = 3 ]"

# --- admin API --------------------------------------------------------------
check "GET /admin/state is JSON with replicas 1" bash -c "
	curl -sf http://127.0.0.1:$A/admin/state | grep -q '\"replicas\":1'"
r=$(post "$A" /admin/scale '{"replicas":0}')
check "POST /admin/scale {replicas:0} answers 200 with the state" \
	bash -c "[[ '$r' == 200* ]] && [[ '$r' == *'\"replicas\":0'* ]]"
check "mm_strategy_replicas is 0" bash -c "[ \"\$(curl -sf http://127.0.0.1:$A/metrics | awk '\$1==\"mm_strategy_replicas\"{print \$2}')\" = 0 ]"
t1=$(metric "$A" mm_ticks_total)
sleep 0.5
t2=$(metric "$A" mm_ticks_total)
check "scaled to 0: mm_ticks_total stops ($t1 = $t2)" test "$t1" = "$t2"
post "$A" /admin/scale '{"replicas":1}' >/dev/null
moved() { [ "$(metric "$A" mm_ticks_total)" -gt "${t2:-0}" ] 2>/dev/null; }
wait_for 10 moved
t3=$(metric "$A" mm_ticks_total)
check "scaled back to 1: mm_ticks_total moves ($t2 < $t3)" test "${t3:-0}" -gt "${t2:-0}"
r=$(post "$A" /admin/breaker '{"open":true}')
check "POST /admin/breaker opens the breaker" bash -c "[[ '$r' == 200*'\"breaker_open\":true'* ]]"
check "mm_circuit_breaker_open is 1" test "$(metric "$A" mm_circuit_breaker_open)" = 1
post "$A" /admin/breaker '{"open":false}' >/dev/null
check "closing the breaker: mm_circuit_breaker_open is 0" test "$(metric "$A" mm_circuit_breaker_open)" = 0
r=$(post "$A" /admin/freeze '{"frozen":true}')
check "POST /admin/freeze freezes orders" test "$(metric "$A" mm_orders_frozen)" = 1
r=$(post "$A" /admin/fault '{"spec":"guard:drawdown+10m"}')
check "POST /admin/fault adds an active fault" bash -c "[[ '$r' == 200*'\"active\":true'*'guard:drawdown'* ]]"
check "the guard fault trips mm_guard_trips_total{guard=drawdown}" wait_for 10 bash -c "
	curl -sf http://127.0.0.1:$A/metrics | grep -q '^mm_guard_trips_total{guard=\"drawdown\"} [1-9]'"
r=$(post "$A" /admin/fault '{"clear":true}')
check "POST /admin/fault {clear:true} ends all faults" bash -c "[[ '$r' == 200*'\"faults\":[]'* ]]"
r=$(post "$A" /admin/fault '{"spec":"nosuch"}')
check "a bad fault spec is 400 with the reason" bash -c "[[ '$r' == 400*'unknown fault kind'* ]]"
r=$(post "$A" /admin/scale '{"replicas":"x"}')
check "a bad scale body is 400" bash -c "[[ '$r' == 400* ]]"
r=$(post "$A" /admin/scale 'not json')
check "malformed JSON is 400 with line:col" bash -c "[[ '$r' == 400*'request:1:'* ]]"
r=$(curl -s -o /dev/null -w '%{http_code}' -XPOST -d '{"replicas":0}' http://127.0.0.1:$A/admin/scale)
check "a POST without application/json is 415" test "$r" = 415
r=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$A/admin/scale)
check "GET on a POST endpoint is 405" test "$r" = 405
check "405 carries Allow" bash -c "curl -s -i -XPOST http://127.0.0.1:$A/metrics | grep -qi '^Allow: GET, HEAD'"
r=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$A/nope)
check "an unknown path is 404" test "$r" = 404
head -c 100000 /dev/zero | tr '\0' a >"$T/big"
r=$(curl -s -o /dev/null -w '%{http_code}' -XPOST -H 'Content-Type: application/json' \
	--data-binary @"$T/big" http://127.0.0.1:$A/admin/scale)
check "a body over 64 KiB is 413" test "$r" = 413

# --- bearer token -----------------------------------------------------------
printf 's3cret\n' >"$T/token"
check "sim with --token-file starts" start_sim b --token-file "$T/token"
B=$PORT
r=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$B/admin/state)
check "admin without a token is 401" test "$r" = 401
check "401 carries WWW-Authenticate" bash -c "curl -s -i http://127.0.0.1:$B/admin/state | grep -qi '^WWW-Authenticate: Bearer'"
r=$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer wrong' http://127.0.0.1:$B/admin/state)
check "admin with a wrong token is 401" test "$r" = 401
r=$(post "$B" /admin/scale '{"replicas":0}' -H 'Authorization: Bearer s3cret')
check "admin with the token is 200" bash -c "[[ '$r' == 200* ]]"
r=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$B/metrics)
check "/metrics stays open with a token" test "$r" = 200

# --- every fault active: still valid ----------------------------------------
check "sim with every fault starts" start_sim c --speed 100 --fault latency --fault cache \
	--fault deadline --fault edge --fault wslag --fault guard --fault breaker --fault taker
wait_for 10 ticking "$PORT"
check "promtool accepts the exposition under every fault" promtool_clean "$PORT"
check "breaker fault shows as open" test "$(metric "$PORT" mm_circuit_breaker_open)" = 1

finish
