#!/usr/bin/env bash
# canary_reports.sh - mmops canary end to end: the demo (latency x1.3 fails on
# latency while the soak's gates pass it), clean candidates pass across seeds,
# and every report of a failing and a passing run read by real parsers (jq,
# Python's json, html5lib, libxml2/xmllint, expat, the Markdown tables);
# exit codes for bad configs, bad samples, unwritable reports and an
# unreachable Prometheus.
source "$(dirname "$0")/lib/common.bash"
need jq
need xmllint
PY=/usr/bin/python3
"$PY" -c 'import html5lib' 2>/dev/null || { check "python3-html5lib is installed" false; finish; }
CHECK="$PY $ROOT/tests/e2e/lib/check_reports.py"
jqe() { jq -e "$@" >/dev/null; }

canary() { # canary DIR ARGS...
	local d=$1
	shift
	mkdir -p "$d"
	CI_FAKE_UTC=2026-01-02T03:04:05Z "$MMOPS" canary --out-json "$d/canary.json" \
		--export-md "$d/canary.md" --export-html "$d/canary.html" --junit "$d/junit.xml" \
		"$@" >"$d/out" 2>"$d/err"
}

read_all() { # read_all DIR NAME
	local d=$1 n=$2 cases metrics
	check "$n: readers accept every file" $CHECK "$d/canary.json" "$d/canary.html" "$d/junit.xml" "$d/canary.md"
	check "$n: jq reads canary.json" jqe '.verdict and .score != null and (.metrics | length) > 0' "$d/canary.json"
	check "$n: libxml2 reads the JUnit" xmllint --noout "$d/junit.xml"
	cases=$(xmllint --xpath 'count(//testcase)' "$d/junit.xml")
	metrics=$(jq '.metrics | length' "$d/canary.json")
	check "$n: a testcase per metric ($cases = $metrics)" [ "$cases" = "$metrics" ]
	check "$n: one ECDF pair per metric with data" [ "$(grep -c 'aria-label="baseline ECDF"' "$d/canary.html")" = \
		"$(jq '[.metrics[] | select(.baseline.n > 0 and .candidate.n > 0)] | length' "$d/canary.json")" ]
	check "$n: every metric shows its statistics" jqe \
		'all(.metrics[] | select(.classification != "nodata"); .mann_whitney.p_value != null and .hodges_lehmann.ci_low != null and .ks.d != null and .baseline.p99 != null)' \
		"$d/canary.json"
}

# The demo: a 30% slower candidate.
canary "$T/fault" --mock --hours 24 --candidate-fault latency:x1.3
rc=$?
check "latency x1.3: canary exits 1 (got $rc)" [ $rc = 1 ]
check "latency x1.3: verdict fail, score 0" jqe '.verdict == "fail" and .score == 0' "$T/fault/canary.json"
check "latency x1.3: latency_p95 is high on location" jqe \
	'.metrics[] | select(.name == "latency_p95") | .classification == "high" and .test == "location" and .hodges_lehmann.ci_low > 0' \
	"$T/fault/canary.json"
check "latency x1.3: n per side after 1m aggregation is 1440" jqe \
	'.metrics[] | select(.name == "latency_p95") | .baseline.n == 1440 and .candidate.n == 1440' "$T/fault/canary.json"
check "latency x1.3: the JUnit has latency_p95 as a failure" \
	[ "$(xmllint --xpath 'count(//testcase[@name="latency_p95"]/failure)' "$T/fault/junit.xml")" = 1 ]
check "latency x1.3: stderr names the metric" grep -q 'latency_p95 high' "$T/fault/err"
read_all "$T/fault" fault
"$MMOPS" soak -q --mock --hours 24 --fault latency:x1.3
check "latency x1.3: the soak's absolute gates pass it (rc $?)" [ $? = 0 ]

# Clean candidates: no false alarm from seed-to-seed noise.
for seed in 1 2 3 4 5; do
	canary "$T/clean$seed" --mock --hours 24 --seed $seed
	rc=$?
	check "clean seed $seed: canary passes (rc $rc)" [ $rc = 0 ]
done
check "clean: verdict pass, score 100" jqe '.verdict == "pass" and .score == 100' "$T/clean1/canary.json"
read_all "$T/clean1" clean
canary "$T/again" --mock --hours 24 --seed 1
check "reports are byte-for-byte reproducible under CI_FAKE_UTC" cmp -s "$T/clean1/canary.json" "$T/again/canary.json"
check "... the HTML too" cmp -s "$T/clean1/canary.html" "$T/again/canary.html"

# Two soak recordings (mmops soak --record-series).
"$MMOPS" soak -q --mock --hours 12 --interval 30s --record-series --export-json "$T/sb.json"
check "soak --record-series: recorded values in soak_metrics.json" jqe \
	'(.series.tick_latency_ms.recorded.v | length) > 1000 and (.gates.latency_p95.recorded.label == "windowed")' "$T/sb.json"
"$MMOPS" soak -q --mock --hours 12 --interval 30s --record-series --seed 2 --export-json "$T/sc.json"
"$MMOPS" soak -q --mock --hours 12 --interval 30s --record-series --seed 3 --fault latency:x1.3 --export-json "$T/sf.json"
canary "$T/soakclean" --baseline-soak "$T/sb.json" --candidate-soak "$T/sc.json"
check "soak recordings: a clean candidate passes (rc $?)" [ $? = 0 ]
canary "$T/soakslow" --baseline-soak "$T/sb.json" --candidate-soak "$T/sf.json"
check "soak recordings: latency x1.3 fails (rc $?)" [ $? = 1 ]
check "soak recordings: on latency_p95" jqe '.metrics[] | select(.name == "latency_p95") | .classification == "high"' "$T/soakslow/canary.json"
read_all "$T/soakslow" soak
"$MMOPS" soak -q --mock --hours 1 --export-json "$T/norec.json"
"$MMOPS" canary --baseline-soak "$T/norec.json" --candidate-soak "$T/sc.json" 2>"$T/norec.err"
check "a soak without --record-series: exit 2 saying so (rc $?)" grep -q 'run the soak with --record-series' "$T/norec.err"

