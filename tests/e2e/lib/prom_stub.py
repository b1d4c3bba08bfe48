#!/usr/bin/python3
"""prom_stub.py - a hostile Prometheus for the canary's fault tests.

usage: prom_stub.py PORTFILE MODE
  error   every query answers 422 {"status":"error","errorType":"bad_data",...}
  busy    every query answers 503 with an HTML body
  slow    accepts the connection and never answers
  garbage answers 200 with a body that is not the API's JSON
Listens on 127.0.0.1 on a free port and writes it to PORTFILE.
"""
import http.server
import sys
import time


class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        mode = sys.argv[2]
        if mode == "slow":
            time.sleep(3600)
            return
        body, code, ctype = {
            "error": (b'{"status":"error","errorType":"bad_data","error":"parse error at char 3"}', 422, "application/json"),
            "busy": (b"<html>busy</html>", 503, "text/html"),
            "garbage": (b'{"status":"success","data":{"resultType":"matrix","result":[{"values":"no"}]}}', 200, "application/json"),
        }[mode]
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET


s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()
