#!/usr/bin/env python3
"""grafana_stub.py - Grafana's documented dashboard HTTP API, in memory, for tests.

Grafana is not packaged for Debian; this stands in for the endpoints mmops
uses, with the status codes and bodies Grafana 8-11 give (docs: "Dashboard
HTTP API", "Folder/Dashboard Search HTTP API", "Health API"):

  GET  /api/health                 200 {"commit","database":"ok","version"} (no auth)
  GET  /api/dashboards/uid/:uid    200 {"dashboard","meta"}; 404 {"message":"Dashboard not found"}
  POST /api/dashboards/db          200 {"id","uid","url","status":"success","version","slug"};
                                   400 bad uid / empty title / unknown folder;
                                   412 {"status":"version-mismatch"} / {"status":"name-exists"}
  GET  /api/search?type=dash-db&limit=N&page=P   the dashboards sorted by title, paged
  401 without a valid Authorization, 403 for a read-only token on a write.

Every request is appended to --log as one JSON line {method, path, query,
headers (lower-case names), body (parsed JSON when it is)} before it is
answered, so a test can assert what was sent.  Faults for the tests:
--chunked (every answer in 7-byte chunks), --slow SECONDS, --redirect URL,
--unhealthy, --fail PATH_PREFIX:STATUS (Grafana-style error body),
--garbage PATH_PREFIX (200 with a proxy's HTML page), --hangup PATH_PREFIX
(the connection closed without an answer),
--bump-after-get UID (a concurrent save right after the first GET of UID).

--tls-cert/--tls-key serve HTTPS.  Listens on 127.0.0.1, port 0 (free) by default; writes the port to
--port-file once listening.  Stop it by its PID.
"""
import argparse
import base64
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

UID_RE = re.compile(r"^[a-zA-Z0-9\-_]*$")


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.dashboards = {}  # uid -> {"dashboard": dict, "folderUid": str, "created": str, "updated": str}
        self.folders = {"": "General"}
        self.next_id = 1
        self.bumped = set()
        self.log = open(args.log, "a", encoding="utf-8") if args.log else None
        for spec in args.folder or []:
            uid, _, title = spec.partition(":")
            self.folders[uid] = title or uid
        for spec in args.load or []:
            path, _, folder = spec.partition(":")
            with open(path, encoding="utf-8") as f:
                d = json.load(f)
            self.store(d, folder, None)
        for i in range(args.many or 0):
            self.store({"uid": "gen-%04d" % i, "title": "Generated %04d" % i, "schemaVersion": 37,
                        "panels": []}, "", None)

    def store(self, d, folder, prev):
        d = dict(d)
        d["id"] = prev["dashboard"]["id"] if prev else self.next_id
        if not prev:
            self.next_id += 1
        d["version"] = prev["dashboard"]["version"] + 1 if prev else 1
        # Grafana < 8 kept a save timestamp here; it changes on every save.
        d["iteration"] = int(time.time() * 1000)
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.dashboards[d["uid"]] = {"dashboard": d, "folderUid": folder,
                                     "created": prev["created"] if prev else now, "updated": now}
        return d


