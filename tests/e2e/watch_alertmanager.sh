#!/usr/bin/env bash
# tests/e2e/watch_alertmanager.sh - the rollback path end to end on 127.0.0.1:
# two real, unclustered Alertmanagers (Debian's prometheus-alertmanager, routing
# from deploy/alertmanager/alertmanager.yml with short timers) deliver the same
# hard alert to `mmops watch` (deploy/policies/rollback.yaml, bearer auth), whose
# HTTP actions stop a real `mmops sim` (bearer auth too).  Fire, repeat, a
# second Alertmanager, a watcher restart, a soft alert and the resolution:
# the sim is scaled to 0, its breaker opened and orders frozen exactly once,
# and the resolution undoes nothing.  Alerts are posted to Alertmanager's API
# v2 with curl.  env: MMOPS (binary), ROOT (repo).  Last line: "N passed, N failed".
source "$(dirname "$0")/lib/common.bash"
AM=${ALERTMANAGER:-prometheus-alertmanager}

need "$AM"
need amtool
need promtool
need curl
need python3

TOKEN=watch-$RANDOM$RANDOM
ADMIN_TOKEN=admin-$RANDOM$RANDOM
printf '%s\n' "$TOKEN" > "$T/watch-token"
printf '%s\n' "$ADMIN_TOKEN" > "$T/admin-token"

check "deploy/alertmanager/alertmanager.yml passes amtool check-config" \
	amtool check-config "$ROOT/deploy/alertmanager/alertmanager.yml" >/dev/null
check "deploy/policies/rollback.yaml passes mmops watch --check" \
	"$MMOPS" watch --check --policy "$ROOT/deploy/policies/rollback.yaml" >/dev/null

# --- the bot: mmops sim with an admin token
start_sim sim --token-file "$T/admin-token"
SIM=$PORT
check "mmops sim is up" test -n "$SIM"
[ -n "$SIM" ] || finish
sim_state() {
	curl -sf -H "Authorization: Bearer $ADMIN_TOKEN" "http://127.0.0.1:$SIM/admin/state"
}
sim_field() {	# sim_field KEY: replicas, breaker_open, frozen
	sim_state | python3 -c "import json, sys; v = json.load(sys.stdin)['$1']; print(str(v).lower())"
}
check "sim starts trading (replicas 1, breaker closed, not frozen)" \
	test "$(sim_field replicas) $(sim_field breaker_open) $(sim_field frozen)" = "1 false false"

# --- the watcher
start_watch() {	# start_watch [PORT]: a free port the first time, the same one after
	rm -f "$T/watch.port"
	MMOPS_ADMIN_URL=http://127.0.0.1:$SIM MMOPS_ADMIN_TOKEN=$ADMIN_TOKEN \
		MMOPS_ONCALL_WEBHOOK_URL= MMOPS_SLACK_WEBHOOK_URL= \
		"$MMOPS" watch --port "${1:-0}" --port-file "$T/watch.port" \
		--policy "$ROOT/deploy/policies/rollback.yaml" --state-dir "$T/state" \
		--audit-log "$T/audit.jsonl" --token-file "$T/watch-token" 2>>"$T/watch.log" &
	WPID=$!
	PIDS+=($WPID)
	W=$(wait_port_file "$T/watch.port")
	[ -n "$W" ]
}
check "mmops watch is up" start_watch
[ -n "$W" ] || finish
metric() {	# metric 'NAME{labels}': the sample's value (0 when absent)
	curl -sf "http://127.0.0.1:$W/metrics" | awk -v n="$1" '$1 == n { v = $2 } END { print v + 0 }'
}
metric_ge() {	# metric_ge SERIES N
	[ "$(metric "$1")" -ge "$2" ]
}

# --- two Alertmanagers, not clustered: both deliver everything
am_config() {	# the deploy routing with this test's watcher, token and short timers
	sed -e "s|http://127.0.0.1:8080/alert-hook|http://127.0.0.1:$W/alert-hook|" \
	    -e "s|/etc/mmops/watch-token|$T/watch-token|" \
	    -e "s|group_wait: .*|group_wait: 1s|" \
	    -e "s|group_interval: .*|group_interval: 2s|" \
	    -e "s|repeat_interval: .*|repeat_interval: 4s|" \
	    "$ROOT/deploy/alertmanager/alertmanager.yml"
}
start_am() {	# start_am N: sets AM<N> to its port
	local n=$1 port
	port=$(free_port)
	am_config > "$T/am$n.yml"
	"$AM" --config.file="$T/am$n.yml" --storage.path="$T/am$n-data" \
		--web.listen-address="127.0.0.1:$port" --cluster.listen-address= \
		>"$T/am$n.log" 2>&1 &
	PIDS+=($!)
	eval "AM$n=$port"
	wait_for 20 curl -sf "http://127.0.0.1:$port/-/ready"
}
am_config > "$T/check.yml"
check "the test's Alertmanager config passes amtool" amtool check-config "$T/check.yml" >/dev/null
check "alertmanager 1 is ready" start_am 1
check "alertmanager 2 is ready" start_am 2

STARTS=$(date -u -d '-1 minute' +%Y-%m-%dT%H:%M:%SZ)
alert_json() {	# alert_json NAME GATE ENDS
	printf '[{"labels":{"alertname":"%s","gate":"%s","severity":"critical","instance":"mm-1"},' "$1" "$2"
	printf '"annotations":{"summary":"e2e %s"},"startsAt":"%s","endsAt":"%s",' "$1" "$STARTS" "$3"
	printf '"generatorURL":"http://prometheus.invalid/graph"}]'
}
post_alert() {	# post_alert AMPORT NAME GATE ENDS
	curl -sf -XPOST -H 'Content-Type: application/json' -d "$(alert_json "$2" "$3" "$4")" \
		"http://127.0.0.1:$1/api/v2/alerts"
}
LATER=$(date -u -d '+10 minutes' +%Y-%m-%dT%H:%M:%SZ)

