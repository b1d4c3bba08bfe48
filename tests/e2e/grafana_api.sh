#!/usr/bin/env bash
# tests/e2e/grafana_api.sh - `mmops grafana export | import | diff` against the
# stub of Grafana's dashboard API (tests/stub/grafana_stub.py), asserting on
# its request log what was sent: the seed's two examples, export -> import ->
# export byte-identical, idempotent re-import and --dry-run send no write,
# folderUid always sent and id null, 412 refused with a way out, 400, 401, 403,
# 404, 5xx, an unhealthy Grafana, timeouts, a redirect not followed with the
# token, chunked answers, paged search, basic auth, the token file, and the
# seed's tools/ops/grafana_export.py path.
# env: MMOPS (binary), ROOT (repo).  Last line: "N passed, N failed".
source "$(dirname "$0")/lib/common.bash"
need jq
STUB="$ROOT/tests/stub/grafana_stub.py"
DASH="$ROOT/deploy/grafana/dashboards/mm_operability.json"
TOKEN=tok-$$-secret

# start_stub NAME ARGS...: sets URL and LOG (the stub's request log).
start_stub() {
	local name=$1 port
	shift
	rm -f "$T/$name.port"
	: >"$T/$name.log"
	python3 "$STUB" --port-file "$T/$name.port" --log "$T/$name.log" "$@" >"$T/$name.err" 2>&1 &
	PIDS+=($!)
	port=$(wait_port_file "$T/$name.port")
	URL=http://127.0.0.1:$port
	LOG=$T/$name.log
	[ -n "$port" ]
}
jqe() { jq -e "$@" >/dev/null; }
# Requests in a log, as "METHOD PATH" lines.
reqs() { jq -r '.method + " " + .path' "$1"; }
posts() { grep -c '^POST ' <(reqs "$1"); }
g() { GRAFANA_TOKEN=$TOKEN "$MMOPS" grafana "$@"; }
# run NAME: runs the rest, leaves rc, out, err
run() { "$@" >"$T/out" 2>"$T/err"; rc=$?; out=$(cat "$T/out"); err=$(cat "$T/err"); }

check "stub starts" start_stub main --token "$TOKEN" --viewer-token viewer-$$ \
	--folder ops:Ops --load "$DASH:ops"
MAIN=$URL
MLOG=$LOG

# 1. The seed's examples, unchanged but for the program name (and the address).
mkdir -p "$T/repo/deploy/grafana/dashboards"
cd "$T/repo" || exit 1
run env GRAFANA_TOKEN=$TOKEN "$MMOPS" grafana export --url "$MAIN" --uid mm-operability \
	--output deploy/grafana/dashboards/mm_operability.json
check "seed export example: exit 0 (rc $rc: $err)" test "$rc" = 0
check "the export is the repo's file, byte for byte" cmp -s deploy/grafana/dashboards/mm_operability.json "$DASH"
check "the export is JSON (jq)" jqe .uid deploy/grafana/dashboards/mm_operability.json
check "health was asked first" test "$(reqs "$MLOG" | head -2 | tr '\n' ,)" = \
	"GET /api/health,GET /api/dashboards/uid/mm-operability,"
check "the token went as Bearer" test "$(jq -r 'select(.path=="/api/dashboards/uid/mm-operability") | .headers.authorization' "$MLOG" | head -1)" = "Bearer $TOKEN"
run env GRAFANA_TOKEN=$TOKEN "$MMOPS" grafana import --url "$MAIN" \
	--input deploy/grafana/dashboards/mm_operability.json
check "seed import example: exit 0 (rc $rc: $err)" test "$rc" = 0
check "importing what is there says so" grep -q "is unchanged (version 1" "$T/out"
check "... and sends no write" test "$(posts "$MLOG")" = 0
check "the exported file passes lint" "$MMOPS" grafana lint deploy/grafana/dashboards/mm_operability.json
cd "$T" || exit 1

# 2. Export twice: same bytes.
g export --url "$MAIN" --uid mm-operability --output "$T/a1.json" 2>/dev/null
g export --url "$MAIN" --uid mm-operability --output "$T/a2.json" 2>/dev/null
check "export twice: same bytes" cmp -s "$T/a1.json" "$T/a2.json"
check "no churn keys in the file" jqe 'has("id") or has("version") or has("iteration") | not' "$T/a1.json"
run g export --url "$MAIN" --uid mm-operability --output -
check "--output - writes the same bytes to stdout" cmp -s "$T/out" "$T/a1.json"