def slug(title):
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "grafana-stub"

    def log_message(self, fmt, *a):  # quiet: the JSON log is the record
        pass

    # -- plumbing --
    def record(self, body):
        st = self.server.state
        if not st.log:
            return
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = body.decode("utf-8", "replace")
        u = urlsplit(self.path)
        line = {"method": self.command, "path": u.path, "query": parse_qs(u.query),
                "headers": {k.lower(): v for k, v in self.headers.items()}, "body": parsed}
        with st.lock:
            st.log.write(json.dumps(line, sort_keys=True) + "\n")
            st.log.flush()

    def answer(self, status, obj, headers=None):
        args = self.server.state.args
        if args.slow:
            time.sleep(args.slow)
        data = (json.dumps(obj) if obj is not None else "").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if args.chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(0, len(data), 7):
                part = data[i:i + 7]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    def role(self):
        """'admin', 'viewer' or None (unauthenticated)."""
        args = self.server.state.args
        h = self.headers.get("Authorization", "")
        if h.startswith("Bearer "):
            tok = h[7:]
            if args.token and tok == args.token:
                return "admin"
            if args.viewer_token and tok == args.viewer_token:
                return "viewer"
            return "bad-token"
        if h.startswith("Basic ") and args.basic:
            try:
                if base64.b64decode(h[6:]).decode() == args.basic:
                    return "admin"
            except ValueError:
                pass
            return "bad-basic"
        return None

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        self.record(body)
        st = self.server.state
        args = st.args
        u = urlsplit(self.path)
        if args.redirect:
            return self.answer(302, None, {"Location": args.redirect + u.path})
        for prefix in args.garbage or []:
            if u.path.startswith(prefix):
                # a proxy's login page, answered 200 by something that is not Grafana
                data = b"<html><body>Please sign in</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
        for prefix in args.hangup or []:
            if u.path.startswith(prefix):
                # the process behind it died: the connection closes with no answer
                self.close_connection = True
                self.connection.shutdown(2)
                return
        for f in args.fail or []:
            prefix, _, code = f.rpartition(":")
            if u.path.startswith(prefix):
                return self.answer(int(code), {"message": "stub failure %s on %s" % (code, prefix)})
        if u.path == "/api/health" and self.command == "GET":
            if args.unhealthy:
                return self.answer(503, {"commit": "stub", "database": "failing", "version": "10.4.0"})
            return self.answer(200, {"commit": "stub", "database": "ok", "version": "10.4.0"})
        role = self.role()
        if role is None:
            return self.answer(401, {"extra": None, "message": "Unauthorized", "messageId": "auth.unauthorized",
                                     "statusCode": 401, "traceID": ""})
        if role == "bad-token":
            return self.answer(401, {"message": "invalid API key"})
        if role == "bad-basic":
            return self.answer(401, {"message": "invalid username or password"})
        m = re.match(r"^/api/dashboards/uid/(.*)$", u.path)
        if m and self.command == "GET":
            return self.get_dashboard(m.group(1))
        if u.path == "/api/dashboards/db" and self.command == "POST":
            if role != "admin":
                return self.answer(403, {"message": "Access denied to save dashboard"})
            return self.save(body)
        if u.path == "/api/search" and self.command == "GET":
            return self.search(parse_qs(u.query))
        return self.answer(404, {"message": "Not found"})

    do_GET = handle_any
    do_POST = handle_any
    do_PUT = handle_any
    do_DELETE = handle_any

    # -- the API --
    def get_dashboard(self, uid):
        st = self.server.state
        from urllib.parse import unquote
        uid = unquote(uid)
        with st.lock:
            e = st.dashboards.get(uid)
            if not e:
                return self.answer(404, {"message": "Dashboard not found"})
            d = json.loads(json.dumps(e["dashboard"]))
            folder = e["folderUid"]
            meta = {"type": "db", "canSave": True, "canEdit": True, "canAdmin": True, "canStar": True,
                    "canDelete": True, "slug": slug(d.get("title", "")),
                    "url": "/d/%s/%s" % (uid, slug(d.get("title", ""))), "expires": "0001-01-01T00:00:00Z",
                    "created": e["created"], "updated": e["updated"], "updatedBy": "admin",
                    "createdBy": "admin", "version": d["version"], "hasAcl": False, "isFolder": False,
                    "folderId": 0 if not folder else 100 + sorted(st.folders).index(folder),
                    "folderUid": folder, "folderTitle": st.folders.get(folder, folder),
                    "folderUrl": "" if not folder else "/dashboards/f/%s/" % folder,
                    "provisioned": False, "provisionedExternalId": ""}
            if uid in st.args.bump_after_get and uid not in st.bumped:
                # someone saves from the UI right after this read
                st.bumped.add(uid)
                changed = dict(e["dashboard"])
                changed["description"] = "edited in the UI"
                st.store(changed, folder, e)
        return self.answer(200, {"dashboard": d, "meta": meta})

    def save(self, body):
        st = self.server.state
        try:
            req = json.loads(body)
        except ValueError:
            return self.answer(400, {"message": "bad request data"})
        d = req.get("dashboard") if isinstance(req, dict) else None
        if not isinstance(d, dict):
            return self.answer(400, {"message": "bad request data"})
        title = d.get("title")
        if not isinstance(title, str) or not title.strip():
            return self.answer(400, {"message": "Dashboard title cannot be empty"})
        uid = d.get("uid") or ""
        if not isinstance(uid, str) or not UID_RE.match(uid):
            return self.answer(400, {"message": "uid contains illegal characters"})
        if len(uid) > 40:
            return self.answer(400, {"message": "uid too long, max 40 characters"})
        folder = req.get("folderUid") or ""
        with st.lock:
            if folder not in st.folders:
                return self.answer(400, {"message": "folder not found"})
            if not uid:
                uid = "auto%04d" % st.next_id
                d["uid"] = uid
            prev = st.dashboards.get(uid)
            if d.get("id") is not None and (not prev or prev["dashboard"]["id"] != d["id"]):
                return self.answer(404, {"message": "Dashboard not found"})
            for ou, oe in st.dashboards.items():
                if ou != uid and oe["folderUid"] == folder and oe["dashboard"].get("title") == title \
                        and not req.get("overwrite"):
                    return self.answer(412, {"message": "A dashboard with the same name in the folder already exists",
                                             "status": "name-exists"})
            if prev and not req.get("overwrite") and d.get("version") != prev["dashboard"]["version"]:
                return self.answer(412, {"message": "The dashboard has been changed by someone else",
                                         "status": "version-mismatch"})
            saved = st.store(d, folder, prev)
        s = slug(title)
        return self.answer(200, {"id": saved["id"], "uid": uid, "url": "/d/%s/%s" % (uid, s),
                                 "status": "success", "version": saved["version"], "slug": s})

    def search(self, q):
        st = self.server.state
        if q.get("type", ["dash-db"])[0] not in ("dash-db",):
            return self.answer(200, [])
        try:
            limit = int(q.get("limit", ["1000"])[0])
            page = int(q.get("page", ["1"])[0])
        except ValueError:
            return self.answer(400, {"message": "bad request data"})
        limit = max(1, min(limit, 5000))
        with st.lock:
            items = sorted(st.dashboards.values(), key=lambda e: (e["dashboard"].get("title", ""), e["dashboard"]["uid"]))
            hits = []
            for e in items[(page - 1) * limit: page * limit]:
                d = e["dashboard"]
                hit = {"id": d["id"], "uid": d["uid"], "title": d.get("title", ""),
                       "uri": "db/" + slug(d.get("title", "")),
                       "url": "/d/%s/%s" % (d["uid"], slug(d.get("title", ""))), "slug": "",
                       "type": "dash-db", "tags": d.get("tags", []), "isStarred": False, "sortMeta": 0}
                if e["folderUid"]:
                    hit.update({"folderUid": e["folderUid"], "folderTitle": st.folders[e["folderUid"]],
                                "folderUrl": "/dashboards/f/%s/" % e["folderUid"]})
                hits.append(hit)
        return self.answer(200, hits)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    ap.add_argument("--token", help="the admin token (Bearer)")
    ap.add_argument("--viewer-token", help="a token that may read but not save")
    ap.add_argument("--basic", help="user:password accepted as basic auth")
    ap.add_argument("--folder", action="append", help="UID:TITLE, a folder that exists")
    ap.add_argument("--load", action="append", help="FILE[:FOLDER_UID], a dashboard at version 1")
    ap.add_argument("--many", type=int, help="N generated dashboards (pagination)")
    ap.add_argument("--chunked", action="store_true")
    ap.add_argument("--slow", type=float, default=0)
    ap.add_argument("--redirect")
    ap.add_argument("--unhealthy", action="store_true")
    ap.add_argument("--fail", action="append", help="PATH_PREFIX:STATUS")
    ap.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate (and --tls-key)")
    ap.add_argument("--tls-key")
    ap.add_argument("--garbage", action="append", help="PATH_PREFIX answered 200 with an HTML page")
    ap.add_argument("--hangup", action="append", help="PATH_PREFIX answered by closing the connection")
    ap.add_argument("--bump-after-get", action="append", default=[])
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    srv.state = State(args)
    if args.tls_cert:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % srv.server_address[1])
        import os
        os.rename(args.port_file + ".tmp", args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
