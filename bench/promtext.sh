#!/usr/bin/env bash
# bench/promtext.sh - exposition parsing throughput, mmops against its anchors
# measured side by side in one run (DESIGN.md §7):
#   mmops      lib/promtext in-process ($O/bench/promtext_bench, best of 5)
#   promtool   `promtool check metrics < file` (Prometheus 2.42, process wall
#              time, best of 3; also shown with its startup subtracted: the
#              wall time of the same command on an empty input)
#   (also `mmops scrape FILE --families` and `mmops scrape FILE >/dev/null`:
#   map, parse and print one line per family / the whole table, process wall
#   time, best of 5 - the CLI against promtool's CLI)
#   python     prometheus_client.parser.text_string_to_metric_families
#              (python3-prometheus-client), in-process, best of 3
# on bench/gen's exposition (5,000 symbols, about 11 MB).  Prints each time,
# the MB/s and the ratio of mmops to each anchor.
# usage: bench/promtext.sh [--symbols N]      env: O (build dir, default build)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
O=${O:-build}
SYMBOLS=5000
[ "${1:-}" = "--symbols" ] && SYMBOLS=$2
BENCH=$ROOT/$O/bench/promtext_bench
MMOPS=$ROOT/$O/mmops
PY=/usr/bin/python3
[ -x "$BENCH" ] || { echo "bench/promtext.sh: build $BENCH first (make O=$O check-build)" >&2; exit 2; }
command -v promtool >/dev/null || { echo "bench/promtext.sh: promtool not installed" >&2; exit 2; }
T=$(mktemp -d "${TMPDIR:-/tmp}/mmops-bench-promtext.XXXXXX")
trap 'rm -rf "$T"' EXIT
"$ROOT/bench/gen" --symbols "$SYMBOLS" >"$T/expo.txt"
: >"$T/empty.txt"
BYTES=$(wc -c <"$T/expo.txt")

# best_wall N CMD...: the best wall time of N runs, in seconds
best_wall() {
	local n=$1 best="" t0 t1 dt i
	shift
	for i in $(seq "$n"); do
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1 || { echo "bench/promtext.sh: '$*' failed" >&2; exit 1; }
		t1=$(date +%s%N)
		dt=$(( t1 - t0 ))
		if [ -z "$best" ] || [ "$dt" -lt "$best" ]; then best=$dt; fi
	done
	awk -v ns="$best" 'BEGIN { printf "%.6f", ns / 1e9 }'
}

promtool_check() { promtool check metrics <"$1"; }

mm_line=$("$BENCH" "$T/expo.txt" 5)
mm=$(printf '%s\n' "$mm_line" | awk '{ print $6 }')
samples=$(printf '%s\n' "$mm_line" | awk '{ print $4 }')
sc=$(best_wall 5 "$MMOPS" scrape "$T/expo.txt")
scf=$(best_wall 5 "$MMOPS" scrape "$T/expo.txt" --families)
pt=$(best_wall 3 promtool_check "$T/expo.txt")
pt0=$(best_wall 3 promtool_check "$T/empty.txt")
py=$("$PY" - "$T/expo.txt" <<'PY'
import sys, time
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
best = None
for _ in range(3):
    t0 = time.perf_counter()
    n = sum(len(f.samples) for f in text_string_to_metric_families(text))
    dt = time.perf_counter() - t0
    best = dt if best is None or dt < best else best
print("%.6f %d" % (best, n))
PY
)
py_s=${py% *}
py_n=${py#* }

awk -v b="$BYTES" -v s="$samples" -v mm="$mm" -v pt="$pt" -v sc="$sc" -v scf="$scf" -v pt0="$pt0" -v py="$py_s" -v pyn="$py_n" 'BEGIN {
	printf "exposition: %d bytes, %d samples (bench/gen --symbols %d)\n", b, s, '"$SYMBOLS"'
	printf "%-44s %10s %10s %10s\n", "parser", "seconds", "MB/s", "mmops x"
	printf "%-44s %10.4f %10.1f %10s\n", "mmops lib/promtext (in-process)", mm, b / mm / 1e6, "1.0"
	printf "%-44s %10.4f %10.1f %10s\n", "mmops scrape FILE --families (process)", scf, b / scf / 1e6, "-"
	printf "%-44s %10.4f %10.1f %10s\n", "mmops scrape FILE >/dev/null (process)", sc, b / sc / 1e6, "-"
	printf "%-44s %10.4f %10.1f %10.1f\n", "promtool check metrics (process)", pt, b / pt / 1e6, pt / mm
	printf "%-44s %10s %10s %10.1f\n", "  promtool process / mmops --families process", "", "", pt / scf
	printf "%-44s %10s %10s %10.1f\n", "  promtool process / mmops scrape process", "", "", pt / sc
	printf "%-44s %10.4f %10.1f %10.1f\n", "promtool, startup (" pt0 "s) subtracted", pt - pt0, b / (pt - pt0) / 1e6, (pt - pt0) / mm
	printf "%-44s %10.4f %10.1f %10.1f\n", "python prometheus_client (in-process)", py, b / py / 1e6, py / mm
	if (pyn != s) printf "warning: python counted %d samples, mmops %d\n", pyn, s
}'
