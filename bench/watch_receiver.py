#!/usr/bin/env python3
"""bench/watch_receiver.py - the anchor of bench/watch.sh: the seed's rollback
watcher shape (stdlib http.server, POST /alert-hook) doing the same decision
as `mmops watch --dry-run`: decode the webhook, decide each alert on its own
labels (hard / soft by alertname or gate label), dedupe on (fingerprint,
startsAt), one rollback then cooldown, append one audit line per decision and
fdatasync before answering when a decision is new, answer JSON with each
alert's decision and, for a rollback, its planned actions.

usage: watch_receiver.py PORT AUDIT_LOG [MODE]
MODE (how the stdlib server is set up; the decision is the same):
  keepalive       ThreadingHTTPServer, HTTP/1.1 keep-alive, Nagle off: the
                  best the stdlib does (the default, and the bar's anchor)
  http10          HTTPServer, HTTP/1.0 (a connection per request): the seed's
                  rollback_watcher.py shape
  keepalive-nagle ThreadingHTTPServer, HTTP/1.1, Nagle on (the stdlib default):
                  headers and body leave in two writes and stall on delayed
                  ACKs (~40 ms); shown only to explain why it is not the anchor
"""
import http.server
import json
import os
import sys
import threading
import time

HARD = {"SoakLatencyP95High", "SoakDeadlineMissRate", "SoakEdgeDegradation",
        "SoakMDCacheHitRatio", "SoakCircuitBreakerOpen", "SoakGuardTrip"}
SOFT = {"SoakMakerTakerImbalance", "SoakWSLagHigh"}
ACTIONS = ["scale_strategy_to_zero", "open_circuit_breaker", "freeze_order_placements",
           "notify_oncall", "notify_slack"]
COOLDOWN = 900.0

lock = threading.Lock()
seen = {}
last_rollback = {"id": 0, "at": 0.0}
audit = None


def decide(alert, now):
    labels = alert.get("labels") or {}
    name = labels.get("alertname", "")
    key = (alert.get("fingerprint", ""), alert.get("startsAt", ""))
    resolved = alert.get("status") == "resolved"
    gate = "hard" if name in HARD or labels.get("gate") == "hard" else \
        "soft" if name in SOFT or labels.get("gate") == "soft" else ""
    if key in seen:
        return {"decision": "duplicate", "gate": gate}, False
    if resolved:
        d = {"decision": "ignored", "reason": "resolved"}
    elif gate == "hard":
        if last_rollback["id"] and now - last_rollback["at"] < COOLDOWN:
            d = {"decision": "cooldown", "rollback_id": last_rollback["id"]}
        else:
            last_rollback["id"] += 1
            last_rollback["at"] = now
            d = {"decision": "rollback", "rollback_id": last_rollback["id"],
                 "actions": [{"name": a, "status": "planned"} for a in ACTIONS]}
    elif gate == "soft":
        d = {"decision": "notify"}
    else:
        d = {"decision": "ignored"}
    d["gate"] = gate
    seen[key] = d["decision"]
    return d, True


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def answer(self, code, obj):
        body = json.dumps(obj, sort_keys=True, separators=(",", ":")).encode() + b"\n"
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        if n > 1 << 20:
            return self.answer(413, {"error": "payload too large"})
        raw = self.rfile.read(n)
        if self.path != "/alert-hook":
            return self.answer(404, {"error": "not found"})
        if not (self.headers.get("Content-Type") or "").startswith("application/json"):
            return self.answer(415, {"error": "send application/json"})
        try:
            payload = json.loads(raw)
            alerts = payload["alerts"]
        except (ValueError, KeyError, TypeError) as e:
            return self.answer(400, {"error": str(e)})
        now = time.time()
        out = []
        lines = []
        durable = False
        with lock:
            for a in alerts:
                d, new = decide(a, now)
                durable = durable or new
                d["fingerprint"] = a.get("fingerprint", "")
                d["alertname"] = (a.get("labels") or {}).get("alertname", "")
                out.append(d)
                lines.append(json.dumps({"ts": now, "event": "decision", **d},
                                        sort_keys=True, separators=(",", ":")))
            audit.write(("\n".join(lines) + "\n").encode())
            audit.flush()
            if durable:
                os.fdatasync(audit.fileno())
        self.answer(200, {"status": "ok", "dry_run": True, "received": len(alerts), "alerts": out})


class Server(http.server.HTTPServer):
    request_queue_size = 128    # the stdlib's 5 drops wrk's connects under load


class ThreadingServer(http.server.ThreadingHTTPServer):
    request_queue_size = 128
    daemon_threads = True


class Http10Handler(Handler):
    protocol_version = "HTTP/1.0"


class NagleHandler(Handler):
    disable_nagle_algorithm = False


def main():
    global audit
    port, path = int(sys.argv[1]), sys.argv[2]
    mode = sys.argv[3] if len(sys.argv) > 3 else "keepalive"
    audit = open(path, "ab")
    if mode == "http10":
        srv = Server(("127.0.0.1", port), Http10Handler)
    elif mode in ("keepalive", "keepalive-nagle"):
        srv = ThreadingServer(("127.0.0.1", port),
                              NagleHandler if mode == "keepalive-nagle" else Handler)
    else:
        sys.exit("watch_receiver.py: unknown mode '%s'" % mode)
    srv.serve_forever()


if __name__ == "__main__":
    main()
