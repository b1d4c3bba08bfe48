#!/usr/bin/env bash
# bench/golden.sh - golden compare of two big reports, mmops against its
# anchors measured side by side in one run (DESIGN.md §7):
#   mmops    `mmops golden --baseline B --actual A` (text report, exit 0)
#   jq       `jq -n --slurpfile a B --slurpfile b A '$a==$b'` (jq 1.6)
#   python   bench/golden_compare.py: json.load both, recursive compare with
#            a tolerance, drifts with their paths (Debian's /usr/bin/python3)
# on the pair bench/golden_gen.c writes under a temp dir in /tmp (default
# 50 MB each: an edge report with ~120k fills, pretty-printed; the actual
# file has floats moved by 1e-12 and one real drift every 20011 fills).
# Times are hyperfine means (3 runs each, 1 warm-up); peak RSS comes from
# /usr/bin/time -v.  Prints the times, throughput, RSS and the ratios.  One
# more mmops line compares the baseline with an actual file that lists every
# fill's keys in reverse order (golden_gen's "reorder"): the same drifts,
# found by golden's by-key path instead of the lockstep one.
# usage: bench/golden.sh [MEGABYTES]        env: O (build dir, default build),
#                                               RUNS (hyperfine runs, default 3)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
O=${O:-build}
MB=${1:-50}
RUNS=${RUNS:-3}
MMOPS=$ROOT/$O/mmops
GEN=$ROOT/$O/bench/golden_gen
PY=/usr/bin/python3
for f in "$MMOPS" "$GEN"; do
	[ -x "$f" ] || { echo "bench/golden.sh: build $f first (make O=$O check-build)" >&2; exit 2; }
done
for c in jq hyperfine /usr/bin/time "$PY"; do
	command -v "$c" >/dev/null || { echo "bench/golden.sh: $c is not installed (scripts/install-deps)" >&2; exit 2; }
done
T=$(mktemp -d "${TMPDIR:-/tmp}/mmops-bench-golden.XXXXXX")
trap 'rm -rf "$T"' EXIT
B=$T/baseline.json
A=$T/actual.json
"$GEN" "$B" "$A" "$MB"
"$GEN" "$T/baseline2.json" "$T/actual_reordered.json" "$MB" 1 reorder
cmp -s "$B" "$T/baseline2.json" || { echo "bench/golden.sh: golden_gen is not deterministic" >&2; exit 1; }
rm -f "$T/baseline2.json"
AR=$T/actual_reordered.json
BYTES=$(( $(wc -c <"$B") + $(wc -c <"$A") ))

CMD_MMOPS="$MMOPS golden --baseline $B --actual $A"
CMD_JQ="jq -n --slurpfile a $B --slurpfile b $A \$a==\$b"
CMD_PY="$PY $ROOT/bench/golden_compare.py $B $A"
CMD_REORDER="$MMOPS golden --baseline $B --actual $AR"

# The three must agree on the pair before their times mean anything.
n_mmops=$($CMD_MMOPS | sed -n 's/^golden: \([0-9]*\) drifts\{0,1\} .*/\1/p')
n_reorder=$($CMD_REORDER | sed -n 's/^golden: \([0-9]*\) drifts\{0,1\} .*/\1/p')
n_py=$($CMD_PY | sed -n 's/^\([0-9]*\) drifts$/\1/p' || true)
eq_jq=$(jq -n --slurpfile a "$B" --slurpfile b "$A" '$a==$b')
echo "pair: $B, $A ($BYTES bytes in all)"
echo "drifts found: mmops $n_mmops (keys reordered: $n_reorder), python $n_py; jq \$a==\$b: $eq_jq"
if [ -z "$n_mmops" ] || [ "$n_mmops" != "$n_py" ] || [ "$n_mmops" != "$n_reorder" ] || [ "$eq_jq" != false ]; then
	echo "bench/golden.sh: the tools disagree about the pair" >&2
	exit 1
fi

hyperfine --style basic --runs "$RUNS" --warmup 1 -i --export-json "$T/h.json" \
	-n mmops "$CMD_MMOPS" -n jq "$CMD_JQ" -n python "$CMD_PY" \
	-n mmops-reordered "$CMD_REORDER" >"$T/hyperfine.txt" 2>&1

# peak RSS in KiB
rss() {
	/usr/bin/time -v "$@" 2>&1 >/dev/null | sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p'
}
R_MMOPS=$(rss $CMD_MMOPS)
R_JQ=$(rss jq -n --slurpfile a "$B" --slurpfile b "$A" '$a==$b')
R_PY=$(rss $CMD_PY)
R_REORDER=$(rss $CMD_REORDER)

"$PY" - "$T/h.json" "$BYTES" "$R_MMOPS" "$R_JQ" "$R_PY" "$R_REORDER" <<'EOF'
import json, sys
h = json.load(open(sys.argv[1]))
size = int(sys.argv[2])
rss = dict(zip(["mmops", "jq", "python", "mmops-reordered"], (int(x) * 1024 for x in sys.argv[3:7])))
t = {r["command"]: r for r in h["results"]}
m = t["mmops"]["mean"]
print("%-16s %10s %10s %10s %12s %10s" % ("tool", "mean s", "min s", "MB/s", "peak RSS MB", "RSS/input"))
for name in ("mmops", "jq", "python", "mmops-reordered"):
    r = t[name]
    print("%-16s %10.3f %10.3f %10.1f %12.1f %10.2f" % (name, r["mean"], r["min"], size / r["mean"] / 1e6,
          rss[name] / 1e6, rss[name] / size))
print("mmops vs jq:     %.1fx faster (bar: 4x)" % (t["jq"]["mean"] / m))
print("mmops vs python: %.1fx faster (bar: 8x)" % (t["python"]["mean"] / m))
print("mmops peak RSS:  %.2fx the input (%.1f MB for %.1f MB; bar: 4x)" % (rss["mmops"] / size,
      rss["mmops"] / 1e6, size / 1e6))
print("keys reordered:  %.1fx faster than jq, %.1fx faster than python" % (
      t["jq"]["mean"] / t["mmops-reordered"]["mean"], t["python"]["mean"] / t["mmops-reordered"]["mean"]))
EOF
