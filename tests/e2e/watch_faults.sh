#!/usr/bin/env bash
# tests/e2e/watch_faults.sh - `mmops watch` in real mode, with `mmops sim` as
# the admin API its rollback calls, under the faults of issue 11:
#   1. a full disk (a small tmpfs holds the state dir and the audit log): the
#      webhook answers 500 and /health 503 while nothing can be made durable,
#      then both recover by themselves once space is freed, and a hard alert
#      sent after that rolls the sim back; no torn line is left in any file
#   2. damaged state (after kill -9): a journal cut inside its first record, a
#      flipped byte inside a value, a deleted snapshot: each is named at
#      start-up and refused (exit 2) unless --accept-loss
#   3. the lock: deleting the "lock" file lets no second watcher in
#   4. 2,000 idle and trickling connections from 127.0.0.1: a webhook from
#      127.0.0.2 is answered meanwhile, and one from 127.0.0.1 once the
#      request deadline has cut the held connections
#   5. 20,000 soft alerts whose notifications cannot be delivered: the pending
#      set stays bounded (memory and state.json), the rest is shed and counted
# Every file the watcher writes is parsed with jq.  Needs root for the tmpfs
# mount (CI runs as root).  env: MMOPS, ROOT.  Last line: "N passed, N failed".
source "$(dirname "$0")/lib/common.bash"

need curl
need jq
need python3

ADMIN_TOKEN=admin-$RANDOM$RANDOM
printf '%s\n' "$ADMIN_TOKEN" > "$T/admin-token"
POLICY=$ROOT/deploy/policies/rollback.yaml
jq_true() { jq -e "$@" >/dev/null; }	# jq_true FILTER FILE: the filter holds

start_sim sim --token-file "$T/admin-token"
SIM=$PORT
check "mmops sim is up" test -n "$SIM"
[ -n "$SIM" ] || finish
sim_replicas() {
	curl -sf -H "Authorization: Bearer $ADMIN_TOKEN" "http://127.0.0.1:$SIM/admin/state" |
		jq -r .replicas
}

# start_watch NAME STATE_DIR [ARGS...]: background watcher; sets W (port) and WPID
start_watch() {
	local name=$1 dir=$2
	shift 2
	rm -f "$T/$name.port"
	MMOPS_ADMIN_URL=http://127.0.0.1:$SIM MMOPS_ADMIN_TOKEN=$ADMIN_TOKEN \
		MMOPS_ONCALL_WEBHOOK_URL=${ONCALL_URL:-} MMOPS_SLACK_WEBHOOK_URL= \
		"$MMOPS" watch --port 0 --port-file "$T/$name.port" --policy "$POLICY" \
		--state-dir "$dir" "$@" 2>>"$T/$name.log" &
	WPID=$!
	PIDS+=($WPID)
	W=$(wait_port_file "$T/$name.port")
	[ -n "$W" ]
}
stop_watch() {	# stop_watch [SIGNAL]
	kill "-${1:-TERM}" "$WPID" 2>/dev/null
	wait "$WPID" 2>/dev/null
}
STARTS=2026-01-01T00:00:00Z
payload() {	# payload NAME FINGERPRINT [GATE]; $BIG: an annotation of that many bytes
	printf '{"version":"4","status":"firing","receiver":"mmops","groupKey":"g","alerts":[{"status":"firing","labels":{"alertname":"%s","gate":"%s"},"annotations":{"summary":"%s"},"startsAt":"%s","fingerprint":"%s"}]}' \
		"$1" "${3:-hard}" "$(head -c "${BIG:-0}" /dev/zero | tr '\0' x)" "$STARTS" "$2"
}
hook() {	# hook NAME FINGERPRINT [GATE]: prints the HTTP code, the answer in $T/hook.out
	curl -s -o "$T/hook.out" -w '%{http_code}' --max-time 20 -XPOST \
		-H 'Content-Type: application/json' -d "$(payload "$@")" "http://127.0.0.1:$W/alert-hook"
}
health_code() { curl -s -o "$T/health.out" -w '%{http_code}' --max-time 5 "http://127.0.0.1:$W/health"; }
metric() {
	curl -sf "http://127.0.0.1:$W/metrics" | awk -v n="$1" '$1 == n { v = $2 } END { print v + 0 }'
}
lines_are_json() {	# every line of FILE is a JSON document (jq reads it whole)
	[ -s "$1" ] && jq -e -c . "$1" >/dev/null 2>&1 &&
		[ "$(jq -c . "$1" | wc -l)" = "$(wc -l < "$1")" ] && [ "$(tail -c1 "$1" | od -An -c | tr -d ' ')" = '\n' ]
}

