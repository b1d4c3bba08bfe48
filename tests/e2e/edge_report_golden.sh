#!/usr/bin/env bash
# tests/e2e/edge_report_golden.sh - the seed's nightly golden step: regenerate
# the edge report of `mmops sim --report --hours 24 --seed 1` and compare it
# with tests/golden/EDGE_REPORT_case1.json through `mmops golden
# --fail-on-drift`; also check a second run is byte-identical and that a
# different seed does drift (so the comparison can fail).
# env: MMOPS (binary), ROOT (repo).  Last line: "N passed, N failed".
# To refresh the golden file after an intended model change:
#   mmops sim --report tests/golden/EDGE_REPORT_case1.json --hours 24 --seed 1
source "$(dirname "$0")/lib/common.bash"
GOLDEN=$ROOT/tests/golden/EDGE_REPORT_case1.json

check "mmops sim --report --hours 24 --seed 1" \
	"$MMOPS" sim --report "$T/EDGE_REPORT_latest.json" --hours 24 --seed 1
check "mmops golden --fail-on-drift: no drift from tests/golden/EDGE_REPORT_case1.json" \
	"$MMOPS" golden --baseline "$GOLDEN" --actual "$T/EDGE_REPORT_latest.json" --fail-on-drift
"$MMOPS" sim --report "$T/again.json" --hours 24 --seed 1
check "a second run is byte-identical" cmp "$T/EDGE_REPORT_latest.json" "$T/again.json"
"$MMOPS" sim --report "$T/seed2.json" --hours 24 --seed 2
"$MMOPS" golden --baseline "$GOLDEN" --actual "$T/seed2.json" --fail-on-drift >/dev/null
check "another seed drifts (golden exits 1)" test $? = 1

finish
