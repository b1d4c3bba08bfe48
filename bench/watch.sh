#!/usr/bin/env bash
# bench/watch.sh - the webhook receiver under wrk (16 connections, 2 threads):
# `mmops watch --dry-run` against its anchor, bench/watch_receiver.py (a
# stdlib-Python http.server receiver making the same decisions, with the same
# audit log, fdatasync'ed for new decisions), side by side in one run, on
# 127.0.0.1.  The anchor runs in two set-ups and the faster one counts:
#   keepalive  ThreadingHTTPServer, HTTP/1.1 keep-alive, Nagle off
#   http10     HTTPServer, HTTP/1.0, a connection per request (the seed's shape)
# (the stdlib's keep-alive default with Nagle on stalls ~40 ms per request on
# delayed ACKs: `watch_receiver.py PORT LOG keepalive-nagle`; not an anchor.)
#
# Two payload streams:
#   repeat  Alertmanager re-sending one group (hard + soft alert): duplicates
#   fresh   a never-seen hard alert per request: a new durable decision each
# Prints req/s, p99 and the ratio mmops/anchor per stream, and the req/s of an
# empty GET /health on the same server (the HTTP stack's ceiling on this
# machine); the bar (DESIGN.md §7) is >= 20x the anchor's req/s, p99 <= 2 ms.
#
# usage: bench/watch.sh [SECONDS]            (default 10 per run)
#        bench/watch.sh --san SAN_BINARY     a short wrk run against a sanitizer
#                                            build (not dry-run: state, audit,
#                                            actions); fails on any report
# env: MMOPS (default build/mmops), O
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
O=${O:-build}
MMOPS=${MMOPS:-$ROOT/$O/mmops}
T=$(mktemp -d "${TMPDIR:-/tmp}/mmops-bench-watch.XXXXXX")
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

for c in wrk curl python3; do
	command -v "$c" >/dev/null || { echo "bench/watch.sh: $c is not installed" >&2; exit 2; }
done

wait_http() {	# wait_http PORT: until a POST to /alert-hook answers at all
	local i
	for i in $(seq 100); do
		curl -s -o /dev/null -XPOST -H 'Content-Type: application/json' -d '{"alerts":[]}' \
			"http://127.0.0.1:$1/alert-hook" && return 0
		sleep 0.05
	done
	return 1
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_mmops() {	# start_mmops BIN [extra args]: sets PORT, SPID
	local bin=$1
	shift
	rm -f "$T/port"
	MMOPS_ADMIN_URL=http://127.0.0.1:1 "$bin" watch --port 0 --port-file "$T/port" \
		--policy "$ROOT/deploy/policies/rollback.yaml" "$@" 2>>"$T/mmops.log" &
	SPID=$!
	PIDS+=($SPID)
	for i in $(seq 200); do [ -s "$T/port" ] && break; sleep 0.05; done
	PORT=$(cat "$T/port")
	wait_http "$PORT"
}

start_python() {	# start_python MODE
	PORT=$(free_port)
	python3 "$ROOT/bench/watch_receiver.py" "$PORT" "$T/py-audit.jsonl" "$1" 2>>"$T/py.log" &
	SPID=$!
	PIDS+=($SPID)
	wait_http "$PORT"
}

stop_server() {
	kill "$SPID" 2>/dev/null
	wait "$SPID" 2>/dev/null
}

# run_wrk SCENARIO SECONDS: prints "RPS P99_MS NON2XX" (SCENARIO "health": GET /health)
run_wrk() {
	local out
	if [ "$1" = health ]; then
		out=$(wrk -t2 -c16 -d"$2"s --latency "http://127.0.0.1:$PORT/health" 2>&1)
	else
		out=$(wrk -t2 -c16 -d"$2"s --latency -s "$ROOT/bench/watch_$1.lua" \
			"http://127.0.0.1:$PORT/alert-hook" 2>&1)
	fi
	printf '%s\n' "$out" > "$T/wrk-last.txt"
	awk '
		/Requests\/sec:/ { rps = $2 }
		$1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
			      p99 = (u == "us") ? v / 1000 : (u == "s") ? v * 1000 : (u == "m") ? v * 60000 : v }
		/Non-2xx/ { bad = $NF }
		END { printf "%s %.3f %d\n", rps, p99, bad }' <<<"$out"
}

if [ "${1:-}" = "--san" ]; then
	SAN=${2:?usage: bench/watch.sh --san SAN_BINARY}
	start_mmops "$SAN" --state-dir "$T/state" --audit-log "$T/audit.jsonl" || { echo "cannot start $SAN"; exit 1; }
	for s in repeat fresh; do
		read -r rps p99 bad < <(run_wrk "$s" 3)
		echo "sanitizer build, $s: $rps req/s, p99 ${p99} ms, non-2xx $bad"
	done
	stop_server
	if grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: ' "$T/mmops.log"; then
		echo "sanitizer: FAILED (reports above)"
		exit 1
	fi
	echo "sanitizer: clean ($(grep -c '' "$T/audit.jsonl") audit lines, $(wc -l < "$T/mmops.log") log lines)"
	exit 0
fi

# fsync_probe: p50/p99 of fdatasync of a small append in $T (the fresh stream's floor)
fsync_probe() {
	python3 - "$T/probe" <<'PY'
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
ts = []
for i in range(200):
    os.write(fd, b"x" * 300 + b"\n")
    t = time.perf_counter()
    os.fdatasync(fd)
    ts.append(time.perf_counter() - t)
ts.sort()
print("fdatasync here: p50 %.2f ms, p99 %.2f ms" % (ts[100] * 1e3, ts[198] * 1e3))
PY
}

DUR=${1:-10}
echo "webhook receiver under wrk -t2 -c16 -d${DUR}s, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); $("$MMOPS" --version)"
fsync_probe
row() { printf '%-8s %-32s %10s %9s %7s\n' "$@"; }
row stream server req/s p99_ms non2xx
status=0
for s in repeat fresh; do
	start_mmops "$MMOPS" --dry-run --audit-log "$T/mmops-audit-$s.jsonl" || { echo "cannot start mmops"; exit 1; }
	read -r m_rps m_p99 m_bad < <(run_wrk "$s" "$DUR")
	if [ "$s" = repeat ]; then
		read -r h_rps h_p99 h_bad < <(run_wrk health "$DUR")
	fi
	stop_server
	row "$s" "mmops watch --dry-run" "$m_rps" "$m_p99" "$m_bad"
	best=0
	for mode in keepalive http10; do
		start_python "$mode" || { echo "cannot start the python receiver ($mode)"; exit 1; }
		read -r p_rps p_p99 p_bad < <(run_wrk "$s" "$DUR")
		stop_server
		row "$s" "python http.server ($mode)" "$p_rps" "$p_p99" "$p_bad"
		best=$(awk -v a="$p_rps" -v b="$best" 'BEGIN { print (a > b) ? a : b }')
	done
	ratio=$(awk -v a="$m_rps" -v b="$best" 'BEGIN { printf "%.1f", (b > 0) ? a / b : 0 }')
	verdict=$(awk -v r="$ratio" -v p="$m_p99" -v bad="$m_bad" \
		'BEGIN { print (r >= 20 && p <= 2 && bad == 0) ? "bar met" : "bar MISSED" }')
	echo "$s: ratio mmops/best python = ${ratio}x, mmops p99 ${m_p99} ms ($verdict: >= 20x, p99 <= 2 ms)"
	[ "$verdict" = "bar met" ] || status=1
done
row ceiling "mmops GET /health (no work)" "$h_rps" "$h_p99" "$h_bad"
exit $status
