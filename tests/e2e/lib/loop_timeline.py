#!/usr/bin/env python3
"""tests/e2e/lib/loop_timeline.py - follow one fault through the production
loop of tests/e2e/full_loop.sh and print its timeline.

  loop_timeline.py --t0 EPOCH --prometheus URL --alertmanager URL
                   --audit FILE --sim URL --admin-token-file F
                   --watch URL --deadline SECONDS [--json OUT]

From the moment the fault was injected (--t0, seconds since the epoch), it
polls (every 0.1 s) Prometheus's /api/v1/alerts, Alertmanager's
/api/v2/alerts, the watcher's audit log and the sim's /admin/state until the
first rollback has finished and the sim is stopped, then prints each step
with its time since the fault.  Times come from the components themselves
where they keep one (Prometheus's activeAt, Alertmanager's updatedAt, the
audit log's ts, an action's duration); the others are when the poll saw the
step first (at most 0.1 s late).  It never asserts a duration.  Exit 0 when
every step was seen, 1 at the deadline (printing what was seen), with the
steps also written as JSON to --json.  Python standard library only.
"""
import argparse
import datetime
import json
import re
import sys
import time
import urllib.parse
import urllib.request

HARD = {"SoakLatencyP95High", "SoakDeadlineMissRate", "SoakEdgeDegradation",
        "SoakMDCacheHitRatio", "SoakCircuitBreakerOpen", "SoakGuardTrip"}


def ts(s):
    """RFC 3339 (Prometheus and Alertmanager write up to nanoseconds) to epoch."""
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$", s or "")
    if not m:
        return None
    base = datetime.datetime.fromisoformat(m.group(1) + (m.group(3).replace("Z", "+00:00")))
    return base.timestamp() + (float(m.group(2)) if m.group(2) else 0.0)


def get(url, token=None):
    req = urllib.request.Request(url)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=2) as r:
        return json.load(r)


def metric_text(url):
    with urllib.request.urlopen(url, timeout=2) as r:
        return r.read().decode()