# ---- 1. a full disk, then space freed again ---------------------------------
DISK=$T/disk
mkdir -p "$DISK"
MOUNTED=
if mount -t tmpfs -o size=1m mmops-e2e "$DISK" 2>/dev/null; then
	MOUNTED=1
	trap 'umount "$DISK" 2>/dev/null; e2e_cleanup' EXIT
fi
check "a 1 MiB tmpfs for the state (needs root)" test -n "$MOUNTED"
if [ -n "$MOUNTED" ]; then
	check "watcher 1 starts on the small disk" start_watch w1 "$DISK/state" --audit-log "$DISK/audit.jsonl"
	check "an ignored alert is answered 200 while there is space" test "$(hook Other f0 none)" = 200
	dd if=/dev/zero of="$DISK/fill" bs=4k 2>/dev/null
	# tmpfs allocates by page: a record larger than the room left in the
	# journal's last page must find a new one, and there is none
	export BIG=9000
	code=$(hook SoakLatencyP95High f1)
	check "disk full: the hard alert is answered 500 (got $code)" test "$code" = 500
	code=$(health_code)
	check "disk full: /health answers 503 (got $code)" test "$code" = 503
	check "disk full: /health says why" grep -q "No space left on device" "$T/health.out"
	durable_is() { curl -sf "http://127.0.0.1:$W/metrics" | grep -qx "mmops_watch_durable $1"; }
	check "disk full: mmops_watch_durable is 0" durable_is 0
	check "disk full: nothing is rolled back" test "$(sim_replicas)" = 1
	rm -f "$DISK/fill"
	health_ok() { [ "$(health_code)" = 200 ]; }
	check "space freed: /health turns 200 by itself, with no request" wait_for 15 health_ok
	code=$(hook SoakLatencyP95High f1)
	check "space freed: the same hard alert is answered 200 (got $code)" test "$code" = 200
	check "space freed: it is decided rollback 1" \
		test "$(jq -r '.alerts[0].decision + " " + (.alerts[0].rollback_id|tostring)' "$T/hook.out")" = "rollback 1"
	scaled_to_0() { [ "$(sim_replicas)" = 0 ]; }
	check "space freed: the sim is scaled to 0" wait_for 30 scaled_to_0
	check "mmops_watch_durable is 1 again" durable_is 1
	check "no torn line in the audit log (jq reads every line)" lines_are_json "$DISK/audit.jsonl"
	check "the audit log holds the recovered rollback decision" \
		test "$(jq -c 'select(.event == "decision" and .decision == "rollback")' "$DISK/audit.jsonl" | wc -l)" = 1
	check "the journal is whole lines of JSON with checksums" \
		bash -c "[ ! -s '$DISK/state/journal.jsonl' ] || jq -e -s 'all(.[]; (.crc|length) == 8 and (.r|type) == \"object\")' '$DISK/state/journal.jsonl' >/dev/null"
	stop_watch TERM
	check "the snapshot parses (jq): format 2, rollback 1 remembered" \
		test "$(jq -r '.state.format, .state.last_rollback.id' "$DISK/state/state.json" | tr '\n' ' ')" = "2 1 "
	start_watch w1b "$DISK/state" --audit-log "$DISK/audit.jsonl" &&
		check "after the restart the alert is a duplicate" \
			test "$(hook SoakLatencyP95High f1; jq -r '.alerts[0].decision' "$T/hook.out")" = "200duplicate"
	stop_watch TERM
	umount "$DISK" && MOUNTED=
	unset BIG
fi

# ---- 2. damaged state --------------------------------------------------------
# A state dir as kill -9 leaves it: a rollback (f1), an ignored alert (f2).
check "watcher 2 starts" start_watch w2 "$T/s2"
hook SoakLatencyP95High f1 >/dev/null
hook Other f2 none >/dev/null
stop_watch KILL
check "after kill -9 the journal holds the two decisions" test "$(wc -l < "$T/s2/journal.jsonl")" -ge 2
cp -a "$T/s2" "$T/s2.orig"
refused() {	# refused DIR PATTERN: the watcher will not start, exit 2, names the loss
	local rc
	rm -f "$T/ref.port"
	timeout 20 "$MMOPS" watch --port 0 --port-file "$T/ref.port" --policy "$POLICY" \
		--state-dir "$1" >"$T/ref.out" 2>&1
	rc=$?
	[ "$rc" = 2 ] && grep -q -- "$2" "$T/ref.out" && grep -q -- "--accept-loss" "$T/ref.out"
}
reset_s2() { rm -rf "$T/s2"; cp -a "$T/s2.orig" "$T/s2"; }

truncate -s 40 "$T/s2/journal.jsonl"
check "journal cut inside its first record: the start is refused and says so" \
	refused "$T/s2" "journal.jsonl:1: the journal ends inside a record"
