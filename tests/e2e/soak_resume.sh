#!/usr/bin/env bash
# tests/e2e/soak_resume.sh - `mmops soak` survives its own crash and signals:
#  1. a --mock soak killed with SIGKILL and resumed from its checkpoint gives
#     exactly the reports of an uninterrupted run;
#  2. a live --scrape soak of `mmops sim` killed with SIGKILL and resumed keeps
#     its schedule: the slots it was down count as missing scrapes, and at
#     most one checkpoint interval of samples is lost;
#  3. SIGINT writes the reports for what ran, marked incomplete (exit 3).
# env: MMOPS (binary), ROOT (repo).  Last line: "N passed, N failed".
source "$(dirname "$0")/lib/common.bash"

# --- 1. mock: kill -9, resume, same reports --------------------------------
export CI_FAKE_UTC=2025-10-11T00:00:00Z
args=(--mock --hours 72 --interval 1s --fault latency:x4@30h+2h -q)
"$MMOPS" soak "${args[@]}" --gate-summary "$T/a_g.json" --export-json "$T/a_m.json" \
	--export-md "$T/a.md" >/dev/null 2>&1
check "uninterrupted mock run judged the latency fault" \
	grep -q '"verdict": "fail"' "$T/a_g.json"

"$MMOPS" soak "${args[@]}" --state "$T/s.json" --checkpoint-every 1h \
	--gate-summary "$T/b_g.json" --export-json "$T/b_m.json" --export-md "$T/b.md" >/dev/null 2>&1 &
p=$!
PIDS+=("$p")
wait_file "$T/s.json" 20
sleep 0.3
kill -9 "$p" 2>/dev/null
wait "$p"
rc=$?
check "mock run was killed by SIGKILL mid-run (rc $rc)" test "$rc" = 137
check "no report was written by the killed run" test ! -e "$T/b_g.json"
check "the checkpoint is a valid, incomplete state" \
	test "$(json "$T/s.json" complete)" = False
"$MMOPS" soak --resume "$T/s.json" -q --gate-summary "$T/b_g.json" --export-json "$T/b_m.json" \
	--export-md "$T/b.md" >/dev/null 2>&1
rc=$?
check "resumed mock run exits 1 like the uninterrupted one (rc $rc)" test "$rc" = 1
check "gates_summary.json of the resumed run is byte-identical" cmp -s "$T/a_g.json" "$T/b_g.json"
check "soak_metrics.json differs only in the resume count" \
	diff <(grep -v '"resumes"' "$T/a_m.json") <(grep -v '"resumes"' "$T/b_m.json")
check "the resume is recorded" grep -q '"resumes": 1' "$T/b_m.json"
unset CI_FAKE_UTC

# --- 2. live scrape of mmops sim: kill -9, downtime, resume -----------------
start_sim sim --speed 60
port=$PORT
url=http://127.0.0.1:$port/metrics
live=(--scrape "$url" --hours 0.005 --interval 1s --warmup 0 --checkpoint-every 1s -q)
"$MMOPS" soak "${live[@]}" --state "$T/live.json" --gate-summary "$T/l_g.json" >/dev/null 2>&1 &
p=$!
PIDS+=("$p")
# kill it once its checkpoint holds a few samples (a poll, not a fixed sleep)
has_samples() { [ "$(json "$T/live.json" samples 2>/dev/null)" -ge 3 ] 2>/dev/null; }
wait_for 30 has_samples
kill -9 "$p" 2>/dev/null
wait "$p"
rc=$?
check "live soak was killed by SIGKILL (rc $rc)" test "$rc" = 137
before=$(json "$T/live.json" samples)
check "the live checkpoint holds samples ($before)" test "$before" -ge 3
sleep 3
"$MMOPS" soak --resume "$T/live.json" -q --gate-summary "$T/l_g.json" \
	--export-json "$T/l_m.json" >/dev/null 2>&1
rc=$?
check "resumed live soak passes (rc $rc)" test "$rc" = 0
samples=$(json "$T/l_m.json" run samples)
missing=$(json "$T/l_m.json" run missing_scrapes)
# 18 s at 1 s: 19 slots; the ~3 s of downtime (and the slot lost since the
# last checkpoint) are missing, everything else was scraped.
check "downtime counted as missing scrapes (samples $samples, missing $missing)" \
	test "$missing" -ge 2 -a "$missing" -le 8 -a $((samples + missing)) -ge 18 -a $((samples + missing)) -le 20
check "the live run completed" test "$(json "$T/l_m.json" run complete)" = True

# --- 3. SIGINT: reports for what ran, marked incomplete ---------------------
"$MMOPS" soak --scrape "$url" --hours 1 --interval 1s --warmup 0 -q --state "$T/int.json" \
	--gate-summary "$T/i_g.json" --export-md "$T/i.md" >/dev/null 2>"$T/i.err" &
p=$!
PIDS+=("$p")
sleep 3
kill -INT "$p"
wait "$p"
rc=$?
check "SIGINT exits 3 (rc $rc)" test "$rc" = 3
check "reports marked incomplete" test "$(json "$T/i_g.json" verdict)" = incomplete
check "interrupted flag set" test "$(json "$T/i_g.json" interrupted)" = True
check "markdown says incomplete" grep -q 'INCOMPLETE' "$T/i.md"
check "stderr explains" grep -q 'interrupted: reports cover part of the run' "$T/i.err"

finish