# 3. A change: dry run, diff, import, re-import, export -> byte-identical.
jq --indent 2 '.panels[3].targets[0].expr = "avg_over_time(mm_hit_ratio[5m])"' "$T/a1.json" >"$T/b.json"
: >"$MLOG"
run g import --url "$MAIN" --input "$T/b.json" --dry-run
check "--dry-run: exit 0" test "$rc" = 0
check "--dry-run lists the JSON Pointer" grep -q '/panels/3/targets/0/expr: grafana "mm_hit_ratio", file "avg_over_time' "$T/out"
check "--dry-run sends no write" test "$(posts "$MLOG")" = 0
run g diff --url "$MAIN" --uid mm-operability --input "$T/b.json"
check "diff with drift: exit 1 (rc $rc)" test "$rc" = 1
check "diff lists /panels/3/targets/0/expr" grep -q '^  value    /panels/3/targets/0/expr: ' "$T/out"
check "diff says one drift only" test "$(grep -c '^  ' "$T/out")" = 1
run g diff --url "$MAIN" --input "$T/a1.json"
check "diff without drift: exit 0 (rc $rc)" test "$rc" = 0
run g import --url "$MAIN" --input "$T/b.json" --message "hit ratio over 5m"
check "import of a change: exit 0 (rc $rc: $err)" test "$rc" = 0
check "import says the new version" grep -q "updated dashboard 'mm-operability': version 2 in folder 'ops'" "$T/out"
jq -c 'select(.method=="POST") | .body' "$MLOG" >"$T/post.json"
check "one POST" test "$(wc -l <"$T/post.json")" = 1
check "POST: dashboard.id is null" jqe '.dashboard | has("id") and .id == null' "$T/post.json"
check "POST: folderUid sent (the dashboard's folder)" jqe '.folderUid == "ops"' "$T/post.json"
check "POST: overwrite false, the live version as base" jqe '.overwrite == false and .dashboard.version == 1' "$T/post.json"
check "POST: the message" jqe '.message == "hit ratio over 5m"' "$T/post.json"
check "POST: no iteration" jqe '.dashboard | has("iteration") | not' "$T/post.json"
check "POST: Content-Type json, Bearer token" test "$(jq -r 'select(.method=="POST") | .headers["content-type"] + " " + .headers.authorization' "$MLOG")" = "application/json Bearer $TOKEN"
: >"$MLOG"
run g import --url "$MAIN" --input "$T/b.json"
check "re-import: unchanged, version stays 2" grep -q "is unchanged (version 2" "$T/out"
check "re-import sends no write" test "$(posts "$MLOG")" = 0
g export --url "$MAIN" --uid mm-operability --output "$T/b2.json" 2>/dev/null
check "export -> import -> export: byte-identical" cmp -s "$T/b.json" "$T/b2.json"
run g diff --url "$MAIN" --input "$T/b.json"
check "diff after import: no drift" test "$rc" = 0

# 4. Folders: --folder-uid moves, FILE.folder beside it, a new dashboard goes to General.
jq --indent 2 '.uid = "new-one" | .title = "New One"' "$T/a1.json" >"$T/new.json"
: >"$MLOG"
run g import --url "$MAIN" --input "$T/new.json"
check "a new dashboard: created (rc $rc: $err)" grep -q "created dashboard 'new-one': version 1 in folder ''" "$T/out"
check "new: folderUid \"\" sent, no version" jqe 'select(.method=="POST") | .body | .folderUid == "" and (.dashboard | has("version") | not)' "$MLOG"
echo ops >"$T/new.folder"
: >"$MLOG"
run g import --url "$MAIN" --input "$T/new.json"
check "FILE.folder moves it: a write (rc $rc)" test "$(posts "$MLOG")" = 1
check "... with folderUid ops" jqe 'select(.method=="POST") | .body.folderUid == "ops"' "$MLOG"
rm "$T/new.folder"
run g import --url "$MAIN" --input "$T/new.json" --folder-uid nope
check "an unknown folder: Grafana's 400 is exit 2 (rc $rc)" test "$rc" = 2
check "... with its message" grep -q "folder not found" "$T/err"

