#!/usr/bin/env bash
# tests/e2e/full_loop.sh - the whole production path on one machine, as a demo
# (`make loop`) and a test (`make check`):
#
#   mmops sim --speed K --/metrics--> Prometheus (deploy/prometheus/prometheus.yml,
#   rules of `mmops alerts render --scale-time K`) --> two Alertmanagers
#   (deploy/alertmanager/alertmanager.yml, timers / K) --webhook, bearer-->
#   mmops watch (deploy/policies/rollback.yaml, not dry-run) --admin API, bearer--> sim
#
# Everything listens on free 127.0.0.1 ports with temp dirs and is stopped by
# PID.  A soft fault (maker share) only notifies; then a latency fault is
# followed to the rollback and its timeline printed (tests/e2e/lib/loop_timeline.py);
# then: the repeats and the second Alertmanager are duplicates (one rollback in
# the audit log), the hard alerts that follow are held by the cooldown, and the
# resolution undoes nothing.  No duration is asserted: every wait is a poll
# with a generous deadline.
# env: MMOPS, ROOT; LOOP_SPEED (default 60); KEEP=1 keeps the temp dir.
# Last line: "N passed, N failed".
source "$(dirname "$0")/lib/common.bash"
AM=${ALERTMANAGER:-prometheus-alertmanager}
PROM=${PROMETHEUS:-prometheus}
K=${LOOP_SPEED:-60}
LIB=$(cd "$(dirname "$0")/lib" && pwd)

need "$AM"
need "$PROM"
need promtool
need amtool
need curl
need python3

now() { date +%s.%N; }
START_MS=$(date +%s%3N)
say() {	# a progress line with the time since the start
	local ms=$(($(date +%s%3N) - START_MS))
	printf '[%3d.%ds] %s\n' $((ms / 1000)) $((ms % 1000 / 100)) "$*"
}

TOKEN=watch-$RANDOM$RANDOM
ADMIN_TOKEN=admin-$RANDOM$RANDOM
printf '%s\n' "$TOKEN" > "$T/watch-token"
printf '%s\n' "$ADMIN_TOKEN" > "$T/admin-token"

