#!/usr/bin/env bash
# tests/e2e/watch_kill9.sh - `mmops watch` killed with SIGKILL at random
# moments while a stream of alerts arrives, then restarted on the same state
# dir, 15 times: every restart starts (no write is ever cut so that the
# checksummed journal reads as damaged), and every alert that was answered
# 200 is remembered at the end (all of them are sent again in one
# notification and each is a duplicate).  env: MMOPS, ROOT.
# Last line: "N passed, N failed".
source "$(dirname "$0")/lib/common.bash"

need curl
need jq
POLICY=$ROOT/deploy/policies/rollback.yaml
jq_true() { jq -e "$@" >/dev/null; }	# jq_true FILTER FILE: the filter holds
: > "$T/acked"

start() {	# start: a watcher on $T/s; sets W and WPID
	rm -f "$T/w.port"
	"$MMOPS" watch --port 0 --port-file "$T/w.port" --policy "$POLICY" --state-dir "$T/s" \
		2>>"$T/w.log" &
	WPID=$!
	PIDS+=($WPID)
	W=$(wait_port_file "$T/w.port")
	[ -n "$W" ]
}
stream() {	# stream ITERATION: soft alerts one by one; the answered ones go to $T/acked
	local k c
	for k in $(seq 1 300); do
		c=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -XPOST -H 'Content-Type: application/json' \
			-d "{\"alerts\":[{\"status\":\"firing\",\"labels\":{\"alertname\":\"SoakWSLagHigh\"},\"fingerprint\":\"i$1k$k\",\"startsAt\":\"2026-01-01T00:00:00Z\"}]}" \
			"http://127.0.0.1:$W/alert-hook")
		[ "$c" = 200 ] && echo "i$1k$k" >> "$T/acked"
	done
}

starts=0
for it in $(seq 1 15); do
	start || break
	starts=$((starts + 1))
	stream "$it" &
	sp=$!
	sleep "0.$((RANDOM % 9 + 1))"	# the random moment of the kill is the point here
	kill -9 "$WPID"
	wait "$WPID" 2>/dev/null
	kill "$sp" 2>/dev/null
	wait "$sp" 2>/dev/null
done
check "15 kill -9 restarts, none refused ($starts started)" test "$starts" = 15
check "no loss was reported at any start" bash -c "! grep -q 'lost' '$T/w.log'"
n=$(wc -l < "$T/acked")
check "alerts were answered 200 between the kills ($n)" test "$n" -gt 0
check "a last start" start
# every answered alert, again, in one notification (at most 1,000 per notification)
tail -n 1000 "$T/acked" | jq -R -s -c 'split("\n") | map(select(length > 0)) |
	{alerts: map({status: "firing", labels: {alertname: "SoakWSLagHigh"}, fingerprint: ., startsAt: "2026-01-01T00:00:00Z"})}' > "$T/again.json"
curl -s -XPOST -H 'Content-Type: application/json' --data-binary @"$T/again.json" \
	"http://127.0.0.1:$W/alert-hook" > "$T/again.out"
check "every alert answered 200 before a kill is remembered (all duplicates)" \
	jq_true '(.alerts | length) > 0 and all(.alerts[]; .decision == "duplicate")' "$T/again.out"
kill -TERM "$WPID"
wait "$WPID"
check "the final state parses (jq)" jq_true '.crc and .state.format == 2' "$T/s/state.json"

finish watch_kill9
