#!/usr/bin/env bash
# tests/e2e/runbook_rollback.sh - the manual rollback runbook works as
# written: the admin-API curl lines of docs/runbooks/manual-rollback.md, taken
# from the page in their order, run against a real `mmops sim` with a bearer
# token: the three rollback actions stop it (replicas 0, breaker open, orders
# frozen), the three undo lines bring it back, and each reason reaches the
# sim's log.  env: MMOPS, ROOT.  Last line: "N passed, N failed".
source "$(dirname "$0")/lib/common.bash"
need curl
need python3
PAGE=$ROOT/docs/runbooks/manual-rollback.md

ADMIN_TOKEN=admin-$RANDOM$RANDOM
printf '%s\n' "$ADMIN_TOKEN" > "$T/admin-token"
start_sim sim --token-file "$T/admin-token"
check "mmops sim is up" test -n "$PORT"
[ -n "$PORT" ] || finish

# The page's variables, with this test's sim and token.
ADMIN=http://127.0.0.1:$PORT
auth=(-H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json')
USER=${USER:-runbook-test}
reason='"reason": "manual rollback by '"$USER"'"'
state() {
	curl -fsS "${auth[@]}" "$ADMIN/admin/state" |
		python3 -c 'import json, sys; s = json.load(sys.stdin); print(s["replicas"], str(s["breaker_open"]).lower(), str(s["frozen"]).lower())'
}

run_line() { eval "$1" >/dev/null; }
mapfile -t lines < <(grep -E '^ *curl -fsS -X POST "\$\{auth\[@\]\}" .*\$ADMIN/admin/(scale|breaker|freeze)"$' "$PAGE" | sed 's/^ *//')
check "the runbook has three rollback and three undo admin calls" test "${#lines[@]}" = 6
check "the sim trades before the rollback" test "$(state)" = "1 false false"
for l in "${lines[@]:0:3}"; do
	check "runbook: ${l:0:60}..." run_line "$l"
done
check "after the runbook's rollback: replicas 0, breaker open, orders frozen" test "$(state)" = "0 true true"
check "the runbook's state check prints the same" bash -c \
	"curl -fsS -H 'Authorization: Bearer $ADMIN_TOKEN' '$ADMIN/admin/state' | grep -q '\"replicas\": *0'"
for l in "${lines[@]:3:3}"; do
	check "runbook undo: ${l:0:55}..." run_line "$l"
done
check "after the runbook's undo: trading again" test "$(state)" = "1 false false"
check "every call's reason is in the sim's log" \
	test "$(grep -c "reason=manual rollback by $USER" "$T/sim.log")" = 6
check "without the token the admin API refuses (401)" test "$(curl -s -o /dev/null -w '%{http_code}' \
	-X POST -H 'Content-Type: application/json' -d '{"replicas": 0}' "$ADMIN/admin/scale")" = 401
finish
