#!/usr/bin/python3
"""canary_oracle.py - hold mmops canary's statistics against scipy.

usage: canary_oracle.py gen DIR SEED     write DIR/base.json, DIR/cand.json
       canary_oracle.py check DIR        compare DIR/canary.json with scipy

gen writes many metrics per file: random normal, exponential, discrete
(heavy ties), tiny (n = 1..10, the exact branch), identical, all-zero,
large (> 10,000: the asymptotic KS).  check recomputes, for each metric,
scipy.stats.mannwhitneyu(candidate, baseline, alternative="two-sided"),
ks_2samp(candidate, baseline), the median of all candidate - baseline
differences and the interval's order statistics (k from scipy's exact U
distribution or norm.isf, as docs/canary.md states) and requires 1e-6
relative agreement (statistics exact).  Prints one line per mismatch and a
count line; exit 1 on any mismatch.
"""
import json
import math
import sys

import numpy as np
import scipy.stats as st
from scipy.stats._mannwhitneyu import _mwu_state


def gen(d, seed):
    rng = np.random.default_rng(seed)
    base, cand = {}, {}
    k = 0

    def put(b, c):
        nonlocal k
        base["m%03d" % k] = [float(v) for v in b]
        cand["m%03d" % k] = [float(v) for v in c]
        k += 1

    for n in range(1, 11):
        for m in (1, 3, 7, 10):
            put(rng.normal(0, 1, n), rng.normal(0.7, 1, m))
    for _ in range(25):
        n, m = int(rng.integers(5, 400)), int(rng.integers(5, 400))
        kind = int(rng.integers(0, 3))
        if kind == 0:
            put(rng.normal(10, 2, n), rng.normal(10.3, 2.5, m))
        elif kind == 1:
            put(rng.integers(0, 6, n), rng.integers(0, 7, m))
        else:
            put(np.round(rng.exponential(3, n), 1), np.round(rng.exponential(3.3, m), 1))
    put([5.0] * 20, [5.0] * 20)
    put([0.0] * 30, [0.0] * 25)
    put(rng.normal(0, 1, 12000), rng.normal(0.02, 1, 11000))
    put(rng.normal(0, 1, 20000), rng.normal(0.0, 1, 300))
    json.dump(base, open(d + "/base.json", "w"))
    json.dump(cand, open(d + "/cand.json", "w"))


def rel(a, b):
    if a is None or b is None:
        return 0 if a is None and (b is None or math.isnan(b)) else 1
    if a == b:
        return 0
    return abs(a - b) / max(abs(b), 1e-300)


def hl_k(n, m, conf, ties):
    alpha = 1 - conf
    if not ties and (n <= 8 or m <= 8):
        k = 1
        for j in range(0, n * m // 2):
            if _mwu_state.cdf(j, n, m) > alpha / 2:
                break
            k = j + 1
        return k
    z = st.norm.isf(alpha / 2)
    return max(1, math.floor(n * m / 2 - z * math.sqrt(n * m * (n + m + 1) / 12)))


def check(d):
    base = json.load(open(d + "/base.json"))
    cand = json.load(open(d + "/cand.json"))
    rep = json.load(open(d + "/canary.json"))
    conf = rep["confidence"]
    bad = n = 0
    for met in rep["metrics"]:
        name = met["name"]
        b, c = np.array(base[name]), np.array(cand[name])
        errs = []
        r = st.mannwhitneyu(c, b, alternative="two-sided")
        if rel(met["mann_whitney"]["u"], r.statistic) > 1e-9:
            errs.append("U %s vs %s" % (met["mann_whitney"]["u"], r.statistic))
        if rel(met["mann_whitney"]["p_value"], r.pvalue) > 1e-6:
            errs.append("U p %s vs %s" % (met["mann_whitney"]["p_value"], r.pvalue))
        k = st.ks_2samp(c, b)
        if rel(met["ks"]["d"], k.statistic) > 1e-9:
            errs.append("KS D %s vs %s" % (met["ks"]["d"], k.statistic))
        if rel(met["ks"]["p_value"], k.pvalue) > 1e-6:
            errs.append("KS p %s vs %s" % (met["ks"]["p_value"], k.pvalue))
        if met["baseline"]["n"] != len(b) or met["candidate"]["n"] != len(c):
            errs.append("n")
        if rel(met["baseline"]["p99"], float(np.quantile(b, 0.99))) > 1e-12:
            errs.append("p99")
        if len(b) * len(c) <= 4e6:
            diffs = np.sort(np.subtract.outer(c, b).ravel())
            hl = met["hodges_lehmann"]
            if rel(hl["estimate"], float(np.median(diffs))) > 1e-12:
                errs.append("HL %s vs %s" % (hl["estimate"], np.median(diffs)))
            ties = len(np.unique(np.concatenate([b, c]))) < len(b) + len(c)
            kk = hl_k(len(c), len(b), conf, ties)
            kk = min(kk, (len(diffs) + 1) // 2)
            if hl["ci_low"] != diffs[kk - 1] or hl["ci_high"] != diffs[len(diffs) - kk]:
                errs.append("HL interval [%s, %s] vs [%s, %s] (k=%d)" % (
                    hl["ci_low"], hl["ci_high"], diffs[kk - 1], diffs[len(diffs) - kk], kk))
        n += 1
        if errs:
            bad += 1
            print("FAIL %s (n=%d, m=%d): %s" % (name, len(c), len(b), "; ".join(errs)))
    print("oracle: %d metrics, %d mismatches" % (n, bad))
    return 1 if bad or n == 0 else 0


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(check(sys.argv[2]))
