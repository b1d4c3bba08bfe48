#!/usr/bin/env bash
# scrape_truncated.sh - a scrape target that closes the connection mid-body
# (HTTP/1.0, no Content-Length: the close is the only end mark).  Prometheus
# refuses such a body; so must mmops: "b 23" cut after "b 2" is a truncated
# exposition (exit 2), never b = 2.  The same body complete is read exactly,
# and OpenMetrics without its "# EOF" is truncated too.
source "$(dirname "$0")/lib/common.bash"

# serve NAME BODY CONTENT-TYPE: start a one-shot server, set URL
serve() {
	printf '%b' "$2" >"$T/$1.body"
	python3 "$ROOT/tests/e2e/lib/oneshot_http.py" "$T/$1.port" "$T/$1.body" "$3" 2>"$T/$1.log" &
	PIDS+=($!)
	URL=http://127.0.0.1:$(wait_port_file "$T/$1.port")/metrics
}

# expect NAME WANT-EXIT GREP-PATTERN ARGS...: mmops scrape ARGS, its exit code
# and a pattern in its output (stdout and stderr)
expect() {
	local name=$1 want=$2 pat=$3 rc
	shift 3
	"$MMOPS" scrape "$@" >"$T/out" 2>&1
	rc=$?
	[ "$rc" = "$want" ] && grep -q -- "$pat" "$T/out"
	verdict "$name" $? || true
	[ "$rc" = "$want" ] || { echo "  exit $rc, want $want:"; sed 's/^/  /' "$T/out"; }
}

T04='text/plain; version=0.0.4'
TOM='application/openmetrics-text; version=1.0.0; charset=utf-8'

serve cut '# TYPE b gauge\nb 2' "$T04"
expect "0.0.4 body cut mid-value is an error, not b = 2" 2 "truncated" "$URL"
expect "... and its message has line:col" 2 ":2:" "$URL"
"$MMOPS" scrape --json "$URL" >"$T/json" 2>/dev/null
check "... and no sample reaches --json output" test ! -s "$T/json"

serve whole '# TYPE b gauge\nb 23\n' "$T04"
expect "the same body complete reads b = 23" 0 "23" --json "$URL"
check "... exactly 23" sh -c "'$MMOPS' scrape --json '$URL' | jq -e 'select(.kind==\"sample\") | .value == 23' >/dev/null"

serve om '# TYPE b gauge\nb 23\n' "$TOM"
expect "OpenMetrics body without # EOF is truncated" 2 "EOF" "$URL"

serve omok '# TYPE b gauge\nb 23\n# EOF\n' "$TOM"
expect "OpenMetrics body with # EOF is read" 0 "b" "$URL"

printf '# TYPE b gauge\nb 2' >"$T/cut.prom"
expect "a file without its final newline is truncated too" 2 "truncated" "$T/cut.prom"

finish scrape_truncated