# Samples files without --config: every metric in both, direction either.
echo '{"lat": [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21], "only_base": [1, 2, 3]}' >"$T/b.json"
echo '{"lat": [30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41], "only_cand": [1]}' >"$T/c.json"
canary "$T/samples" --baseline-samples "$T/b.json" --candidate-samples "$T/c.json"
rc=$?
check "samples: a tripled metric fails (rc $rc)" [ $rc = 1 ]
check "samples: lat high, the others nodata" jqe \
	'([.metrics[] | {(.name): .classification}] | add) == {"lat": "high", "only_base": "nodata", "only_cand": "nodata"}' \
	"$T/samples/canary.json"
check "samples: 12 x 12 takes scipy's asymptotic branch, U = 144" jqe \
	'.metrics[] | select(.name == "lat") | .mann_whitney.u == 144 and .mann_whitney.method == "asymptotic"' "$T/samples/canary.json"
read_all "$T/samples" samples

# Marginal: pass 95 not reached, marginal 50 reached.
cat >"$T/marg.yaml" <<'YAML'
version: 1
score: {pass: 95, marginal: 50}
metrics:
  - {name: lat, metric: x, type: gauge, direction: increase}
  - {name: ok1, metric: x, type: gauge}
  - {name: ok2, metric: x, type: gauge}
YAML
echo '{"lat": [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21], "ok1": [1,2,3,4,5,6,7,8,9,10], "ok2": [1,2,3,4,5,6,7,8,9,10]}' >"$T/mb.json"
echo '{"lat": [30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41], "ok1": [1,2,3,4,5,6,7,8,9,10], "ok2": [1,2,3,4,5,6,7,8,9,10]}' >"$T/mc.json"
"$MMOPS" canary -q --config "$T/marg.yaml" --baseline-samples "$T/mb.json" --candidate-samples "$T/mc.json" 2>"$T/merr"
check "marginal: warns and exits 0 (rc $?)" [ $? = 0 ]
check "marginal: the warning says so" grep -q 'warning: marginal' "$T/merr"
"$MMOPS" canary -q --fail-on-marginal --config "$T/marg.yaml" --baseline-samples "$T/mb.json" --candidate-samples "$T/mc.json" 2>/dev/null
check "marginal with --fail-on-marginal exits 1 (rc $?)" [ $? = 1 ]

# Bad input: exit 2 with file:line:col.
printf 'version: 1\nmetrics:\n  - name: a\n    metric: m\n    type: gauge\n    direction: up\n' >"$T/bad.yaml"
"$MMOPS" canary --config "$T/bad.yaml" --mock 2>"$T/bad.err"
check "bad config: exit 2 (rc $?)" [ $? = 2 ]
check "bad config: file:line:col" grep -q "bad.yaml:6:16: unknown direction 'up'" "$T/bad.err"
"$MMOPS" canary --config "$T/bad.yaml" --check >/dev/null 2>&1
check "bad config: --check exits 2" [ $? = 2 ]
echo '{"a": [1, "x"]}' >"$T/badsamp.json"
"$MMOPS" canary --baseline-samples "$T/badsamp.json" --candidate-samples "$T/c.json" 2>"$T/bs.err"
check "bad samples: exit 2 (rc $?)" [ $? = 2 ]
check "bad samples: names the element" grep -q '"a"\[1\]: expected a number' "$T/bs.err"
printf '{"a": [1, 2' >"$T/torn.json"
"$MMOPS" canary --baseline-samples "$T/torn.json" --candidate-samples "$T/c.json" 2>"$T/torn.err"
check "torn samples file: exit 2 with a position (rc $?)" grep -q 'torn.json:1:' "$T/torn.err"
"$MMOPS" canary --mock --prometheus http://127.0.0.1:9 2>/dev/null
check "two sources: usage exit 2" [ $? = 2 ]
"$MMOPS" canary --mock --candidate-fault nosuch:x2 2>/dev/null
check "bad fault spec: usage exit 2" [ $? = 2 ]
"$MMOPS" canary --prometheus http://127.0.0.1:9 --from 0 --to 3600 --baseline '{instance="a"}' --candidate 'instance="b"' 2>/dev/null
check "a selector with braces: usage exit 2" [ $? = 2 ]

# Runtime failures: exit 3.
port=$(free_port)
"$MMOPS" canary --prometheus "http://127.0.0.1:$port" --from 0 --to 3600 --baseline 'instance="a"' \
	--candidate 'instance="b"' --timeout 2s 2>"$T/net.err"
check "Prometheus unreachable: exit 3 (rc $?)" [ $? = 3 ]
"$MMOPS" canary -q --mock --hours 2 --out-json "$T/b.json/canary.json" 2>/dev/null
check "unwritable report: exit 3 (rc $?)" [ $? = 3 ]
check "... and the file in the way is untouched" [ "$(cat "$T/b.json")" = '{"lat": [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21], "only_base": [1, 2, 3]}' ]
"$MMOPS" canary --print-config | cmp -s - "$ROOT/deploy/gates/canary.yaml"
check "--print-config is deploy/gates/canary.yaml" [ $? = 0 ]
finish canary_reports
