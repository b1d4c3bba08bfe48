#!/usr/bin/env bash
# reports_parse.sh - every file every report writer produces, read by a real
# parser of its format (issue 10): for a clean soak, one soak per simulator
# fault kind, and a live soak interrupted by SIGINT, the JSON through jq,
# jansson (mmops golden) and Python's json; the HTML through html5lib with no
# parse error; the JUnit through libxml2 (xmllint), expat, and `mmops
# readiness score --junit`, whose count must equal the testcases; the
# Markdown tables cell by cell.  Also the edge report of `mmops sim --report`.
source "$(dirname "$0")/lib/common.bash"
need jq
need xmllint
PY=/usr/bin/python3
"$PY" -c 'import html5lib' 2>/dev/null || { check "python3-html5lib is installed" false; finish; }
CHECK="$PY $ROOT/tests/e2e/lib/check_reports.py"

# check_run DIR NAME: every report in DIR, by every reader.
check_run() {
	local d=$1 n=$2 f cases counted
	check "$n: readers accept every file" $CHECK "$d"/*.json "$d"/*.html "$d"/*.xml "$d"/*.md
	for f in "$d"/*.json; do
		check "$n: jq reads $(basename "$f")" jq -e . "$f" >/dev/null
		"$MMOPS" golden --baseline "$f" --actual "$f" >/dev/null 2>&1
		check "$n: jansson reads $(basename "$f")" [ $? = 0 ]
	done
	check "$n: libxml2 reads the JUnit" xmllint --noout "$d/junit.xml"
	cases=$(xmllint --xpath 'count(//testcase)' "$d/junit.xml")
	"$MMOPS" readiness score --junit "$d/junit.xml" --out-json "$d/readiness.json" >/dev/null 2>&1
	counted=$(jq '.sections[] | select(.check == "junit") | .evidence.tests' "$d/readiness.json")
	check "$n: readiness counts $cases testcases (got $counted)" [ "$cases" = "$counted" -a "$cases" -gt 0 ]
}

soak() { # soak DIR ARGS...
	local d=$1
	shift
	mkdir -p "$d"
	"$MMOPS" soak -q --export-json "$d/soak_metrics.json" --gate-summary "$d/gates_summary.json" \
		--export-md "$d/SOAK_RESULTS.md" --export-html "$d/report.html" --junit "$d/junit.xml" "$@" \
		>"$d/out" 2>&1
}

soak "$T/clean" --mock --hours 24 --interval 30s
check "clean soak passes" [ $? = 0 ]
check_run "$T/clean" clean

for k in latency cache deadline edge wslag guard breaker taker; do
	soak "$T/$k" --mock --hours 24 --interval 30s --fault "$k@6h+3h"
	rc=$?
	want=1; case $k in wslag | taker) want=0 ;; esac # soft gates only warn
	check "$k fault: soak exits $want (got $rc)" [ $rc = $want ]
	check_run "$T/$k" "$k"
done
check "latency fault: the JUnit failure text with '<=' is escaped" \
	grep -q 'p95 [0-9.]* ms &lt;= 150 ms' "$T/latency/junit.xml"

# A live soak stopped by SIGTERM once it has checkpointed twice: the reports
# are written, marked incomplete.  (SIGTERM: a background job of a script
# starts with SIGINT ignored.)
start_sim sim --speed 60
d=$T/intr
mkdir -p "$d"
"$MMOPS" soak -q --export-json "$d/soak_metrics.json" --gate-summary "$d/gates_summary.json" \
	--export-md "$d/SOAK_RESULTS.md" --export-html "$d/report.html" --junit "$d/junit.xml" \
	--scrape "http://127.0.0.1:$PORT/metrics" --hours 1 --interval 1s --warmup 0s \
	--state "$d/state.json" --checkpoint-every 2s >"$d/out" 2>&1 &
spid=$!
PIDS+=($spid)
wait_file "$d/state.json" 20
kill -TERM $spid
wait $spid
rc=$?
check "interrupted soak exits 3 (got $rc)" [ $rc = 3 ]
check "interrupted soak says incomplete" [ "$(jq -r .run.complete "$T/intr/gates_summary.json")" = false ]
check_run "$T/intr" interrupted

"$MMOPS" sim --report "$T/edge.json" --hours 24 --fault edge@2h+2h >/dev/null 2>&1
check "edge report: readers accept it" $CHECK "$T/edge.json"
check "edge report: jq reads it" jq -e . "$T/edge.json" >/dev/null
finish reports_parse