# 5. 412: saved by someone else between the read and the write.
start_stub race --token "$TOKEN" --load "$DASH" --bump-after-get mm-operability
run g import --url "$URL" --input "$T/b.json"
check "412 version-mismatch: exit 1 (rc $rc)" test "$rc" = 1
check "412: says it changed on the server" grep -q "changed on the server" "$T/err"
check "412: Grafana's message" grep -q "The dashboard has been changed by someone else" "$T/err"
check "412: how to look" grep -q "mmops grafana diff --url $URL --input $T/b.json" "$T/err"
check "412: how to force" grep -q -- "--overwrite" "$T/err"
run g import --url "$URL" --input "$T/b.json" --overwrite
check "--overwrite: exit 0 (rc $rc: $err)" test "$rc" = 0
check "--overwrite: sent overwrite true" jqe 'select(.method=="POST") | .body.overwrite' "$LOG"
run g import --url "$URL" --input "$T/a1.json" --expect-version 1
check "--expect-version 1 when the live one is 3: exit 1 (rc $rc)" test "$rc" = 1
check "--expect-version: no write" test "$(posts "$LOG")" = 2
check "--expect-version: says where it is" grep -q "is at version 3, not 1: it changed since" "$T/err"
run g import --url "$URL" --input "$T/new.json" --expect-version 1
check "--expect-version of a dashboard that is gone: exit 1 (rc $rc)" test "$rc" = 1

jq --indent 2 '.uid = "same-title"' "$T/a1.json" >"$T/same.json"
run g import --url "$MAIN" --input "$T/same.json" --folder-uid ops
check "412 name-exists (same title in the folder): exit 1 (rc $rc)" test "$rc" = 1
check "412 name-exists: Grafana's message" grep -q "A dashboard with the same name in the folder already exists" "$T/err"

# 6. Errors: 400, 401, 403, 404, 5xx, unhealthy, refused, timeout.
jq --indent 2 '.uid = "this-uid-is-much-longer-than-forty-characters"' "$T/a1.json" >"$T/long.json"
run g import --url "$MAIN" --input "$T/long.json"
check "400 uid too long: exit 2 (rc $rc)" test "$rc" = 2
check "400: Grafana's message" grep -q "400 Bad Request: uid too long, max 40 characters" "$T/err"
jq --indent 2 '.uid = "bad uid!"' "$T/a1.json" >"$T/bad.json"
run g import --url "$MAIN" --input "$T/bad.json"
check "400 illegal uid: exit 2, escaped in the GET (rc $rc)" test "$rc" = 2
check "400: illegal characters" grep -q "uid contains illegal characters" "$T/err"
check "the uid was percent-encoded" grep -q '"path": "/api/dashboards/uid/bad%20uid%21"' "$MLOG"
jq --indent 2 '.uid = "untitled" | .title = ""' "$T/a1.json" >"$T/untitled.json"
run g import --url "$MAIN" --input "$T/untitled.json"
check "400 empty title: exit 2" test "$rc" = 2
check "400: title message" grep -q "Dashboard title cannot be empty" "$T/err"
run env -u GRAFANA_TOKEN "$MMOPS" grafana export --url "$MAIN" --uid mm-operability --output "$T/x.json"
check "401 without a token: exit 3 (rc $rc)" test "$rc" = 3
check "401: says what to set" grep -q "401 Unauthorized: Unauthorized): set GRAFANA_TOKEN" "$T/err"
run env GRAFANA_TOKEN=wrong "$MMOPS" grafana export --url "$MAIN" --uid mm-operability --output "$T/x.json"
check "401 with a wrong token: invalid API key" grep -q "invalid API key" "$T/err"
check "nothing written on failure" test ! -e "$T/x.json"
run env GRAFANA_TOKEN=viewer-$$ "$MMOPS" grafana import --url "$MAIN" --input "$T/a1.json"
check "403 read-only token: exit 3 (rc $rc)" test "$rc" = 3
check "403: Grafana's message and what is needed" grep -q "403 Forbidden: Access denied to save dashboard): dashboard 'mm-operability' needs a role that can write it" "$T/err"
cp "$T/a1.json" "$T/keep.json"
run g export --url "$MAIN" --uid no-such-uid --output "$T/keep.json"
check "404 unknown uid: exit 3 (rc $rc)" test "$rc" = 3
check "404: the uid and Grafana's message" grep -q "dashboard 'no-such-uid' not found (404 Not Found: Dashboard not found)" "$T/err"
check "404: the old file is untouched" cmp -s "$T/keep.json" "$T/a1.json"
run g diff --url "$MAIN" --uid no-such-uid --input "$T/a1.json"
check "diff of an unknown uid: exit 3" test "$rc" = 3
start_stub fail --token "$TOKEN" --load "$DASH" --fail /api/dashboards/uid:500
run g export --url "$URL" --uid mm-operability --output "$T/x.json"
check "500: exit 3 (rc $rc)" test "$rc" = 3
check "500: Grafana's message" grep -q "Grafana failed (500 Internal Server Error: stub failure 500" "$T/err"
start_stub sick --token "$TOKEN" --load "$DASH" --unhealthy
run g export --url "$URL" --uid mm-operability --output "$T/x.json"
check "unhealthy (503): exit 3 (rc $rc)" test "$rc" = 3
check "unhealthy: nothing asked after the health check" test "$(reqs "$LOG")" = "GET /api/health"
run g export --url "http://127.0.0.1:$(free_port)" --uid mm-operability --output "$T/x.json"
check "connection refused: exit 3 (rc $rc)" test "$rc" = 3
check "connection refused: says so" grep -qi "connect" "$T/err"
start_stub slow --token "$TOKEN" --load "$DASH" --slow 3
run g export --url "$URL" --uid mm-operability --output "$T/x.json" --timeout 1s
check "a silent Grafana: exit 3 after --timeout (rc $rc)" test "$rc" = 3
check "timeout: says so" grep -qi "timed\? \?out" "$T/err"

