#!/usr/bin/env bash
# tests/e2e/docs_links.sh - what the docs promise holds: every alert's
# runbook_url (deploy/prometheus/alerts_soak.yml) points at a section of
# docs/runbooks/soak-test-failures.md that exists, every relative link of the
# runbooks and the README resolves, and docs/img/loop.svg is the rendering of
# docs/loop.dot (graphviz) and parses as XML.  env: ROOT.  Last line:
# "N passed, N failed".
source "$(dirname "$0")/lib/common.bash"
PY=/usr/bin/python3
need "$PY"
need dot

# GitHub's heading anchors: lower case, punctuation dropped, spaces to '-'.
check "every alert's runbook_url points at a runbook section" "$PY" - "$ROOT" <<'EOF_PY'
import re, sys, yaml, os
root = sys.argv[1]
rules = yaml.safe_load(open(os.path.join(root, "deploy/prometheus/alerts_soak.yml")))
page = os.path.join(root, "docs/runbooks/soak-test-failures.md")
anchors = set()
for line in open(page):
    m = re.match(r"^#+\s+(.*)$", line)
    if m:
        a = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
        anchors.add(a)
bad = 0
n = 0
for g in rules["groups"]:
    for r in g["rules"]:
        n += 1
        url = r["annotations"]["runbook_url"]
        base, _, frag = url.partition("#")
        if not base.endswith("/docs/runbooks/soak-test-failures.md") or frag not in anchors:
            print("%s: runbook_url %s has no section" % (r["alert"], url))
            bad += 1
print("%d rules, %d without a runbook section" % (n, bad))
sys.exit(1 if bad or n != 8 else 0)
EOF_PY

check "relative links of the runbooks and README resolve" "$PY" - "$ROOT" <<'EOF_PY'
import glob, os, re, sys
root = sys.argv[1]
bad = 0
files = glob.glob(os.path.join(root, "docs/runbooks/*.md")) + [os.path.join(root, "README.md")]
for f in files:
    for target in re.findall(r"\]\(([^)\s]+)\)", open(f).read()):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue
        path = os.path.normpath(os.path.join(os.path.dirname(f), target.split("#")[0]))
        if not os.path.exists(path):
            print("%s: link %s: no such file" % (os.path.relpath(f, root), target))
            bad += 1
sys.exit(1 if bad else 0)
EOF_PY

dot -Tsvg "$ROOT/docs/loop.dot" -o "$T/loop.svg"
check "docs/img/loop.svg is the rendering of docs/loop.dot (dot -Tsvg docs/loop.dot -o docs/img/loop.svg)" \
	cmp -s "$T/loop.svg" "$ROOT/docs/img/loop.svg"
check "docs/img/loop.svg is well-formed SVG" "$PY" -c '
import sys, xml.dom.minidom
d = xml.dom.minidom.parse(sys.argv[1])
sys.exit(0 if d.documentElement.tagName == "svg" else 1)' "$ROOT/docs/img/loop.svg"
finish