check "with --accept-loss it starts" start_watch w2a "$T/s2" --accept-loss
check "the accepted loss is logged" grep -q "state: lost:" "$T/w2a.log"
curl -sf "http://127.0.0.1:$W/status" > "$T/status.json"
check "/status lists the loss" jq_true '(.state_losses_at_start | type) == "array" and (.state_losses_at_start | length) == 1' "$T/status.json"
stop_watch TERM

reset_s2
# the second record's fingerprint "f2" becomes "f3": valid JSON, wrong content
sed -i 's/"fingerprint":"f2"/"fingerprint":"f3"/' "$T/s2/journal.jsonl"
check "a flipped byte in a journal value: refused, the record named" \
	refused "$T/s2" "journal.jsonl:[0-9]*: record fails its checksum"
check "with --accept-loss the good record is kept" start_watch w2b "$T/s2" --accept-loss
check "... the rollback of f1 is remembered (duplicate, no second rollback)" \
	test "$(hook SoakLatencyP95High f1; jq -r '.alerts[0].decision' "$T/hook.out")" = "200duplicate"
stop_watch TERM

reset_s2
rm -f "$T/s2/state.json"
check "a deleted snapshot: refused, not an empty start" refused "$T/s2" "state.json is missing"

reset_s2
check "the undamaged copy starts without a flag" start_watch w2c "$T/s2"
check "... and f1 is a duplicate there" \
	test "$(hook SoakLatencyP95High f1; jq -r '.alerts[0].decision' "$T/hook.out")" = "200duplicate"
stop_watch TERM
check "a cleanly stopped state parses (jq) and starts again" \
	bash -c "jq -e '.crc and .state.format == 2' '$T/s2/state.json' >/dev/null"

# ---- 3. the lock -------------------------------------------------------------
check "watcher 3 starts" start_watch w3 "$T/s3"
W3=$W
W3PID=$WPID
rm -f "$T/s3/lock"
rm -f "$T/w3b.port"
timeout 10 "$MMOPS" watch --port 0 --port-file "$T/w3b.port" --policy "$POLICY" \
	--state-dir "$T/s3" >"$T/w3b.out" 2>&1
rc=$?
check "with the lock file deleted a second watcher is refused (exit 3, got $rc)" test "$rc" = 3
check "... saying the state dir is in use" grep -q "in use by another mmops watch" "$T/w3b.out"
W=$W3
WPID=$W3PID

# ---- 4. connection exhaustion -------------------------------------------------
# watcher 3 is still up.  2,000 connections from 127.0.0.1: half idle, half
# trickling a header line every 3 s, held for up to 20 s.
cat > "$T/hold.py" <<'EOF'
import socket, sys, time
port, n, hold = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
nsrc = int(sys.argv[5]) if len(sys.argv) > 5 else 1
socks, refused = [], 0
for i in range(n):
    s = socket.socket()
    s.setblocking(True)
    s.settimeout(5)
    try:
        if nsrc > 1:
            s.bind(("127.0.1.%d" % (1 + i % nsrc), 0))
        s.connect(("127.0.0.1", port))
    except OSError:
        refused += 1
        continue
    s.setblocking(False)
    if i % 2:
        try:
            s.send(b"POST /alert-hook HTTP/1.1\r\nHost: x\r\n")
        except OSError:
            pass
    socks.append(s)
print("opened", len(socks), "refused", refused, flush=True)
open(sys.argv[4], "w").write("held\n")
end, last = time.time() + hold, 0.0
while time.time() < end and socks:
    if time.time() - last >= 3:
        last = time.time()
        for i, s in enumerate(socks):
            if i % 2:
                try:
                    s.send(b"X-Slow: 1\r\n")
                except OSError:
                    pass
    alive = []
    for s in socks:
        try:
            if s.recv(1) == b"":
                s.close()
                continue
        except BlockingIOError:
            pass
        except OSError:
            s.close()
            continue
        alive.append(s)
    socks = alive
    time.sleep(0.2)