start_stub proxy --token "$TOKEN" --load "$DASH" --garbage /api/dashboards/
run g export --url "$URL" --uid mm-operability --output "$T/x.json"
check "a 200 that is no JSON (a proxy's page): exit 3 (rc $rc)" test "$rc" = 3
check "... says the answer is not JSON" grep -q "the answer is not JSON" "$T/err"
start_stub dying --token "$TOKEN" --load "$DASH" --hangup /api/dashboards/db
run g import --url "$URL" --input "$T/b.json"
check "the connection closed before an answer: exit 3 (rc $rc)" test "$rc" = 3
check "... says so" grep -qi "empty reply\|recv\|closed" "$T/err"
run g export --url "$MAIN" --uid mm-operability --output "$T/a1.json/x.json"
check "an output path that cannot be written: exit 3 (rc $rc)" test "$rc" = 3
check "... and the file in the way is untouched" cmp -s "$T/a1.json" "$T/a2.json"

# 7. A redirect is not followed: the token never reaches the other host.
start_stub elsewhere --token "$TOKEN" --load "$DASH"
OTHER=$URL
OLOG=$LOG
start_stub redir --token "$TOKEN" --redirect "$OTHER"
run g export --url "$URL" --uid mm-operability --output "$T/x.json"
check "302: exit 3 (rc $rc)" test "$rc" = 3
check "302: names where it points, not followed" grep -q "redirected (302) to '$OTHER/api/health', not followed" "$T/err"
check "302: the other host saw nothing" test ! -s "$OLOG"

# TLS: verified against the system's CAs, or --ca-file.
if command -v openssl >/dev/null; then
	mkcert() {
		openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
			-addext subjectAltName=IP:127.0.0.1 -keyout "$T/$1.key" -out "$T/$1.pem" >/dev/null 2>&1
	}
	mkcert tls
	mkcert other
	start_stub tls --token "$TOKEN" --load "$DASH" --tls-cert "$T/tls.pem" --tls-key "$T/tls.key"
	HTTPS=${URL/http:/https:}
	run g export --url "$HTTPS" --uid mm-operability --output "$T/tls.json"
	check "https with a self-signed certificate: refused, exit 3 (rc $rc)" test "$rc" = 3
	check "... says why (the certificate)" grep -qi "certificate" "$T/err"
	run g export --url "$HTTPS" --uid mm-operability --output "$T/tls.json" --ca-file "$T/other.pem"
	check "https with --ca-file of another CA: exit 3 (rc $rc)" test "$rc" = 3
	run g export --url "$HTTPS" --uid mm-operability --output "$T/tls.json" --ca-file "$T/tls.pem"
	check "https with --ca-file of its CA: exit 0 (rc $rc: $err)" test "$rc" = 0
	check "https: the same bytes" cmp -s "$T/tls.json" "$DASH"
