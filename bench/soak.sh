#!/usr/bin/env bash
# bench/soak.sh - the compressed soak of DESIGN.md §7: `mmops soak --mock
# --hours 72 --interval 1s` (259,201 simulator renders, each parsed by the
# real exposition parser, every gate judged at every sample) against its bar
# (<= 10 s wall clock, <= 64 MiB peak RSS, cost linear in hours), measured
# here at 18, 36 and 72 hours so the linearity shows.  Times are hyperfine
# means (RUNS runs, 1 warm-up); peak RSS from /usr/bin/time -v.  For scale it
# also times the simulator alone (`mmops sim --report` over the same 72 h: the
# model's 1,296,000 ticks without rendering or parsing).
# usage: bench/soak.sh            env: O (build dir, default build), RUNS (default 3)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
O=${O:-build}
RUNS=${RUNS:-3}
MMOPS=$ROOT/$O/mmops
[ -x "$MMOPS" ] || { echo "bench/soak.sh: build $MMOPS first (make O=$O)" >&2; exit 2; }
for c in hyperfine /usr/bin/time; do
	command -v "$c" >/dev/null || { echo "bench/soak.sh: $c is not installed (scripts/install-deps)" >&2; exit 2; }
done
T=$(mktemp -d "${TMPDIR:-/tmp}/mmops-bench-soak.XXXXXX")
trap 'rm -rf "$T"' EXIT
export CI_FAKE_UTC=2025-10-11T00:00:00Z

mean() { # mean NAME CMD: hyperfine's mean wall time in seconds; CPU (user+sys) in $T/NAME.cpu
	hyperfine -N -r "$RUNS" -w 1 --export-json "$T/$1.json" "$2" >/dev/null 2>&1
	awk -F': ' '/"user":/ { u = $2 + 0 } /"system":/ { s = $2 + 0 }
		END { printf "%.4f\n", u + s }' "$T/$1.json" >"$T/$1.cpu"
	sed -n 's/^ *"mean": \([0-9.e-]*\),$/\1/p' "$T/$1.json" | head -1
}
calc() { awk "BEGIN { print $1 }"; }
rss() { # rss CMD...: peak RSS in MiB
	/usr/bin/time -v "$@" 2>&1 >/dev/null | sed -n 's/^\tMaximum resident set size (kbytes): //p' |
		awk '{ printf "%.1f", $1 / 1024 }'
}

echo "mmops soak --mock --interval 1s (CPU: $(nproc) cores; $(uname -m))"
printf '%-6s %10s %10s %10s %12s %10s\n' hours samples "wall s" "CPU s" samples/s "RSS MiB"
declare -A secs cpu
for h in 18 36 72; do
	cmd="$MMOPS soak --mock --hours $h --interval 1s -q --gate-summary $T/g$h.json"
	s=$(mean "h$h" "$cmd")
	m=$(rss $cmd)
	n=$((h * 3600 + 1))
	secs[$h]=$s
	cpu[$h]=$(cat "$T/h$h.cpu")
	printf '%-6s %10d %10.3f %10.3f %12.0f %10s\n' "$h" "$n" "$s" "${cpu[$h]}" \
		"$(calc "$n / $s")" "$m"
	grep -q '"verdict": "pass"' "$T/g$h.json" || { echo "bench/soak.sh: the $h h soak did not pass" >&2; exit 1; }
done
sim=$(mean sim "$MMOPS sim --report $T/edge.json --hours 72 --seed 1")
printf '%-30s %8.3f s\n' "simulator alone, 72 h:" "$sim"
echo
printf 'bar: 72 h in %.3f s = %.2f of the 10 s budget (%.1fx under it)\n' "${secs[72]}" \
	"$(calc "${secs[72]} / 10")" "$(calc "10 / ${secs[72]}")"
# CPU time: wall time on a shared machine also measures the neighbours.
printf 'linearity (CPU time): t(36h)/t(18h) = %.2f, t(72h)/t(36h) = %.2f (2.00 is linear)\n' \
	"$(calc "${cpu[36]} / ${cpu[18]}")" "$(calc "${cpu[72]} / ${cpu[36]}")"
printf 'simulator share of the 72 h soak: %.0f%%\n' "$(calc "100 * $sim / ${secs[72]}")"
