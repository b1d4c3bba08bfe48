#!/usr/bin/env bash
# bench/canary.sh - the canary judge on 100,000 x 100,000 samples (DESIGN.md
# §7: <= 2 s) in one run with its anchors: the naive Hodges-Lehmann (all n*m
# differences materialised, median by quickselect; timed on 4,000 x 4,000 and
# scaled by (100,000/4,000)^2, since 10^10 doubles do not fit in memory) and
# scipy's mannwhitneyu + ks_2samp on the same 100,000 x 100,000 (which do
# not compute Hodges-Lehmann at all).  Prints each time and the ratios.
# usage: bench/canary.sh        env: O (build dir, default build)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
O=${O:-build}
B=$ROOT/$O/bench/canary_bench
[ -x "$B" ] || { echo "bench/canary.sh: build $B first (make O=$O check-build)" >&2; exit 2; }
N=${N:-100000}
M=${M:-4000}
out=$("$B" "$N" "$M")
echo "$out"
judge=$(echo "$out" | sed -n 's/^judge //p')
naive=$(echo "$out" | sed -n 's/^naive_scaled //p')
scipy=$(/usr/bin/python3 - "$N" <<'PY'
import sys, time, numpy as np, scipy.stats as st
n = int(sys.argv[1])
def fill(n, seed, scale):
    # the same LCG as canary_bench.c
    out = np.empty(n); s = seed; M = (1 << 64) - 1
    for i in range(n):
        s = (s * 6364136223846793005 + 1442695040888963407) & M
        u = ((s >> 11) + 0.5) / 9007199254740992.0
        out[i] = scale * (50 - 20 * np.log(u))
    return out
b, c = fill(n, 1, 1.0), fill(n, 2, 1.1)
t = time.perf_counter()
r = st.mannwhitneyu(c, b, alternative="two-sided"); k = st.ks_2samp(c, b)
print("%.4f %.17g %.3g %.6g %.3g" % (time.perf_counter() - t, r.statistic, r.pvalue, k.statistic, k.pvalue))
PY
)
echo "scipy mannwhitneyu+ks_2samp $scipy"
st=${scipy%% *}
awk -v j="$judge" -v nv="$naive" -v s="$st" -v n="$N" 'BEGIN {
	printf "canary judge %dx%d: %.3f s (bar 2 s); naive HL (scaled) %.1f s: %.0fx; scipy U+KS (no HL) %.3f s: %.2fx\n",
		n, n, j, nv, nv / j, s, s / j }'
