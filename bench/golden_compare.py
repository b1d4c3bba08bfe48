#!/usr/bin/env python3
"""bench/golden_compare.py - the anchor of bench/golden.sh: a straightforward
stdlib-Python recursive golden compare, as the seed's
tools/tests/golden_compare.py does it (json.load both files, walk them,
numbers within an absolute tolerance, report drifts with their path).

usage: golden_compare.py BASELINE ACTUAL [TOLERANCE]   exit 0 none, 1 drift
"""
import json
import sys


def compare(a, b, path, tol, drifts):
    if isinstance(a, bool) or isinstance(b, bool):
        if type(a) is not type(b) or a != b:
            drifts.append((path, "value" if type(a) is type(b) else "type"))
    elif isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if abs(a - b) > tol:
            drifts.append((path, "value"))
    elif type(a) is not type(b):
        drifts.append((path, "type"))
    elif isinstance(a, dict):
        for k in a:
            if k not in b:
                drifts.append((path + "/" + k, "missing"))
            else:
                compare(a[k], b[k], path + "/" + k, tol, drifts)
        for k in b:
            if k not in a:
                drifts.append((path + "/" + k, "extra"))
    elif isinstance(a, list):
        if len(a) != len(b):
            drifts.append((path, "length"))
        for i, (x, y) in enumerate(zip(a, b)):
            compare(x, y, path + "/" + str(i), tol, drifts)
    elif a != b:
        drifts.append((path, "value"))


def main():
    tol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-9
    with open(sys.argv[1]) as f:
        a = json.load(f)
    with open(sys.argv[2]) as f:
        b = json.load(f)
    drifts = []
    compare(a, b, "", tol, drifts)
    print("%d drifts" % len(drifts))
    for p, k in drifts[:10]:
        print(k, p)
    return 1 if drifts else 0


if __name__ == "__main__":
    sys.exit(main())
