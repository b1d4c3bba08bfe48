#!/usr/bin/env python3
"""tools/ops/grafana_export.py - the seed's Grafana export tool, kept as a path.

The work is done by `mmops grafana` (docs/grafana.md); this only keeps the
seed's command lines working unchanged:

    GRAFANA_TOKEN=<token> python -m tools.ops.grafana_export export \
      --url http://grafana:3000 --uid mm-operability \
      --output deploy/grafana/dashboards/mm_operability.json
    GRAFANA_TOKEN=<token> python -m tools.ops.grafana_export import \
      --url http://grafana:3000 --input deploy/grafana/dashboards/mm_operability.json

It runs $MMOPS when set, else `mmops` on PATH, else the repo's build/mmops,
with the same arguments, the same environment and the same exit code.
"""
import os
import shutil
import sys


def mmops():
    env = os.environ.get("MMOPS")
    if env:
        return env
    found = shutil.which("mmops")
    if found:
        return found
    here = os.path.dirname(os.path.abspath(__file__))
    built = os.path.join(here, "..", "..", "build", "mmops")
    if os.access(built, os.X_OK):
        return os.path.normpath(built)
    sys.stderr.write("grafana_export: mmops not found: install it (make install) or set MMOPS\n")
    sys.exit(3)


def main():
    prog = mmops()
    os.execv(prog, [prog, "grafana"] + sys.argv[1:])


if __name__ == "__main__":
    main()
