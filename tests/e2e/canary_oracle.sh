#!/usr/bin/env bash
# canary_oracle.sh - mmops canary's statistics against scipy (Debian
# python3-scipy) over hundreds of random and edge inputs, three seeds: each
# metric's Mann-Whitney U and p, KS D and p, Hodges-Lehmann estimate and
# interval, through the CLI and canary.json (tests/e2e/lib/canary_oracle.py).
source "$(dirname "$0")/lib/common.bash"
PY=/usr/bin/python3
"$PY" -c 'import scipy' 2>/dev/null || { check "python3-scipy is installed" false; finish; }
ORACLE="$PY $ROOT/tests/e2e/lib/canary_oracle.py"

for seed in 1 2 3; do
	d=$T/s$seed
	mkdir -p "$d"
	$ORACLE gen "$d" "$seed"
	"$MMOPS" canary -q --baseline-samples "$d/base.json" --candidate-samples "$d/cand.json" \
		--out-json "$d/canary.json" >"$d/out" 2>&1
	rc=$?
	check "seed $seed: canary ran and decided (rc $rc)" [ $rc = 0 -o $rc = 1 ]
	check "seed $seed: every statistic agrees with scipy" $ORACLE check "$d"
done
finish canary_oracle
