#!/usr/bin/env bash
# bench/loop.sh - fault to rollback through the whole production loop, and
# mmops's own part of it.
#
# 1. tests/e2e/full_loop.sh at LOOP_SPEED (default 60): the fault-to-decision
#    time against its anchor measured in the same run, the alert's `for:` as
#    Prometheus applies it (firing time - activeAt): what is left is
#    Prometheus's evaluation, Alertmanager's routing and mmops; mmops's part
#    is the watcher's mmops_watch_decision_seconds and
#    mmops_watch_action_start_seconds.
# 2. A watcher alone (not dry-run, state dir, audit log) taking N soft alerts
#    one at a time (curl, fresh fingerprints): the distribution of
#    request-read -> decision durable and decision -> first action started
#    from the same histograms, against DESIGN.md §7's bar (action started
#    <= 1 ms after the request is read).
#
# usage: bench/loop.sh [N]      (default 200 alerts in part 2)
# env: MMOPS (default build/mmops), O, LOOP_SPEED
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
O=${O:-build}
MMOPS=${MMOPS:-$ROOT/$O/mmops}
N=${1:-200}
T=$(mktemp -d "${TMPDIR:-/tmp}/mmops-bench-loop.XXXXXX")
WPID=
cleanup() {
	[ -n "$WPID" ] && kill "$WPID" 2>/dev/null && wait "$WPID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

echo "== 1. the full loop (tests/e2e/full_loop.sh, LOOP_SPEED=${LOOP_SPEED:-60})"
LOOP_JSON=$T/loop.json MMOPS=$MMOPS ROOT=$ROOT bash "$ROOT/tests/e2e/full_loop.sh" > "$T/loop.out" 2>&1
rc=$?
sed -n '/^timeline/,/^fault to rollback/p' "$T/loop.out"
tail -1 "$T/loop.out"
[ "$rc" = 0 ] || { echo "bench/loop.sh: the full loop failed"; exit 1; }
python3 - "$T/loop.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["steps"]
a = d["alert"]
pend, fire, dec = s["pending " + a], s["firing " + a], s["decided"]
held = fire - pend
rest = dec - fire
own = d["watch_decision_mean_s"] + d["watch_action_start_s"]
print("fault -> rollback decided  %8.3f s" % dec)
print("  fault -> pending          %8.3f s  (Prometheus's scrape and rule evaluation)" % pend)
print("  for: held (anchor)        %8.3f s  (the rule's for:, as Prometheus applied it)" % held)
print("  firing -> decided         %8.3f s  (Prometheus -> Alertmanager -> mmops watch)" % rest)
print("  mmops's part              %8.3f ms (decision %.3f ms + action start %.3f ms) = %.3f%% of fault -> rollback"
      % (own * 1000, d["watch_decision_mean_s"] * 1000, d["watch_action_start_s"] * 1000,
         own / dec * 100))
print("  ratio fault->rollback / for:  %.3f" % (dec / held))
EOF

echo
echo "== 2. the watcher alone: $N soft alerts, one at a time"
TOKEN=bench-$RANDOM$RANDOM
printf '%s\n' "$TOKEN" > "$T/token"
MMOPS_ONCALL_WEBHOOK_URL= MMOPS_SLACK_WEBHOOK_URL= MMOPS_ADMIN_URL=http://127.0.0.1:9 \
	"$MMOPS" watch --port 0 --port-file "$T/port" --policy "$ROOT/deploy/policies/rollback.yaml" \
	--state-dir "$T/state" --audit-log "$T/audit.jsonl" --token-file "$T/token" 2>"$T/watch.log" &
WPID=$!
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
W=$(cat "$T/port")
for i in $(seq "$N"); do
	curl -sf -o /dev/null -XPOST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
		-d "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[{\"status\":\"firing\",\"labels\":{\"alertname\":\"SoakWSLagHigh\",\"gate\":\"soft\",\"n\":\"$i\"},\"startsAt\":\"2026-01-01T00:00:00Z\"}]}" \
		"http://127.0.0.1:$W/alert-hook" || { echo "bench/loop.sh: alert $i refused"; exit 1; }
done
for _ in $(seq 100); do
	curl -sf "http://127.0.0.1:$W/metrics" > "$T/metrics.txt"
	grep -q "^mmops_watch_action_start_seconds_count{kind=\"notify\"} $N\$" "$T/metrics.txt" && break
	sleep 0.1
done
python3 - "$T/metrics.txt" "$N" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
n = int(sys.argv[2])
def hist(name, labels=""):
    b = {}
    for m in re.finditer(r'^%s_bucket\{%sle="([^"]+)"\} (\d+)$' % (name, re.escape(labels)), text, re.M):
        b[m.group(1)] = int(m.group(2))
    s = float(re.search(r'^%s_sum%s (\S+)$' % (name, re.escape("{" + labels.rstrip(",") + "}" if labels else "")), text, re.M).group(1))
    c = int(re.search(r'^%s_count%s (\S+)$' % (name, re.escape("{" + labels.rstrip(",") + "}" if labels else "")), text, re.M).group(1))
    return b, s, c
def q(b, c, p):
    for le, v in sorted(((float(k), v) for k, v in b.items())):
        if v >= p * c:
            return le
    return float("inf")
for title, name, lab in (("request read -> decision durable", "mmops_watch_decision_seconds", ""),
                         ("decision -> first action started", "mmops_watch_action_start_seconds", 'kind="notify",')):
    b, s, c = hist(name, lab)
    print("%-34s n=%d mean %.3f ms, p50 <= %g ms, p99 <= %g ms, <= 1 ms: %.1f%%"
          % (title, c, s / c * 1000, q(b, c, 0.5) * 1000, q(b, c, 0.99) * 1000,
             100.0 * b.get("0.001", 0) / c))
    if c != n:
        print("  (expected %d observations)" % n)
EOF