# --- fire the same hard alert into both Alertmanagers
check "hard alert posted to alertmanager 1" post_alert "$AM1" SoakLatencyP95High hard "$LATER"
check "hard alert posted to alertmanager 2" post_alert "$AM2" SoakLatencyP95High hard "$LATER"
check "the sim is scaled to 0" wait_for 30 test "$(sim_field replicas)" = 0
check "the sim's circuit breaker is open" wait_for 30 test "$(sim_field breaker_open)" = true
check "the sim's order placement is frozen" wait_for 30 test "$(sim_field frozen)" = true
rollback_done() {
	curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$W/status" | python3 -c '
import json, sys
s = json.load(sys.stdin)
lr = s["last_rollback"]
sys.exit(0 if lr and lr["id"] == 1 and lr["finished_at"] and not s["rollback_in_progress"] else 1)'
}
check "/status shows rollback 1 finished" wait_for 30 rollback_done

# --- repeats from both Alertmanagers are duplicates
check "both Alertmanagers delivered, and repeated (>= 4 firing notifications)" \
	wait_for 30 metric_ge 'mmops_watch_notifications_total{status="firing"}' 4
check "repeats and the second Alertmanager are dedup hits (>= 3)" \
	metric_ge mmops_watch_dedup_hits_total 3
check "exactly one rollback decided" test "$(metric mmops_watch_rollbacks_total)" = 1
check "three admin actions ok" \
	test "$(metric 'mmops_watch_actions_total{action="scale_strategy_to_zero",result="ok"}') $(metric 'mmops_watch_actions_total{action="open_circuit_breaker",result="ok"}') $(metric 'mmops_watch_actions_total{action="freeze_order_placements",result="ok"}')" = "1 1 1"
check "notifications without a target are skipped, not failed" \
	test "$(metric 'mmops_watch_actions_total{action="notify_oncall",result="skipped"}')" = 1

# --- a soft alert only notifies
check "soft alert posted" post_alert "$AM1" SoakWSLagHigh soft "$LATER"
check "the soft alert is decided notify" \
	wait_for 30 metric_ge 'mmops_watch_decisions_total{decision="notify"}' 1

# --- a restart neither repeats nor forgets
kill -TERM "$WPID"
wait "$WPID"
check "the watcher stops cleanly on SIGTERM (exit 0)" test $? = 0
check "the watcher restarts on the same port and state" start_watch "$W"
check "after the restart Alertmanager's repeat is delivered" \
	wait_for 30 metric_ge 'mmops_watch_notifications_total{status="firing"}' 1
check "after the restart the repeat is a duplicate" metric_ge mmops_watch_dedup_hits_total 1
check "after the restart no rollback is decided" test "$(metric mmops_watch_rollbacks_total)" = 0

# --- resolve in both: recorded, never undoes the rollback
NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
check "alert resolved in alertmanager 1" post_alert "$AM1" SoakLatencyP95High hard "$NOW"
check "alert resolved in alertmanager 2" post_alert "$AM2" SoakLatencyP95High hard "$NOW"
check "resolved notifications reach the watcher" \
	wait_for 30 metric_ge 'mmops_watch_notifications_total{status="resolved"}' 1
check "the resolution is recorded in the audit log" \
	wait_for 10 grep -q '"decision":"ignored".*"status":"resolved"' "$T/audit.jsonl"
check "the sim stays scaled to 0 after the resolution" test "$(sim_field replicas)" = 0
check "the sim's breaker stays open" test "$(sim_field breaker_open)" = true

# --- exactly once, seen from both sides
count() { grep -c -- "$1" "$2" 2>/dev/null || true; }
check "the sim was scaled exactly once" test "$(count 'admin: scale replicas=0' "$T/sim.log")" = 1
check "the breaker was opened exactly once" test "$(count 'admin: breaker open=1' "$T/sim.log")" = 1
check "orders were frozen exactly once" test "$(count 'admin: frozen=1' "$T/sim.log")" = 1
check "the audit log holds one rollback decision" \
	test "$(grep '"event":"decision"' "$T/audit.jsonl" | grep -c '"decision":"rollback"')" = 1
check "the audit log holds one ok scale action" \
	test "$(grep '"event":"action"' "$T/audit.jsonl" | grep -c '"name":"scale_strategy_to_zero".*"result":"ok"')" = 1
check "the audit log holds the finished rollback job" \
	test "$(grep '"event":"job_done"' "$T/audit.jsonl" | grep -c '"kind":"rollback"')" = 1
check "the audit log never shows the admin token" bash -c "! grep -q '$ADMIN_TOKEN' '$T/audit.jsonl'"

# --- the watcher's own endpoints
curl -sf "http://127.0.0.1:$W/metrics" > "$T/metrics.txt"
check "promtool check metrics accepts /metrics with no lint" \
	bash -c "out=\$(promtool check metrics < '$T/metrics.txt' 2>&1) && [ -z \"\$out\" ]"
check "no token: 401" test "$(curl -s -o /dev/null -w '%{http_code}' -XPOST \
	-H 'Content-Type: application/json' -d '{"alerts":[]}' "http://127.0.0.1:$W/alert-hook")" = 401
check "the refusal is counted" metric_ge mmops_watch_auth_failures_total 1

finish