# scale_config FILE KEY...: every "KEY: DURATION" of FILE divided by K (ms).
scale_config() {
	python3 - "$K" "$@" <<'EOF'
import re, sys
k = float(sys.argv[1]); path = sys.argv[2]; keys = sys.argv[3:]
unit = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
def secs(d):
    return sum(float(n) * unit[u] for n, u in re.findall(r"(\d+)(ms|s|m|h|d)", d))
def fmt(s):
    ms = round(s * 1000)
    return "%dms" % ms if ms % 1000 else "%ds" % (ms // 1000)
pat = re.compile(r"^(\s*(?:%s):\s*)(\S+)(.*)$" % "|".join(map(re.escape, keys)))
for line in open(path):
    m = pat.match(line.rstrip("\n"))
    if m:
        s = secs(m.group(2))
        line = m.group(1) + (fmt(s / k) if s else m.group(2)) + m.group(3) + "\n"
    sys.stdout.write(line)
EOF
}

# --- the bot
say "starting mmops sim --speed $K"
start_sim sim --speed "$K" --token-file "$T/admin-token"
SIM=$PORT
check "mmops sim --speed $K is up" test -n "$SIM"
[ -n "$SIM" ] || finish
sim_field() {	# sim_field KEY
	curl -sf -H "Authorization: Bearer $ADMIN_TOKEN" "http://127.0.0.1:$SIM/admin/state" |
		python3 -c "import json, sys; print(str(json.load(sys.stdin)['$1']).lower())"
}
sim_post() {	# sim_post PATH JSON
	curl -sf -XPOST -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
		-d "$2" "http://127.0.0.1:$SIM$1" >/dev/null
}

# --- on-call: a webhook receiver that keeps every body (the policy's notify_oncall)
ONCALL=$(free_port)
python3 - "$ONCALL" "$T/oncall.jsonl" >"$T/oncall.log" 2>&1 <<'EOF' &
import http.server, sys
port, out = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(out, "ab") as f:
            f.write(body.replace(b"\n", b" ") + b"\n")
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
EOF
PIDS+=($!)
check "the on-call receiver is up" wait_for 20 bash -c "echo > /dev/tcp/127.0.0.1/$ONCALL"

# --- the watcher: real mode, bearer token in, admin token out
say "starting mmops watch"
MMOPS_ADMIN_URL=http://127.0.0.1:$SIM MMOPS_ADMIN_TOKEN=$ADMIN_TOKEN \
	MMOPS_ONCALL_WEBHOOK_URL=http://127.0.0.1:$ONCALL/oncall MMOPS_SLACK_WEBHOOK_URL= \
	"$MMOPS" watch --port 0 --port-file "$T/watch.port" \
	--policy "$ROOT/deploy/policies/rollback.yaml" --state-dir "$T/state" \
	--audit-log "$T/audit.jsonl" --token-file "$T/watch-token" 2>>"$T/watch.log" &
WPID=$!
PIDS+=($WPID)
W=$(wait_port_file "$T/watch.port")
check "mmops watch is up (not dry-run, bearer auth)" test -n "$W"
[ -n "$W" ] || finish
wmetric() {	# wmetric 'NAME{labels}': the watcher's sample (0 when absent)
	curl -sf "http://127.0.0.1:$W/metrics" | awk -v n="$1" '$1 == n { v = $2 } END { print v + 0 }'
}
wmetric_ge() { [ "$(wmetric "$1")" -ge "$2" ]; }

# --- two Alertmanagers with the shipped routing, timers divided by K
AM1=$(free_port)
AM2=$(free_port)
scale_config "$ROOT/deploy/alertmanager/alertmanager.yml" \
	group_wait group_interval repeat_interval resolve_timeout |
	sed -e "s|http://127.0.0.1:8080/alert-hook|http://127.0.0.1:$W/alert-hook|" \
	    -e "s|/etc/mmops/watch-token|$T/watch-token|" > "$T/alertmanager.yml"
check "the loop's Alertmanager config passes amtool check-config" \
	amtool check-config "$T/alertmanager.yml" >/dev/null
for n in 1 2; do
	eval "port=\$AM$n"
	"$AM" --config.file="$T/alertmanager.yml" --storage.path="$T/am$n" \
		--web.listen-address="127.0.0.1:$port" --cluster.listen-address= \
		>"$T/am$n.log" 2>&1 &
	PIDS+=($!)
done

# --- Prometheus with the shipped config and the time-scaled rules
P=$(free_port)
check "mmops alerts render --scale-time $K" \
	"$MMOPS" alerts render --gates "$ROOT/deploy/gates/soak.yaml" --scale-time "$K" \
	--output "$T/alerts_soak.yml"
# Scrape and evaluation intervals: 15s / K, but not under 1s, so that a busy
# machine missing one scrape (which makes every series stale at once and
# resets the pending alerts) stays unlikely; the scaled for: of 5s and more
# still spans five evaluations.
IVAL=$(python3 -c "print('%dms' % max(1000, round(15000 / $K)))")
sed -e "s|\"127.0.0.1:9100\"|\"127.0.0.1:$SIM\"|" -e "s|\"127.0.0.1:8080\"|\"127.0.0.1:$W\"|" \
    -e "s|\"127.0.0.1:9090\"|\"127.0.0.1:$P\"|" \
    -e "s|\[\"127.0.0.1:9093\"\]|[\"127.0.0.1:$AM1\", \"127.0.0.1:$AM2\"]|" \
    -e "s|^\(\s*scrape_interval:\).*|\1 $IVAL|" -e "s|^\(\s*evaluation_interval:\).*|\1 $IVAL|" \
    -e "s|^\(\s*scrape_timeout:\).*|\1 $IVAL|" \
    "$ROOT/deploy/prometheus/prometheus.yml" > "$T/prometheus.yml"
check "the loop's Prometheus config passes promtool check config" \
	promtool check config "$T/prometheus.yml" >/dev/null
say "starting Prometheus and two Alertmanagers"
"$PROM" --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/prom" \
	--web.listen-address="127.0.0.1:$P" \
	--rules.alert.resend-delay="$(python3 -c "print('%dms' % max(100, round(60000 / $K)))")" \
	>"$T/prometheus.log" 2>&1 &
PIDS+=($!)
check "alertmanager 1 is ready" wait_for 60 curl -sf "http://127.0.0.1:$AM1/-/ready"
check "alertmanager 2 is ready" wait_for 60 curl -sf "http://127.0.0.1:$AM2/-/ready"
check "prometheus is ready" wait_for 60 curl -sf "http://127.0.0.1:$P/-/ready"
targets_up() {
	curl -sf "http://127.0.0.1:$P/api/v1/targets" | python3 -c '
import json, sys
t = json.load(sys.stdin)["data"]["activeTargets"]
sys.exit(0 if len(t) == 3 and all(x["health"] == "up" for x in t) else 1)'
}
check "prometheus scrapes the sim, the watcher and itself" wait_for 60 targets_up
rules_loaded() {
	curl -sf "http://127.0.0.1:$P/api/v1/rules" | python3 -c '
import json, sys
g = json.load(sys.stdin)["data"]["groups"]
sys.exit(0 if sum(len(x["rules"]) for x in g) == 8 else 1)'
}
check "prometheus evaluates the eight rendered rules" wait_for 60 rules_loaded
prom_alerts() {	# the alerts Prometheus has, "name:state" per line
	curl -sf "http://127.0.0.1:$P/api/v1/alerts" | python3 -c '
import json, sys
for a in json.load(sys.stdin)["data"]["alerts"]:
    print(a["labels"]["alertname"] + ":" + a["state"])'
}
prom_has() { prom_alerts | grep -qx "$1"; }	# prom_has NAME:STATE
# A healthy bot for a few evaluations: nothing pending.
sleep_evals() { python3 -c "import time; time.sleep(3.0)"; }
sleep_evals
check "a healthy sim raises no alert" test -z "$(prom_alerts)"

# --- 1. a soft fault only notifies
say "soft fault: taker:x3 (maker share below 85%)"
check "soft fault injected" sim_post /admin/fault '{"spec": "taker:x3", "reason": "full loop"}'
check "SoakMakerTakerImbalance fires in Prometheus" \
	wait_for 120 prom_has SoakMakerTakerImbalance:firing
check "the watcher decides notify for it" \
	wait_for 60 wmetric_ge 'mmops_watch_decisions_total{decision="notify"}' 1
check "on-call was told (notify, soft gate)" \
	wait_for 30 grep -q '"decision": "notify", "gate": "soft".*"alertname": "SoakMakerTakerImbalance"' "$T/oncall.jsonl"
check "the soft alert rolled nothing back" test "$(wmetric mmops_watch_rollbacks_total)" = 0
check "the sim is still trading" test "$(sim_field replicas) $(sim_field breaker_open) $(sim_field frozen)" = "1 false false"
check "soft fault cleared" sim_post /admin/fault '{"clear": true, "reason": "full loop"}'
soft_gone() { ! prom_alerts | grep -q '^SoakMakerTakerImbalance:'; }
check "the soft alert resolves once the fault is cleared" wait_for 120 soft_gone

# --- 2. a latency fault, followed to the rollback
say "hard fault: latency:x4"
T0=$(now)
check "latency fault injected" sim_post /admin/fault '{"spec": "latency:x4", "reason": "full loop"}'
python3 "$LIB/loop_timeline.py" --t0 "$T0" --fault latency:x4 \
	--prometheus "http://127.0.0.1:$P" --alertmanager "http://127.0.0.1:$AM1" \
	--audit "$T/audit.jsonl" --sim "http://127.0.0.1:$SIM" --admin-token-file "$T/admin-token" \
	--watch "http://127.0.0.1:$W" --deadline 120 --json "${LOOP_JSON:-$T/timeline.json}" \
	> "$T/timeline.txt" 2>&1
rc=$?
cat "$T/timeline.txt"
check "the timeline shows fault -> pending -> firing -> Alertmanager -> decision -> actions -> stopped" \
	test "$rc" = 0
check "the timeline has every step" bash -c "grep -q 'pending in Prometheus' '$T/timeline.txt' &&
	grep -q 'firing in Prometheus' '$T/timeline.txt' && grep -q 'Alertmanager received' '$T/timeline.txt' &&
	grep -q 'decided for' '$T/timeline.txt' && grep -Ec 'action (scale_strategy_to_zero|open_circuit_breaker|freeze_order_placements) ok' '$T/timeline.txt' | grep -qx 3 &&
	grep -q 'sim stopped' '$T/timeline.txt'"
check "the rollback is for a hard alert of the latency fault" \
	grep -Eq 'decided for (SoakLatencyP95High|SoakDeadlineMissRate)' "$T/timeline.txt"
check "mmops's part is measured (mmops_watch_decision_seconds, _action_start_seconds)" \
	grep -q "mmops's own part" "$T/timeline.txt"

# --- 3. repeats, the second Alertmanager and the cooldown change nothing
say "waiting for repeats, the second Alertmanager and the alerts that follow the rollback"
check "both Alertmanagers delivered, and repeated (>= 2 duplicates)" \
	wait_for 120 wmetric_ge mmops_watch_dedup_hits_total 2
# The open breaker is a hard alert of its own: within the cooldown it is held.
check "a later hard alert (the open breaker) is held by the cooldown" \
	wait_for 120 wmetric_ge 'mmops_watch_decisions_total{decision="cooldown"}' 1
check "the audit log shows the cooldown decision" \
	grep -q '"decision":"cooldown"' "$T/audit.jsonl"

# --- 4. the resolution undoes nothing
# Scaled to 0 the sim stops ticking: the latency rate drops out and the alert resolves.
check "the resolution reaches the watcher" \
	wait_for 120 wmetric_ge 'mmops_watch_notifications_total{status="resolved"}' 1
check "the resolution is recorded as ignored" \
	wait_for 30 grep -q '"decision":"ignored".*"status":"resolved"' "$T/audit.jsonl"
check "the sim stays stopped (replicas 0, breaker open, frozen)" \
	test "$(sim_field replicas) $(sim_field breaker_open) $(sim_field frozen)" = "0 true true"

# --- exactly once
count() { grep -c -- "$1" "$2" 2>/dev/null || true; }
check "exactly one rollback in the audit log" \
	test "$(grep '"event":"decision"' "$T/audit.jsonl" | grep -c '"decision":"rollback"')" = 1
check "exactly one rollback decided (metric)" test "$(wmetric mmops_watch_rollbacks_total)" = 1
check "one finished rollback job" \
	test "$(grep '"event":"job_done"' "$T/audit.jsonl" | grep -c '"kind":"rollback"')" = 1
check "the sim was scaled to 0 once, its breaker opened once, orders frozen once" \
	test "$(count 'admin: scale replicas=0' "$T/sim.log") $(count 'admin: breaker open=1' "$T/sim.log") $(count 'admin: frozen=1' "$T/sim.log")" = "1 1 1"
check "on-call was paged for exactly one rollback" \
	test "$(count '"decision": "rollback"' "$T/oncall.jsonl")" = 1
check "the audit log never shows the admin token" bash -c "! grep -q '$ADMIN_TOKEN' '$T/audit.jsonl'"
check "every audit line is JSON" python3 -c '
import json, sys
for l in open(sys.argv[1]): json.loads(l)' "$T/audit.jsonl"
curl -sf "http://127.0.0.1:$W/metrics" > "$T/watch-metrics.txt"
check "the watcher's /metrics (with the new histograms) passes promtool check metrics" \
	bash -c "out=\$(promtool check metrics < '$T/watch-metrics.txt' 2>&1) && [ -z \"\$out\" ]"
scraped() {
	curl -sf "http://127.0.0.1:$P/api/v1/query" --data-urlencode \
		'query=mmops_watch_action_start_seconds_count{kind="rollback",job="mmops-watch"} >= 1' |
		grep -q '"value"'
}
check "prometheus scraped the watcher's action-start histogram" wait_for 60 scraped

# --- the watcher stops cleanly (and, in a sanitizer build, without a report)
kill -TERM "$WPID"
wait "$WPID"
check "mmops watch exits 0 on SIGTERM" test $? = 0
check "the watcher's log has no sanitizer report" \
	bash -c "! grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error' '$T/watch.log'"
say "done"
finish