def sample(text, name):
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--t0", type=float, required=True)
    ap.add_argument("--fault", default="latency:x4")
    ap.add_argument("--prometheus", required=True)
    ap.add_argument("--alertmanager", required=True)
    ap.add_argument("--audit", required=True)
    ap.add_argument("--sim", required=True)
    ap.add_argument("--admin-token-file", required=True)
    ap.add_argument("--watch", required=True)
    ap.add_argument("--deadline", type=float, default=120)
    ap.add_argument("--json")
    a = ap.parse_args()
    token = open(a.admin_token_file).read().strip()

    steps = {}      # key -> (time, text)
    def seen(key, t, text):
        if key not in steps and t is not None:
            steps[key] = (t, text)

    alert = None    # the hard alert the rollback was decided for
    end = time.time() + a.deadline
    done = False
    while time.time() < end and not done:
        now = time.time()
        try:
            for al in get(a.prometheus + "/api/v1/alerts")["data"]["alerts"]:
                name = al["labels"].get("alertname")
                if name not in HARD:
                    continue
                seen("pending " + name, ts(al.get("activeAt")),
                     "%s pending in Prometheus (activeAt)" % name)
                if al.get("state") == "firing":
                    seen("firing " + name, now, "%s firing in Prometheus (for: held)" % name)
        except Exception:
            pass
        try:
            for al in get(a.alertmanager + "/api/v2/alerts"):
                name = al["labels"].get("alertname")
                if name in HARD:
                    seen("am " + name, ts(al.get("updatedAt")) or now,
                         "Alertmanager received %s from Prometheus (updatedAt)" % name)
        except Exception:
            pass
        try:
            with open(a.audit) as f:
                for line in f:
                    r = json.loads(line)
                    ev = r.get("event")
                    if ev == "decision" and r.get("decision") == "rollback" and alert is None:
                        alert = r.get("alertname")
                        seen("decided", ts(r["ts"]), "mmops watch, notified by Alertmanager: "
                             "rollback %s decided for %s, durable (audit log)" % (r.get("rollback_id"), alert))
                    elif ev == "action" and r.get("decision") == "rollback":
                        end_t = ts(r["ts"])
                        dur = r.get("duration_seconds") or 0
                        seen("action " + r["name"], end_t, "action %s %s (%.1f ms, %s attempt%s)" % (
                            r["name"], r.get("result"), dur * 1000, r.get("attempts", 0),
                            "" if r.get("attempts") == 1 else "s"))
                    elif ev == "job_done" and r.get("kind") == "rollback":
                        seen("job_done", ts(r["ts"]), "rollback finished (audit log)")
        except (OSError, ValueError):
            pass
        try:
            st = get(a.sim + "/admin/state", token)
            if st["replicas"] == 0 and st["breaker_open"] and st["frozen"]:
                seen("stopped", now, "sim stopped: replicas 0, breaker open, orders frozen")
        except Exception:
            pass
        done = alert is not None and "job_done" in steps and "stopped" in steps
        if not done:
            time.sleep(0.1)

    # The evaluation that fired the alert: the first sample of its ALERTS
    # series in state firing (more exact than the poll).
    if alert:
        try:
            q = urllib.parse.quote('ALERTS{alertname="%s",alertstate="firing"}[10m]' % alert)
            res = get(a.prometheus + "/api/v1/query?query=" + q)["data"]["result"]
            first = min(float(v[0]) for r in res for v in r["values"] if float(v[0]) >= a.t0)
            steps["firing " + alert] = (first, "%s firing in Prometheus (the evaluation that "
                                        "found for: held)" % alert)
        except Exception:
            pass
    order = ["pending", "firing", "am"]
    rows = [(a.t0, "fault injected: %s (POST /admin/fault)" % a.fault)]
    if alert:
        for k in order:
            if k + " " + alert in steps:
                rows.append(steps[k + " " + alert])
    for k, v in steps.items():
        if k.split(" ")[0] in order:
            continue
        rows.append(v)
    rows.sort(key=lambda r: r[0])
    print("timeline (seconds since the fault; mmops sim at --speed, rules time-scaled to match)")
    for t, text in rows:
        print("  %+8.3f s  %s" % (t - a.t0, text))
    out = {"alert": alert, "t0": a.t0, "steps": {k: v[0] - a.t0 for k, v in steps.items()}}
    try:
        m = metric_text(a.watch + "/metrics")
        dsum = sample(m, "mmops_watch_decision_seconds_sum")
        dcnt = sample(m, "mmops_watch_decision_seconds_count")
        ssum = sample(m, 'mmops_watch_action_start_seconds_sum{kind="rollback"}')
        scnt = sample(m, 'mmops_watch_action_start_seconds_count{kind="rollback"}')
        if dcnt and scnt:
            out["watch_decision_mean_s"] = dsum / dcnt
            out["watch_action_start_s"] = ssum / scnt
            print("mmops's own part: request read -> decision durable %.3f ms (mean of %d), "
                  "decision -> first action started %.3f ms (mmops_watch_*_seconds)"
                  % (dsum / dcnt * 1000, dcnt, ssum / scnt * 1000))
    except Exception as e:
        print("cannot read the watcher's metrics: %s" % e)
    if "decided" in steps and "pending " + (alert or "") in steps:
        out["fault_to_rollback_s"] = steps["decided"][0] - a.t0
        if "stopped" in steps:
            out["fault_to_stopped_s"] = steps["stopped"][0] - a.t0
        print("fault to rollback decided: %.3f s, of which the alert's for: and Prometheus's "
              "and Alertmanager's timers are the rest" % out["fault_to_rollback_s"])
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, sort_keys=True)
            f.write("\n")
    if not done:
        print("timeline: incomplete after %g s" % a.deadline)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