print("still open at the end", len(socks), flush=True)
EOF
rm -f "$T/held"
python3 "$T/hold.py" "$W" 2000 20 "$T/held" > "$T/hold.out" 2>&1 &
HOLD=$!
PIDS+=($HOLD)
check "2,000 connections opened and held" wait_file "$T/held" 60
hook_from() {	# hook_from ADDR NAME FP: HTTP code of a webhook sent from ADDR; time in $T/took
	curl -s -o "$T/hook.out" -w '%{http_code} %{time_total}' --max-time 10 --interface "$1" \
		-XPOST -H 'Content-Type: application/json' -d "$(payload "$2" "$3" none)" \
		"http://127.0.0.1:$W/alert-hook" > "$T/took"
	cut -d' ' -f1 "$T/took"
}
code=$(hook_from 127.0.0.2 Other c1)
echo "     webhook from 127.0.0.2 while held: $(cat "$T/took") s"
check "while they are held, a webhook from 127.0.0.2 is answered 200 (got $code)" test "$code" = 200
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --interface 127.0.0.2 "http://127.0.0.1:$W/health")
check "... and /health from 127.0.0.2 answers 200 (got $code)" test "$code" = 200
ok_same() { [ "$(hook_from 127.0.0.1 Other "c2-$RANDOM")" = 200 ]; }
check "once the request deadline cut them, a webhook from 127.0.0.1 is answered" wait_for 30 ok_same
echo "     webhook from 127.0.0.1 after the cut: $(cat "$T/took") s"
wait "$HOLD"
cat "$T/hold.out" | sed 's/^/     hold.py: /'
check "the held connections were closed by the watcher, not by the client" \
	grep -q "still open at the end 0" "$T/hold.out"

# The same 2,000 from 40 addresses (127.0.1.1-40, 50 each: under the
# per-address limit, over the 1,024 in all): room is kept for a new client.
rm -f "$T/held"
python3 "$T/hold.py" "$W" 2000 12 "$T/held" 40 > "$T/hold2.out" 2>&1 &
HOLD=$!
PIDS+=($HOLD)
check "2,000 connections from 40 addresses opened and held" wait_file "$T/held" 60
code=$(hook_from 127.0.0.2 Other c3)
echo "     webhook from 127.0.0.2 while 40 addresses hold 2,000: $(cat "$T/took") s"
check "a webhook from a 41st address is answered 200 meanwhile (got $code)" test "$code" = 200
wait "$HOLD"
sed 's/^/     hold.py: /' "$T/hold2.out"
stop_watch TERM

# ---- 5. a bounded pending set ---------------------------------------------------
# The on-call webhook accepts connections and never answers: every notification
# job takes its timeout and retries, so jobs pile up.
cat > "$T/blackhole.py" <<'EOF'
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(4096)
open(sys.argv[1], "w").write("%d\n" % s.getsockname()[1])
conns = []
while True:
    c, _ = s.accept()
    conns.append(c)
EOF
python3 "$T/blackhole.py" "$T/bh.port" &
PIDS+=($!)
BH=$(wait_port_file "$T/bh.port")
ONCALL_URL=http://127.0.0.1:$BH/oncall
check "watcher 5 starts (on-call webhook that never answers)" start_watch w5 "$T/s5"
cat > "$T/soft.py" <<'EOF'
import json, sys
batch, n = int(sys.argv[1]), int(sys.argv[2])
alerts = [{"status": "firing", "labels": {"alertname": "SoakWSLagHigh", "gate": "soft", "i": str(batch * n + i)},
           "annotations": {}, "startsAt": "2026-01-01T00:00:00Z", "fingerprint": "s%08d" % (batch * n + i)}
          for i in range(n)]
print(json.dumps({"version": "4", "status": "firing", "receiver": "mmops", "groupKey": "g", "alerts": alerts}))
EOF
sent=0
for b in $(seq 0 19); do	# ALERT_MAX_ALERTS (1,000) per notification
	python3 "$T/soft.py" "$b" 1000 > "$T/soft.json"
	c=$(curl -s -o /dev/null -w '%{http_code}' --max-time 60 -XPOST -H 'Content-Type: application/json' \
		--data-binary @"$T/soft.json" "http://127.0.0.1:$W/alert-hook")
	[ "$c" = 200 ] && sent=$((sent + 1000))
done
check "20,000 soft alerts answered 200" test "$sent" = 20000
pending=$(curl -sf "http://127.0.0.1:$W/status" | jq .pending_jobs)
shed=$(metric mmops_watch_jobs_dropped_total)
rss=$(awk '/VmRSS/ { print $2 }' "/proc/$WPID/status")
echo "     pending jobs $pending, shed $shed, RSS ${rss} kB"
check "the pending set is bounded (<= 1024, got $pending)" test "$pending" -le 1024
check "the rest is shed and counted (>= 18,976, got $shed)" test "${shed%.*}" -ge 18976
check "shed decisions say so in the audit log" \
	bash -c "jq -c 'select((.reason // \"\") | test(\"notification shed\"))' '$T/s5/audit.jsonl' | head -1 | grep -q shed"
stop_watch TERM
check "state.json keeps at most 1024 pending jobs (jq)" \
	jq_true '(.state.pending | type) == "array" and (.state.pending | length) <= 1024' "$T/s5/state.json"
echo "     state.json: $(wc -c < "$T/s5/state.json") bytes for 20,000 remembered alerts"

finish watch_faults