else
	check "openssl is installed (for the TLS checks)" false
fi

# 8. Chunked answers.
start_stub chunked --token "$TOKEN" --load "$DASH:ops" --folder ops:Ops --chunked
run g export --url "$URL" --uid mm-operability --output "$T/c.json"
check "chunked answers: exit 0 (rc $rc: $err)" test "$rc" = 0
check "chunked: the same bytes" cmp -s "$T/c.json" "$DASH"
run g import --url "$URL" --input "$T/b.json"
check "chunked: import works (rc $rc: $err)" grep -q "version 2" "$T/out"

# 9. --all: paged search, one file per uid and its folder beside it.
start_stub many --token "$TOKEN" --load "$DASH:ops" --folder ops:Ops --many 23
run g export --url "$URL" --all --output "$T/all" --page-size 10
check "--all: exit 0 (rc $rc)" test "$rc" = 0
check "--all: 24 dashboards" test "$(ls "$T/all"/*.json | wc -l)" = 24
check "--all: pages 1, 2, 3 of 10" test "$(jq -r 'select(.path=="/api/search") | .query.page[0] + ":" + .query.limit[0] + ":" + .query.type[0]' "$LOG" | tr '\n' ' ')" = "1:10:dash-db 2:10:dash-db 3:10:dash-db "
check "--all: the folder uid beside it" test "$(cat "$T/all/mm-operability.folder")" = ops
check "--all: General is an empty folder uid" test "$(cat "$T/all/gen-0007.folder")" = ""
check "--all: the dashboard is the repo's file" cmp -s "$T/all/mm-operability.json" "$DASH"
n=0
for f in "$T/all"/*.json; do jqe .uid "$f" >/dev/null || n=$((n + 1)); done
check "--all: every file parses (jq)" test "$n" = 0
run g import --url "$URL" --input "$T/all/gen-0003.json"
check "import beside its .folder: unchanged" grep -q "is unchanged" "$T/out"

# 10. Credentials: basic auth file, token file, never argv.
start_stub basic --basic "admin:pa:ss" --load "$DASH"
printf 'admin:pa:ss\n' >"$T/basic"
run env -u GRAFANA_TOKEN "$MMOPS" grafana export --url "$URL" --uid mm-operability --output "$T/x.json" --basic-auth-file "$T/basic"
check "basic auth: exit 0 (rc $rc: $err)" test "$rc" = 0
check "basic auth: the header" test "$(jq -r 'select(.path!="/api/health") | .headers.authorization' "$LOG")" = "Basic $(printf 'admin:pa:ss' | base64)"
printf '%s  \n' "$TOKEN" >"$T/token"
run env -u GRAFANA_TOKEN "$MMOPS" grafana export --url "$MAIN" --uid mm-operability --output "$T/y.json" --token-file "$T/token"
check "--token-file: exit 0 (rc $rc: $err)" test "$rc" = 0
printf '%s\n' "$TOKEN" | env -u GRAFANA_TOKEN "$MMOPS" grafana export --url "$MAIN" --uid mm-operability \
	--output "$T/y2.json" --token-file - 2>/dev/null
check "--token-file - reads the token from stdin" cmp -s "$T/y.json" "$T/y2.json"
: >"$MLOG"
run "$MMOPS" grafana export --url "$MAIN" --uid mm-operability --output "$T/z.json" --token "$TOKEN"
check "--token on the command line: exit 2" test "$rc" = 2
check "--token: says why" grep -q "secrets never go on the command line" "$T/err"
check "--token: no request made" test ! -s "$MLOG"

# 11. The seed's path: python -m tools.ops.grafana_export export|import.
cd "$ROOT" || exit 1
run env GRAFANA_TOKEN=$TOKEN MMOPS="$MMOPS" python3 -m tools.ops.grafana_export export \
	--url "$MAIN" --uid mm-operability --output "$T/seed.json"
check "python -m tools.ops.grafana_export export (rc $rc: $err)" test "$rc" = 0
check "... the same bytes as mmops" cmp -s "$T/seed.json" "$T/b.json"
run env GRAFANA_TOKEN=$TOKEN MMOPS="$MMOPS" python3 -m tools.ops.grafana_export import \
	--url "$MAIN" --input "$T/seed.json"
check "python -m tools.ops.grafana_export import: unchanged" grep -q "is unchanged" "$T/out"
cd "$T" || exit 1

finish "grafana api"
