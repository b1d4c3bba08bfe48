# shellcheck shell=bash
# tests/e2e/lib/common.bash - what every end-to-end script shares, sourced
# first thing:  source "$(dirname "$0")/lib/common.bash"
# (It is not a tests/e2e/*.sh file on purpose: scripts/check runs each of those
# as a test.)
#
# On source it sets: ROOT (the repo, unless given), MMOPS (the binary, unless
# given), T (a fresh temp dir, removed on exit unless KEEP is set), PIDS (the
# background processes to stop: add each one with PIDS+=($!)), pass=0, fail=0,
# and an EXIT trap that kills every PID in PIDS, waits for them and removes T.
# Processes are only ever stopped by their own PID.
#
# Helpers:
#   verdict NAME STATUS    count one assertion (STATUS 0 = passed); prints
#                          "ok   NAME" / "FAIL NAME" (failures only when
#                          CHECK_QUIET is set)
#   check NAME CMD...      run CMD and count it as one assertion
#   finish [PREFIX]        print "[PREFIX: ]N passed, N failed" and exit, non-zero
#                          when anything failed
#   need CMD               a missing tool is a failed check, then finish
#   wait_for SECS CMD...   poll CMD (every 0.2 s) until it succeeds; 1 when the
#                          deadline passes
#   wait_file FILE SECS    until FILE exists and is not empty; 1 at the deadline
#   wait_port_file FILE    up to 10 s for the port a server writes once listening;
#                          prints it
#   free_port              a port that is free on 127.0.0.1 now
#   start_sim NAME ARGS... `mmops sim --listen 127.0.0.1:0 --port-file
#                          $T/NAME.port ARGS...` in the background (output to
#                          $T/NAME.log, added to PIDS); sets PORT, fails when no
#                          port came
#   json FILE KEY...       print a value from a JSON file (list indexes are numbers)
set -u
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
MMOPS=${MMOPS:-$ROOT/build/mmops}
T=$(mktemp -d "${TMPDIR:-/tmp}/mmops-e2e-$(basename "$0" .sh).XXXXXX")
PIDS=()
pass=0
fail=0

e2e_cleanup() {
	local p
	# Signal only PIDs that are still this shell's children: one the test
	# already stopped and reaped may have been reused by another process.
	for p in "${PIDS[@]}"; do
		# field 4 of /proc/PID/stat is the parent (our processes' names have no spaces)
		[ "$(awk '{print $4}' "/proc/$p/stat" 2>/dev/null)" = "$$" ] && kill "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap e2e_cleanup EXIT

verdict() {
	if [ "$2" = 0 ]; then
		pass=$((pass + 1))
		[ -n "${CHECK_QUIET:-}" ] || echo "ok   $1"
	else
		fail=$((fail + 1))
		echo "FAIL $1"
	fi
}

check() {
	local name=$1
	shift
	if "$@"; then
		verdict "$name" 0
	else
		verdict "$name" 1
	fi
}

# shellcheck disable=SC2120 # the scripts that source this pass PREFIX
finish() {
	echo "${1:+$1: }$pass passed, $fail failed"
	[ "$fail" = 0 ]
	exit
}

need() {
	command -v "$1" >/dev/null 2>&1 || { check "$1 is installed" false; finish; }
}

wait_for() {
	local deadline=$(($(date +%s) + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.2
	done
}

wait_file() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		[ -s "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

wait_port_file() {
	wait_file "$1" 10 && cat "$1"
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_sim() {
	local name=$1
	shift
	rm -f "$T/$name.port"
	"$MMOPS" sim --listen 127.0.0.1:0 --port-file "$T/$name.port" "$@" >"$T/$name.log" 2>&1 &
	PIDS+=($!)
	PORT=$(wait_port_file "$T/$name.port")
	[ -n "$PORT" ]
}

json() {
	python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
    d=d[int(k)] if isinstance(d,list) else d[k]
print(d)' "$@"
}
